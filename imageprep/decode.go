package imageprep

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"math"

	"golang.org/x/image/bmp"
	"golang.org/x/image/webp"
)

// DefaultMaxPixels is the pixel limit when Options.MaxPixels is zero: a
// 40-megapixel photo decodes, a decompression bomb does not.
const DefaultMaxPixels = 40_000_000

// Options tune Decode, DecodeFor, Prepare and Probe.
type Options struct {
	// MaxPixels bounds width*height as declared by the header, checked before
	// decoding, for every picture but a JPEG on the fast path; zero or
	// negative means DefaultMaxPixels.
	MaxPixels int64
	// MaxPixelsJPEG bounds width*height of a JPEG that DecodeFor decodes at
	// a reduced DCT scale, where memory follows the output, not the input;
	// zero or negative means DefaultMaxPixelsJPEG. A JPEG that falls back to
	// the exact decoder (12-bit, arithmetic coding) is held to MaxPixels.
	MaxPixelsJPEG int64

	// Resize, Width, Height and Crop tell Probe which path will decode the
	// picture, so that its size limit and memory estimate are that path's:
	// ResizeFast with a Width×Height model input (and its crop) for
	// DecodeFor; ResizeFast with no size for a JPEG decoded at full scale;
	// ResizeExact for Decode. Decode and DecodeFor ignore them.
	Resize        ResizeMode
	Width, Height int
	Crop          Crop
}

// Image is a decoded picture in 8-bit RGB.
type Image struct {
	Width, Height int // after EXIF orientation
	// FullWidth and FullHeight are the picture's size at full scale, after
	// EXIF orientation; DecodeFor may decode a JPEG smaller.
	FullWidth, FullHeight int
	Format                Format // as sniffed from the data
	Orientation           int    // the EXIF orientation applied, 1 (none) to 8
	Pix                   []byte // RGB, 3 bytes a pixel, rows top to bottom, len Width*Height*3
}

// Decode decodes a JPEG, PNG, GIF (first frame), BMP or WebP image into
// 8-bit RGB, flattening transparency on white and applying the EXIF
// orientation. It never trusts the data: the format comes from the magic
// bytes, the size is checked against opts.MaxPixels before any pixel is
// decoded, and a panic inside a decoder becomes a *FormatError.
func Decode(data []byte, opts Options) (*Image, error) {
	f, err := sniff(data)
	if err != nil {
		return nil, err
	}
	decode, config := codec(f)
	cfg, err := guard(f, data, func() (image.Config, error) { return config(bytes.NewReader(data)) })
	if err != nil {
		return nil, err
	}
	if err := checkSize(f, cfg.Width, cfg.Height, opts.MaxPixels); err != nil {
		return nil, err
	}
	if err := precheck(f, data); err != nil {
		return nil, err
	}
	m, err := guard(f, data, func() (image.Image, error) { return decode(bytes.NewReader(data)) })
	if err != nil {
		return nil, err
	}
	// The canvas is the declared size: a GIF's first frame may cover only
	// part of its logical screen, and the rest shows the (white) background.
	w, h := cfg.Width, cfg.Height
	pix := make([]byte, w*h*3)
	toRGB(pix, w, h, m, f == WebP) // only lossy WebP gives YCbCr, in video range
	o := orientation(f, data)
	pix, w, h = orient(pix, w, h, o)
	return &Image{Width: w, Height: h, FullWidth: w, FullHeight: h, Format: f, Orientation: o, Pix: pix}, nil
}

// codec returns the decoder and the header reader for f.
func codec(f Format) (func(io.Reader) (image.Image, error), func(io.Reader) (image.Config, error)) {
	switch f {
	case JPEG:
		return jpeg.Decode, jpeg.DecodeConfig
	case PNG:
		return png.Decode, png.DecodeConfig
	case GIF:
		return gif.Decode, gif.DecodeConfig
	case BMP:
		return bmp.Decode, bmp.DecodeConfig
	case WebP:
		return webp.Decode, webp.DecodeConfig
	}
	panic("imageprep: no codec for " + string(f)) // sniff returns only the formats above
}

// guard runs a third-party decoder, turning its error into ours and a panic
// into a *FormatError: the decoders (x/image above all) are not hardened
// against every hostile input, and one bad upload must not take the server
// down. A runtime fatal error (out of memory) cannot be caught; the pixel
// limit is the defence there.
func guard[T any](f Format, data []byte, fn func() (T, error)) (v T, err error) {
	defer func() {
		if r := recover(); r != nil {
			var zero T
			v, err = zero, &FormatError{Format: f, Kind: ErrCorrupt, Err: fmt.Errorf("decoder panic: %v", r)}
		}
	}()
	v, err = fn()
	if err != nil {
		return v, classify(f, data, err)
	}
	return v, nil
}

