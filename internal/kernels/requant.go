package kernels

import (
	"errors"
	"fmt"
	"math"
)

// ErrSumRange marks a layer whose sums the fast kernels cannot requantize
// exactly (see checkRange); the engine runs it with the reference kernels.
var ErrSumRange = errors.New("kernels: sums too near the int32 limit for the fast kernels")

// requant holds per-output-channel requantization constants in the form the
// fast kernels use, padded with zeros to a whole number of vector blocks. It
// computes exactly MultiplyByQuantizedMultiplier, through two identities
// checked in the tests (docs/kernels.md, "Requantization"):
//
//	SaturatingRoundingDoublingHighMul(a, m) == (int64(a)*int64(m) + 1<<30) >> 31   (m > 0)
//	RoundingDivideByPOT(x, e) == (x + (1<<e)>>1 + (x>>31 & en)) >> e               (en = -1 if e > 0, else 0)
//
// so that a vector unit needs only shifts, one widening multiply and adds.
type requant struct {
	Bias   []int32 // folded bias: the layer's bias plus zero-point corrections
	Mult   []int32 // Q31 multiplier
	LShift []int32 // max(shift, 0)
	RShift []int32 // max(-shift, 0)
	Round  []int32 // (1 << RShift) >> 1
	NegEn  []int32 // -1 where RShift > 0, else 0
	OutZP  int32
	Min    int32 // clamp bounds, including the fused activation
	Max    int32
}

// newRequant builds the constants for n channels, padded to a multiple of pad.
func newRequant(bias, mult []int32, shift []int, outZP, lo, hi int32, n, pad int) *requant {
	np := (n + pad - 1) / pad * pad
	q := &requant{
		Bias: make([]int32, np), Mult: make([]int32, np), LShift: make([]int32, np),
		RShift: make([]int32, np), Round: make([]int32, np), NegEn: make([]int32, np),
		OutZP: outZP, Min: lo, Max: hi,
	}
	for c := range n {
		if bias != nil {
			q.Bias[c] = bias[c]
		}
		q.Mult[c] = mult[c]
		if s := shift[c]; s > 0 {
			q.LShift[c] = int32(s)
		} else if s < 0 {
			q.RShift[c] = int32(-s)
			// In int64: at -31 (quantizeMultiplier's least shift) 1 << 31
			// does not fit an int32.
			q.Round[c] = int32(int64(1) << -s >> 1)
			q.NegEn[c] = -1
		}
	}
	return q
}

// apply requantizes one accumulator (to which Bias has not been added) of
// channel c, with the vector kernels' formula.
func (q *requant) apply(acc int32, c int) int32 {
	return clamp(q.rescale(acc, c)+q.OutZP, q.Min, q.Max)
}

// rescale is apply up to the output zero point: MultiplyByQuantizedMultiplier
// of the biased accumulator, in wrapping int32 arithmetic.
func (q *requant) rescale(acc int32, c int) int32 {
	x := (acc + q.Bias[c]) << q.LShift[c]
	p := int32((int64(x)*int64(q.Mult[c]) + 1<<30) >> 31)
	return (p + q.Round[c] + (p >> 31 & q.NegEn[c])) >> q.RShift[c]
}

// accLimit is how far from zero a channel's biased accumulator may reach:
// below it, the kernels' closed forms never leave int32 — the left shift,
// the rounding term added before the right shift and the output zero point
// added after it — so they equal TFLite's arithmetic exactly. TFLite itself
// overflows (undefined behaviour in C++) once x << LShift leaves int32.
func (q *requant) accLimit(c int) int64 {
	return (math.MaxInt32 - int64(q.Round[c]) - 256) >> q.LShift[c]
}

// checkRange reports the first channel whose biased accumulator, bias[c] +
// Σ (x - InZP)·(w - FilterZP), can pass accLimit given the weights' sums of
// |w - FilterZP| (sumAbsW) and the widest |x - InZP| of the input type.
// Such a layer is left to the reference kernels rather than computed
// wrongly; the layers of real models stay well below (docs/kernels.md).
func (q *requant) checkRange(bias []int32, sumAbsW []int64, inZP int32, signed bool) error {
	lo, hi := int64(0), int64(255)
	if signed {
		lo, hi = -128, 127
	}
	maxX := max(int64(inZP)-lo, hi-int64(inZP))
	for c, s := range sumAbsW {
		b := maxX * s
		if bias != nil {
			b += abs64(int64(bias[c]))
		}
		if b > q.accLimit(c) {
			return fmt.Errorf("%w: output channel %d's sum can reach ±%d (bias plus %d·Σ|w|), past ±%d", ErrSumRange, c, b, maxX, q.accLimit(c))
		}
	}
	return nil
}

func abs64(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}
