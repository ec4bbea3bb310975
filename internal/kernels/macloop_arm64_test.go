//go:build !purego

package kernels

import (
	"testing"

	"golang.org/x/sys/cpu"
)

// TestMACLoopNEON runs the NEON loops, SDOT where the CPU has the dot
// product extension and SMLAL in any case (as the GEMM picks, neonDot),
// and checks their counts: 16 instructions an iteration of 16 and 4 MACs;
// no float loop (float layers are portable Go here).
func TestMACLoopNEON(t *testing.T) {
	defer func(d bool) { neonDot = d }(neonDot)
	for _, dot := range []bool{true, false} {
		if dot && !cpu.ARM64.HasASIMDDP {
			t.Log("no dot product extension: SDOT loop not run")
			continue
		}
		neonDot = dot
		want := int64(1000 * 16 * 4)
		if dot {
			want *= 4
		}
		if got := MACLoop(NEON, false, 1000); got != want {
			t.Errorf("dot=%v: %d MACs in 1000 iterations, want %d", dot, got, want)
		}
		if got := MACLoop(NEON, true, 1000); got != 0 {
			t.Errorf("dot=%v: %d float MACs, want no float loop", dot, got)
		}
	}
}
