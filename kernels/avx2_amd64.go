//go:build !purego

package kernels

// The AVX2 kernels. Until they exist, AVX2 falls back to the generic code.

func (g *GEMM) prepareAVX2() {}

func (g *GEMM) runAVX2(a []byte, lda, m0, m1 int, out []byte, ldc int) bool { return false }

func (d *DWConv) runAVX2(padded, out []byte, r0, r1 int) bool { return false }

func (ad *Adder) runAVX2(a, b, out []byte) bool { return false }
