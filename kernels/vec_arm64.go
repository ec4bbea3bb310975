//go:build !purego

package kernels

// The NEON kernels. Until they exist, arm64 runs the generic code.

func vectorBackends() []Backend { return nil }

func (g *GEMM) prepareVector() {}

func (d *DWConv) prepareVector() {}

func (g *GEMM) runVector(a []byte, lda, m0, m1 int, out []byte, ldc int) bool { return false }

func (d *DWConv) runVector(padded, out []byte, r0, r1 int) bool { return false }

func (ad *Adder) runVector(a, b, out []byte) bool { return false }
