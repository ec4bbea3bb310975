//go:build !purego

package kernels

import "golang.org/x/sys/cpu"

// gemmF32Args is the parameter block of the GEMM kernels; the generator
// (_asm) reads its field names and offsets.
type gemmF32Args struct {
	a       [7]*float32 // the first block's rows; rows past the end repeat the last
	out     [7]*float32 // their outputs, at the first panel's first channel; the kernels move them on
	res     [7]*float32 // with fuse, their residuals (else the outputs again, unread), moved on alike
	w       *float32    // first packed panel
	bias    *float32    // first panel's bias
	k       int         // values per segment
	segs    int         // segments of a row's values, at least 1
	segskip int         // bytes from a segment's end to the next one's start
	panels  int         // at least 1
	blocks  int         // blocks of rows, at least 1; the kernels count it down
	astep   int         // bytes from a block's rows to the next block's
	ostep   int         // bytes from a block's outputs to the next block's
	mask    [16]uint32  // AVX2: the last panel's store mask, all ones for a channel to store
	lo, hi  float32
	kmask   [2]uint16  // AVX-512: the last panel's store masks, a bit per channel
	fuse    int        // 1: add the residuals and clamp to lo2..hi2 (a fused ADD)
	lo2     [8]float32 // 8 copies of the ADD's clamp bounds, for AVX2 to read as vectors
	hi2     [8]float32
}

// gemmF32Impl picks the GEMM loop, its panel width and its block of rows:
// AVX-512 with panels of 32 channels (16 for layers of at most 16
// channels) and blocks of 7 rows, AVX2 with FMA with panels of 16 and
// blocks of 6.
func gemmF32Impl(b Backend, n int) (impl func(g *GemmF32, a Rows, m0, m1 int, out []float32, ldc, p0, p1 int, res Residual), nr, mr int) {
	switch {
	case b == AVX512VNNI && n <= 16:
		return gemmF32AVX512NarrowGo, 16, 7
	case b == AVX512VNNI:
		return gemmF32AVX512Go, 32, 7
	case (b == AVX2 || b == AVXVNNI) && cpu.X86.HasFMA:
		return gemmF32AVX2Go, 16, 6
	}
	return gemmF32Generic, 16, 1
}

// gemmF32AVX2Go, gemmF32AVX512Go and gemmF32AVX512NarrowGo drive the
// assembly.
func gemmF32AVX2Go(g *GemmF32, a Rows, m0, m1 int, out []float32, ldc, p0, p1 int, res Residual) {
	gemmF32Vector(g, a, m0, m1, out, ldc, p0, p1, res, f32KernelAVX2)
}

func gemmF32AVX512Go(g *GemmF32, a Rows, m0, m1 int, out []float32, ldc, p0, p1 int, res Residual) {
	gemmF32Vector(g, a, m0, m1, out, ldc, p0, p1, res, f32KernelAVX512)
}

func gemmF32AVX512NarrowGo(g *GemmF32, a Rows, m0, m1 int, out []float32, ldc, p0, p1 int, res Residual) {
	gemmF32Vector(g, a, m0, m1, out, ldc, p0, p1, res, f32KernelAVX512Narrow)
}

// f32Kernel names a GEMM kernel. The kernels are called directly, not
// through a function value, so that the parameter block stays on the
// stack.
type f32Kernel int

const (
	f32KernelAVX2 f32Kernel = iota
	f32KernelAVX512
	f32KernelAVX512Narrow
)

func (k f32Kernel) run(args *gemmF32Args) {
	switch k {
	case f32KernelAVX2:
		gemmF32AVX2(args)
	case f32KernelAVX512:
		gemmF32AVX512(args)
	default:
		gemmF32AVX512Narrow(args)
	}
}

