package kernels

import "math"

// AddParams is TFLite's quantized ADD recipe (kernels/add.cc Prepare and
// reference/add.h): both inputs are offset by their zero points, shifted left
// by 20 bits for headroom, each rescaled to a common scale (twice the larger
// input scale), summed, and the sum rescaled to the output scale.
type AddParams struct {
	In1ZP, In2ZP, OutZP int32
	LeftShift           int
	In1Mult, In2Mult    int32
	In1Shift, In2Shift  int
	OutMult             int32
	OutShift            int
	ActMin, ActMax      int32
}

// NewAddParams computes the multipliers for inputs with scales s1, s2 and an
// output with scale so, in double precision as TFLite does.
func NewAddParams(s1 float32, z1 int32, s2 float32, z2 int32, so float32, zo int32, actMin, actMax int32) *AddParams {
	const leftShift = 20
	twiceMax := float64(2 * max(s1, s2))
	p := &AddParams{In1ZP: z1, In2ZP: z2, OutZP: zo, LeftShift: leftShift, ActMin: actMin, ActMax: actMax}
	p.In1Mult, p.In1Shift = quantizeMultiplier(float64(s1) / twiceMax)
	p.In2Mult, p.In2Shift = quantizeMultiplier(float64(s2) / twiceMax)
	p.OutMult, p.OutShift = quantizeMultiplier(twiceMax / float64(float32(1<<leftShift)*so))
	return p
}

// add1 adds one pair of quantized values.
func (p *AddParams) add1(a, b int32) int32 {
	x := (a - p.In1ZP) * (1 << p.LeftShift)
	y := (b - p.In2ZP) * (1 << p.LeftShift)
	x = multiplyByQuantizedMultiplier(x, p.In1Mult, p.In1Shift)
	y = multiplyByQuantizedMultiplier(y, p.In2Mult, p.In2Shift)
	sum := multiplyByQuantizedMultiplier(x+y, p.OutMult, p.OutShift) + p.OutZP
	return clamp(sum, p.ActMin, p.ActMax)
}

// Add adds two tensors of the same shape element by element.
func Add[T Q8](p *AddParams, a, b, out []T) {
	for i := range out {
		out[i] = T(p.add1(int32(a[i]), int32(b[i])))
	}
}

// AddBroadcast adds two tensors whose 4-D shapes broadcast to outShape
// (reference BroadcastAdd4DSlow): a dimension of size 1 repeats.
func AddBroadcast[T Q8](p *AddParams, aShape, bShape, outShape [4]int, a, b, out []T) {
	as, bs := broadcastStrides(aShape), broadcastStrides(bShape)
	i := 0
	for n := 0; n < outShape[0]; n++ {
		for h := 0; h < outShape[1]; h++ {
			for w := 0; w < outShape[2]; w++ {
				for c := 0; c < outShape[3]; c++ {
					ai := n*as[0] + h*as[1] + w*as[2] + c*as[3]
					bi := n*bs[0] + h*bs[1] + w*bs[2] + c*bs[3]
					out[i] = T(p.add1(int32(a[ai]), int32(b[bi])))
					i++
				}
			}
		}
	}
}

// broadcastStrides gives row-major strides with 0 for broadcast dimensions.
func broadcastStrides(s [4]int) [4]int {
	var st [4]int
	stride := 1
	for d := 3; d >= 0; d-- {
		if s[d] != 1 {
			st[d] = stride
		}
		stride *= s[d]
	}
	return st
}

