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

// gemmF32NR is the width of a packed weight panel: 16 output channels, two
// AVX2 registers or one AVX-512 register of float32.
const gemmF32NR = 16

// GemmF32 computes out[m][n] = clamp(bias[n] + Σ_k a[m][k]·w[n][k]) with the
// weights packed once: the 1×1 convolutions, the first convolution after
// im2col and FULLY_CONNECTED.
type GemmF32 struct {
	N, K   int
	packed []float32 // ceil(N/16) panels of K rows of 16 channels, zero-padded
	bias   []float32 // padded to whole panels
	clamp  ClampF32
	impl   func(g *GemmF32, a []float32, lda, m0, m1 int, out []float32, ldc int)
}

// NewGemmF32 packs w ([N][K], row-major) and bias (nil means zeros).
func NewGemmF32(n, k int, w, bias []float32, clamp ClampF32, backend Backend) *GemmF32 {
	panels := (n + gemmF32NR - 1) / gemmF32NR
	g := &GemmF32{N: n, K: k, packed: make([]float32, panels*k*gemmF32NR), bias: make([]float32, panels*gemmF32NR), clamp: clamp}
	for j := 0; j < n; j++ {
		p, c := j/gemmF32NR, j%gemmF32NR
		panel := g.packed[p*k*gemmF32NR:]
		for kk := 0; kk < k; kk++ {
			panel[kk*gemmF32NR+c] = w[j*k+kk]
		}
	}
	copy(g.bias, bias)
	g.impl = gemmF32Impl(backend)
	return g
}

// Run computes rows m0..m1 of out (row stride ldc) from a (row stride lda).
func (g *GemmF32) Run(a []float32, lda, m0, m1 int, out []float32, ldc int) {
	if m1 > m0 {
		g.impl(g, a, lda, m0, m1, out, ldc)
	}
}

// gemmF32Generic is the portable loop: one row at a time, 16 channels of
// accumulators per panel.
func gemmF32Generic(g *GemmF32, a []float32, lda, m0, m1 int, out []float32, ldc int) {
	k := g.K
	for m := m0; m < m1; m++ {
		row := a[m*lda:][:k]
		dst := out[m*ldc:][:g.N]
		for p := 0; p*gemmF32NR < g.N; p++ {
			var acc [gemmF32NR]float32
			copy(acc[:], g.bias[p*gemmF32NR:])
			panel := g.packed[p*k*gemmF32NR:][:k*gemmF32NR]
			for kk, x := range row {
				w := (*[gemmF32NR]float32)(panel[kk*gemmF32NR:])
				for c := range acc {
					acc[c] += x * w[c]
				}
			}
			n := min(gemmF32NR, g.N-p*gemmF32NR)
			for c := 0; c < n; c++ {
				dst[p*gemmF32NR+c] = g.clamp.apply(acc[c])
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
		b, oy := r/p.OutH, r%p.OutH
		for ox := 0; ox < p.OutW; ox++ {
			dst := cols[(r*p.OutW+ox)*k:][:k]
			i := 0
			for ky := 0; ky < p.KH; ky++ {
				y := oy*p.StrideH - p.PadH + ky*p.DilationH
				for kx := 0; kx < p.KW; kx++ {
					x := ox*p.StrideW - p.PadW + kx*p.DilationW
					seg := dst[i : i+p.InC]
					if y < 0 || y >= p.InH || x < 0 || x >= p.InW {
						clear(seg)
					} else {
						copy(seg, in[((b*p.InH+y)*p.InW+x)*p.InC:])
					}
					i += p.InC
				}
			}
		}
	}
}
