//go:build !purego

package kernels

import "golang.org/x/sys/cpu"

//go:generate sh _asm/gen.sh

// avxvnniOnAVX512 lets the avxvnni backend run on AVX-512 VNNI CPUs; only
// CI's test build avxvnnievex sets it (avxvnnievex_amd64.go).
var avxvnniOnAVX512 bool

func vectorBackends() []Backend {
	var bs []Backend
	if cpu.X86.HasAVX2 {
		bs = append(bs, AVX2)
	}
	if cpu.X86.HasAVX2 && (cpu.X86.HasAVXVNNI || avxvnniOnAVX512) {
		bs = append(bs, AVXVNNI)
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
	lshift  int32 // nonzero if some channel shifts left (AVX-512 kernels)
	blocks  int   // row blocks for the AVX-512 kernels to compute; 0 counts as 1
	aStep   int   // bytes from one row block of a to the next
	outStep int   // the same for out
}

// gemmXorMaxK is the K below which int8 layers use the xor formulation:
// its extra instruction per row and step costs less than the row sums.
const gemmXorMaxK = 160

func (g *GEMM) prepareVector() {
	switch g.backend {
	case AVX2, AVXVNNI:
		g.prepareAVX2()
	case AVX512VNNI:
		g.prepareVNNI()
	}
}

// gemmVNNI is the AVX-512 VNNI form of a GEMM: the requantization in
// 16-channel blocks (vnniRequant) for GEMM.packed and, for int8 layers too
// deep for the xor formulation, a second packing. There the kernels
// broadcast activations as the signed operand and take unsigned weights
// w+128:
//
//	Σ(x-xz)·w = Σ x·(w+128) - 128·Σ(x+128) + 128·128·K - xz·Σw
type gemmVNNI struct {
	qv       []int32
	packedS  []int8  // w+128 as bytes, laid out as GEMM.packed
	qvS      []int32 // vector requant with that bias
	rowCorrS int32   // -128
	lshift   int32   // 1 if some channel's requantization shifts left
}

func (g *GEMM) prepareVNNI() {
	s := &g.spec
	v := &gemmVNNI{qv: vnniRequant(g.q)}
	g.vec = v
	for _, l := range g.q.LShift {
		if l != 0 {
			v.lshift = 1
		}
	}
	if !s.Signed || s.K < gemmXorMaxK {
		return
	}
	biasS := make([]int32, s.N)
	for n := range s.N {
		var sumW int32
		for _, w := range s.W[n*s.K : (n+1)*s.K] {
			sumW += int32(int8(w))
		}
		if s.Bias != nil {
			biasS[n] = s.Bias[n]
		}
		biasS[n] += 128*128*int32(s.K) - s.InZP*sumW
	}
	v.qvS = vnniRequant(newRequant(biasS, s.Mult, s.Shift, s.OutZP, s.ActMin, s.ActMax, s.N, gemmNR))
	v.rowCorrS = -128
	v.packedS = make([]int8, g.panels*g.k4*gemmNR*4)
	for n := range s.N {
		p, c := n/gemmNR, n%gemmNR
		for k := range s.K {
			v.packedS[((p*g.k4+k/4)*gemmNR+c)*4+k%4] = int8(uint8(int32(int8(s.W[n*s.K+k])) + 128))
		}
	}
}

// vnniRequant lays out q (padded to whole panels) for the AVX-512 GEMM
// kernels: the AVX2 kernels' form (avx2Requant), whose epilogue takes nine
// instructions per vector where vecRequant's takes twelve, in blocks of 16
// channels.
func vnniRequant(q *requant) []int32 {
	out := make([]int32, 0, avx2QFields*len(q.Bias))
	for c0 := 0; c0 < len(q.Bias); c0 += 16 {
		out = avx2Requant(out, q, c0, 16)
	}
	return out
}

func (g *GEMM) runVector(a []byte, lda, m0, m1 int, out []byte, ldc int) bool {
	switch g.backend {
	case AVX2, AVXVNNI:
		return g.runAVX2(a, lda, m0, m1, out, ldc)
	case AVX512VNNI:
	default:
		return false
	}
	// int8 layers with a small K skip the row sums (see gemmVNNI's xor).
	xor := g.spec.Signed && g.spec.K < gemmXorMaxK
	v := g.vec.(*gemmVNNI)
	packed, qv, corr := g.packed, v.qv, g.rowCorr
	if g.spec.Signed && !xor {
		packed, qv, corr = v.packedS, v.qvS, v.rowCorrS
	}
	// Full 64-channel panels in one call per row block, then the last
	// narrower panel with a kernel that computes only its 16-lane vectors.
	full := g.spec.N / gemmNR
	rem := g.spec.N - full*gemmNR
	args := gemmArgs{
		w: &packed[0], q: &qv[0], k: g.spec.K, k4: g.k4, panels: full, nLast: gemmNR, rowCorr: corr,
		outZP: g.q.OutZP, min: g.q.Min, max: g.q.Max, lshift: v.lshift,
	}
	tail := args
	if rem > 0 {
		tail.w, tail.q = &packed[full*g.k4*gemmNR*4], &qv[full*gemmNR*avx2QFields]
		tail.panels, tail.nLast = 1, rem
	}
	nv := (rem + 15) / 16
	for m := m0; m < m1; {
		// Whole blocks go to the kernels gemmVNNIChunk blocks at a time,
		// the full panels then the last one over the same rows while they
		// are in cache; a last partial block repeats its last row.
		blocks := min((m1-m)/gemmMR, gemmVNNIChunk)
		n := blocks * gemmMR
		if blocks == 0 {
			blocks, n = 1, m1-m
		}
		for r := range gemmMR {
			row := min(m+r, m1-1)
			args.a[r] = &a[row*lda]
			args.out[r] = &out[row*ldc]
			tail.a[r] = args.a[r]
			if rem > 0 {
				tail.out[r] = &out[row*ldc+full*gemmNR]
			}
		}
		args.blocks, args.aStep, args.outStep = blocks, gemmMR*lda, gemmMR*ldc
		tail.blocks, tail.aStep, tail.outStep = blocks, gemmMR*lda, gemmMR*ldc
		if full > 0 {
			callVNNI(&args, xor, g.spec.Signed, 4)
		}
		if rem > 0 {
			callVNNI(&tail, xor, g.spec.Signed, nv)
		}
		m += n
	}
	return true
}

// gemmVNNIChunk is the number of row blocks per kernel call.
const gemmVNNIChunk = 16

// callVNNI runs the AVX-512 VNNI kernel for nv vectors of 16 channels.
// Direct calls: through a func value, args would escape to the heap.
func callVNNI(args *gemmArgs, xor, signed bool, nv int) {
	switch {
	case xor && nv == 1:
		gemmVNNIs8xorx1(args)
	case xor && nv == 2:
		gemmVNNIs8xorx2(args)
	case xor && nv == 3:
		gemmVNNIs8xorx3(args)
	case xor:
		gemmVNNIs8xorx4(args)
	case signed && nv == 1:
		gemmVNNIs8x1(args)
	case signed && nv == 2:
		gemmVNNIs8x2(args)
	case signed && nv == 3:
		gemmVNNIs8x3(args)
	case signed:
		gemmVNNIs8x4(args)
	case nv == 1:
		gemmVNNIu8x1(args)
	case nv == 2:
		gemmVNNIu8x2(args)
	case nv == 3:
		gemmVNNIu8x3(args)
	default:
		gemmVNNIu8x4(args)
	}
}
