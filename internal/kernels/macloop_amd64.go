//go:build !purego

package kernels

// macLoop runs n iterations of MACLoop's loop for b (the assembly's
// macLoop*, 12 instructions an iteration) and returns the multiply-adds of
// one iteration, or runs nothing and returns 0 where b has none. Direct
// calls, not func values: those would be wrappers around the assembly,
// which TestVEXBytesDecode would find in place of the kernels.
func macLoop(b Backend, float bool, n int) int64 {
	switch {
	case b == AVX2 && !float:
		macLoopAVX2(n)
		return 12 * 16
	case b == AVXVNNI && !float:
		macLoopAVXVNNI(n)
		return 12 * 32
	case (b == AVX2 || b == AVXVNNI) && float:
		macLoopFMA256(n)
		return 12 * 8
	case b == AVX512VNNI && !float:
		macLoopVNNI512(n)
		return 12 * 64
	case b == AVX512VNNI && float:
		macLoopFMA512(n)
		return 12 * 16
	}
	return 0
}
