//go:build !purego

package kernels

import "golang.org/x/sys/cpu"

//go:generate sh _asm/gen.sh

func vectorBackends() []Backend {
	var bs []Backend
	if cpu.X86.HasAVX2 {
		bs = append(bs, AVX2)
	}
	if cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VL && cpu.X86.HasAVX512VNNI && cpu.X86.HasBMI2 {
		bs = append(bs, AVX512VNNI)
	}
	return bs
}

// gemmArgs is the parameter block of the assembly GEMM kernels; the
// generator (_asm) reads its field names and offsets.
type gemmArgs struct {
	a       [gemmMR]*byte // row starts; rows past the block repeat the last
	out     [gemmMR]*byte
	w       *int8  // packed weights, first panel
	q       *int32 // vector requant blocks, first panel
	k       int    // K, for the row sums
	k4      int    // K in groups of 4
	panels  int    // panels of 64 channels
	nLast   int    // valid channels in the last panel, 1..64
	rowCorr int32  // 128 - wz for uint8 layers, else 0
	outZP   int32
	min     int32
	max     int32
}

func (g *GEMM) prepareVector() {
	if g.backend == AVX2 {
		g.prepareAVX2()
	}
}

func (g *GEMM) runVector(a []byte, lda, m0, m1 int, out []byte, ldc int) bool {
	switch g.backend {
	case AVX2:
		return g.runAVX2(a, lda, m0, m1, out, ldc)
	case AVX512VNNI:
	default:
		return false
	}
	args := gemmArgs{
		w: &g.packed[0], q: &g.qv[0], k: g.spec.K, k4: g.k4, panels: g.panels,
		nLast: g.spec.N - (g.panels-1)*gemmNR, rowCorr: g.rowCorr,
		outZP: g.q.OutZP, min: g.q.Min, max: g.q.Max,
	}
	kern := gemmVNNIu8
	if g.spec.Signed {
		kern = gemmVNNIs8
	}
	for m := m0; m < m1; m += gemmMR {
		for r := range gemmMR {
			row := min(m+r, m1-1)
			args.a[r] = &a[row*lda]
			args.out[r] = &out[row*ldc]
		}
		kern(&args)
	}
	return true
}
