//go:build !purego

package kernels

import "golang.org/x/sys/cpu"

// dwF32Args is the parameter block of dwF32AVX2, dwF32AVX2Masked and
// dwF32AVX512: a rectangle of output pixels of one block of channels (see
// the generator, _asm/f32.go). The generator reads its field names. Steps
// are in bytes.
type dwF32Args struct {
	in0         *float32 // the first row's first interior pixel's tap (first present row, column 0), at the block's first channel
	in1, in2    *float32 // the same in the second and third present tap rows (in2 unused with two)
	out         *float32 // the first row's first output pixel (the left border one with left)
	w           *float32 // tap (0,0) of the block's weights
	bias        *float32
	n           int // interior pixels per row, at least 1
	rows        int // output rows, at least 1
	left, right int // 1: each row has a border pixel before (after) its interior pixels
	taps        int // tap rows present: 0 all, 1 rows 1 and 2 (top border), 2 rows 0 and 1 (bottom border)
	wstep       int // between taps' weights: OutC·4
	pixstep     int // between pixels' first taps: StrideW·InC·4
	colstep     int // between tap columns: DilationW·InC·4
	outstep     int // between output pixels: OutC·4
	inrow       int // between output rows' first taps: StrideH·InW·InC·4
	outrow      int // between output rows: OutW·OutC·4
	mask        [8]uint32
	lo, hi      float32
}

// dwF32Vector reports whether the vector kernels serve a layer: 3×3 taps,
// one output channel per input channel, on a vector backend with FMA.
func dwF32Vector(p *ConvParams, b Backend) bool {
	return (b == AVX2 || b == AVXVNNI || b == AVX512VNNI) && cpu.X86.HasFMA && p.KH == 3 && p.KW == 3 && p.DepthMultiplier == 1
}

// dwF32WindowC is the most channels whose border pixels, other than the
// ones the kernels skip taps of, take the vector kernels through a
// gathered window (9 taps of them).
const dwF32WindowC = 256

// dwF32Window is a border pixel's window, on the stack of runVector.
type dwF32Window [9 * dwF32WindowC]float32

// dwF32BandBytes bounds the input rows one band of output rows reads, so
// that they stay in the L2 cache while every block of channels passes
// over them.
const dwF32BandBytes = 384 << 10

// dwF32Cols is the layer's column geometry, the same on every row: the
// interior pixels lo..lo+n-1 (taps all inside the input), and whether the
// pixel before them lacks only its tap column 0 (left) and the one after
// only its column 2 (right), which the kernels compute by skipping those
// taps. The other pixels are border pixels for runBorder.
type dwF32Cols struct{ lo, n, left, right int }

func dwF32Geometry(p *ConvParams) dwF32Cols {
	// Interior columns: ox·StrideW - PadW ≥ 0 and + 2·DilationW < InW.
	lo := (p.PadW + p.StrideW - 1) / p.StrideW
	hi := -1 // last interior column
	if last := p.InW - 1 - 2*p.DilationW + p.PadW; last >= 0 {
		hi = min(last/p.StrideW, p.OutW-1)
	}
	if lo > hi {
		return dwF32Cols{}
	}
	c := dwF32Cols{lo: lo, n: hi - lo + 1}
	if lo > 0 && dwF32Taps(lo-1, p.StrideW, p.PadW, p.DilationW, p.InW) == 0b110 {
		c.left = 1
	}
	if hi+1 < p.OutW && dwF32Taps(hi+1, p.StrideW, p.PadW, p.DilationW, p.InW) == 0b011 {
		c.right = 1
	}
	return c
}

// dwF32Taps returns which of output position o's three taps (bit k for
// tap k) lie inside an input of size n.
func dwF32Taps(o, stride, pad, dilation, n int) int {
	m := 0
	for k := range 3 {
		if x := o*stride - pad + k*dilation; x >= 0 && x < n {
			m |= 1 << k
		}
	}
	return m
}

