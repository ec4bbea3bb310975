package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkGEMM runs the 1×1 convolutions of MobileNet V2 (M pixels, K input
// and N output channels), one sub-benchmark per backend, with scales below 1
// as every real layer has them: right shifts only, so the kernels take the
// epilogue that models run (see BenchmarkGEMMLeftShift). The output is not
// checked (TestGEMMAllBackends does that).
func BenchmarkGEMM(b *testing.B) {
	shapes := []gemmShape{{112 * 112, 32, 16}, {112 * 112, 16, 96}, {56 * 56, 24, 144}, {56 * 56, 144, 24}, {56 * 56, 96, 24}, {28 * 28, 32, 192}, {28 * 28, 192, 32}, {14 * 14, 384, 64}, {7 * 7, 960, 320}, {7 * 7, 320, 1280}}
	benchGEMM(b, shapes, false)
}

// BenchmarkGEMMLeftShift runs two of BenchmarkGEMM's shallow shapes with a
// left shift in some channels, which no real model has: the kernels then
// take their second epilogue, with the shift.
func BenchmarkGEMMLeftShift(b *testing.B) {
	benchGEMM(b, []gemmShape{{112 * 112, 16, 96}, {56 * 56, 96, 24}}, true)
}

// BenchmarkGEMMOneRow runs MobileNet V2's classifier (one row, K 1280, N
// 1001), which the vector backends take a row at a time. Its weights stay
// in cache here; in a model they come from L3.
func BenchmarkGEMMOneRow(b *testing.B) {
	benchGEMM(b, []gemmShape{{1, 1280, 1001}}, false)
}

// gemmShape is a 1×1 convolution's: M pixels, K input and N output channels.
type gemmShape struct{ m, k, n int }

func benchGEMM(b *testing.B, shapes []gemmShape, leftShifts bool) {
	for _, s := range shapes {
		for _, signed := range []bool{false, true} {
			r := rand.New(rand.NewPCG(1, 2))
			c := randomGEMM(r, s.m, s.n, s.k, signed)
			randomMultipliers(r, c.spec.Mult, c.spec.Shift, leftShifts)
			if leftShifts {
				c.spec.Shift[0] = max(c.spec.Shift[0], 1)
			}
			// All rows in one call, as the engine says (randomGEMM's hint
			// of 1 to 3 rows packs for the AVX2 one-row kernel).
			c.spec.Rows = s.m
			for _, be := range Available() {
				b.Run(fmt.Sprintf("%dx%dx%d/signed=%v/%s", s.m, s.k, s.n, signed, be), func(b *testing.B) {
					g, err := NewGEMM(c.spec, be)
					if err != nil {
						b.Fatal(err)
					}
					out := make([]byte, len(c.want))
					b.SetBytes(int64(s.m * s.k))
					b.ReportAllocs()
					for b.Loop() {
						g.Run(c.a, c.lda, 0, c.m, out, c.ldc)
					}
					b.ReportMetric(float64(s.m*s.n*s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
				})
			}
		}
	}
}
