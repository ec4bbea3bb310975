package kernels

import (
	"bytes"
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
		wantM, wantS, zpA := p.In2Mult, p.In2Shift, p.In1ZP
		if swap {
			wantM, wantS, zpA = p.In1Mult, p.In1Shift, p.In2ZP
		}
		if small.Hi<<11+small.Lo != wantM || -int(small.RShift) != wantS || small.ZP != p.In1ZP+p.In2ZP-zpA {
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

// TestAdderSplitLowBits makes the output of every backend's ADD show the
// low bits of the second input's rescale: scales 2^10 to 2^30 apart, the
// first input mostly at its zero point and an output scale near the
// rescaled second input's unit, so that an error of one in any rounding
// of the split form changes output bytes.
func TestAdderSplitLowBits(t *testing.T) {
	r := testkit.SeededRand(t)
	for _, b := range Available() {
		for i := range 300 {
			signed := i%2 == 1
			lo := int32(0)
			if signed {
				lo = -128
			}
			s1 := float32(0.5 + r.Float64())
			e := 9 + r.IntN(8) // where a unit of the rescale is seen most often
			if i%3 == 0 {
				e = 10 + r.IntN(21)
			}
			s2 := s1 * float32(math.Ldexp(0.5+r.Float64()/2, -e))
			if i%5 == 0 {
				// A power of two: the rescale v·2^(19-e) is a tie for odd
				// v, which the correction for v < 0 decides.
				s2 = s1 * float32(math.Ldexp(1, -e))
			}
			// The second input's unit after its rescale is s2·2^20/(2·s1) in
			// the sum; an output step of 1 to 8 of those.
			so := float32(float64(2*s1) / (1 << 20) * math.Ldexp(0.7+r.Float64(), r.IntN(4)))
			zp1, zp2 := lo+int32(r.IntN(256)), lo+int32(r.IntN(256))
			if i%4 == 3 {
				s1, s2, zp1, zp2 = s2, s1, zp2, zp1
			}
			p := NewAddParams(s1, zp1, s2, zp2, so, lo+int32(r.IntN(256)), lo, lo+255)
			n := 1 + r.IntN(500)
			x, y := randBytes(r, n), randBytes(r, n)
			for j := range x {
				if r.IntN(8) != 0 {
					if i%4 == 3 {
						y[j] = byte(zp2)
					} else {
						x[j] = byte(zp1)
					}
				}
			}
			want := refAdd(p, x, y, signed)
			got := make([]byte, n)
			NewAdder(p, signed, b).Run(x, y, got)
			if !bytes.Equal(got, want) {
				t.Fatalf("%s signed=%v %+v:\n got %v\nwant %v", b, signed, p, got, want)
			}
		}
	}
}
