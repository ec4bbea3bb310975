package kernels

// Float32 kernels: the float twins of the quantized ones, for float32,
// float16 (weights widened at load) and the float side of dynamic-range
// models. They are not bit-exact with TFLite (no float runtime is: summation
// order and FMA differ); tests hold them to a float64 reference.

import "math"

// ClampF32 is a fused activation as a float clamp (TFLite's
// CalculateActivationRange for float: RELU gives [0, +Inf], RELU6 [0, 6],
// RELU_N1_TO_1 [-1, 1], NONE everything).
type ClampF32 struct{ Lo, Hi float32 }

// ActivationRangeF32 returns the clamp of a fused activation.
func ActivationRangeF32(a Activation) ClampF32 {
	inf := float32(math.Inf(1))
	switch a {
	case ActRelu:
		return ClampF32{0, inf}
	case ActRelu6:
		return ClampF32{0, 6}
	case ActReluN1To1:
		return ClampF32{-1, 1}
	}
	return ClampF32{-inf, inf}
}

func (c ClampF32) apply(v float32) float32 { return min(max(v, c.Lo), c.Hi) }

// GemmF32 computes out[m][n] = clamp(bias[n] + Σ_k a[m][k]·w[n][k]) with the
// weights packed once: the 1×1 convolutions, the first convolution after
// im2col and FULLY_CONNECTED.
type GemmF32 struct {
	N, K   int
	nr     int       // panel width: 16 channels (two AVX2 registers), 32 for AVX-512
	mr     int       // rows the kernel computes at a time
	packed []float32 // ceil(N/nr) panels of K rows of nr channels, zero-padded
	bias   []float32 // padded to whole panels
	clamp  ClampF32
	impl   func(g *GemmF32, a Rows, m0, m1 int, out []float32, ldc, p0, p1 int, res Residual)
}

// Residual is an ADD fused after a GEMM (a 1×1 convolution's output added
// to the block input in MobileNet V2): each output value v becomes
// Clamp(v + R's value at the same place, with the output's row stride), as
// the ADD would compute it from the stored output. A nil R adds nothing.
type Residual struct {
	R     []float32
	Clamp ClampF32
}

// Rows describes a GEMM's input rows: row m's K values start at A[m·Stride]
// and come in Segs equal segments, each SegStride after the last (one
// segment, SegStride unused, for a plain matrix). A convolution's interior
// pixels are such rows of its input as it is: one segment per tap row.
type Rows struct {
	A                       []float32
	Stride, Segs, SegStride int
}

// NewGemmF32 packs w ([N][K], row-major) and bias (nil means zeros).
func NewGemmF32(n, k int, w, bias []float32, clamp ClampF32, backend Backend) *GemmF32 {
	impl, nr, mr := gemmF32Impl(backend, n)
	panels := (n + nr - 1) / nr
	g := &GemmF32{N: n, K: k, nr: nr, mr: mr, packed: make([]float32, panels*k*nr), bias: make([]float32, panels*nr), clamp: clamp, impl: impl}
	for j := 0; j < n; j++ {
		p, c := j/nr, j%nr
		panel := g.packed[p*k*nr:]
		for kk := 0; kk < k; kk++ {
			panel[kk*nr+c] = w[j*k+kk]
		}
	}
	copy(g.bias, bias)
	return g
}

// Run computes rows m0..m1 of out (row stride ldc) from a (row stride lda).
func (g *GemmF32) Run(a []float32, lda, m0, m1 int, out []float32, ldc int) {
	g.RunPanels(a, lda, m0, m1, out, ldc, 0, g.Panels())
}

// RowBlock is the number of rows the kernel computes at a time: row
// ranges that start at its multiples split the work without waste.
func (g *GemmF32) RowBlock() int { return g.mr }

// Panels is the number of panels of output channels, the unit of
// RunPanels.
func (g *GemmF32) Panels() int { return len(g.bias) / g.nr }

// RunPanels computes the output channels of panels p0..p1 of rows m0..m1:
// the way to split a GEMM of few rows (the logits) between workers.
func (g *GemmF32) RunPanels(a []float32, lda, m0, m1 int, out []float32, ldc, p0, p1 int) {
	g.RunRows(Rows{A: a, Stride: lda, Segs: 1}, m0, m1, out, ldc, p0, p1)
}

// RunAdd is RunPanels followed by the ADD res, in the same pass.
func (g *GemmF32) RunAdd(a []float32, lda, m0, m1 int, out []float32, ldc, p0, p1 int, res Residual) {
	if m1 > m0 && p1 > p0 {
		g.impl(g, Rows{A: a, Stride: lda, Segs: 1}, m0, m1, out, ldc, p0, p1, res)
	}
}

// RunRows computes the output channels of panels p0..p1 of rows m0..m1 of
// a; a.Segs must divide K.
func (g *GemmF32) RunRows(a Rows, m0, m1 int, out []float32, ldc, p0, p1 int) {
	if m1 > m0 && p1 > p0 {
		g.impl(g, a, m0, m1, out, ldc, p0, p1, Residual{})
	}
}

