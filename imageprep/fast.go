package imageprep

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/classifly/classifly/jpegdec"
)

// ResizeMode chooses how a picture becomes the model input.
type ResizeMode int

const (
	// ResizeFast decodes a JPEG at the smallest DCT scale that still
	// covers the model input (jpegdec), applies the EXIF orientation to that
	// small picture, box-averages it where it is still at least three times
	// the input, then scales with TFLite's half-pixel bilinear. Other
	// formats take the exact path.
	ResizeFast ResizeMode = iota
	// ResizeExact decodes every pixel (image/jpeg for JPEG) and scales the
	// whole picture with TFLite's half-pixel bilinear alone: what the golden
	// reference tensors were made with.
	ResizeExact
)

// ParseResize parses "fast" or "exact".
func ParseResize(s string) (ResizeMode, error) {
	return parseName[ResizeMode]("resize", s, "fast", "exact")
}

// String returns the name ParseResize accepts.
func (m ResizeMode) String() string {
	return nameOf(m, "ResizeMode", "fast", "exact")
}

// DefaultMaxPixelsJPEG is the pixel limit for a JPEG on the fast path when
// Options.MaxPixelsJPEG is zero: decoding at a reduced scale holds the scaled
// picture and one band of MCU rows, so memory follows the output, not the
// input (progressive JPEGs, which keep all coefficients, stay capped at
// 40 MP inside jpegdec).
const DefaultMaxPixelsJPEG = jpegdec.DefaultMaxPixels

// scaleMargin is how much larger than the model input (per side, after the
// crop) the DCT-scaled picture must be, and boxMinFactor the shrink factor
// left after DCT scaling from which a box filter runs before the bilinear.
// With a margin of 1 a 4032×3024 photo decodes at 1/8 (504×378) for a
// 224×224 input: the reduced IDCT is itself the box average of 8×8 pixels,
// and the bilinear step shrinks by less than 2 on the shorter side.
//
// Chosen by TestFastPathTop1 (7 golden models × 11 golden pictures, top-1
// of the fast path equal to the exact path's), measured with margin/box:
// 1/2: 91 of 98, 1/3: 95, 1/none: 94, 1.5/3: 94, 1.5/none: 96, 2/2: 90,
// 2/3: 94, 2/none: 97. The MobileNets were trained on pictures shrunk by an
// aliasing bilinear, and prefer sharp input: a box filter at a factor of 2
// blurs too much. The only pictures that change class are ones the smallest
// models score below 0.4 (cat_720p, face, hot_dog, pets); margin 2 would
// decode the photos at 1/4 or 1/2, two to three times the work.
const (
	scaleMargin  = 1.0
	boxMinFactor = 3
)

// Prepare decodes data and returns the w×h RGB model input, with the crop,
// by the chosen mode, and the decoded Image (whose Width and Height, for the
// fast path, may be a reduced scale of FullWidth and FullHeight).
func Prepare(data []byte, w, h int, crop Crop, mode ResizeMode, opts Options) ([]byte, *Image, error) {
	if mode == ResizeExact {
		img, err := Decode(data, opts)
		if err != nil {
			return nil, nil, err
		}
		return Resize(img, w, h, crop), img, nil
	}
	img, err := DecodeFor(data, w, h, crop, opts)
	if err != nil {
		return nil, nil, err
	}
	return ResizeFor(img, w, h, crop), img, nil
}

// DecodeFor decodes data for a w×h model input: a JPEG at the smallest DCT
// scale (1/8, 1/4, 1/2, 1/1) at which the cropped picture still covers the
// input, anything else as Decode does. The EXIF orientation is applied to
// the decoded (small) picture. A JPEG that jpegdec refuses for anything but
// its size goes to Decode, so both paths accept the same files.
func DecodeFor(data []byte, w, h int, crop Crop, opts Options) (*Image, error) {
	f, err := sniff(data)
	if err != nil {
		return nil, err
	}
	if f != JPEG {
		return Decode(data, opts)
	}
	o := orientation(f, data)
	minW, minH := decodeMin(w, h, crop, o)
	m, err := jpegdec.Decode(data, jpegdec.Options{MinWidth: minW, MinHeight: minH, MaxPixels: opts.jpegLimit()})
	if err != nil {
		var te *jpegdec.TooLargeError
		if errors.As(err, &te) {
			return nil, &TooLargeError{Format: JPEG, Width: te.Width, Height: te.Height, MaxPixels: te.MaxPixels}
		}
		// What jpegdec leaves out (12-bit, arithmetic coding, odd
		// sampling) or refuses as damaged (an undefined table, a cut scan)
		// image/jpeg may still read, and its verdict is the exact path's:
		// the fast path takes what the exact path takes, under the exact
		// path's pixel limit. A damaged picture whose headers jpegdec took
		// was reserved for (Probe) as a fast decode, so the full decode is
		// tried only where it stays small.
		var fe *jpegdec.FormatError
		if errors.As(err, &fe) && !fallbackFits(data) {
			return nil, jpegFormatError(fe)
		}
		return Decode(data, opts)
	}
	fw, fh := jpegFullSize(data, m)
	pix, iw, ih := orient(m.Pix, m.Width, m.Height, o)
	if o >= 5 {
		fw, fh = fh, fw
	}
	return &Image{Width: iw, Height: ih, FullWidth: fw, FullHeight: fh, Format: JPEG, Orientation: o, Pix: pix}, nil
}

