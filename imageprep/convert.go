package imageprep

import (
	"image"
	"image/color"
)

// toRGB writes m into dst, a w x h RGB canvas with origin (0, 0). Pixels of
// the canvas that m does not cover are white. Transparency is flattened on
// white: out = (c*a + 255*(255-a) + 127) / 255 on non-premultiplied 8-bit
// values; for premultiplied models that is exactly c + 255 - a. 16-bit
// samples are reduced with >> 8.
//
// video says that YCbCr samples (of the image or its palette) are BT.601
// limited ("video") range, as in a lossy WebP (VP8), rather than JPEG's full
// range; golang.org/x/image/webp returns them as image.YCbCr all the same
// (golang/go#40173), which would wash out blacks and whites.
//
// The common models have loops of their own; any other goes through
// rgbOf one pixel at a time, which gives the same bytes, only slower.
func toRGB(dst []byte, w, h int, m image.Image, video bool) {
	r := m.Bounds().Intersect(image.Rect(0, 0, w, h))
	if r != image.Rect(0, 0, w, h) {
		for i := range dst {
			dst[i] = 0xFF
		}
	}
	if r.Empty() {
		return
	}
	stride := w * 3
	switch m := m.(type) {
	case *image.YCbCr:
		if ycbcrToRGB(dst, stride, r, m, nil, 0, video) {
			return
		}
	case *image.NYCbCrA:
		if ycbcrToRGB(dst, stride, r, &m.YCbCr, m.A, m.AStride, video) {
			return
		}
	case *image.RGBA:
		rgbaToRGB(dst, stride, r, m.Pix, m.PixOffset(r.Min.X, r.Min.Y), m.Stride, 4, true)
		return
	case *image.NRGBA:
		rgbaToRGB(dst, stride, r, m.Pix, m.PixOffset(r.Min.X, r.Min.Y), m.Stride, 4, false)
		return
	case *image.RGBA64:
		rgbaToRGB(dst, stride, r, m.Pix, m.PixOffset(r.Min.X, r.Min.Y), m.Stride, 8, true)
		return
	case *image.NRGBA64:
		rgbaToRGB(dst, stride, r, m.Pix, m.PixOffset(r.Min.X, r.Min.Y), m.Stride, 8, false)
		return
	case *image.Gray:
		grayToRGB(dst, stride, r, m.Pix, m.PixOffset(r.Min.X, r.Min.Y), m.Stride, 1)
		return
	case *image.Gray16:
		grayToRGB(dst, stride, r, m.Pix, m.PixOffset(r.Min.X, r.Min.Y), m.Stride, 2)
		return
	case *image.Paletted:
		palettedToRGB(dst, stride, r, m, video)
		return
	case *image.CMYK:
		cmykToRGB(dst, stride, r, m)
		return
	}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		d := dst[y*stride+r.Min.X*3:]
		for x := r.Min.X; x < r.Max.X; x++ {
			d[0], d[1], d[2] = rgbOf(m.At(x, y), video)
			d = d[3:]
		}
	}
}

// rgbOf is the reference conversion of one colour, used for palettes and for
// models without a loop of their own. It special-cases the standard colour
// types so that it agrees with those loops exactly: going through
// color.NRGBAModel would round through 16-bit premultiplied values and
// differ by one here and there. video is as for toRGB.
func rgbOf(c color.Color, video bool) (r, g, b uint8) {
	switch c := c.(type) {
	case color.RGBA:
		return premul(c.R, c.A), premul(c.G, c.A), premul(c.B, c.A)
	case color.RGBA64:
		a := uint8(c.A >> 8)
		return premul(uint8(c.R>>8), a), premul(uint8(c.G>>8), a), premul(uint8(c.B>>8), a)
	case color.NRGBA:
		return flat(c.R, c.A), flat(c.G, c.A), flat(c.B, c.A)
	case color.NRGBA64:
		a := uint8(c.A >> 8)
		return flat(uint8(c.R>>8), a), flat(uint8(c.G>>8), a), flat(uint8(c.B>>8), a)
	case color.Gray:
		return c.Y, c.Y, c.Y
	case color.Gray16:
		y := uint8(c.Y >> 8)
		return y, y, y
	case color.YCbCr:
		return ycbcr(c.Y, c.Cb, c.Cr, video)
	case color.NYCbCrA:
		r, g, b := ycbcr(c.Y, c.Cb, c.Cr, video)
		return flat(r, c.A), flat(g, c.A), flat(b, c.A)
	case color.CMYK:
		return color.CMYKToRGB(c.C, c.M, c.Y, c.K)
	case nil:
		return 0, 0, 0 // a nil palette entry; treat like PNG's out-of-range index
	}
	n := color.NRGBAModel.Convert(c).(color.NRGBA)
	return flat(n.R, n.A), flat(n.G, n.A), flat(n.B, n.A)
}

