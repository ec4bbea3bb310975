package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/classifly/classifly/internal/testkit"
)

func TestQuantizeMultiplierKnown(t *testing.T) {
	for _, tc := range []struct {
		real  float64
		mult  int32
		shift int
	}{
		{0, 0, 0},
		{0.5, 1 << 30, 0},
		{1.0, 1 << 30, 1},
		{0.25, 1 << 30, -1},
		{2, 1 << 30, 2},
		{0.75, 3 << 29, 0},
		{1.5, 3 << 29, 1},
		// A tie at the last bit rounds away from zero (not to even):
		// (0.5 + 2^-32) * 2^31 = 2^30 + 0.5.
		{0.5 + 0x1p-32, 1<<30 + 1, 0},
		// q*2^31 rounds up to 2^31, which does not fit: renormalised to
		// 2^30 with the exponent one higher.
		{1 - 0x1p-40, 1 << 30, 1},
		{0.5 - 0x1p-42, 1 << 30, 0},
		{0x1p-31 * (1 - 0x1p-40), 1 << 30, -30},
		// The smallest exponent kept is -31; anything smaller flushes to 0.
		{0x1p-32, 1 << 30, -31},
		{0x1p-32 * 1.5, 3 << 29, -31},
		{0x1p-33, 0, 0},
		{1e-12, 0, 0},
		{math.SmallestNonzeroFloat64, 0, 0},
	} {
		mult, shift := quantizeMultiplier(tc.real)
		if mult != tc.mult || shift != tc.shift {
			t.Errorf("QuantizeMultiplier(%g) = (%d, %d), want (%d, %d)", tc.real, mult, shift, tc.mult, tc.shift)
		}
	}
}

// TestQuantizeMultiplierRandom checks that the result is normalised and is
// real rounded to 31 significant bits.
func TestQuantizeMultiplierRandom(t *testing.T) {
	r := testkit.SeededRand(t)
	for range 100_000 {
		real := math.Ldexp(0.5+r.Float64()/2, r.IntN(60)-30)
		mult, shift := quantizeMultiplier(real)
		if mult < 1<<30 {
			t.Fatalf("QuantizeMultiplier(%g) = (%d, %d): multiplier below 2^30", real, mult, shift)
		}
		got := math.Ldexp(float64(mult), shift-31)
		if err := math.Abs(got - real); err > math.Ldexp(1, shift-32) {
			t.Fatalf("QuantizeMultiplier(%g) = (%d, %d) = %g, off by %g, more than half a unit", real, mult, shift, got, err)
		}
	}
}

// randInt32 mixes the values where fixed-point code goes wrong: uniform
// over the range, small, near the extremes, and near powers of two.
func randInt32(r *rand.Rand) int32 {
	switch r.IntN(5) {
	case 0:
		return int32(r.IntN(2001) - 1000)
	case 1:
		return math.MinInt32 + int32(r.IntN(1000))
	case 2:
		return math.MaxInt32 - int32(r.IntN(1000))
	case 3:
		v := int32(1)<<r.IntN(31) + int32(r.IntN(5)) - 2
		if r.IntN(2) == 0 {
			v = -v
		}
		return v
	}
	return int32(r.Uint32())
}

// specialInt32s are crossed with each other exhaustively.
var specialInt32s = []int32{0, 1, -1, 2, -2, 3, -3, 1 << 30, -1 << 30, 1<<30 + 1, 1<<30 - 1, -1<<30 + 1, -1<<30 - 1,
	math.MaxInt32, math.MaxInt32 - 1, math.MinInt32, math.MinInt32 + 1, 1 << 16, -1 << 16}

// srdhmIdentity is the closed form (docs/kernels.md) of
// SaturatingRoundingDoublingHighMul: (a*b + 2^30) >> 31, arithmetic shift.
func srdhmIdentity(a, b int32) int32 { return int32((int64(a)*int64(b) + 1<<30) >> 31) }

// rdbpotIdentity is the closed form (docs/kernels.md) of RoundingDivideByPOT for
// e >= 1: (x + 2^(e-1) - (x < 0)) >> e.
func rdbpotIdentity(x int32, e int) int32 {
	neg := int64(0)
	if x < 0 {
		neg = 1
	}
	return int32((int64(x) + 1<<(e-1) - neg) >> e)
}