// addSplit is one input's rescale of an ADD in the form of the vector
// kernels, with 32-bit products only: MultiplyByQuantizedMultiplier((a -
// zp) << 20, M, shift) for shift ≤ 0 and |a - zp| ≤ 255. With v = a - zp,
// x = v·2^20 and e = -shift:
//
//	SaturatingRoundingDoublingHighMul(x, M) = (v·2^20·M + 2^30) >> 31
//	                                        = (v·M + 2^10) >> 11          (2^20 divides both terms)
//	                                        = v·Mh + ((v·Ml + 2^10) >> 11)  (M = Mh·2^11 + Ml, 0 ≤ Ml < 2^11)
//
// (floor shifts throughout), where |v·Mh| < 255·2^20 < 2^28 and |v·Ml| < 2^19
// fit int32. The result p then takes RoundingDivideByPOT(p, e) = (p +
// round - [p < 0]) >> e, with [v < 0] in place of [p < 0]: p < 0 implies
// v < 0, and where v < 0 but p = 0 both give 0 for e ≥ 1, (round - 1) >> e
// = round >> e = 0. |p| < 2^28 and round ≤ 2^30, so the sum stays in
// int32. The zero point goes into the constants, v·Ml + 2^10 = a·Ml +
// (2^10 - zp·Ml) and v·Mh + round = a·Mh + (round - zp·Mh), wrapping
// partial sums being harmless as the totals lie in int32; [v < 0] is the
// comparison zp > a, never true where e = 0 (SignZP is then MinInt32).
// TestAddSplit compares it with multiplyByQuantizedMultiplier.
type addSplit struct {
	ZP     int32 // the input's zero point
	SignZP int32 // ZP, or MinInt32 where e = 0: [a < SignZP] is the correction
	Hi, Lo int32 // Mh, Ml
	Half   int32 // 2^10 - ZP·Ml
	Round  int32 // (1 << e) >> 1 - ZP·Mh
	RShift int32 // e
}

// newAddSplit gives the split form of an input's rescale, or false where it
// does not apply: a left shift (multipliers above 1/2; NewAddParams's are
// at most 1/2), a negative multiplier or a shift past -31. A multiplier of
// 0 (quantizeMultiplier's flush below 2^-32) gives 0, as TFLite's does.
func newAddSplit(zp, mult int32, shift int) (addSplit, bool) {
	if mult < 0 || shift > 0 || shift < -31 {
		return addSplit{}, false
	}
	e := int32(-shift)
	hi, lo := mult>>11, mult&(1<<11-1)
	s := addSplit{ZP: zp, SignZP: zp, Hi: hi, Lo: lo, Half: 1<<10 - zp*lo, Round: int32(int64(1)<<e>>1) - zp*hi, RShift: e}
	if e == 0 {
		s.SignZP = math.MinInt32
	}
	return s, true
}

// apply rescales one input value a, for |a - ZP| ≤ 255, as the kernels do.
func (s addSplit) apply(a int32) int32 {
	p := a*s.Hi + s.Round + (a*s.Lo+s.Half)>>11
	if a < s.SignZP {
		p--
	}
	return p >> s.RShift
}

// addHalf is the rescale NewAddParams gives the input of the larger scale:
// the multiplier 1/2, (2^30, 0), for which the split form is v·2^19 exactly.
const addHalf = 1 << 30

// addSplitParams reports whether p's inputs take the split form: the
// left shift is TFLite's 20, the zero points lie in the type's range (so
// |a - zp| ≤ 255), one input's multiplier is exactly 1/2 and the other's
// shift is not positive. NewAddParams always gives that: each input's
// multiplier is its scale over twice the larger, so the larger's is 1/2
// (exact in float64) and the other's at most 1/2. swap is true when the
// input of multiplier 1/2 is the second; small is the other's form.
func addSplitParams(p *AddParams, signed bool) (small addSplit, swap, ok bool) {
	lo, hi := int32(0), int32(255)
	if signed {
		lo, hi = -128, 127
	}
	if p.LeftShift != 20 || p.In1ZP < lo || p.In1ZP > hi || p.In2ZP < lo || p.In2ZP > hi {
		return addSplit{}, false, false
	}
	switch {
	case p.In1Mult == addHalf && p.In1Shift == 0:
		small, ok = newAddSplit(p.In2ZP, p.In2Mult, p.In2Shift)
	case p.In2Mult == addHalf && p.In2Shift == 0:
		small, ok = newAddSplit(p.In1ZP, p.In1Mult, p.In1Shift)
		swap = true
	}
	return small, swap, ok
}
