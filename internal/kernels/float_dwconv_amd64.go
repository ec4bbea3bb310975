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

// runVector computes output row r (of batch × OutH): the pixels whose taps
// all lie inside the input with the assembly, 16 channels at a time on
// AVX-512 and 8 (the rest) on AVX2, the others with the generic loop.
func (d *DWConvF32) runVector(in, out []float32, r int) {
	p := &d.p
	b, oy := r/p.OutH, r%p.OutH
	y0 := oy*p.StrideH - p.PadH
	if y0 < 0 || y0+2*p.DilationH >= p.InH {
		d.runPixels(in, out, r, 0, p.OutW)
		return
	}
	// Interior columns: ox·StrideW - PadW ≥ 0 and + 2·DilationW < InW.
	lo := (p.PadW + p.StrideW - 1) / p.StrideW
	hi := (p.InW - 1 - 2*p.DilationW + p.PadW) / p.StrideW // last interior column
	if p.InW-1-2*p.DilationW+p.PadW < 0 {
		hi = -1
	}
	hi = min(hi, p.OutW-1)
	if lo > hi {
		d.runPixels(in, out, r, 0, p.OutW)
		return
	}
	d.runPixels(in, out, r, 0, lo)
	d.runPixels(in, out, r, hi+1, p.OutW)
	c := p.InC
	_ = in[((b*p.InH+y0+2*p.DilationH)*p.InW+hi*p.StrideW-p.PadW+2*p.DilationW)*c+c-1]
	_ = out[((b*p.OutH+oy)*p.OutW+hi)*c+c-1]
	args := dwF32Args{n: hi - lo + 1, wstep: 4 * c, pixstep: 4 * p.StrideW * c, rowstep: 4 * p.DilationH * p.InW * c,
		colstep: 4 * p.DilationW * c, outstep: 4 * c, lo: d.clamp.Lo, hi: d.clamp.Hi}
	inBase := ((b*p.InH+y0)*p.InW + lo*p.StrideW - p.PadW) * c
	outBase := ((b*p.OutH+oy)*p.OutW + lo) * c
	ch := 0
	if d.z {
		for ; c-ch >= 16; ch += 16 {
			args.in, args.out, args.w, args.bias = &in[inBase+ch], &out[outBase+ch], &d.w[ch], &d.bias[ch]
			dwF32AVX512(&args)
		}
	}
	for ; ch < c; ch += 8 {
		args.in, args.out, args.w, args.bias = &in[inBase+ch], &out[outBase+ch], &d.w[ch], &d.bias[ch]
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
