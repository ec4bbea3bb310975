package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkGEMM runs the 1×1 convolutions of MobileNet V2 (M pixels, K input
// and N output channels), one sub-benchmark per backend.
func BenchmarkGEMM(b *testing.B) {
	shapes := []struct{ m, k, n int }{{112 * 112, 32, 16}, {112 * 112, 16, 96}, {56 * 56, 24, 144}, {56 * 56, 144, 24}, {56 * 56, 96, 24}, {28 * 28, 32, 192}, {28 * 28, 192, 32}, {14 * 14, 384, 64}, {7 * 7, 960, 320}, {7 * 7, 320, 1280}}
	for _, s := range shapes {
		for _, signed := range []bool{false, true} {
			c := randomGEMM(rand.New(rand.NewPCG(1, 2)), s.m, s.n, s.k, signed)
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