// rowTaps returns the kernels' taps value for output row oy (see
// dwF32Args), or -1 when its tap rows are not one of those sets.
func (d *DWConvF32) rowTaps(oy int) int {
	p := &d.p
	switch dwF32Taps(oy, p.StrideH, p.PadH, p.DilationH, p.InH) {
	case 0b111:
		return 0
	case 0b110:
		return 1
	case 0b011:
		return 2
	}
	return -1
}

// runVector computes output rows r0..r1 (of batch × OutH): runs of rows
// with the same tap rows, in bands that fit the L2 cache, on the assembly,
// 16 channels at a time on AVX-512 and 8 (the rest) on AVX2; the border
// pixels the assembly does not take from a 3×3 window gathered with zeros
// when the layer has at most dwF32WindowC channels (the zeros add ±0),
// else with the generic loop.
func (d *DWConvF32) runVector(in, out []float32, r0, r1 int) {
	var win dwF32Window
	p, g := &d.p, &d.cols
	band := max(1, (dwF32BandBytes/(4*p.InW*p.InC)-2)/p.StrideH)
	for r := r0; r < r1; {
		oy := r % p.OutH
		taps := d.rowTaps(oy)
		e := r + 1
		for e < r1 && e%p.OutH != 0 && e-r < band && d.rowTaps(e%p.OutH) == taps {
			e++
		}
		if taps < 0 || g.n == 0 {
			for ; r < e; r++ {
				d.runBorder(in, out, r, 0, p.OutW, &win)
			}
			continue
		}
		for rr := r; rr < e; rr++ {
			d.runBorder(in, out, rr, 0, g.lo-g.left, &win)
			d.runBorder(in, out, rr, g.lo+g.n+g.right, p.OutW, &win)
		}
		d.rect(in, out, r/p.OutH, oy, e-r, taps)
		r = e
	}
}

// rect runs the assembly over rows output rows from oy of batch item b,
// which all have the given tap rows.
func (d *DWConvF32) rect(in, out []float32, b, oy, rows, taps int) {
	p, g := &d.p, &d.cols
	c := p.InC
	ky0, ky1 := 0, 2 // first and last tap rows present
	if taps == 1 {
		ky0 = 1
	} else if taps == 2 {
		ky1 = 1
	}
	// The assembly does not check bounds: check the last tap it reads and
	// the last output it writes.
	yl := (oy+rows-1)*p.StrideH - p.PadH + ky1*p.DilationH
	xl := (g.lo+g.n-1)*p.StrideW - p.PadW + 2*p.DilationW
	if g.right == 1 {
		xl = (g.lo+g.n)*p.StrideW - p.PadW + p.DilationW
	}
	_ = in[((b*p.InH+yl)*p.InW+xl)*c+c-1]
	_ = out[((b*p.OutH+oy+rows-1)*p.OutW+g.lo+g.n-1+g.right)*c+c-1]
	y := oy*p.StrideH - p.PadH + ky0*p.DilationH
	args := dwF32Args{n: g.n, rows: rows, left: g.left, right: g.right, taps: taps,
		pixstep: 4 * p.StrideW * c, colstep: 4 * p.DilationW * c,
		inrow: 4 * p.StrideH * p.InW * c, outrow: 4 * p.OutW * c}
	x, tapRow := g.lo*p.StrideW-p.PadW, p.DilationH*p.InW*c
	first := in[((b*p.InH+y)*p.InW+x)*c:]
	d.blocks(args, first, first[tapRow:], first[min(2, ky1-ky0)*tapRow:], out[((b*p.OutH+oy)*p.OutW+g.lo-g.left)*c:])
}

// Streams reports whether RunRow serves the layer: vector kernels that
// take every pixel of every row, stride at most 2 and no dilation down the
// rows, so that an output row's tap rows are the last three of its input
// rows computed in order.
func (d *DWConvF32) Streams() bool {
	p, g := &d.p, &d.cols
	if !d.vector || g.n == 0 || g.lo-g.left != 0 || g.lo+g.n+g.right != p.OutW || p.DilationH != 1 || p.StrideH > 2 {
		return false
	}
	for oy := range p.OutH {
		if d.rowTaps(oy) < 0 {
			return false
		}
	}
	return true
}