// flat puts a non-premultiplied sample c with alpha a on white.
func flat(c, a uint8) uint8 {
	if a == 0xFF {
		return c
	}
	return uint8((uint32(c)*uint32(a) + 255*(255-uint32(a)) + 127) / 255)
}

// premul puts a premultiplied sample c with alpha a on white: c + (255 - a),
// which is what flat gives for the exact non-premultiplied value c*255/a.
// c > a is invalid premultiplied data; clamp rather than wrap.
func premul(c, a uint8) uint8 {
	v := uint32(c) + 255 - uint32(a)
	if v > 255 {
		return 255
	}
	return uint8(v)
}

// rgbaToRGB converts 4-channel pixels of size bytes each (4: 8-bit, 8: 16-bit
// big-endian, whose high byte is the >> 8 value).
func rgbaToRGB(dst []byte, stride int, r image.Rectangle, pix []byte, off, srcStride, size int, premultiplied bool) {
	n := r.Dx()
	half := size / 4 // byte distance between channels
	for y := r.Min.Y; y < r.Max.Y; y++ {
		s := pix[off : off+n*size]
		d := dst[y*stride+r.Min.X*3 : y*stride+(r.Min.X+n)*3]
		for i := 0; i < n; i++ {
			p := s[i*size : i*size+size]
			cr, cg, cb, a := p[0], p[half], p[2*half], p[3*half]
			o := d[i*3 : i*3+3]
			switch {
			case a == 0xFF:
				o[0], o[1], o[2] = cr, cg, cb
			case premultiplied:
				o[0], o[1], o[2] = premul(cr, a), premul(cg, a), premul(cb, a)
			default:
				o[0], o[1], o[2] = flat(cr, a), flat(cg, a), flat(cb, a)
			}
		}
		off += srcStride
	}
}

// grayToRGB converts 8-bit (size 1) or 16-bit big-endian (size 2) gray.
func grayToRGB(dst []byte, stride int, r image.Rectangle, pix []byte, off, srcStride, size int) {
	n := r.Dx()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		s := pix[off : off+n*size]
		d := dst[y*stride+r.Min.X*3 : y*stride+(r.Min.X+n)*3]
		for i := 0; i < n; i++ {
			v := s[i*size]
			d[i*3], d[i*3+1], d[i*3+2] = v, v, v
		}
		off += srcStride
	}
}

// palettedToRGB converts through a 256-entry table, so that each colour is
// converted once. Indices past the palette's end give black, as Go's PNG
// decoder does for such files.
func palettedToRGB(dst []byte, stride int, r image.Rectangle, m *image.Paletted, video bool) {
	var lut [256 * 3]byte
	for i, c := range m.Palette {
		if i == 256 {
			break
		}
		lut[i*3], lut[i*3+1], lut[i*3+2] = rgbOf(c, video)
	}
	n := r.Dx()
	off := m.PixOffset(r.Min.X, r.Min.Y)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		s := m.Pix[off : off+n]
		d := dst[y*stride+r.Min.X*3 : y*stride+(r.Min.X+n)*3]
		for i, idx := range s {
			c := lut[int(idx)*3 : int(idx)*3+3]
			d[i*3], d[i*3+1], d[i*3+2] = c[0], c[1], c[2]
		}
		off += m.Stride
	}
}

func cmykToRGB(dst []byte, stride int, r image.Rectangle, m *image.CMYK) {
	n := r.Dx()
	off := m.PixOffset(r.Min.X, r.Min.Y)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		s := m.Pix[off : off+n*4]
		d := dst[y*stride+r.Min.X*3 : y*stride+(r.Min.X+n)*3]
		for i := 0; i < n; i++ {
			d[i*3], d[i*3+1], d[i*3+2] = color.CMYKToRGB(s[i*4], s[i*4+1], s[i*4+2], s[i*4+3])
		}
		off += m.Stride
	}
}

