package kernels

import (
	"bytes"
	"testing"

	"github.com/classifly/classifly/internal/testkit"
)

// TestGEMMRowRangesAllBackends checks every backend on long rows (K past
// the sizes the vector kernels keep on the stack) and on row ranges that
// start inside the matrix, as the engine's workers run them: each range's
// rows equal the reference and nothing outside them is written.
func TestGEMMRowRangesAllBackends(t *testing.T) {
	r := testkit.SeededRand(t)
	var cases []gemmCase
	for _, k := range []int{255, 256, 257, 2047, 2049, 5001} {
		for _, n := range []int{7, 25, 100} {
			cases = append(cases, randomGEMM(r, 9, n, k, (k+n)%2 == 0))
		}
	}
	eachGEMM(t, cases, func(t *testing.T, b Backend, c gemmCase, g *GEMM) {
		const sentinel = 0xC3
		out := bytes.Repeat([]byte{sentinel}, len(c.want))
		for m0 := 1; m0 < c.m; m0 += 3 {
			g.Run(c.a, c.lda, m0, min(m0+3, c.m), out, c.ldc)
		}
		for row := range c.m {
			got, want := out[row*c.ldc:(row+1)*c.ldc], c.want[row*c.ldc:(row+1)*c.ldc]
			if row == 0 {
				want = bytes.Repeat([]byte{sentinel}, c.ldc) // not in any range
			}
			for i := c.spec.N; i < c.ldc; i++ {
				if got[i] != sentinel {
					t.Fatalf("%s k=%d n=%d: wrote past row %d", b, c.spec.K, c.spec.N, row)
				}
			}
			if !bytes.Equal(got[:c.spec.N], want[:c.spec.N]) {
				t.Fatalf("%s k=%d n=%d row %d:\n got %v\nwant %v", b, c.spec.K, c.spec.N, row, got[:c.spec.N], want[:c.spec.N])
			}
		}
	})
}
