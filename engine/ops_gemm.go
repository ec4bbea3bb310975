package engine

import (
	"encoding/binary"
	"unsafe"

	"github.com/classifly/classifly/internal/kernels"
)

// emitConvGEMM plans a convolution as a matrix product. A 1×1 convolution
// with stride 1 reads its input directly (each pixel's channels are a row);
// any other is first unrolled into a scratch matrix whose rows hold each
// output pixel's receptive field (im2col), with taps outside the input set to
// the input zero point, which contributes nothing to the sums.
func (c *opContext) emitConvGEMM(p *kernels.ConvParams, signed bool, w []byte, bias []int32, inL, outL *loc) error {
	k := p.KH * p.KW * p.InC
	m := p.Batch * p.OutH * p.OutW
	spec := kernels.GEMMSpec{N: p.OutC, K: k, Signed: signed, W: w, Bias: bias, Rows: m, Requantization: p.Requantization}
	direct := p.KH == 1 && p.KW == 1 && p.StrideH == 1 && p.StrideW == 1 && p.PadH == 0 && p.PadW == 0
	if n := c.b.workers(); direct && n > 1 && (m+gemmRows-1)/gemmRows < n && p.OutC >= n*gemmColumns {
		return c.emitGEMMColumns(spec, n, inL, outL)
	}
	g, err := kernels.NewGEMM(spec, c.b.backend)
	if err != nil {
		return c.errorf("%v", err)
	}
	if direct {
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

// gemmRows keeps each worker's share a whole number of the vector kernels'
// row blocks, and no coarser: 7×7 layers' 49 rows split 24 and 25.
const gemmRows = 4

// gemmColumns keeps each worker's channels a whole number of the widest
// kernels' panels (AVX-512 VNNI's 64 channels).
const gemmColumns = 64

// emitGEMMColumns plans a 1×1 product of too few rows to share by rows
// (the logits layer's one row, which would leave the other workers idle
// while one reads all 1.3 MB of weights): the workers share its output
// channels instead, each with a GEMM of its own over its channels, so that
// each reads only its part of the weights. On one thread the parts run in
// turn.
func (c *opContext) emitGEMMColumns(s kernels.GEMMSpec, workers int, inL, outL *loc) error {
	type part struct {
		g  *kernels.GEMM
		n0 int
	}
	if len(s.W) != s.N*s.K || len(s.Mult) != s.N || len(s.Shift) != s.N || (s.Bias != nil && len(s.Bias) != s.N) {
		return c.errorf("GEMM of %d channels with %d weights, %d multipliers, %d shifts and %d biases", s.N, len(s.W), len(s.Mult), len(s.Shift), len(s.Bias))
	}
	parts := make([]part, workers)
	for w := range parts {
		n0, n1 := share(s.N, gemmColumns, w, workers)
		ps := s
		ps.N, ps.W = n1-n0, s.W[n0*s.K:n1*s.K]
		if s.Bias != nil {
			ps.Bias = s.Bias[n0:n1]
		}
		ps.Mult, ps.Shift = s.Mult[n0:n1], s.Shift[n0:n1]
		g, err := kernels.NewGEMM(ps, c.b.backend)
		if err != nil {
			return c.errorf("channels [%d, %d): %v", n0, n1, err)
		}
		parts[w] = part{g, n0}
	}
	m := s.Rows
	run := func(mem []byte, pt part) { pt.g.Run(inL.bytes(mem), s.K, 0, m, outL.bytes(mem)[pt.n0:], s.N) }
	c.emitPar(func(mem []byte) {
		for _, pt := range parts {
			run(mem, pt)
		}
	}, func(mem []byte, w, n int) {
		// n is the pool's size, which the parts were made for.
		for i := w; i < len(parts); i += n {
			run(mem, parts[i])
		}
	})
	return nil
}

// im2col writes, for output pixels [lo, hi), each one's KH×KW×InC input
// window as one row, in the filter's (ky, kx, ic) order. Taps outside the
// input get the input zero point. With dilation 1 a window row is one
// contiguous span of the input, copied in one go; windows wholly inside
// the input (all but the border pixels) take a short path.
func im2col(p *kernels.ConvParams, in, cols []byte, lo, hi int) {
	k := p.KH * p.KW * p.InC
	span := p.KW * p.InC
	rowBytes := p.InW * p.InC
	b, oy, ox := lo/(p.OutH*p.OutW), lo/p.OutW%p.OutH, lo%p.OutW
	for row := lo; row < hi; {
		n := min(hi-row, p.OutW-ox) // the rest of output row oy
		y0 := oy*p.StrideH - p.PadH
		inside := p.DilationW == 1 && y0 >= 0 && y0+(p.KH-1)*p.DilationH < p.InH
		base := (b*p.InH + y0) * rowBytes
		for i := range n {
			dst := cols[(row+i)*k : (row+i+1)*k]
			x0 := (ox+i)*p.StrideW - p.PadW
			if !inside || x0 < 0 || x0+p.KW > p.InW {
				im2colPixel(p, in, dst, b, oy, x0)
				continue
			}
			src := base + x0*p.InC
			if span < 8 || span > 16 {
				for ky := range p.KH {
					copy(dst[ky*span:(ky+1)*span], in[src+ky*p.DilationH*rowBytes:][:span])
				}
				continue
			}
			// Two overlapping 8-byte words per window row. In bounds: the
			// window is inside in, and dst holds KH spans.
			_ = in[src+(p.KH-1)*p.DilationH*rowBytes+span-1]
			s, d := unsafe.Pointer(&in[src]), unsafe.Pointer(&dst[0])
			for ky := range p.KH {
				sk, dk := unsafe.Add(s, ky*p.DilationH*rowBytes), unsafe.Add(d, ky*span)
				*(*uint64)(dk) = *(*uint64)(sk)
				*(*uint64)(unsafe.Add(dk, span-8)) = *(*uint64)(unsafe.Add(sk, span-8))
			}
		}
		row, ox = row+n, 0
		if oy++; oy == p.OutH {
			oy, b = 0, b+1
		}
	}
}

// im2colPixel writes the window of output pixel (b, oy) whose first column
// is x0 to dst, any part of it outside the input as the zero point.
func im2colPixel(p *kernels.ConvParams, in, dst []byte, b, oy, x0 int) {
	pad := byte(p.InZP)
	span := p.KW * p.InC
	for ky := 0; ky < p.KH; ky++ {
		y := oy*p.StrideH - p.PadH + ky*p.DilationH
		seg := dst[ky*span : (ky+1)*span]
		if y < 0 || y >= p.InH {
			kernels.Fill(seg, pad)
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
				kernels.Fill(tap, pad)
			} else {
				copy(tap, rowIn[x*p.InC:(x+1)*p.InC])
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
