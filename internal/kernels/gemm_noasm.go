//go:build purego || !(amd64 || arm64)

package kernels

func vectorBackends() []Backend { return nil }

func (g *GEMM) prepareVector() {}

func (d *DWConv) prepareVector() {}

func (g *GEMM) runVector(a []byte, lda, m0, m1 int, out []byte, ldc int) bool { return false }

func (d *DWConv) runVector(padded, out []byte, r0, r1 int) bool { return false }

func (ad *Adder) runVector(a, b, out []byte) bool { return false }
