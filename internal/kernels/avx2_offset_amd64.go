//go:build !purego

package kernels

import (
	"math"
	"math/bits"
)

// The offset form of the AVX2-family GEMM kernels' requantization (the
// int16 kernels and the quad ones; _asm's requantAVX2Offset), for layers
// whose sums prove small enough (avx2OffsetFits). Per channel with
// multiplier M ≥ 0 and right shift r:
//
//   - the accumulators start from bias + β + 2^31 instead of bias + 2^31,
//     with β·2M ≡ 2^31 (mod 2^32). Then (a + β + 2^31)·2M = a·2M + 2^31 +
//     (k + M)·2^32, k = (β·2M - 2^31)/2^32, so the product's high half is
//     x + k + M, x the doubling high multiply's result with its rounding
//     nudge already in: no 64-bit nudge adds;
//   - one 32-bit add of round - k - M + zp·2^r after the high halves are
//     gathered leaves x + round + zp·2^r, whose arithmetic shift right by
//     r is the output with its zero point: no VPADDSW after the pack;
//   - layers whose clamp starts at or above the zero point leave out
//     RoundingDivideByPOT's -[x < 0] (as requantAVX2Relu); the others take
//     it as -1 in the nudge where r > 0, then + [x ≥ 0], a compare of that
//     sum with round + zp·2^r - 2.
//
// Exact while a + β and x + round + zp·2^r ± 2 stay in int32. The high
// halves are gathered in gemmReluLane's order, so every offset layer's
// weights and first three rows are packed in it.
//
// β = 2^(30 - tz(M)) (tz: trailing zeros): with 2M = 2^t·u, u odd, β·2M =
// 2^31·u ≡ 2^31. |β| ≤ 2^30; 2^30 for odd M.

// The rows of an avx2RequantOffset block that differ from avx2Requant's:
// the nudge, 32 bits a channel (round - k - M + zp·2^r, less 1 where the
// layer takes the sign term and r > 0), and the compare's threshold
// (round + zp·2^r - 2 where r > 0, else MaxInt32: never below).
const (
	avx2QOffNudge = avx2QNudge
	avx2QOffSign  = avx2QSignShift
)

// avx2OffsetBeta gives one channel's β and k for multiplier m ≥ 0.
func avx2OffsetBeta(m int32) (beta, k int64) {
	if m == 0 { // the product is 0: x = 0, k = M = 0
		return 0, 0
	}
	beta = 1 << (30 - bits.TrailingZeros32(uint32(m)))
	return beta, (beta*2*int64(m) - 1<<31) >> 32
}

// avx2SumBounds bounds each channel's biased sum |bias + Σ(x-xz)·(w-wz)|
// by its weights (as requant.checkRange does): the accumulator a of every
// form of the kernels, modulo 2^32.
func avx2SumBounds(s *GEMMSpec) []int64 {
	lo, hi := int64(0), int64(255)
	if s.Signed {
		lo, hi = -128, 127
	}
	maxX := max(int64(s.InZP)-lo, hi-int64(s.InZP))
	b := make([]int64, s.N)
	for n := range s.N {
		var sum int64
		for _, w := range s.W[n*s.K : (n+1)*s.K] {
			d := int64(w) - int64(s.FilterZP)
			if s.Signed {
				d = int64(int8(w))
			}
			sum += abs64(d)
		}
		b[n] = maxX * sum
		if s.Bias != nil {
			b[n] += abs64(int64(s.Bias[n]))
		}
	}
	return b
}

// avx2OffsetFits reports whether every channel of q fits the offset form
// given bounds on its biased sums: no left shift, M ≥ 0, a + β in int32,
// and x + round + zp·2^r within 2 of int32's ends (|x| ≤ |a| + 1).
func avx2OffsetFits(q *requant, bound []int64) bool {
	if anyLShift(q) != 0 {
		return false
	}
	for c, b := range bound {
		if q.Mult[c] < 0 {
			return false
		}
		beta, _ := avx2OffsetBeta(q.Mult[c])
		if b+beta > math.MaxInt32 {
			return false
		}
		zp := abs64(int64(q.OutZP)) << q.RShift[c]
		if b+3+int64(q.Round[c])+zp > math.MaxInt32 {
			return false
		}
	}
	return true
}

// avx2RequantOffset lays out q's channels [c0, c0+width) (width a multiple
// of 8) for the offset form, as one block of avx2Requant's size appended
// to dst: the bias (plus β + 2^31) and the multiplier rows in
// gemmReluLane's order, the nudge, threshold and right shift rows in
// channel order; the left shift rows and the odd nudges unused. sign: the
// layer takes the sign term. Channels past the end of q are zero.
func avx2RequantOffset(dst []int32, q *requant, c0, width int, sign bool) []int32 {
	block := make([]int32, avx2QFields*width)
	row := func(f int) []int32 { return block[f*width : (f+1)*width] }
	for i := range width {
		if c := c0 + i/8*8 + gemmReluLane[i%8]; c < len(q.Bias) {
			beta, _ := avx2OffsetBeta(q.Mult[c])
			row(avx2QBias)[i] = int32(uint32(int64(q.Bias[c]) + beta + 1<<31))
			m2 := int32(uint32(2 * int64(q.Mult[c])))
			row(avx2QMult)[i] = m2
			if i%2 == 1 {
				row(avx2QMultOdd)[i-1] = m2
			}
		}
		c := c0 + i
		if c >= len(q.Bias) {
			continue
		}
		_, k := avx2OffsetBeta(q.Mult[c])
		r := q.RShift[c]
		zp := int64(q.OutZP) << r
		nudge := int64(q.Round[c]) - k - int64(q.Mult[c]) + zp
		row(avx2QOffSign)[i] = math.MaxInt32
		if sign && r > 0 {
			nudge--
			row(avx2QOffSign)[i] = int32(int64(q.Round[c]) + zp - 2)
		}
		row(avx2QOffNudge)[i] = int32(uint32(nudge))
		row(avx2QRShift)[i] = r
	}
	return append(dst, block...)
}

// avx2OffsetForm decides a GEMM layer's epilogue: offset when every
// channel of q0 fits the offset form; q is one block per panel of
// gemmAVX2NR channels for it (avx2RequantOffset) or for the plain form
// (avx2RequantLanes); lanes is the weights' lane order.
func avx2OffsetForm(s *GEMMSpec, q0 *requant, relu bool) (q []int32, offset int, lanes []int) {
	if !avx2OffsetFits(q0, avx2SumBounds(s)) {
		return requantBlocksAVX2(q0, s.N, relu), 0, reluLanes(relu)
	}
	for n0 := 0; n0 < s.N; n0 += gemmAVX2NR {
		q = avx2RequantOffset(q, q0, n0, gemmAVX2NR, !relu)
	}
	return q, 1, gemmReluLane[:]
}
