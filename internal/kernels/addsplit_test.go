package kernels

import (
	"math"
	"testing"

	"github.com/classifly/classifly/internal/testkit"
)

// TestAddSplit proves the ADD kernels' 32-bit input rescale (addSplit)
// equal to MultiplyByQuantizedMultiplier((a - zp) << 20, M, shift) for
// every |a - zp| ≤ 255, over the multipliers quantizeMultiplier gives for
// ratios in (0, 1/2] and the edges of M and of the shift.
func TestAddSplit(t *testing.T) {
	r := testkit.SeededRand(t)
	type ms struct {
		mult  int32
		shift int
	}
	var cases []ms
	for _, m := range []int32{0, 1, 2, 1<<11 - 1, 1 << 11, 1<<11 + 1, 1<<30 - 1, 1 << 30, 1<<30 + 1, 1<<30 + 1<<11 - 1, math.MaxInt32 - 1<<10, math.MaxInt32} {
		for s := 0; s >= -31; s-- {
			cases = append(cases, ms{m, s})
		}
	}
	for range 3000 {
		// Ratios down to 2^-34, through shift -31 and the flush to 0.
		ratio := math.Ldexp(0.5+r.Float64()/2, -1-r.IntN(34))
		if r.IntN(4) == 0 { // float32 scales, as NewAddParams divides them
			s1, s2 := float32(0.001+r.Float64()), float32(0.001+r.Float64())
			ratio = float64(s1) / float64(2*max(s1, s2))
		}
		m, s := quantizeMultiplier(ratio)
		cases = append(cases, ms{m, s})
	}
	for range 2000 {
		cases = append(cases, ms{int32(r.Uint32() >> 1), -r.IntN(32)})
	}
	for _, c := range cases {
		zp := int32(r.IntN(256)) - 128
		sp, ok := newAddSplit(zp, c.mult, c.shift)
		if !ok {
			t.Fatalf("newAddSplit(%d, %d) refused", c.mult, c.shift)
		}
		for v := int32(-255); v <= 255; v++ {
			want := multiplyByQuantizedMultiplier(v*(1<<20), c.mult, c.shift)
			if got := sp.apply(v + zp); got != want {
				t.Fatalf("M=%d shift=%d v=%d: split %d, want %d", c.mult, c.shift, v, got, want)
			}
		}
	}
	for _, c := range []ms{{-1, 0}, {1 << 30, 1}, {1 << 30, -32}} {
		if _, ok := newAddSplit(0, c.mult, c.shift); ok {
			t.Errorf("newAddSplit(%d, %d) accepted", c.mult, c.shift)
		}
	}
}

// TestAddSplitParams checks the claim the split kernels rest on: for any
// scales, NewAddParams gives one input the multiplier 1/2 exactly and the
// other a shift that is not positive.
func TestAddSplitParams(t *testing.T) {
	r := testkit.SeededRand(t)
	for i := range 20000 {
		signed := i%2 == 1
		lo := int32(0)
		if signed {
			lo = -128
		}
		s1 := float32(math.Ldexp(0.5+r.Float64()/2, -r.IntN(40)))
		s2 := float32(math.Ldexp(0.5+r.Float64()/2, -r.IntN(40)))
		if i%3 == 0 {
			s2 = s1
		}
		p := NewAddParams(s1, lo+int32(r.IntN(256)), s2, lo+int32(r.IntN(256)), 0.05, lo, lo, lo+255)
		small, swap, ok := addSplitParams(p, signed)
		if !ok {
			t.Fatalf("scales %g, %g: %+v not in split form", s1, s2, p)
		}
		wantM, wantS := p.In2Mult, p.In2Shift
		if swap {
			wantM, wantS = p.In1Mult, p.In1Shift
		}
		if small.Hi<<11+small.Lo != wantM || -int(small.RShift) != wantS {
			t.Fatalf("scales %g, %g: small input %+v from (%d, %d)", s1, s2, small, wantM, wantS)
		}
	}
	p := NewAddParams(0.1, 0, 0.2, 0, 0.3, 0, 0, 255)
	for _, bad := range []func(q *AddParams){
		func(q *AddParams) { q.LeftShift = 19 },
		func(q *AddParams) { q.In1ZP = 256 },
		func(q *AddParams) { q.In2ZP = -1 },
		func(q *AddParams) { q.In1Shift = 1 },
		func(q *AddParams) { q.In2Mult = 1<<30 + 1 },
	} {
		q := *p
		bad(&q)
		if _, _, ok := addSplitParams(&q, false); ok {
			t.Errorf("%+v accepted", q)
		}
	}
}
