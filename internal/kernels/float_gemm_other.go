//go:build !amd64 || purego

package kernels

// gemmF32Impl picks the GEMM loop, its panel width and its block of rows:
// the portable one on this target.
func gemmF32Impl(Backend, int) (impl func(g *GemmF32, a Rows, m0, m1 int, out []float32, ldc, p0, p1 int, res Residual), nr, mr int) {
	return gemmF32Generic, 16, 1
}
