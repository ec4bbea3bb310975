package kernels

import "fmt"

// DWConv is a prepared depthwise convolution with depth multiplier 1: the
// filter widened to 32 bits with its zero point subtracted, the input zero
// point folded into the bias, and the requantization constants in vector
// form. It runs on a copy of the input padded with the input zero point, so
// every tap is in bounds: that equals TFLite's skipping of outside taps,
// since (zp - zp)·w adds nothing. Safe for concurrent use.
type DWConv struct {
	p       ConvParams
	signed  bool
	backend Backend
	cpad    int     // channels rounded up to 16
	w       []int32 // [tap][cpad]: w - wz
	q       *requant
	offs    []int64 // byte offset of each tap from the window origin
	hp, wp  int     // padded input height and width
	vec     any     // the backend's own form, built by it (see prepareVector)
	// direct is RunDirect's kernel where the backend has one that pads by
	// itself, else nil.
	direct func(in, out []byte, r0, r1 int)
}

// NewDWConv prepares p (DepthMultiplier must be 1) for backend b.
func NewDWConv(p *ConvParams, signed bool, filter []byte, bias []int32, b Backend) (*DWConv, error) {
	if p.DepthMultiplier != 1 || p.InC != p.OutC {
		return nil, fmt.Errorf("kernels: fast depthwise convolution needs depth multiplier 1, have %d", p.DepthMultiplier)
	}
	c := p.OutC
	d := &DWConv{p: *p, signed: signed, backend: b, cpad: (c + 15) / 16 * 16}
	d.hp = (p.OutH-1)*p.StrideH + (p.KH-1)*p.DilationH + 1
	d.wp = (p.OutW-1)*p.StrideW + (p.KW-1)*p.DilationW + 1
	taps := p.KH * p.KW
	d.w = make([]int32, taps*d.cpad)
	folded := make([]int32, c)
	sumAbsW := make([]int64, c)
	for ch := range c {
		if bias != nil {
			folded[ch] = bias[ch]
		}
	}
	for t := range taps {
		ky, kx := t/p.KW, t%p.KW
		d.offs = append(d.offs, int64((ky*p.DilationH*d.wp+kx*p.DilationW)*c))
		for ch := range c {
			w := int32(filter[t*c+ch])
			if signed {
				w = int32(int8(filter[t*c+ch]))
			}
			w -= p.FilterZP
			d.w[t*d.cpad+ch] = w
			folded[ch] -= p.InZP * w
			sumAbsW[ch] += abs64(int64(w))
		}
	}
	d.q = newRequant(folded, p.Mult, p.Shift, p.OutZP, p.ActMin, p.ActMax, c, 16)
	if err := d.q.checkRange(bias, sumAbsW, p.InZP, signed); err != nil {
		return nil, err
	}
	d.prepareVector()
	return d, nil
}

// PaddedSize is the size in bytes of the padded input buffer for Pad.
func (d *DWConv) PaddedSize() int { return d.p.Batch * d.hp * d.wp * d.p.InC }

// PaddedRows is the number of rows of the padded input, across batches.
func (d *DWConv) PaddedRows() int { return d.p.Batch * d.hp }

// Pad fills rows [r0, r1) of the padded input (see PaddedRows) from in,
// surrounded by the input zero point.
func (d *DWConv) Pad(in, padded []byte, r0, r1 int) {
	p := &d.p
	c := p.InC
	zp := byte(p.InZP)
	rowBytes := d.wp * c
	for r := r0; r < r1; r++ {
		b, y := r/d.hp, r%d.hp
		{
			row := padded[((b*d.hp)+y)*rowBytes : ((b*d.hp)+y+1)*rowBytes]
			iy := y - p.PadH
			if iy < 0 || iy >= p.InH {
				Fill(row, zp)
				continue
			}
			left := min(p.PadW, d.wp) * c
			Fill(row[:left], zp)
			n := min(p.InW, d.wp-p.PadW) * c
			copy(row[left:left+n], in[((b*p.InH)+iy)*p.InW*c:])
			Fill(row[left+n:], zp)
		}
	}
}

// Fill sets b to v. Go clears with a fast loop only for zero; other
// values go by doubling copies, which run at memmove's speed, except in
// slices too short for the calls to pay (a padding tap of a few channels).
func Fill(b []byte, v byte) {
	if len(b) < 32 {
		for i := range b {
			b[i] = v
		}
		return
	}
	b[0] = v
	for n := 1; n < len(b); n *= 2 {
		copy(b[n:], b[:n])
	}
}

// Direct reports whether RunDirect can run this convolution, reading the
// input itself instead of a padded copy.
func (d *DWConv) Direct() bool { return d.direct != nil }

// RunDirect computes output rows [r0, r1) as Run does, from the unpadded
// input, whose storage must extend MaxOverread readable bytes past its
// end. It needs Direct.
func (d *DWConv) RunDirect(in, out []byte, r0, r1 int) {
	if d.direct == nil {
		panic("kernels: DWConv.RunDirect without a direct kernel")
	}
	if r1 <= r0 {
		return
	}
	// The assembly does not check bounds (see GEMM.Run).
	p := &d.p
	_ = in[p.Batch*p.InH*p.InW*p.InC-1]
	_ = out[r1*p.OutW*p.OutC-1]
	d.direct(in, out, r0, r1)
}

// Run computes output rows [r0, r1) (rows count across batches: r =
// b*OutH + oy) from the padded input, whose storage must extend
// MaxOverread readable bytes past PaddedSize.
func (d *DWConv) Run(padded, out []byte, r0, r1 int) {
	if d.backend != Generic && d.runVector(padded, out, r0, r1) {
		return
	}
	d.runGeneric(padded, out, r0, r1)
}

func (d *DWConv) runGeneric(padded, out []byte, r0, r1 int) {
	p := &d.p
	c := p.OutC
	for r := r0; r < r1; r++ {
		b, oy := r/p.OutH, r%p.OutH
		for ox := 0; ox < p.OutW; ox++ {
			origin := ((b*d.hp+oy*p.StrideH)*d.wp + ox*p.StrideW) * c
			o := out[(r*p.OutW+ox)*c:][:c]
			for ch := range c {
				var acc int32
				for t, off := range d.offs {
					x := padded[origin+int(off)+ch]
					v := int32(x)
					if d.signed {
						v = int32(int8(x))
					}
					acc += v * d.w[t*d.cpad+ch]
				}
				o[ch] = byte(d.q.apply(acc, ch))
			}
		}
	}
}
