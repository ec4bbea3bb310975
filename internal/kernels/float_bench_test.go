package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkGemmF32 runs the GEMMs of float32 MobileNet V2 (its 1×1
// convolutions as rows × K → N, the first convolution after im2col, the
// logits; the narrowing ones, projections, without activation as in the
// model), one sub-benchmark per backend.
func BenchmarkGemmF32(b *testing.B) {
	shapes := []struct{ m, k, n int }{
		{12544, 27, 32}, {12544, 32, 16}, {12544, 16, 96}, {3136, 24, 144}, {3136, 144, 24},
		{784, 144, 32}, {784, 192, 32}, {784, 32, 192}, {196, 192, 64}, {196, 384, 64}, {196, 64, 384},
		{196, 384, 96}, {196, 576, 96}, {196, 96, 576}, {49, 576, 160}, {49, 960, 160}, {49, 160, 960},
		{49, 960, 320}, {49, 320, 1280}, {1, 1280, 1001},
	}
	for _, s := range shapes {
		r := rand.New(rand.NewPCG(1, 2))
		w, bias, a := randF32(r, s.n*s.k), randF32(r, s.n), randF32(r, s.m*s.k)
		out := make([]float32, s.m*s.n)
		for _, be := range Available() {
			b.Run(fmt.Sprintf("%dx%dx%d/%s", s.m, s.k, s.n, be), func(b *testing.B) {
				act := ActRelu6
				if s.n < s.k { // a projection: linear
					act = ActNone
				}
				g := NewGemmF32(s.n, s.k, w, bias, ActivationRangeF32(act), be)
				b.SetBytes(int64(4 * len(out)))
				b.ReportAllocs()
				for b.Loop() {
					g.Run(a, s.k, 0, s.m, out, s.n)
				}
				b.ReportMetric(2*float64(s.m*s.k*s.n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// BenchmarkDWConvF32 runs float32 MobileNet V2's 3×3 depthwise
// convolutions (input size, channels, stride; SAME padding), one
// sub-benchmark per backend.
func BenchmarkDWConvF32(b *testing.B) {
	shapes := []struct{ hw, c, stride int }{
		{112, 32, 1}, {112, 96, 2}, {56, 144, 1}, {56, 144, 2}, {28, 192, 1}, {14, 384, 1}, {7, 960, 1},
	}
	for _, s := range shapes {
		r := rand.New(rand.NewPCG(1, 2))
		out := (s.hw + s.stride - 1) / s.stride
		pad := max((out-1)*s.stride+3-s.hw, 0)
		p := &ConvParams{Batch: 1, InH: s.hw, InW: s.hw, InC: s.c, OutH: out, OutW: out, OutC: s.c, KH: 3, KW: 3,
			StrideH: s.stride, StrideW: s.stride, DilationH: 1, DilationW: 1, DepthMultiplier: 1, PadH: pad / 2, PadW: pad / 2}
		w, bias, in := randF32(r, 9*s.c), randF32(r, s.c), randF32(r, s.hw*s.hw*s.c)
		dst := make([]float32, out*out*s.c)
		for _, be := range Available() {
			b.Run(fmt.Sprintf("%dx%dx%d/s%d/%s", s.hw, s.hw, s.c, s.stride, be), func(b *testing.B) {
				d := NewDWConvF32(p, w, bias, ActivationRangeF32(ActRelu6), be)
				b.SetBytes(int64(4 * len(dst)))
				b.ReportAllocs()
				for b.Loop() {
					d.Run(in, dst, 0, out)
				}
			})
		}
	}
}

// BenchmarkConvF32 runs float32 MobileNet V2's first convolution
// (224×224×3 → 112×112×32, 3×3 stride 2, TF SAME padding) as ConvF32 does
// and, for comparison, as im2col of every pixel and one GEMM.
func BenchmarkConvF32(b *testing.B) {
	p := &ConvParams{Batch: 1, InH: 224, InW: 224, InC: 3, OutH: 112, OutW: 112, OutC: 32, KH: 3, KW: 3,
		StrideH: 2, StrideW: 2, DilationH: 1, DilationW: 1, DepthMultiplier: 1, PadH: 0, PadW: 0}
	r := rand.New(rand.NewPCG(1, 2))
	in, w, bias := randF32(r, 224*224*3), randF32(r, 32*27), randF32(r, 32)
	cols, out := make([]float32, 112*112*27), make([]float32, 112*112*32)
	for _, be := range Available() {
		g := NewGemmF32(32, 27, w, bias, ActivationRangeF32(ActRelu6), be)
		b.Run("direct/"+be.String(), func(b *testing.B) {
			b.SetBytes(int64(4 * len(out)))
			b.ReportAllocs()
			for b.Loop() {
				ConvF32(p, g, in, cols, out, 0, 112)
			}
		})
		b.Run("im2col/"+be.String(), func(b *testing.B) {
			b.SetBytes(int64(4 * len(out)))
			b.ReportAllocs()
			for b.Loop() {
				Im2colF32(p, in, cols, 0, 112)
				g.Run(cols, 27, 0, 112*112, out, 32)
			}
		})
	}
}
