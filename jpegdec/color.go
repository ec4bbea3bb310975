package jpegdec

// YCbCr to RGB as JFIF defines it, in libjpeg's fixed point (16 fractional
// bits, rounding folded into the tables) so the results agree with djpeg's.
type ycc struct {
	crR, cbB, crG, cbG [256]int32
}

var yccTab = func() (t ycc) {
	const half = 1 << 15
	fix := func(v float64) int32 { return int32(v*65536 + 0.5) }
	for i := range 256 {
		x := int32(i - 128)
		t.crR[i] = (fix(1.40200)*x + half) >> 16
		t.cbB[i] = (fix(1.77200)*x + half) >> 16
		t.crG[i] = -fix(0.71414) * x
		t.cbG[i] = -fix(0.34414)*x + half
	}
	return t
}()

func sat(v int32) byte {
	if uint32(v) > 255 {
		if v < 0 {
			return 0
		}
		return 255
	}
	return byte(v)
}

// colour models of the frame (libjpeg's jdapimin.c defaults).
const (
	modelGray = iota
	modelYCbCr
	modelRGB
	modelCMYK
	modelYCCK
)

func (d *decoder) model() int {
	switch len(d.comps) {
	case 1:
		return modelGray
	case 3:
		switch {
		case d.jfif:
			return modelYCbCr
		case d.adobe:
			if d.transform == 0 {
				return modelRGB
			}
			if d.transform != 1 {
				d.warnings++ // libjpeg: "Unknown Adobe color transform code"; read as YCbCr
			}
			return modelYCbCr
		case d.comps[0].id == 'R' && d.comps[1].id == 'G' && d.comps[2].id == 'B':
			return modelRGB
		}
		return modelYCbCr
	}
	if d.adobe && d.transform == 2 {
		return modelYCCK
	}
	return modelCMYK
}

// emit converts MCU row `row` of the band to RGB output rows, replicating
// subsampled samples (djpeg -nosmooth).
func (d *decoder) emit(row int) {
	out := d.out
	rows := d.vmax * d.scale
	y0 := row * rows
	y1 := min(y0+rows, out.Height)
	w := out.Width
	model := d.colorModel
	var src [4][]byte
	for y := y0; y < y1; y++ {
		ly := y - y0
		for i := range d.comps {
			c := &d.comps[i]
			stride := c.bw * c.size
			r := ly / c.vexp
			src[i] = c.plane[r*stride : r*stride+stride]
		}
		dst := out.Pix[y*w*3 : (y+1)*w*3]
		switch model {
		case modelGray:
			g := src[0][:w]
			for x, v := range g {
				p := dst[x*3 : x*3+3 : x*3+3]
				p[0], p[1], p[2] = v, v, v
			}
		case modelYCbCr:
			d.yccRow(dst, src[0], src[1], src[2])
		case modelRGB:
			xr, xg, xb := d.xmap[0], d.xmap[1], d.xmap[2]
			for x := 0; x < w; x++ {
				p := dst[x*3 : x*3+3 : x*3+3]
				p[0], p[1], p[2] = src[0][xr[x]], src[1][xg[x]], src[2][xb[x]]
			}
		default:
			d.cmykRow(dst, src, model == modelYCCK)
		}
	}
}

// yccRow converts one output row. The common layouts (no horizontal
// subsampling left, or chroma at half width) index directly; the rest go
// through xmap.
func (d *decoder) yccRow(dst, yr, cbr, crr []byte) {
	t := &yccTab
	w := len(dst) / 3
	hy, hb, hr := d.comps[0].hexp, d.comps[1].hexp, d.comps[2].hexp
	switch {
	case hy == 1 && hb == 1 && hr == 1:
		yr, cbr, crr = yr[:w], cbr[:w], crr[:w]
		for x := range yr {
			y := int32(yr[x])
			cb, cr := cbr[x], crr[x]
			p := dst[x*3 : x*3+3 : x*3+3]
			p[0] = sat(y + t.crR[cr])
			p[1] = sat(y + (t.cbG[cb]+t.crG[cr])>>16)
			p[2] = sat(y + t.cbB[cb])
		}
	case hy == 1 && hb == 2 && hr == 2:
		yr, cbr, crr = yr[:w], cbr[:(w+1)/2], crr[:(w+1)/2]
		for x := range yr {
			y := int32(yr[x])
			cb, cr := cbr[x>>1], crr[x>>1]
			p := dst[x*3 : x*3+3 : x*3+3]
			p[0] = sat(y + t.crR[cr])
			p[1] = sat(y + (t.cbG[cb]+t.crG[cr])>>16)
			p[2] = sat(y + t.cbB[cb])
		}
	default:
		xy, xb, xr := d.xmap[0], d.xmap[1], d.xmap[2]
		for x := 0; x < w; x++ {
			y := int32(yr[xy[x]])
			cb, cr := cbr[xb[x]], crr[xr[x]]
			p := dst[x*3 : x*3+3 : x*3+3]
			p[0] = sat(y + t.crR[cr])
			p[1] = sat(y + (t.cbG[cb]+t.crG[cr])>>16)
			p[2] = sat(y + t.cbB[cb])
		}
	}
}

// cmykRow converts Adobe (inverted) CMYK, or YCCK first to it, then to RGB
// as djpeg's PPM writer does: R = C*K/255, rounded.
func (d *decoder) cmykRow(dst []byte, src [4][]byte, ycck bool) {
	t := &yccTab
	w := len(dst) / 3
	for x := 0; x < w; x++ {
		c := int32(src[0][d.xmap[0][x]])
		m := int32(src[1][d.xmap[1][x]])
		yy := int32(src[2][d.xmap[2][x]])
		k := int32(src[3][d.xmap[3][x]])
		if ycck {
			cb, cr := m, yy
			y := c
			c = 255 - int32(sat(y+t.crR[cr]))
			m = 255 - int32(sat(y+(t.cbG[cb]+t.crG[cr])>>16))
			yy = 255 - int32(sat(y+t.cbB[cb]))
		}
		p := dst[x*3 : x*3+3 : x*3+3]
		p[0] = byte((c*k*2 + 255) / 510)
		p[1] = byte((m*k*2 + 255) / 510)
		p[2] = byte((yy*k*2 + 255) / 510)
	}
}
