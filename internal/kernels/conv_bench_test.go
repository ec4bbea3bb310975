package kernels

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkReferenceConv runs the plain-Go convolutions that walk the
// filter window tap by tap: the quantized Conv and DepthwiseConv and the
// dynamic-range HybridConv, on a 3×3, stride-1, SAME-padded MobileNet-sized
// layer.
func BenchmarkReferenceConv(b *testing.B) {
	const hw, c = 28, 32
	r := rand.New(rand.NewPCG(1, 2))
	p := ConvParams{Batch: 1, InH: hw, InW: hw, InC: c, OutH: hw, OutW: hw, OutC: c, KH: 3, KW: 3,
		StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1, PadH: 1, PadW: 1, DepthMultiplier: 1,
		Requantization: Requantization{InZP: 3, FilterZP: 131, ActMax: 255, Mult: make([]int32, c), Shift: make([]int, c)}}
	for ch := range c {
		p.Mult[ch], p.Shift[ch] = quantizeMultiplier(0.0021 + float64(ch)/1e5)
	}
	in, out := randBytes(r, hw*hw*c), make([]byte, hw*hw*c)
	filter, dwFilter := randBytes(r, c*9*c), randBytes(r, 9*c)
	bias := make([]int32, c)
	b.Run("conv", func(b *testing.B) {
		for b.Loop() {
			Conv(&p, in, filter, bias, out)
		}
	})
	b.Run("depthwise", func(b *testing.B) {
		for b.Loop() {
			DepthwiseConv(&p, in, dwFilter, bias, out)
		}
	})
	fin, fout, q := make([]float32, hw*hw*c), make([]float32, hw*hw*c), make([]int8, hw*hw*c)
	for i := range fin {
		fin[i] = r.Float32()*2 - 1
	}
	scales := make([]float32, c)
	for i := range scales {
		scales[i] = 0.01
	}
	for _, depthwise := range []bool{false, true} {
		h := &HybridConv{P: p, Depthwise: depthwise, W: View[int8](filter), WScale: scales, Clamp: ActivationRangeF32(ActNone)}
		name := "hybrid"
		if depthwise {
			name, h.W = "hybrid-depthwise", View[int8](dwFilter)
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				h.Run(fin, q, fout)
			}
		})
	}
}
