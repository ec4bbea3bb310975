package engine

import (
	"github.com/classifly/classifly/kernels"
)

// emitConvGEMM plans a convolution as a matrix product. A 1×1 convolution
// with stride 1 reads its input directly (each pixel's channels are a row);
// any other is first unrolled into a scratch matrix whose rows hold each
// output pixel's receptive field (im2col), with taps outside the input set to
// the input zero point, which contributes nothing to the sums.
func (c *opContext) emitConvGEMM(p *kernels.ConvParams, signed bool, w []byte, bias []int32, inL, outL *loc) error {
	k := p.KH * p.KW * p.InC
	g, err := kernels.NewGEMM(kernels.GEMMSpec{N: p.OutC, K: k, Signed: signed, W: w, WZP: p.FilterZP, AZP: p.InZP,
		Bias: bias, Mult: p.Mult, Shift: p.Shift, OutZP: p.OutZP, Min: p.ActMin, Max: p.ActMax})
	if err != nil {
		return c.errorf("%v", err)
	}
	m := p.Batch * p.OutH * p.OutW
	if p.KH == 1 && p.KW == 1 && p.StrideH == 1 && p.StrideW == 1 && p.PadH == 0 && p.PadW == 0 {
		c.emit(func(mem []byte) { g.Run(inL.bytes(mem), k, 0, m, outL.bytes(mem), p.OutC) })
		return nil
	}
	cols, err := c.b.temp(int64(m)*int64(k), c.index)
	if err != nil {
		return err
	}
	c.emit(func(mem []byte) {
		a := cols.bytes(mem)
		im2col(p, inL.bytes(mem), a)
		g.Run(a, k, 0, m, outL.bytes(mem), p.OutC)
	})
	return nil
}

// im2col writes, for every output pixel, its KH×KW×InC input window as one
// row, in the filter's (ky, kx, ic) order.
func im2col(p *kernels.ConvParams, in, cols []byte) {
	pad := byte(p.InZP)
	row := 0
	k := p.KH * p.KW * p.InC
	for b := 0; b < p.Batch; b++ {
		for oy := 0; oy < p.OutH; oy++ {
			for ox := 0; ox < p.OutW; ox++ {
				dst := cols[row*k : (row+1)*k]
				i := 0
				for ky := 0; ky < p.KH; ky++ {
					y := oy*p.StrideH - p.PadH + ky*p.DilationH
					for kx := 0; kx < p.KW; kx++ {
						x := ox*p.StrideW - p.PadW + kx*p.DilationW
						seg := dst[i : i+p.InC]
						if y < 0 || y >= p.InH || x < 0 || x >= p.InW {
							for j := range seg {
								seg[j] = pad
							}
						} else {
							copy(seg, in[((b*p.InH+y)*p.InW+x)*p.InC:])
						}
						i += p.InC
					}
				}
				row++
			}
		}
	}
}
