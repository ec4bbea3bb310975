package imageprep

import (
	"fmt"
	"math"
)

// Crop selects the part of the image that Resize scales.
type Crop int

const (
	// CropNone scales the whole image, ignoring its aspect ratio.
	CropNone Crop = iota
	// CropCenter scales the central 87.5% of each side, as ImageNet
	// evaluation does (tf.image.central_crop with central_fraction 0.875).
	CropCenter
)

// ParseCrop parses "none" or "center".
func ParseCrop(s string) (Crop, error) {
	return parseName[Crop]("crop", s, "none", "center")
}

// String returns the name ParseCrop accepts.
func (c Crop) String() string {
	return nameOf(c, "Crop", "none", "center")
}

// Resize scales img, or its central crop, to w x h and returns the RGB bytes
// (len w*h*3). The arithmetic is TensorFlow Lite's RESIZE_BILINEAR with
// align_corners=false and half_pixel_centers=true, in float32 with every
// product and sum rounded (see golden/README.md in the shared data), so the
// output matches TFLite's to the bit. It panics if w or h is not positive or
// img is not a valid Image, as those are programming errors.
func Resize(img *Image, w, h int, crop Crop) []byte {
	if w <= 0 || h <= 0 {
		panic(fmt.Sprintf("imageprep: Resize to %dx%d", w, h))
	}
	if img == nil || img.Width <= 0 || img.Height <= 0 || len(img.Pix) != img.Width*img.Height*3 {
		panic("imageprep: Resize of an invalid Image")
	}
	x0, cw := 0, img.Width
	y0, ch := 0, img.Height
	switch crop {
	case CropNone:
	case CropCenter:
		x0, cw = centralCrop(img.Width)
		y0, ch = centralCrop(img.Height)
	default:
		panic(fmt.Sprintf("imageprep: Resize with unknown %v", crop))
	}
	dst := make([]byte, w*h*3)
	stride := img.Width * 3
	cols := taps(w, cw, x0)
	for y := 0; y < h; y++ {
		ty := tapAt(y, h, ch, y0)
		row0 := img.Pix[ty.lo*stride : ty.lo*stride+stride]
		row1 := img.Pix[ty.hi*stride : ty.hi*stride+stride]
		d := dst[y*w*3 : (y+1)*w*3]
		for x, tx := range cols {
			// The weights as TFLite forms them: (1-dy)*(1-dx), (1-dy)*dx,
			// dy*(1-dx), dy*dx.
			w00 := float32(ty.omd * tx.omd)
			w01 := float32(ty.omd * tx.d)
			w10 := float32(ty.d * tx.omd)
			w11 := float32(ty.d * tx.d)
			for c := 0; c < 3; c++ {
				acc := float32(float32(row0[tx.lo+c]) * w00)
				acc = float32(acc + float32(float32(row0[tx.hi+c])*w01))
				acc = float32(acc + float32(float32(row1[tx.lo+c])*w10))
				acc = float32(acc + float32(float32(row1[tx.hi+c])*w11))
				d[x*3+c] = truncByte(acc)
			}
		}
	}
	return dst
}

// centralCrop returns the start and size of the central 87.5% of a side, as
// tf.image.central_crop computes them (in float64, start truncated).
func centralCrop(dim int) (start, size int) {
	d := float64(dim)
	start = int((d - d*0.875) / 2)
	return start, dim - 2*start
}

// tap locates one output coordinate in the input: the two neighbours lo and
// hi (pixel indices for rows, byte offsets for columns), the distance d from
// lo and omd = 1-d.
type tap struct {
	lo, hi int
	d, omd float32
}

// taps precomputes the column taps once per call; they are the same for
// every row. Offsets are in bytes of an RGB row.
func taps(out, in, origin int) []tap {
	t := make([]tap, out)
	for i := range t {
		t[i] = tapAt(i, out, in, origin)
		t[i].lo *= 3
		t[i].hi *= 3
	}
	return t
}

// tapAt is TFLite's ComputeInterpolationValues with half_pixel_centers,
// each float32 operation rounded on its own so that no multiply-add is fused:
//
//	v  = (i + 0.5) * (in/out) - 0.5
//	lo = max(floor(v), 0); hi = min(ceil(v), in-1); d = v - lo
//
// origin shifts lo and hi into the full image for a crop.
func tapAt(i, out, in, origin int) tap {
	scale := float32(float32(in) / float32(out))
	v := float32(float32(i) + 0.5)
	v = float32(v * scale)
	v = float32(v - 0.5)
	lo := max(int(math.Floor(float64(v))), 0)
	hi := min(int(math.Ceil(float64(v))), in-1)
	d := float32(v - float32(lo))
	// lo <= in-1 holds mathematically; the clamp only guards indexing in
	// absurd upscales where float rounding could push v past the last pixel.
	lo = min(lo, in-1)
	return tap{lo: origin + lo, hi: origin + hi, d: d, omd: float32(1 - d)}
}

// truncByte converts like TFLite's static_cast<uint8_t> after clamping.
func truncByte(v float32) byte {
	if v <= 0 {
		return 0
	}
	if v >= 255 {
		return 255
	}
	return byte(v)
}
