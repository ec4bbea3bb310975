//go:build !purego

package kernels

import "golang.org/x/sys/cpu"

// dwF32Args is the parameter block of dwF32AVX2 and dwF32AVX2Masked; the
// generator (_asm) reads its field names. Steps are in bytes.
type dwF32Args struct {
	in      *float32 // top-left tap of the first pixel, at the block's first channel
	out     *float32
	w       *float32 // tap (0,0) of the block's weights
	bias    *float32
	n       int // pixels
	wstep   int // between taps' weights: OutC·4
	pixstep int // between pixels' first taps: StrideW·InC·4
	rowstep int // between tap rows: DilationH·InW·InC·4
	colstep int // between tap columns: DilationW·InC·4
	outstep int // between output pixels: OutC·4
	mask    [8]uint32
	lo, hi  float32
}

// dwF32Vector reports whether the AVX2 kernel serves a layer: 3×3 taps,
// one output channel per input channel, on a vector backend with FMA.
func dwF32Vector(p *ConvParams, b Backend) bool {
	return (b == AVX2 || b == AVXVNNI || b == AVX512VNNI) && cpu.X86.HasFMA && p.KH == 3 && p.KW == 3 && p.DepthMultiplier == 1
}

// dwF32WindowC is the most channels whose border pixels take the vector
// kernels through a gathered window (9 taps of them).
const dwF32WindowC = 256

// dwF32Window is a border pixel's window, on the stack of Run: one per
// call, not per row, since Go clears it.
type dwF32Window [9 * dwF32WindowC]float32

// runVector computes output row r (of batch × OutH): the pixels whose taps
// all lie inside the input with the assembly, 16 channels at a time on
// AVX-512 and 8 (the rest) on AVX2; the others too when the layer has at
// most dwF32WindowC channels, each from its 3×3 window gathered with zeros
// for the taps outside the input (the zeros add ±0, as the padded input of
// small layers does), else with the generic loop.
func (d *DWConvF32) runVector(in, out []float32, r int, w *dwF32Window) {
	p := &d.p
	b, oy := r/p.OutH, r%p.OutH
	y0 := oy*p.StrideH - p.PadH
	// Interior columns: ox·StrideW - PadW ≥ 0 and + 2·DilationW < InW.
	lo := (p.PadW + p.StrideW - 1) / p.StrideW
	hi := (p.InW - 1 - 2*p.DilationW + p.PadW) / p.StrideW // last interior column
	if p.InW-1-2*p.DilationW+p.PadW < 0 {
		hi = -1
	}
	hi = min(hi, p.OutW-1)
	if y0 < 0 || y0+2*p.DilationH >= p.InH || lo > hi {
		d.runBorder(in, out, r, 0, p.OutW, w)
		return
	}
	d.runBorder(in, out, r, 0, lo, w)
	d.runBorder(in, out, r, hi+1, p.OutW, w)
	c := p.InC
	_ = in[((b*p.InH+y0+2*p.DilationH)*p.InW+hi*p.StrideW-p.PadW+2*p.DilationW)*c+c-1]
	_ = out[((b*p.OutH+oy)*p.OutW+hi)*c+c-1]
	args := dwF32Args{n: hi - lo + 1, pixstep: 4 * p.StrideW * c, rowstep: 4 * p.DilationH * p.InW * c,
		colstep: 4 * p.DilationW * c}
	d.blocks(args, in[((b*p.InH+y0)*p.InW+lo*p.StrideW-p.PadW)*c:], out[((b*p.OutH+oy)*p.OutW+lo)*c:])
}

// blocks runs the assembly over every block of channels: in starts at the
// first pixel's top-left tap, out at its output; args holds the pixel
// count and the input steps (a copy, so that the slices' pointers stored in
// it stay on the stack).
func (d *DWConvF32) blocks(args dwF32Args, in, out []float32) {
	c := d.p.InC
	args.wstep, args.outstep, args.lo, args.hi = 4*c, 4*c, d.clamp.Lo, d.clamp.Hi
	ch := 0
	if d.z {
		for ; c-ch >= 16; ch += 16 {
			args.in, args.out, args.w, args.bias = &in[ch], &out[ch], &d.w[ch], &d.bias[ch]
			dwF32AVX512(&args)
		}
	}
	for ; ch < c; ch += 8 {
		args.in, args.out, args.w, args.bias = &in[ch], &out[ch], &d.w[ch], &d.bias[ch]
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
	if c > dwF32WindowC {
		d.runPixels(in, out, r, ox0, ox1)
		return
	}
	win := window[:9*c]
	b, oy := r/p.OutH, r%p.OutH
	args := dwF32Args{n: 1, rowstep: 4 * 3 * c, colstep: 4 * c}
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
		d.blocks(args, win, out[((b*p.OutH+oy)*p.OutW+ox)*c:][:c])
	}
}