// fallbackMaxPixels bounds the damaged JPEGs that the fast path hands to the
// full decoder: about 20 MB of decoding at most, which Probe adds to a fast
// estimate (and no more), so a server's memory budget still holds.
const fallbackMaxPixels = 2_000_000

// fallbackFits reports whether a JPEG is small enough for that fallback.
func fallbackFits(data []byte) bool {
	// The frame header as the full decoder reads it: jpegdec's own reader
	// may refuse the headers that made it fail.
	_, config := codec(JPEG)
	cfg, err := config(bytes.NewReader(data))
	return err == nil && int64(cfg.Width)*int64(cfg.Height) <= fallbackMaxPixels
}

// jpegFormatError maps jpegdec's verdict on damaged data onto the package's
// kinds.
func jpegFormatError(fe *jpegdec.FormatError) error {
	kind := ErrCorrupt
	if fe.Truncated {
		kind = ErrTruncated
	}
	return &FormatError{Format: JPEG, Kind: kind, Err: fe}
}

// decodeMin is the smallest stored picture size that covers a w×h model
// input with the crop, for EXIF orientation o.
func decodeMin(w, h int, crop Crop, o int) (int, int) {
	// The stored picture is transposed for display by orientations 5-8.
	minW, minH := w, h
	if o >= 5 {
		minW, minH = h, w
	}
	if crop == CropCenter {
		minW, minH = minW*8/7+1, minH*8/7+1 // the crop keeps 7/8 of each side
	}
	return int(float64(minW)*scaleMargin + 0.5), int(float64(minH)*scaleMargin + 0.5)
}

// jpegLimit is the pixel limit of a JPEG on the fast path.
func (o Options) jpegLimit() int64 {
	if o.MaxPixelsJPEG <= 0 {
		return DefaultMaxPixelsJPEG
	}
	return o.MaxPixelsJPEG
}

// jpegFullSize is the picture's declared size (m may be scaled).
func jpegFullSize(data []byte, m *jpegdec.Image) (int, int) {
	if m.Scale == 8 {
		return m.Width, m.Height
	}
	cfg, err := jpegdec.DecodeConfig(data)
	if err != nil {
		return m.Width, m.Height // cannot happen after a successful Decode
	}
	return cfg.Width, cfg.Height
}

// ResizeFor scales img, or its central crop, to w×h: for a JPEG it first
// averages boxes of whole numbers of pixels where the picture is still at
// least boxMinFactor times the target (an area filter, so that the bilinear
// step after it does not alias), then applies Resize.
func ResizeFor(img *Image, w, h int, crop Crop) []byte {
	if w <= 0 || h <= 0 {
		panic(fmt.Sprintf("imageprep: ResizeFor to %dx%d", w, h))
	}
	if img == nil || img.Width <= 0 || img.Height <= 0 || len(img.Pix) != img.Width*img.Height*3 {
		panic("imageprep: ResizeFor of an invalid Image")
	}
	x0, cw := 0, img.Width
	y0, ch := 0, img.Height
	if crop == CropCenter {
		x0, cw = centralCrop(img.Width)
		y0, ch = centralCrop(img.Height)
	}
	fx, fy := max(cw/w, 1), max(ch/h, 1)
	if fx < boxMinFactor {
		fx = 1
	}
	if fy < boxMinFactor {
		fy = 1
	}
	if fx == 1 && fy == 1 || img.Format != JPEG {
		// Other formats decode in full, and keep the exact path's resize.
		return Resize(img, w, h, crop)
	}
	small := boxDown(img, x0, y0, cw, ch, fx, fy)
	return Resize(small, w, h, CropNone)
}

// boxDown averages fx×fy boxes of the cw×ch region at (x0, y0), rounding
// to nearest; columns and rows left over at the right and bottom (fewer than
// one box) are dropped.
func boxDown(img *Image, x0, y0, cw, ch, fx, fy int) *Image {
	ow, oh := cw/fx, ch/fy
	out := make([]byte, ow*oh*3)
	acc := make([]uint32, ow*3)
	n := uint32(fx * fy)
	stride := img.Width * 3
	for oy := 0; oy < oh; oy++ {
		clear(acc)
		for dy := 0; dy < fy; dy++ {
			row := img.Pix[(y0+oy*fy+dy)*stride+x0*3:]
			for ox := 0; ox < ow; ox++ {
				p := row[ox*fx*3 : (ox+1)*fx*3]
				var r, g, b uint32
				for i := 0; i < len(p); i += 3 {
					r += uint32(p[i])
					g += uint32(p[i+1])
					b += uint32(p[i+2])
				}
				a := acc[ox*3 : ox*3+3 : ox*3+3]
				a[0] += r
				a[1] += g
				a[2] += b
			}
		}
		d := out[oy*ow*3 : (oy+1)*ow*3]
		for i, v := range acc {
			d[i] = byte((v + n/2) / n)
		}
	}
	return &Image{Width: ow, Height: oh, FullWidth: img.FullWidth, FullHeight: img.FullHeight, Format: img.Format, Orientation: img.Orientation, Pix: out}
}
