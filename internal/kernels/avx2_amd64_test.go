//go:build !purego

package kernels

import (
	"math"
	"testing"

	"github.com/classifly/classifly/internal/testkit"
)

// avx2Lane is the AVX2 epilogue (_asm's requantAVX2 after leftShifts) on
// one accumulator, in lane i of a block from avx2Requant: the accumulator
// starts from the block's bias, then the left shift, the unsigned multiply
// and nudge, the sign correction and the right shift.
func avx2Lane(block []int32, width, i int, acc int32) int32 {
	row := func(f int) []int32 { return block[f*width : (f+1)*width] }
	a := uint32(row(avx2QBias)[i] + acc)
	if row(avx2QLShift)[i] != 0 { // the kernels skip this when no lane shifts
		a = a<<row(avx2QLShift)[i] ^ uint32(row(avx2QLXor)[i])
	}
	f := avx2QNudge
	if i%2 == 1 {
		f = avx2QNudgeOdd
	}
	j := i/8*8 + i%8/2*2
	nudge := uint64(uint32(row(f)[j])) | uint64(uint32(row(f)[j+1]))<<32
	hi := int32((uint64(a)*uint64(uint32(row(avx2QMult)[i])) + nudge) >> 32)
	sign := int32(uint64(a) >> row(avx2QSignShift)[i]) // a 32-bit shift by 32 gives 0
	return (hi + sign) >> row(avx2QRShift)[i]
}

// TestAVX2RequantForm checks the AVX2 epilogue's arithmetic (see
// avx2QFields) against requant.rescale on every accumulator of a list of
// edge values and on random ones, for multipliers quantizeMultiplier gives
// and unusual ones (2^30, below it, 0, MaxInt32), every right shift and
// left shifts up to 8. Kernels reach only small accumulators; the form
// holds for all of them.
func TestAVX2RequantForm(t *testing.T) {
	r := testkit.SeededRand(t)
	const width = 16
	accs := append([]int32{}, specialInt32s...)
	for range 64 {
		accs = append(accs, randInt32(r))
	}
	for round := range 2000 {
		mult, shift := make([]int32, width), make([]int, width)
		bias := make([]int32, width)
		for c := range width {
			mult[c], shift[c] = int32(1<<30+r.IntN(1<<30)), r.IntN(40)-31
			bias[c] = randInt32(r) >> r.IntN(32)
		}
		if round%2 == 0 {
			unusualMultipliers(r, mult, shift, true)
		}
		q := newRequant(bias, mult, shift, 0, math.MinInt32, math.MaxInt32, width, width)
		block := avx2Requant(nil, q, 0, width)
		for c := range width {
			for _, acc := range accs {
				if got, want := avx2Lane(block, width, c, acc), q.rescale(acc, c); got != want {
					t.Fatalf("acc %d, bias %d, M %d, shift %d: AVX2 form gives %d, want %d", acc, bias[c], mult[c], shift[c], got, want)
				}
			}
		}
	}
}
