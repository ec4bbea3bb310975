package kernels

import (
	"math"
)

// quantizeMultiplier turns a positive real multiplier into a Q31 fixed-point
// multiplier and a power-of-two exponent, so that real ≈ mult * 2^(shift-31).
// It mirrors TFLite's QuantizeMultiplier (kernels/internal/quantization_util.cc):
// frexp, round half away from zero, renormalise when rounding reaches 2^31, and
// flush exponents below -31 to zero.
func quantizeMultiplier(real float64) (mult int32, shift int) {
	if real == 0 {
		return 0, 0
	}
	q, exp := math.Frexp(real)
	qFixed := int64(math.Round(q * (1 << 31)))
	if qFixed == 1<<31 {
		qFixed /= 2
		exp++
	}
	if exp < -31 {
		return 0, 0
	}
	return int32(qFixed), exp
}

// saturatingRoundingDoublingHighMul is gemmlowp's fixed-point multiply: the
// high 32 bits of 2*a*b, rounded to nearest with ties rounded up (the nudge
// is 2^30, or 1-2^30 for negative products, before a truncating division),
// saturating the single overflow case a == b == MinInt32.
func saturatingRoundingDoublingHighMul(a, b int32) int32 {
	if a == b && a == math.MinInt32 {
		return math.MaxInt32
	}
	ab := int64(a) * int64(b)
	nudge := int64(1 << 30)
	if ab < 0 {
		nudge = 1 - (1 << 30)
	}
	// Go's division truncates toward zero, as C++'s does in gemmlowp.
	return int32((ab + nudge) / (1 << 31))
}

// roundingDivideByPOT divides by 2^exponent, rounding to nearest with ties
// away from zero (gemmlowp's RoundingDivideByPOT).
func roundingDivideByPOT(x int32, exponent int) int32 {
	if exponent <= 0 {
		return x
	}
	mask := int32(1)<<exponent - 1
	remainder := x & mask
	threshold := mask >> 1
	if x < 0 {
		threshold++
	}
	q := x >> exponent
	if remainder > threshold {
		q++
	}
	return q
}

// multiplyByQuantizedMultiplier scales x by mult*2^(shift-31) as TFLite's
// reference kernels do ("double rounding"): a left shift for positive shifts,
// the rounding doubling high multiply, then a rounding right shift.
func multiplyByQuantizedMultiplier(x, mult int32, shift int) int32 {
	left, right := 0, 0
	if shift > 0 {
		left = shift
	} else {
		right = -shift
	}
	return roundingDivideByPOT(saturatingRoundingDoublingHighMul(x*(1<<left), mult), right)
}

// ActivationRange returns the clamp bounds of a fused activation on an output
// quantized with scale and zeroPoint, as TFLite's
// CalculateActivationRangeQuantized: the float bounds are quantized with
// round-half-away in float32 and intersected with the type's range.
func ActivationRange[T Q8](act Activation, scale float32, zeroPoint int32) (lo, hi int32) {
	lo, hi = Range[T]()
	quantize := func(f float32) int32 {
		return zeroPoint + int32(math.Round(float64(f/scale)))
	}
	switch act {
	case ActRelu:
		lo = max(lo, quantize(0))
	case ActRelu6:
		lo, hi = max(lo, quantize(0)), min(hi, quantize(6))
	case ActReluN1To1:
		lo, hi = max(lo, quantize(-1)), min(hi, quantize(1))
	}
	return lo, hi
}

// Activation is a fused activation function that acts by clamping.
type Activation uint8

const (
	ActNone Activation = iota
	ActRelu
	ActRelu6
	ActReluN1To1
)
