//go:build !purego

package kernels

import "golang.org/x/sys/cpu"

// gemmF32Args is the parameter block of gemmF32AVX2; the generator (_asm)
// reads its field names and offsets.
type gemmF32Args struct {
	a       [6]*float32 // the block's rows; rows past the end repeat the last
	out     [6]*float32
	w       *float32   // first packed panel
	bias    *float32   // first panel's bias
	k       int        // values per segment
	segs    int        // segments of a row's values, at least 1
	segskip int        // bytes from a segment's end to the next one's start
	panels  int        // at least 1
	mask    [16]uint32 // AVX2: the last panel's store mask, all ones for a channel to store
	lo, hi  float32
	kmask   [2]uint16 // AVX-512: the last panel's store masks, a bit per channel
}

// gemmF32Impl picks the GEMM loop and its panel width: AVX-512 with
// panels of 32 channels, AVX2 with FMA with panels of 16.
func gemmF32Impl(b Backend) (func(g *GemmF32, a Rows, m0, m1 int, out []float32, ldc, p0, p1 int), int) {
	switch {
	case b == AVX512VNNI:
		return gemmF32AVX512Go, 32
	case (b == AVX2 || b == AVXVNNI) && cpu.X86.HasFMA:
		return gemmF32AVX2Go, 16
	}
	return gemmF32Generic, 16
}

// gemmF32AVX2Go and gemmF32AVX512Go drive the assembly.
func gemmF32AVX2Go(g *GemmF32, a Rows, m0, m1 int, out []float32, ldc, p0, p1 int) {
	gemmF32Vector(g, a, m0, m1, out, ldc, p0, p1, false)
}

func gemmF32AVX512Go(g *GemmF32, a Rows, m0, m1 int, out []float32, ldc, p0, p1 int) {
	gemmF32Vector(g, a, m0, m1, out, ldc, p0, p1, true)
}

// gemmF32Vector fills the parameter block (both masks: each kernel reads
// its own) and runs the AVX2 or (z) the AVX-512 kernel on each block of
// rows over panels p0..p1, the last block repeating its last row. The
// kernels are called directly, not through a function value, so that the
// block stays on the stack.
func gemmF32Vector(g *GemmF32, a Rows, m0, m1 int, out []float32, ldc, p0, p1 int, z bool) {
	if g.K == 0 || g.N == 0 {
		gemmF32Generic(g, a, m0, m1, out, ldc, p0, p1)
		return
	}
	nr := g.nr
	c0, n := p0*nr, min(p1*nr, g.N)
	seg := g.K / a.Segs
	// The assembly does not check bounds: check the last row once here.
	_ = a.A[(m1-1)*a.Stride+(a.Segs-1)*a.SegStride+seg-1]
	_ = out[(m1-1)*ldc+n-1]
	args := gemmF32Args{w: &g.packed[p0*g.K*nr], bias: &g.bias[c0], k: seg, segs: a.Segs, segskip: 4 * (a.SegStride - seg),
		panels: p1 - p0, lo: g.clamp.Lo, hi: g.clamp.Hi}
	last := n - (p1-1)*nr // channels of the last panel
	for c := range min(last, len(args.mask)) {
		args.mask[c] = ^uint32(0)
	}
	args.kmask[0] = uint16(1<<min(last, 16) - 1)
	args.kmask[1] = uint16(1<<max(last-16, 0) - 1)
	if m1-m0 >= n-c0 {
		// More input than weights: each block of rows runs over every
		// panel, its rows staying in the L1 cache.
		for m := m0; m < m1; m += len(args.a) {
			gemmF32Block(&args, a.A, a.Stride, m, m1, out, ldc, c0, z)
		}
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
		for m := m0; m < m1; m += len(args.a) {
			gemmF32Block(&args, a.A, a.Stride, m, m1, out, ldc, p*nr, z)
		}
	}
}

// gemmF32Block runs the kernel on the block of rows from m (rows past m1
// repeat the last), writing channels from c0.
func gemmF32Block(args *gemmF32Args, a []float32, lda, m, m1 int, out []float32, ldc, c0 int, z bool) {
	for r := range args.a {
		row := min(m+r, m1-1)
		args.a[r], args.out[r] = &a[row*lda], &out[row*ldc+c0]
	}
	if z {
		gemmF32AVX512(args)
	} else {
		gemmF32AVX2(args)
	}
}
