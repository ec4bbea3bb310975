package engine

import (
	"encoding/binary"

	"github.com/classifly/classifly/internal/kernels"
)

// emitConvGEMM plans a convolution as a matrix product. A 1×1 convolution
// with stride 1 reads its input directly (each pixel's channels are a row);
// any other is first unrolled into a scratch matrix whose rows hold each
// output pixel's receptive field (im2col), with taps outside the input set to
// the input zero point, which contributes nothing to the sums.
func (c *opContext) emitConvGEMM(p *kernels.ConvParams, signed bool, w []byte, bias []int32, inL, outL *loc) error {
	k := p.KH * p.KW * p.InC
	g, err := kernels.NewGEMM(kernels.GEMMSpec{N: p.OutC, K: k, Signed: signed, W: w, Bias: bias, Requantization: p.Requantization}, c.b.backend)
	if err != nil {
		return c.errorf("%v", err)
	}
	m := p.Batch * p.OutH * p.OutW
	if p.KH == 1 && p.KW == 1 && p.StrideH == 1 && p.StrideW == 1 && p.PadH == 0 && p.PadW == 0 {
		rows := func(mem []byte, lo, hi int) { g.Run(inL.bytes(mem), k, lo, hi, outL.bytes(mem), p.OutC) }
		c.emitPar(func(mem []byte) { rows(mem, 0, m) }, func(mem []byte, w, n int) {
			lo, hi := share(m, gemmRows, w, n)
			rows(mem, lo, hi)
		})
		return nil
	}
	cols, err := c.b.temp(int64(m)*int64(k), c.index)
	if err != nil {
		return err
	}
	// Each worker unrolls and multiplies its own rows: no barrier between.
	rows := func(mem []byte, lo, hi int) {
		a := cols.bytes(mem)
		im2col(p, inL.bytes(mem), a, lo, hi)
		g.Run(a, k, lo, hi, outL.bytes(mem), p.OutC)
	}
	c.emitPar(func(mem []byte) { rows(mem, 0, m) }, func(mem []byte, w, n int) {
		lo, hi := share(m, gemmRows, w, n)
		rows(mem, lo, hi)
	})
	return nil
}

// gemmRows keeps each worker's share a whole number of kernel row blocks.
const gemmRows = 16

// im2col writes, for output pixels [lo, hi), each one's KH×KW×InC input
// window as one row, in the filter's (ky, kx, ic) order. Taps outside the
// input get the input zero point. With dilation 1 a window row is one
// contiguous span of the input, copied in one go.
func im2col(p *kernels.ConvParams, in, cols []byte, lo, hi int) {
	pad := byte(p.InZP)
	k := p.KH * p.KW * p.InC
	span := p.KW * p.InC
	b, oy, ox := lo/(p.OutH*p.OutW), lo/p.OutW%p.OutH, lo%p.OutW
	for row := lo; row < hi; row, ox = row+1, ox+1 {
		if ox == p.OutW {
			ox, oy = 0, oy+1
			if oy == p.OutH {
				oy, b = 0, b+1
			}
		}
		dst := cols[row*k : (row+1)*k]
		x0 := ox*p.StrideW - p.PadW
		for ky := 0; ky < p.KH; ky++ {
			y := oy*p.StrideH - p.PadH + ky*p.DilationH
			seg := dst[ky*span : (ky+1)*span]
			if y < 0 || y >= p.InH {
				fill(seg, pad)
				continue
			}
			rowIn := in[((b*p.InH+y)*p.InW)*p.InC : ((b*p.InH+y)*p.InW+p.InW)*p.InC]
			if p.DilationW == 1 && x0 >= 0 && x0+p.KW <= p.InW {
				copySmall(seg, rowIn[x0*p.InC:(x0+p.KW)*p.InC])
				continue
			}
			for kx := 0; kx < p.KW; kx++ {
				x := x0 + kx*p.DilationW
				tap := seg[kx*p.InC : (kx+1)*p.InC]
				if x < 0 || x >= p.InW {
					fill(tap, pad)
				} else {
					copy(tap, rowIn[x*p.InC:(x+1)*p.InC])
				}
			}
		}
	}
}

// copySmall copies len(src) bytes; spans of 8 to 16 bytes (a 3×3 window
// row of RGB pixels is 9) move as two overlapping 8-byte words, cheaper than
// a call to memmove.
func copySmall(dst, src []byte) {
	n := len(src)
	if n < 8 || n > 16 {
		copy(dst, src)
		return
	}
	dst = dst[:n]
	binary.LittleEndian.PutUint64(dst, binary.LittleEndian.Uint64(src))
	binary.LittleEndian.PutUint64(dst[n-8:], binary.LittleEndian.Uint64(src[n-8:]))
}

func fill(b []byte, v byte) {
	for i := range b {
		b[i] = v
	}
}