// classify maps a decoder's error onto our kinds. The decoders do not always
// wrap io.ErrUnexpectedEOF (gif formats it into its message), so data that
// lack their format's end marker count as truncated too.
func classify(f Format, data []byte, err error) error {
	var (
		jpegUnsupported jpeg.UnsupportedError
		pngUnsupported  png.UnsupportedError
	)
	switch {
	case errors.As(err, &jpegUnsupported), errors.As(err, &pngUnsupported), errors.Is(err, bmp.ErrUnsupported):
		return &UnsupportedError{Format: f, Kind: ErrUnsupported, Err: err}
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF), !ends(f, data):
		return &FormatError{Format: f, Kind: ErrTruncated, Err: err}
	}
	return &FormatError{Format: f, Kind: ErrCorrupt, Err: err}
}

// ends reports whether data end the way a complete file of format f does:
// PNG with an IEND chunk, JPEG with EOI, GIF with its trailer. (BMP and WebP
// declare their length, which precheck compares.)
func ends(f Format, data []byte) bool {
	switch f {
	case PNG:
		return bytes.HasSuffix(data, []byte("\x00\x00\x00\x00IEND\xAE\x42\x60\x82"))
	case JPEG:
		return bytes.HasSuffix(data, []byte{0xFF, 0xD9})
	case GIF:
		return bytes.HasSuffix(data, []byte{0x3B})
	}
	return true
}

// checkSize rejects a declared size with no pixels or with more than limit
// pixels (limit <= 0 means DefaultMaxPixels), without overflowing.
func checkSize(f Format, w, h int, limit int64) error {
	if limit <= 0 {
		limit = DefaultMaxPixels
	}
	// Keep w*h*4 (a decoder's RGBA buffer) within int, on 32-bit targets too.
	limit = min(limit, int64(math.MaxInt/4))
	if w <= 0 || h <= 0 {
		return &FormatError{Format: f, Kind: ErrNoPixels, Err: fmt.Errorf("declared size %dx%d", w, h)}
	}
	if int64(w) > limit/int64(h) {
		return &TooLargeError{Format: f, Width: w, Height: h, MaxPixels: limit}
	}
	return nil
}

// precheck rejects, from the container alone, what the decoders would
// otherwise accept or spend memory on.
func precheck(f Format, data []byte) error {
	switch f {
	case BMP:
		return precheckBMP(data)
	case WebP:
		return precheckWebP(data)
	}
	return nil
}

// precheckBMP requires the whole pixel array to be present. BMPs that
// golang.org/x/image/bmp accepts are uncompressed, so a short file is
// truncated; without this check a 100-byte file declaring 6000x6000 pixels
// would make the decoder allocate 144 MB before failing.
func precheckBMP(data []byte) error {
	const fileHeader = 14
	if len(data) < fileHeader+16 {
		return nil // too short for the fields below; the decoder reports it
	}
	le := binary.LittleEndian
	if n := le.Uint32(data[14:]); n != 40 && n != 108 && n != 124 {
		return nil // a DIB header the decoder does not know; it says so
	}
	offset := int64(le.Uint32(data[10:]))
	width := int64(int32(le.Uint32(data[18:])))
	height := int64(int32(le.Uint32(data[22:])))
	bpp := int64(le.Uint16(data[28:]))
	if height < 0 {
		height = -height // top-down rows
	}
	if width <= 0 || height <= 0 || width > 1<<30 || height > 1<<30 || bpp == 0 || bpp > 32 {
		return nil // the decoder or checkSize reports these
	}
	// BMP rows are padded to 4 bytes (BITMAPINFOHEADER, biSizeImage).
	stride := (width*bpp + 31) / 32 * 4
	if need := offset + stride*height; int64(len(data)) < need {
		return &FormatError{Format: BMP, Kind: ErrTruncated,
			Err: fmt.Errorf("pixel array needs %d bytes, file has %d", need, len(data))}
	}
	return nil
}

// precheckWebP checks the RIFF length and the animation flag. The VP8 decoder
// reads past the end of a cut lossy stream as zeros and "succeeds"; libwebp
// (ParseRIFF) rejects a RIFF size larger than the data, and so do we. An
// animated WebP is a valid file that golang.org/x/image/webp cannot decode.
func precheckWebP(data []byte) error {
	size := int64(binary.LittleEndian.Uint32(data[4:8]))
	if int64(len(data))-8 < size {
		return &FormatError{Format: WebP, Kind: ErrTruncated,
			Err: fmt.Errorf("RIFF size %d, but %d bytes follow the header", size, len(data)-8)}
	}
	// VP8X chunk (WebP container spec, "Extended File Format"): flags byte
	// after the chunk header, animation is bit 1.
	const animation = 1 << 1
	if len(data) >= 21 && string(data[12:16]) == "VP8X" && data[20]&animation != 0 {
		return &UnsupportedError{Format: WebP, Kind: ErrUnsupported, Err: errors.New("animated WebP")}
	}
	return nil
}
