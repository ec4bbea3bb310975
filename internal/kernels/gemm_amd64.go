//go:build !purego

package kernels

import (
	"math"
	"math/bits"

	"golang.org/x/sys/cpu"
)

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
	mode    int32 // the AVX-512 kernels' epilogue: gemmEpi*
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
	mode     int32   // gemmEpi*: the epilogue qv and qvS are laid out for
	// gemv: products of fewer rows than a block (a classifier's last
	// layer) go a row at a time to the one-row kernels (gemvVNNI*), which
	// do not repeat the row to fill a block.
	gemv bool
}

// The AVX-512 GEMM kernels' epilogues (gemmArgs.mode). gemmEpiPlain is
// vnniRequant's form (with a left shift where p.lshift says so); the
// others are vnniRequantOffset's, which layers take when every channel
// fits it (offsetFits): without the sign term where the clamp starts at or
// above the output zero point (Relu), without the byte clamp where it
// spans the type (the packs saturate alike).
const (
	gemmEpiPlain int32 = iota
	gemmEpiRelu
	gemmEpiReluClamp
	gemmEpiSign
	gemmEpiSignClamp
)

func (g *GEMM) prepareVNNI() {
	s := &g.spec
	v := &gemmVNNI{lshift: int32(anyLShift(g.q)), gemv: s.Rows > 0 && s.Rows < gemmMR}
	g.vec = v
	bound := gemmSumBounds(s)
	offset := v.lshift == 0 && offsetFits(g.q, bound)
	if offset {
		v.mode = offsetMode(g.q, s.Signed)
		v.qv = vnniRequantOffset(g.q, bound)
	} else {
		v.qv = vnniRequant(g.q)
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
	// The sums' bound is the true sum's, which only the split of the bias differs.
	qS := newRequant(biasS, s.Mult, s.Shift, s.OutZP, s.ActMin, s.ActMax, s.N, gemmNR)
	if offset {
		v.qvS = vnniRequantOffset(qS, bound)
	} else {
		v.qvS = vnniRequant(qS)
	}
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

// gemmSumBounds bounds each channel's biased sum |bias + Σ(x-xz)·(w-wz)|
// by its weights, as requant.checkRange does.
func gemmSumBounds(s *GEMMSpec) []int64 {
	lo, hi := int64(0), int64(255)
	if s.Signed {
		lo, hi = -128, 127
	}
	maxX := max(int64(s.InZP)-lo, hi-int64(s.InZP))
	b := make([]int64, s.N)
	for n := range s.N {
		var sum int64
		for _, w := range s.W[n*s.K : (n+1)*s.K] {
			d := int64(w) - int64(s.FilterZP)
			if s.Signed {
				d = int64(int8(w))
			}
			sum += abs64(d)
		}
		b[n] = maxX * sum
		if s.Bias != nil {
			b[n] += abs64(int64(s.Bias[n]))
		}
	}
	return b
}

// offsetMode is the epilogue of a layer that fits vnniRequantOffset.
func offsetMode(q *requant, signed bool) int32 {
	lo, hi := int32(0), int32(255)
	if signed {
		lo, hi = -128, 127
	}
	mode := gemmEpiSign
	if q.Min >= q.OutZP {
		mode = gemmEpiRelu
	}
	if q.Min > lo || q.Max < hi {
		mode++ // the Clamp form follows each
	}
	return mode
}

// The offset form of the requantization (vnniRequantOffset) for one
// channel with multiplier m > 0: the accumulator starts from bias + β +
// 2^31 instead of bias + 2^31, with β·2M ≡ 2^31 (mod 2^32). Then
// (a+β+2^31)·2M = a·2M + 2^31 + (k + M)·2^32 with k = (β·2M - 2^31)/2^32,
// so the product's high half is x + k + M, x the doubling high multiply's
// result with its rounding nudge already in: no 64-bit nudge adds, one
// 32-bit add of round - k - M (and of the zero point, as zp·2^r) after the
// high halves are gathered. Exact while a + β stays in int32 and x + round
// + zp·2^r does (offsetFits). With 2M = 2^t·u, u odd (1 ≤ t ≤ 31), β =
// 2^(31-t) will do: β·2M = 2^31·u, and u odd leaves 2^31 modulo 2^32. So
// 0 < β ≤ 2^30, and k = (u-1)/2.
func offsetBeta(m int32) (beta, k int64) {
	if m == 0 { // the product is 0: x = 0, k = M = 0
		return 0, 0
	}
	g := 2 * int64(m)
	beta = 1 << (31 - bits.TrailingZeros64(uint64(g)))
	return beta, (beta*g - 1<<31) >> 32
}

// offsetFits reports whether every channel of q fits the offset form,
// given bounds on its biased sums: no left shift (the caller checks), a+β
// in int32, and x + round - 1 + zp·2^r in int32 (|x| ≤ |a| + 1).
func offsetFits(q *requant, bound []int64) bool {
	for c, b := range bound {
		beta, _ := offsetBeta(q.Mult[c])
		if b+abs64(beta) > math.MaxInt32 {
			return false
		}
		zp := abs64(int64(q.OutZP)) << q.RShift[c]
		if b+2+int64(q.Round[c])+zp > math.MaxInt32 {
			return false
		}
	}
	return true
}

// vnniRequantOffset lays out q for the offset epilogues, in vnniRequant's
// blocks of 16 channels and field rows: the bias row holds bias + β +
// 2^31, the nudge row round - k - M + zp·2^r (32 bits, channel order),
// the sign shift row the unsigned threshold below which a' = a+β+2^31
// means a < 0 (β + 2^31 where r > 0; 0, never, where r = 0); the
// multipliers and right shifts as there.
func vnniRequantOffset(q *requant, bound []int64) []int32 {
	n := len(q.Bias)
	out := make([]int32, avx2QFields*n)
	for c := range n {
		row := func(f int) *int32 { return &out[(c/16*avx2QFields+f)*16+c%16] }
		if c >= len(bound) { // padding: requantizes 0 to 0, never stored
			continue
		}
		m := int64(q.Mult[c])
		beta, k := offsetBeta(q.Mult[c])
		r := q.RShift[c]
		*row(avx2QBias) = int32(uint32(int64(q.Bias[c]) + beta + 1<<31))
		*row(avx2QMult) = int32(uint32(2 * m))
		if c%2 == 1 { // the odd lanes' multipliers at the even positions
			out[(c/16*avx2QFields+avx2QMultOdd)*16+c%16-1] = int32(uint32(2 * m))
		}
		*row(avx2QNudge) = int32(uint32(int64(q.Round[c]) - k - m + int64(q.OutZP)<<r))
		if r > 0 {
			*row(avx2QSignShift) = int32(uint32(beta + 1<<31))
		}
		*row(avx2QRShift) = r
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
	if v.gemv && m1-m0 < gemmMR {
		args := gemmArgs{
			w: &packed[0], q: &qv[0], k: g.spec.K, k4: g.k4, panels: g.panels, nLast: g.spec.N - (g.panels-1)*gemmNR,
			rowCorr: corr, outZP: g.q.OutZP, min: g.q.Min, max: g.q.Max, lshift: v.lshift, mode: v.mode,
		}
		for m := m0; m < m1; m++ {
			args.a[0], args.out[0] = &a[m*lda], &out[m*ldc]
			switch {
			case xor:
				gemvVNNIs8xor(&args)
			case g.spec.Signed:
				gemvVNNIs8(&args)
			default:
				gemvVNNIu8(&args)
			}
		}
		return true
	}
	// Full 64-channel panels in one call per row block, then the last
	// narrower panel with a kernel that computes only its 16-lane vectors.
	full := g.spec.N / gemmNR
	rem := g.spec.N - full*gemmNR
	args := gemmArgs{
		w: &packed[0], q: &qv[0], k: g.spec.K, k4: g.k4, panels: full, nLast: gemmNR, rowCorr: corr,
		outZP: g.q.OutZP, min: g.q.Min, max: g.q.Max, lshift: v.lshift, mode: v.mode,
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
