//go:build !purego

package kernels

import (
	"math"
	"testing"

	"github.com/classifly/classifly/internal/testkit"
)

// TestDWDirectRequantForm checks the AVX2 direct depthwise kernel's
// requantization (dwDirectLane on dwDirectScale's constants, the lanes of
// _asm's requantDirect) against requant.rescale plus the output zero point,
// for sums at and inside the bounds dwDirectFits admits, with left and
// right shifts, unusual multipliers and output zero points.
func TestDWDirectRequantForm(t *testing.T) {
	r := testkit.SeededRand(t)
	const width = 16
	checked := 0
	for round := range 3000 {
		mult, shift := make([]int32, width), make([]int, width)
		bias := make([]int32, width)
		for c := range width {
			mult[c], shift[c] = int32(1<<30+r.IntN(1<<30)), r.IntN(40)-31
			bias[c] = randInt32(r) >> (8 + r.IntN(24))
		}
		if round%2 == 0 {
			unusualMultipliers(r, mult, shift, true)
		}
		zp := int32(r.IntN(384) - 128)
		q := newRequant(bias, mult, shift, zp, math.MinInt32, math.MaxInt32, width, width)
		for c := range width {
			bound := int64(r.IntN(1 << (1 + r.IntN(21))))
			if !dwDirectFits(q, c, 0, bound) || abs64(int64(bias[c]))+bound > q.accLimit(c) {
				continue
			}
			checked++
			sums := []int64{-bound, -bound + 1, -1, 0, 1, bound - 1, bound}
			for _, a := range []int64{-1, 0, 1} { // the biased sum at -1, 0, 1
				sums = append(sums, a-int64(bias[c]))
			}
			for range 16 {
				sums = append(sums, r.Int64N(2*bound+1)-bound)
			}
			sign, m, nudge, rs := dwDirectScale(q, c)
			for _, sum := range sums {
				if sum < -bound || sum > bound {
					continue
				}
				s := int32(sum << (q.LShift[c] + 1))
				if got, want := dwDirectLane(s, sign, m, nudge, rs), q.rescale(int32(sum), c)+zp; got != want {
					t.Fatalf("sum %d, bias %d, M %d, shift %d, zp %d: the direct form gives %d, want %d", sum, bias[c], mult[c], shift[c], zp, got, want)
				}
			}
		}
	}
	if checked < 1000 {
		t.Fatalf("only %d channels within the kernel's bounds", checked)
	}
}