func TestSaturatingRoundingDoublingHighMulIdentity(t *testing.T) {
	check := func(a, b int32) {
		t.Helper()
		if a == math.MinInt32 && b == math.MinInt32 {
			return
		}
		if got, want := saturatingRoundingDoublingHighMul(a, b), srdhmIdentity(a, b); got != want {
			t.Fatalf("SaturatingRoundingDoublingHighMul(%d, %d) = %d, closed form gives %d", a, b, got, want)
		}
	}
	for _, a := range specialInt32s {
		for _, b := range specialInt32s {
			check(a, b)
		}
	}
	r := testkit.SeededRand(t)
	for range 300_000 {
		a, b := randInt32(r), randInt32(r)
		check(a, b)
		check(b, a)
		// A half-way product, a*b = (2m+1) * 2^30: b = ±2^j and a an odd
		// multiple of 2^(30-j).
		j := r.IntN(31)
		a = int32(2*r.Int64N(1<<j)+1) << (30 - j)
		b = int32(1) << j
		if r.IntN(2) == 0 {
			a = -a
		}
		if r.IntN(2) == 0 {
			b = -b
		}
		check(a, b)
	}
}

// TestSaturatingRoundingDoublingHighMulSaturates checks the one product
// that does not fit: MinInt32 * MinInt32 * 2 / 2^32 = 2^31.
func TestSaturatingRoundingDoublingHighMulSaturates(t *testing.T) {
	if got := saturatingRoundingDoublingHighMul(math.MinInt32, math.MinInt32); got != math.MaxInt32 {
		t.Errorf("SaturatingRoundingDoublingHighMul(MinInt32, MinInt32) = %d, want MaxInt32", got)
	}
	// Its neighbours are exact and need no saturation.
	for _, b := range []int32{math.MinInt32 + 1, math.MaxInt32, -1 << 30} {
		if got, want := saturatingRoundingDoublingHighMul(math.MinInt32, b), srdhmIdentity(math.MinInt32, b); got != want {
			t.Errorf("SaturatingRoundingDoublingHighMul(MinInt32, %d) = %d, want %d", b, got, want)
		}
	}
}

func TestRoundingDivideByPOTIdentity(t *testing.T) {
	check := func(x int32, e int) {
		t.Helper()
		if got, want := roundingDivideByPOT(x, e), rdbpotIdentity(x, e); got != want {
			t.Fatalf("RoundingDivideByPOT(%d, %d) = %d, closed form gives %d", x, e, got, want)
		}
	}
	for _, x := range specialInt32s {
		if got := roundingDivideByPOT(x, 0); got != x {
			t.Errorf("RoundingDivideByPOT(%d, 0) = %d", x, got)
		}
		for e := 1; e <= 31; e++ {
			check(x, e)
		}
	}
	r := testkit.SeededRand(t)
	for range 300_000 {
		e := 1 + r.IntN(31)
		check(randInt32(r), e)
		// A half-way point, x = ±(2m+1) * 2^(e-1): rounds away from zero.
		x := int32((2*r.Int64N(int64(1)<<(31-e)) + 1) << (e - 1))
		if r.IntN(2) == 0 {
			x = -x
		}
		check(x, e)
	}
	// Hand-worked ties: 5/2 = 2.5 -> 3, -5/2 -> -3, -3/2 = -1.5 -> -2,
	// -1/2 -> -1, 1/2 -> 1, 3/4 -> 1, -3/4 -> -1, -2/4 -> -1, 6/4 -> 2.
	for _, tc := range []struct {
		x    int32
		e    int
		want int32
	}{{5, 1, 3}, {-5, 1, -3}, {-3, 1, -2}, {-1, 1, -1}, {1, 1, 1}, {3, 2, 1}, {-3, 2, -1}, {-2, 2, -1}, {6, 2, 2}, {-6, 2, -2}, {-1, 31, 0}} {
		if got := roundingDivideByPOT(tc.x, tc.e); got != tc.want {
			t.Errorf("RoundingDivideByPOT(%d, %d) = %d, want %d", tc.x, tc.e, got, tc.want)
		}
	}
}

// TestMultiplyByQuantizedMultiplierIdentity checks the composition
// docs/kernels.md derives for SIMD kernels: shift left by max(shift, 0), the
// closed-form high multiply, then the closed-form rounding right shift by
// max(-shift, 0), over the multipliers QuantizeMultiplier produces.
func TestMultiplyByQuantizedMultiplierIdentity(t *testing.T) {
	r := testkit.SeededRand(t)
	for range 300_000 {
		mult := int32(1<<30 + r.IntN(1<<30))
		shift := r.IntN(40) - 31 // -31 .. 8
		x := randInt32(r)
		if shift > 0 {
			x >>= shift // keep x << shift in range, as real accumulators are
		}
		want := srdhmIdentity(x<<max(shift, 0), mult)
		if shift < 0 {
			want = rdbpotIdentity(want, -shift)
		}
		if got := multiplyByQuantizedMultiplier(x, mult, shift); got != want {
			t.Fatalf("MultiplyByQuantizedMultiplier(%d, %d, %d) = %d, closed form gives %d", x, mult, shift, got, want)
		}
	}
}
