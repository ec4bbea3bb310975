package kernels

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
			q.Round[c] = (1 << -s) >> 1
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