// gemmF32Generic is the portable loop: one row at a time, 16 channels of
// accumulators at a time.
func gemmF32Generic(g *GemmF32, a Rows, m0, m1 int, out []float32, ldc, p0, p1 int, res Residual) {
	const w16 = 16
	k, nr := g.K, g.nr
	seg := k / a.Segs
	n := min(p1*nr, g.N)
	for m := m0; m < m1; m++ {
		dst := out[m*ldc:][:n]
		for c0 := p0 * nr; c0 < n; c0 += w16 {
			p, off := c0/nr, c0%nr
			var acc [w16]float32
			copy(acc[:], g.bias[c0:])
			panel := g.packed[p*k*nr:][:k*nr]
			for s := range a.Segs {
				row := a.A[m*a.Stride+s*a.SegStride:][:seg]
				for j, x := range row {
					w := (*[w16]float32)(panel[(s*seg+j)*nr+off:])
					for c := range acc {
						acc[c] += x * w[c]
					}
				}
			}
			for c := range min(w16, n-c0) {
				v := g.clamp.apply(acc[c])
				if res.R != nil {
					v = res.Clamp.apply(v + res.R[m*ldc+c0+c])
				}
				dst[c0+c] = v
			}
		}
	}
}

// Im2colF32 writes, for output rows r0..r1 (batch × OutH), each output
// pixel's receptive field as one row of KH·KW·InC values, zero outside the
// input: the GEMM then computes the convolution with OHWI weights as they
// are.
func Im2colF32(p *ConvParams, in, cols []float32, r0, r1 int) {
	k := p.KH * p.KW * p.InC
	for r := r0; r < r1; r++ {
		im2colPixelsF32(p, in, cols[r*p.OutW*k:], r, 0, p.OutW)
	}
}

// im2colPixelsF32 is Im2colF32 for pixels ox0..ox1 of output row r, into
// the row's part of cols (pixel ox's values at ox·K).
func im2colPixelsF32(p *ConvParams, in, cols []float32, r, ox0, ox1 int) {
	k := p.KH * p.KW * p.InC
	span := p.KW * p.InC // one tap row, contiguous in the input when DilationW is 1
	b, oy := r/p.OutH, r%p.OutH
	for ox := ox0; ox < ox1; ox++ {
		dst := cols[ox*k:][:k]
		x0 := ox*p.StrideW - p.PadW
		inside := p.DilationW == 1 && x0 >= 0 && x0+p.KW <= p.InW
		i := 0
		for ky := 0; ky < p.KH; ky++ {
			y := oy*p.StrideH - p.PadH + ky*p.DilationH
			if y < 0 || y >= p.InH {
				clear(dst[i : i+span])
				i += span
				continue
			}
			rowIn := in[((b*p.InH+y)*p.InW)*p.InC:][:p.InW*p.InC]
			if inside {
				// The first convolution has 3 channels: a loop beats
				// copy's call for a tap row of a few values.
				copyShort(dst[i:i+span], rowIn[x0*p.InC:][:span])
				i += span
				continue
			}
			for kx := 0; kx < p.KW; kx++ {
				x := x0 + kx*p.DilationW
				seg := dst[i : i+p.InC]
				if x < 0 || x >= p.InW {
					clear(seg)
				} else {
					copyShort(seg, rowIn[x*p.InC:][:p.InC])
				}
				i += p.InC
			}
		}
	}
}

// ConvF32 computes output rows r0..r1 (batch × OutH) of a convolution
// with g (OHWI weights, K = KH·KW·InC), each as ConvRowF32 does, with
// cols room for every output pixel's K values.
func ConvF32(p *ConvParams, g *GemmF32, in, cols, out []float32, r0, r1 int) {
	k := p.KH * p.KW * p.InC
	for r := r0; r < r1; r++ {
		ConvRowF32(p, g, in, cols[r*p.OutW*k:], out[r*p.OutW*p.OutC:], r)
	}
}

// ConvRowF32 computes output row r (of batch × OutH) into dst (OutW·OutC
// values): the pixels whose taps all lie inside the input straight from
// it, each tap row a segment of the GEMM's row (when DilationW is 1), the
// others through im2col into cols (room for OutW·K values).
func ConvRowF32(p *ConvParams, g *GemmF32, in, cols, dst []float32, r int) {
	k := p.KH * p.KW * p.InC
	// Interior columns: ox·StrideW - PadW ≥ 0 and + KW-1 < InW.
	lo := (p.PadW + p.StrideW - 1) / p.StrideW
	hi := -1 // last interior column
	if last := p.InW - p.KW + p.PadW; last >= 0 {
		hi = min(last/p.StrideW, p.OutW-1)
	}
	b, oy := r/p.OutH, r%p.OutH
	y0 := oy*p.StrideH - p.PadH
	if p.DilationW != 1 || y0 < 0 || y0+(p.KH-1)*p.DilationH >= p.InH || lo > hi {
		im2colPixelsF32(p, in, cols, r, 0, p.OutW)
		g.Run(cols, k, 0, p.OutW, dst, p.OutC)
		return
	}
	im2colPixelsF32(p, in, cols, r, 0, lo)
	g.Run(cols, k, 0, lo, dst, p.OutC)
	im2colPixelsF32(p, in, cols, r, hi+1, p.OutW)
	g.Run(cols, k, hi+1, p.OutW, dst, p.OutC)
	rows := Rows{A: in[((b*p.InH+y0)*p.InW+lo*p.StrideW-p.PadW)*p.InC:], Stride: p.StrideW * p.InC,
		Segs: p.KH, SegStride: p.DilationH * p.InW * p.InC}
	g.RunRows(rows, 0, hi-lo+1, dst[lo*p.OutC:], p.OutC, 0, g.Panels())
}

// copyShort is copy for short slices of equal length.
func copyShort(dst, src []float32) {
	if len(src) > 32 {
		copy(dst, src)
		return
	}
	dst = dst[:len(src)]
	for j, v := range src {
		dst[j] = v
	}
}
