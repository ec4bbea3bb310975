//go:build unix

package kernels

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/classifly/classifly/internal/testkit"
)

// TestDirectConvStaysInBounds runs every backend's direct convolution on an
// input that ends at an inaccessible page, with the slack its kernels
// claim (see MaxOverread): 12 - KW·InC bytes for the quad kernels, 7 for
// the pair kernels, which widen 8-byte chunks; the output has none. Both
// figures are exact: with one byte less, some case faults.
func TestDirectConvStaysInBounds(t *testing.T) {
	r := testkit.SeededRand(t)
	for _, b := range Available() {
		for i := range 200 {
			c := 1 + r.IntN(4)
			kh, kw := 1+r.IntN(3), 1+r.IntN(3)
			for kw*c > 12 {
				kw--
			}
			dc := randomDirectConv(r, c, kh, kw, 1+r.IntN(3), 1+r.IntN(6), 1+r.IntN(40), i%2 == 0, i%3 == 0, i%5 == 0)
			d, err := NewDirectConv(dc.p, dc.signed, dc.filter, dc.bias, b)
			if err != nil {
				t.Fatal(err)
			}
			if d == nil {
				continue
			}
			slack := 12 - kw*c
			if b == AVX2 || !dc.quadWeights() {
				slack = 7
			}
			in := fenced(t, len(dc.in), slack)
			copy(in, dc.in)
			out := fenced(t, len(dc.want), 0)
			what := func() string { return fmt.Sprintf("%s %v slack %d", b, dc, slack) }
			noFault(t, what, func() { d.Run(in, out, 0, dc.p.Batch*dc.p.OutH) })
			if !bytes.Equal(out, dc.want) {
				t.Fatalf("%s: wrong output", what())
			}
		}
	}
}

// quadWeights says whether the case's weights (w, or w - wz) all fit a
// signed byte, as the quad kernels need.
func (dc *directConvCase) quadWeights() bool {
	for _, raw := range dc.filter {
		v := int32(int8(raw))
		if !dc.signed {
			v = int32(raw) - dc.p.FilterZP
		}
		if v < -128 || v > 127 {
			return false
		}
	}
	return true
}
