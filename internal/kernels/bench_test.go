package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkDWConv runs MobileNet V2's 3×3 depthwise convolutions (input
// size, channels, stride; SAME padding), one sub-benchmark per backend, as
// the engine runs them: from the unpadded input where the backend can
// (Direct), else padding it first.
func BenchmarkDWConv(b *testing.B) {
	shapes := []struct{ hw, c, stride int }{
		{112, 32, 1}, {112, 96, 2}, {56, 144, 1}, {56, 144, 2}, {28, 192, 1}, {28, 192, 2},
		{14, 384, 1}, {14, 576, 1}, {14, 576, 2}, {7, 960, 1},
	}
	for _, s := range shapes {
		for _, signed := range []bool{false, true} {
			r := rand.New(rand.NewPCG(1, 2))
			out := (s.hw + s.stride - 1) / s.stride
			p := &ConvParams{Batch: 1, InH: s.hw, InW: s.hw, InC: s.c, OutH: out, OutW: out, OutC: s.c, KH: 3, KW: 3,
				StrideH: s.stride, StrideW: s.stride, DilationH: 1, DilationW: 1, DepthMultiplier: 1,
				PadH: max((out-1)*s.stride+3-s.hw, 0) / 2, PadW: max((out-1)*s.stride+3-s.hw, 0) / 2,
				Requantization: Requantization{InZP: 3, OutZP: 0, ActMin: 0, ActMax: 255, Mult: make([]int32, s.c), Shift: make([]int, s.c)}}
			if signed {
				p.InZP, p.OutZP, p.ActMin, p.ActMax = -125, -128, -128, 127
			} else {
				p.FilterZP = 131
			}
			for ch := range s.c {
				p.Mult[ch], p.Shift[ch] = quantizeMultiplier(0.0021 + float64(ch)/1e5)
			}
			filter, in := randBytes(r, 9*s.c), randBytes(r, s.hw*s.hw*s.c+MaxOverread)
			bias := make([]int32, s.c)
			for _, be := range Available() {
				b.Run(fmt.Sprintf("%dx%dx%d/s%d/signed=%v/%s", s.hw, s.hw, s.c, s.stride, signed, be), func(b *testing.B) {
					d, err := NewDWConv(p, signed, filter, bias, be)
					if err != nil {
						b.Fatal(err)
					}
					padded := make([]byte, d.PaddedSize())
					dst := make([]byte, out*out*s.c)
					b.SetBytes(int64(len(dst)))
					b.ReportAllocs()
					for b.Loop() {
						if d.Direct() {
							d.RunDirect(in, dst, 0, out)
							continue
						}
						d.Pad(in, padded, 0, d.PaddedRows())
						d.Run(padded, dst, 0, out)
					}
					b.ReportMetric(float64(9*len(dst))*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
				})
			}
		}
	}
}

// BenchmarkAdd runs MobileNet V2's residual additions, one sub-benchmark
// per backend.
func BenchmarkAdd(b *testing.B) {
	for _, n := range []int{56 * 56 * 24, 28 * 28 * 32, 14 * 14 * 64, 14 * 14 * 96, 7 * 7 * 160} {
		for _, signed := range []bool{false, true} {
			r := rand.New(rand.NewPCG(1, 2))
			lo := int32(0)
			if signed {
				lo = -128
			}
			p := NewAddParams(0.031, lo+121, 0.027, lo+133, 0.044, lo+127, lo, lo+255)
			x, y, out := randBytes(r, n), randBytes(r, n), make([]byte, n)
			for _, be := range Available() {
				b.Run(fmt.Sprintf("%d/signed=%v/%s", n, signed, be), func(b *testing.B) {
					ad := NewAdder(p, signed, be)
					b.SetBytes(int64(n))
					b.ReportAllocs()
					for b.Loop() {
						ad.Run(x, y, out)
					}
					b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gelem/s")
				})
			}
		}
	}
}