// gemmF32Vector fills the parameter block (both masks: each kernel reads
// its own) and runs kernel on the blocks of rows over panels p0..p1, the
// last block repeating its last row.
func gemmF32Vector(g *GemmF32, a Rows, m0, m1 int, out []float32, ldc, p0, p1 int, res Residual, kernel f32Kernel) {
	if g.K == 0 || g.N == 0 {
		gemmF32Generic(g, a, m0, m1, out, ldc, p0, p1, res)
		return
	}
	nr := g.nr
	c0, n := p0*nr, min(p1*nr, g.N)
	seg := g.K / a.Segs
	// The assembly does not check bounds: check the last row once here.
	_ = a.A[(m1-1)*a.Stride+(a.Segs-1)*a.SegStride+seg-1]
	_ = out[(m1-1)*ldc+n-1]
	if res.R != nil {
		_ = res.R[(m1-1)*ldc+n-1]
	}
	args := gemmF32Args{w: &g.packed[p0*g.K*nr], bias: &g.bias[c0], k: seg, segs: a.Segs, segskip: 4 * (a.SegStride - seg),
		panels: p1 - p0, astep: 4 * g.mr * a.Stride, ostep: 4 * g.mr * ldc, lo: g.clamp.Lo, hi: g.clamp.Hi}
	last := n - (p1-1)*nr // channels of the last panel
	for c := range min(last, len(args.mask)) {
		args.mask[c] = ^uint32(0)
	}
	args.kmask[0] = uint16(1<<min(last, 16) - 1)
	args.kmask[1] = uint16(1<<max(last-16, 0) - 1)
	if res.R != nil {
		args.fuse = 1
		for i := range args.lo2 {
			args.lo2[i], args.hi2[i] = res.Clamp.Lo, res.Clamp.Hi
		}
	}
	if m1-m0 >= n-c0 {
		// More input than weights: each block of rows runs over every
		// panel, its rows staying in the L1 cache.
		gemmF32Blocks(&args, g.mr, a, m0, m1, out, ldc, res.R, c0, kernel)
		return
	}
	// More weights than input (7×7 layers, the logits): each panel runs
	// over every block of rows, the panel staying in the L1 cache, so
	// that the weights are read once.
	// Each call's one panel is its last: full ones store under full masks.
	args.panels = 1
	lastMask, lastK := args.mask, args.kmask
	for c := range args.mask {
		args.mask[c] = ^uint32(0)
	}
	args.kmask = [2]uint16{0xffff, 0xffff}
	for p := p0; p < p1; p++ {
		args.w, args.bias = &g.packed[p*g.K*nr], &g.bias[p*nr]
		if p == p1-1 {
			args.mask, args.kmask = lastMask, lastK
		}
		gemmF32Blocks(&args, g.mr, a, m0, m1, out, ldc, res.R, p*nr, kernel)
	}
}

// gemmF32Blocks runs kernel on rows m0..m1 in blocks of mr, writing
// channels from c0: the whole blocks in one call, then the rest in a
// block that repeats its last row.
func gemmF32Blocks(args *gemmF32Args, mr int, a Rows, m0, m1 int, out []float32, ldc int, res []float32, c0 int, kernel f32Kernel) {
	m := m0
	if whole := (m1 - m0) / mr; whole > 0 {
		gemmF32Block(args, mr, a, m, m1, whole, out, ldc, res, c0, kernel)
		m += whole * mr
	}
	if m < m1 {
		gemmF32Block(args, mr, a, m, m1, 1, out, ldc, res, c0, kernel)
	}
}

// gemmF32Block runs kernel on blocks blocks of rows from m (rows past m1
// repeat the last).
func gemmF32Block(args *gemmF32Args, mr int, a Rows, m, m1, blocks int, out []float32, ldc int, res []float32, c0 int, kernel f32Kernel) {
	for r := range mr {
		row := min(m+r, m1-1)
		args.a[r], args.out[r], args.res[r] = &a.A[row*a.Stride], &out[row*ldc+c0], &out[row*ldc+c0]
		if res != nil {
			args.res[r] = &res[row*ldc+c0]
		}
	}
	args.blocks = blocks
	kernel.run(args)
}