// ycbcrToRGB converts planar YCbCr, with optional non-premultiplied alpha
// (NYCbCrA, WebP lossy with alpha), with color.YCbCrToRGB as image/draw
// does, or with videoToRGB when video is set. Chroma is looked up like
// (*image.YCbCr).COffset, with shifts for divisions; it reports false,
// leaving the work to the generic loop, for an unknown subsampling or a
// negative origin, where shifts and division differ.
func ycbcrToRGB(dst []byte, stride int, r image.Rectangle, m *image.YCbCr, alpha []byte, aStride int, video bool) bool {
	var hs, vs int // log2 of the horizontal and vertical chroma subsampling
	switch m.SubsampleRatio {
	case image.YCbCrSubsampleRatio444:
	case image.YCbCrSubsampleRatio422:
		hs = 1
	case image.YCbCrSubsampleRatio420:
		hs, vs = 1, 1
	case image.YCbCrSubsampleRatio440:
		vs = 1
	case image.YCbCrSubsampleRatio411:
		hs = 2
	case image.YCbCrSubsampleRatio410:
		hs, vs = 2, 1
	default:
		return false
	}
	if m.Rect.Min.X < 0 || m.Rect.Min.Y < 0 {
		return false
	}
	n := r.Dx()
	c0 := r.Min.X>>hs - m.Rect.Min.X>>hs         // chroma column of the first pixel
	cn := (r.Max.X-1)>>hs - m.Rect.Min.X>>hs + 1 // one past the last one
	for y := r.Min.Y; y < r.Max.Y; y++ {
		yi := m.YOffset(r.Min.X, y)
		ci := (y>>vs - m.Rect.Min.Y>>vs) * m.CStride
		d := dst[y*stride+r.Min.X*3 : y*stride+(r.Min.X+n)*3]
		// Branch on video per row rather than per pixel.
		if video {
			videoRow(d, m.Y[yi:yi+n], m.Cb[ci+c0:ci+cn], m.Cr[ci+c0:ci+cn], r.Min.X, hs)
		} else {
			jfifRow(d, m.Y[yi:yi+n], m.Cb[ci+c0:ci+cn], m.Cr[ci+c0:ci+cn], r.Min.X, hs)
		}
		if alpha != nil {
			ai := (y-m.Rect.Min.Y)*aStride + (r.Min.X - m.Rect.Min.X)
			for i, a := range alpha[ai : ai+n] {
				if a != 0xFF {
					p := d[i*3 : i*3+3]
					p[0], p[1], p[2] = flat(p[0], a), flat(p[1], a), flat(p[2], a)
				}
			}
		}
	}
	return true
}

// jfifRow converts one row of full-range samples; x0 is the image column of
// ys[0], which fixes where chroma samples start when 2 or 4 pixels share one.
func jfifRow(d, ys, cbs, crs []byte, x0, hs int) {
	c0 := x0 >> hs
	for i, yy := range ys {
		c := (x0+i)>>hs - c0
		d[i*3], d[i*3+1], d[i*3+2] = color.YCbCrToRGB(yy, cbs[c], crs[c])
	}
}

// videoRow is jfifRow for limited-range samples. (Passing the conversion as
// a function value would cost a call per pixel.)
func videoRow(d, ys, cbs, crs []byte, x0, hs int) {
	c0 := x0 >> hs
	for i, yy := range ys {
		c := (x0+i)>>hs - c0
		d[i*3], d[i*3+1], d[i*3+2] = videoToRGB(yy, cbs[c], crs[c])
	}
}

// ycbcr converts one full-range (JPEG, JFIF) or limited-range (video) sample.
func ycbcr(y, cb, cr uint8, video bool) (r, g, b uint8) {
	if video {
		return videoToRGB(y, cb, cr)
	}
	return color.YCbCrToRGB(y, cb, cr)
}

// videoToRGB converts BT.601 limited-range Y'CbCr (Y 16..235, C 16..240) to
// full-range RGB, as the VP8 format defines its samples (RFC 6386 leaves
// colour to BT.601; libwebp converts the same way):
//
//	R = 255/219 (Y-16)                        + 1.402·255/224 (Cr-128)
//	G = 255/219 (Y-16) - 0.344136·255/224 (Cb-128) - 0.714136·255/224 (Cr-128)
//	B = 255/219 (Y-16) + 1.772·255/224 (Cb-128)
//
// in 16.16 fixed point, rounded to nearest and clamped.
func videoToRGB(y, cb, cr uint8) (r, g, b uint8) {
	const (
		kY  = 76309  // 255/219 · 65536
		kRV = 104597 // 1.402 · 255/224 · 65536
		kGU = 25675  // 0.344136 · 255/224 · 65536
		kGV = 53279  // 0.714136 · 255/224 · 65536
		kBU = 132201 // 1.772 · 255/224 · 65536
	)
	yy := (int32(y) - 16) * kY
	u, v := int32(cb)-128, int32(cr)-128
	return clamp16(yy + kRV*v), clamp16(yy - kGU*u - kGV*v), clamp16(yy + kBU*u)
}

// clamp16 rounds a 16.16 fixed-point value to a byte.
func clamp16(v int32) uint8 {
	v = (v + 1<<15) >> 16
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}
