package imageprep

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"

	"github.com/classifly/classifly/jpegdec"
)

// Header is what a picture's header says, read without decoding a pixel.
type Header struct {
	Format        Format
	Width, Height int // as stored, before EXIF orientation
	// DecodeBytes is a generous estimate of the memory decoding takes at
	// its peak for this picture on the path Probe was told (see Probe); on
	// the exact path: the decoder's own image (16-bit and interlaced
	// PNGs, progressive JPEG coefficients and lossless WebP's ARGB planes
	// included), the RGB result and its oriented copy. A server reserves it
	// before decoding, so that pictures under the pixel limit cannot add up
	// to more memory than it has.
	DecodeBytes int64
}

// Probe identifies a picture and checks it as far as its header allows,
// exactly as the decoder that opts.Resize chooses does before decoding:
// the format from the magic bytes (TIFF, HEIF, AVIF and JPEG XL named as
// unsupported), the declared size against the path's pixel limit, and the
// container checks (a BMP's pixel array present, a WebP's RIFF length and
// animation flag). Its errors are the decoder's. A nil error does not
// promise that decoding succeeds: the pixel data may still be corrupt or
// truncated.
//
// On the fast path (opts.Resize ResizeFast) a JPEG that jpegdec takes is
// held to opts.MaxPixelsJPEG, and DecodeBytes is what jpegdec holds at the
// scale it will choose for the opts.Width×opts.Height input (full scale
// without one), plus the oriented copy and the resize; every other picture
// is held to opts.MaxPixels and estimated as Decode.
func Probe(data []byte, opts Options) (Header, error) {
	f, err := sniff(data)
	if err != nil {
		return Header{}, err
	}
	if f == JPEG && opts.Resize == ResizeFast {
		if hdr, ok, err := probeFast(data, opts); ok {
			return hdr, err
		}
	}
	_, config := codec(f)
	cfg, err := guard(f, data, func() (image.Config, error) { return config(bytes.NewReader(data)) })
	if err != nil {
		return Header{}, err
	}
	if err := checkSize(f, cfg.Width, cfg.Height, opts.MaxPixels); err != nil {
		return Header{}, err
	}
	if err := precheck(f, data); err != nil {
		return Header{}, err
	}
	pixels := int64(cfg.Width) * int64(cfg.Height)
	return Header{Format: f, Width: cfg.Width, Height: cfg.Height,
		DecodeBytes: pixels*(decoderBytesPerPixel(f, data)+rgbCopies) + decodeOverhead}, nil
}

// probeFast is Probe for a JPEG that DecodeFor will decode with jpegdec;
// ok is false for one it hands to Decode (headers jpegdec does not take).
func probeFast(data []byte, opts Options) (Header, bool, error) {
	o := orientation(JPEG, data)
	var minW, minH int
	if opts.Width > 0 && opts.Height > 0 {
		minW, minH = decodeMin(opts.Width, opts.Height, opts.Crop, o)
	}
	p, err := jpegdec.PlanDecode(data, jpegdec.Options{MinWidth: minW, MinHeight: minH, MaxPixels: opts.jpegLimit()})
	var te *jpegdec.TooLargeError
	switch {
	case errors.As(err, &te):
		return Header{}, true, &TooLargeError{Format: JPEG, Width: te.Width, Height: te.Height, MaxPixels: te.MaxPixels}
	case err != nil:
		return Header{}, false, nil
	}
	out := int64(p.OutWidth) * int64(p.OutHeight) * 3
	n := p.Bytes
	if o > 1 {
		n += out // orient's copy
	}
	if opts.Width > 0 && opts.Height > 0 {
		// ResizeFor: the box-filtered picture (at most a ninth of the
		// decoded one) and the model input.
		n += out/9 + int64(opts.Width)*int64(opts.Height)*3
	}
	if int64(p.Width)*int64(p.Height) <= fallbackMaxPixels {
		// A damaged picture this small may go to the full decoder
		// (DecodeFor): reserve for whichever costs more.
		n = max(n, int64(p.Width)*int64(p.Height)*(decoderBytesPerPixel(JPEG, data)+rgbCopies)+decodeOverhead)
	}
	return Header{Format: JPEG, Width: p.Width, Height: p.Height, DecodeBytes: n + fastOverhead}, true, nil
}

// rgbCopies is Decode's RGB buffer and the copy that orientation may make,
// in bytes a pixel.
const rgbCopies = 2 * 3

// fastOverhead covers what the fast path allocates beside its pictures:
// the resize's tap tables, jpegFullSize's header read, the Image values.
const fastOverhead = 128 << 10

// decodeOverhead covers a decoder's fixed tables and row buffers.
const decodeOverhead = 1 << 20

// decoderBytesPerPixel is what the standard and x/image decoders hold per
// pixel while decoding f, from the header fields that change it.
func decoderBytesPerPixel(f Format, data []byte) int64 {
	switch f {
	case JPEG:
		comps, progressive := jpegFrame(data)
		// A plane per component, at worst unsubsampled; a progressive scan
		// keeps every coefficient block (64 int32 per 64 samples) as well.
		if progressive {
			return comps * (1 + 4)
		}
		return comps
	case PNG:
		return pngBytesPerPixel(data)
	case GIF:
		return 1
	case BMP:
		return 4
	case WebP:
		// Lossless: the ARGB words, a transform's copy and the NRGBA image.
		if bytes.Contains(data[:min(len(data), 64)], []byte("VP8L")) {
			return 12
		}
		return 3 // YCbCr 4:2:0 and an alpha plane, rounded up
	}
	return 8
}

// jpegFrame reads the component count and the coding process from the
// first SOFn marker (T.81 §B.2.2); 3 components, baseline, if none is
// found in the first 64 KiB.
func jpegFrame(data []byte) (comps int64, progressive bool) {
	for i := 2; i+9 < len(data) && i < 64<<10; {
		if data[i] != 0xFF {
			i++
			continue
		}
		m := data[i+1]
		switch {
		case m == 0xFF || m == 0x01 || m >= 0xD0 && m <= 0xD8:
			i += 2 // fill byte, TEM, RSTn and SOI have no length
			continue
		case m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC:
			// SOFn: length(2) precision(1) lines(2) samples(2) components(1)
			return max(1, int64(data[i+9])), m == 0xC2 || m == 0xC6 || m == 0xCA || m == 0xCE
		}
		i += 2 + int(binary.BigEndian.Uint16(data[i+2:]))
	}
	return 3, false
}

// pngBytesPerPixel reads IHDR (PNG §11.2.2): the image/png decoder gives
// 16-bit pictures 8 bytes a pixel (RGBA64/NRGBA64) and colour ones 4, and
// an interlaced picture is assembled from pass images of the same kind.
func pngBytesPerPixel(data []byte) int64 {
	if len(data) < 29 {
		return 8
	}
	depth, colour, interlace := data[24], data[25], data[28]
	n := int64(4)
	switch {
	case colour == 0 && depth <= 8, colour == 3: // grey, paletted
		n = 1
	case colour == 0: // 16-bit grey
		n = 2
	case depth == 16:
		n = 8
	}
	if interlace != 0 {
		n *= 2
	}
	return n
}