// RunRow computes output row r (of batch × OutH) from its tap rows: rows[k]
// holds input row oy·StrideH - PadH + k (InW·InC values), or is nil where
// that row lies outside the input. Only when Streams.
func (d *DWConvF32) RunRow(rows *[3][]float32, out []float32, r int) {
	p, g := &d.p, &d.cols
	c := p.InC
	taps := d.rowTaps(r % p.OutH)
	var present [3][]float32
	n := 0
	for k, row := range rows {
		if dwF32Taps(r%p.OutH, p.StrideH, p.PadH, p.DilationH, p.InH)&(1<<k) != 0 {
			present[n] = row[:p.InW*c] // the assembly reads within a row
			n++
		}
	}
	present[2] = present[n-1]
	_ = out[((r+1)*p.OutW)*c-1]
	args := dwF32Args{n: g.n, rows: 1, left: g.left, right: g.right, taps: taps,
		pixstep: 4 * p.StrideW * c, colstep: 4 * p.DilationW * c}
	x := (g.lo*p.StrideW - p.PadW) * c
	d.blocks(args, present[0][x:], present[1][x:], present[2][x:], out[r*p.OutW*c:])
}

// blocks runs the assembly over every block of channels: in0, in1, in2 and
// out as args.in0, in1, in2 and args.out at channel 0; args holds the
// geometry (a copy, so that the slices' pointers stored in it stay on the
// stack).
func (d *DWConvF32) blocks(args dwF32Args, in0, in1, in2, out []float32) {
	c := d.p.InC
	args.wstep, args.outstep, args.lo, args.hi = 4*c, 4*c, d.clamp.Lo, d.clamp.Hi
	ch := 0
	if d.z {
		for ; c-ch >= 16; ch += 16 {
			args.in0, args.in1, args.in2, args.out, args.w, args.bias = &in0[ch], &in1[ch], &in2[ch], &out[ch], &d.w[ch], &d.bias[ch]
			dwF32AVX512(&args)
		}
	}
	for ; ch < c; ch += 8 {
		args.in0, args.in1, args.in2, args.out, args.w, args.bias = &in0[ch], &in1[ch], &in2[ch], &out[ch], &d.w[ch], &d.bias[ch]
		if c-ch >= 8 {
			dwF32AVX2(&args)
			continue
		}
		for i := range args.mask {
			args.mask[i] = 0
			if i < c-ch {
				args.mask[i] = ^uint32(0)
			}
		}
		dwF32AVX2Masked(&args)
	}
}

// runBorder computes pixels ox0..ox1 of output row r, whose windows reach
// outside the input.
func (d *DWConvF32) runBorder(in, out []float32, r, ox0, ox1 int, window *dwF32Window) {
	p := &d.p
	c := p.InC
	if ox0 >= ox1 {
		return
	}
	if c > dwF32WindowC {
		d.runPixels(in, out, r, ox0, ox1)
		return
	}
	win := window[:9*c]
	b, oy := r/p.OutH, r%p.OutH
	args := dwF32Args{n: 1, rows: 1, colstep: 4 * c}
	for ox := ox0; ox < ox1; ox++ {
		for ky := range 3 {
			y := oy*p.StrideH - p.PadH + ky*p.DilationH
			for kx := range 3 {
				x := ox*p.StrideW - p.PadW + kx*p.DilationW
				tap := win[(ky*3+kx)*c:][:c]
				if y < 0 || y >= p.InH || x < 0 || x >= p.InW {
					clear(tap)
					continue
				}
				copy(tap, in[((b*p.InH+y)*p.InW+x)*c:][:c])
			}
		}
		d.blocks(args, win, win[3*c:], win[6*c:], out[((b*p.OutH+oy)*p.OutW+ox)*c:][:c])
	}
}
