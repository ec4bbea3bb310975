//go:build !purego

package kernels

// macLoop runs n iterations of MACLoop's loop for b and returns the
// multiply-adds of one iteration, or runs nothing and returns 0: the NEON
// GEMM's instruction, SDOT with the dot product extension and SMLAL
// without, 16 an iteration. Float layers run portable Go on arm64, so
// there is no float loop.
func macLoop(b Backend, float bool, n int) int64 {
	switch {
	case b != NEON || float:
		return 0
	case neonDot:
		macLoopDot(n)
		return 16 * 16
	}
	macLoopSMLAL(n)
	return 16 * 4
}

//go:noescape
func macLoopDot(n int)

//go:noescape
func macLoopSMLAL(n int)
