//go:build !purego && unix

package kernels

import "testing"

// TestGEMMNEONWithoutDotProd runs the GEMM tests on the baseline NEON
// kernels (SMLAL) where the CPU would otherwise use the dot product ones.
func TestGEMMNEONWithoutDotProd(t *testing.T) {
	if !neonDot {
		t.Skip("no dot product extension: the other tests ran the baseline kernels")
	}
	neonDot = false
	defer func() { neonDot = true }()
	TestGEMMAllBackends(t)
	TestKernelsStayInBounds(t)
}
