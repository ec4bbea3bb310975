//go:build !purego

package kernels

import (
	"math"
	"slices"
)

// The offset form of the AVX2-family GEMM kernels' requantization (the
// int16 kernels and the quad ones; _asm's requantAVX2Offset), the AVX-512
// GEMM's (offsetBeta, vnniRequantOffset) in 8-lane blocks, for layers
// whose sums prove small enough (avx2OffsetFits). Per channel with
// multiplier M ≥ 0 and right shift r:
//
//   - the accumulators start from bias + β + 2^31 instead of bias + 2^31,
//     so the high half of their product by 2M is x + k + M, x the doubling
//     high multiply's result with its rounding nudge already in: no 64-bit
//     nudge adds;
//   - one 32-bit add of round - k - M + zp·2^r after the high halves are
//     gathered leaves x + round + zp·2^r, whose arithmetic shift right by
//     r is the output with its zero point: no VPADDSW after the pack;
//   - layers whose clamp starts at or above the zero point leave out
//     RoundingDivideByPOT's -[x < 0] (as requantAVX2Relu); the others take
//     it as -1 in the nudge where r > 0, then + [x ≥ 0], a compare of that
//     sum with round + zp·2^r - 2.
//
// Exact while a + β and x + round + zp·2^r ± 2 stay in int32 (offsetFits).
// The high halves are gathered in gemmReluLane's order, so every offset
// layer's weights and first three rows are packed in it.

// The rows of an avx2RequantOffset block that differ from avx2Requant's:
// the nudge, 32 bits a channel (round - k - M + zp·2^r, less 1 where the
// layer takes the sign term and r > 0), and the compare's threshold
// (round + zp·2^r - 2 where r > 0, else MaxInt32, which no sum exceeds).
const (
	avx2QOffNudge = avx2QNudge
	avx2QOffSign  = avx2QSignShift
)

// avx2OffsetFits reports whether every channel of q fits the offset form
// given bounds on its biased sums (gemmSumBounds): no left shift, M ≥ 0,
// and offsetFits.
func avx2OffsetFits(q *requant, bound []int64) bool {
	if anyLShift(q) != 0 || slices.ContainsFunc(q.Mult, func(m int32) bool { return m < 0 }) {
		return false
	}
	return offsetFits(q, bound)
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
			beta, _ := offsetBeta(q.Mult[c])
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
		_, k := offsetBeta(q.Mult[c])
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
	if !avx2OffsetFits(q0, gemmSumBounds(s)) {
		return requantBlocksAVX2(q0, s.N, relu), 0, reluLanes(relu)
	}
	for n0 := 0; n0 < s.N; n0 += gemmAVX2NR {
		q = avx2RequantOffset(q, q0, n0, gemmAVX2NR, !relu)
	}
	return q, 1, gemmReluLane[:]
}
