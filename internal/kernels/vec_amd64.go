//go:build !purego

package kernels

import (
	"math"
	"unsafe"
)

// dwArgs is the parameter block of the depthwise assembly kernels.
type dwArgs struct {
	in      *byte  // padded input at the first pixel's window origin
	out     *byte  // first output pixel
	w       *int32 // [tap][cpad] widened weights
	q       *int32 // vector requant blocks
	offs    *int64 // [taps] byte offsets of the taps from the window origin
	taps    int
	groups  int // groups of 16 channels
	cLast   int // valid channels in the last group, 1..16
	n       int // output pixels
	inStep  int // bytes between consecutive pixels' window origins
	outStep int // bytes between consecutive output pixels
	cpad    int
	rowStep int // 3×3 kernels: bytes between the filter's rows in the input
	colStep int // 3×3 kernels: bytes between the filter's columns
	outZP   int32
	min     int32
	max     int32
	// dwconv3x3VNNI, which reads unpadded rows: in, in1 and in2 are the
	// window's rows, padL the bytes of padding left of the first window
	// (0 or one pixel), padR 1 if the last window's last column is
	// padding, zpCol that padding column as the kernel multiplies it.
	in1, in2   *byte
	padL, padR int
	zpCol      int32
}

func (d *DWConv) prepareVector() {
	switch d.backend {
	case AVX2:
		d.prepareAVX2()
	case AVXVNNI:
		d.prepareAVXVNNI()
	case AVX512VNNI:
		d.prepareAVX512()
	}
}

// dwAVX512 is the AVX-512 form of a depthwise convolution: the
// requantization in 16-channel blocks and, for 3×3 filters, the weights
// per group of 16 channels as five pairs of taps (the last paired with
// zero), each lane holding the two taps' 16-bit weights (w - wz fits).
type dwAVX512 struct {
	qv []int32
	w3 []int32 // nil unless 3×3
	// int8 3×3 layers with dilation 1, stride 1 or 2 and at most a column
	// of padding on either side run dwconv3x3VNNI instead (DWConv.direct):
	// per group of 16 channels and filter column
	// the three rows' weights as bytes (w0, w1, w2, 0) of a 32-bit lane,
	// and the requantization with the bias for activations x+128.
	wb  []int8
	qvb []int32
	// offset: the 3×3 blocks requantize in the offset form (a ReLU layer
	// whose sums fit it).
	offset bool
}

func (d *DWConv) prepareAVX512() {
	v := &dwAVX512{qv: vecRequant(d.q)}
	if taps := len(d.offs); taps == 9 {
		for g := 0; g < d.cpad; g += 16 {
			for t := 0; t < taps; t += 2 {
				for c := g; c < g+16; c++ {
					lo, hi := d.w[t*d.cpad+c], int32(0)
					if t+1 < taps {
						hi = d.w[(t+1)*d.cpad+c]
					}
					v.w3 = append(v.w3, int32(uint32(uint16(lo))|uint32(uint16(hi))<<16))
				}
			}
		}
	}
	p := &d.p
	if !d.signed && p.OutC >= 16 {
		// uint8 layers have no VPDPBUSD kernel here (w - wz does not fit
		// a signed byte); the AVX2 direct kernel beats the VPDPWSSD tap
		// pairs, padding included.
		d.prepareDirectAVX2(&dwAVX2{groups: (p.OutC + 15) / 16, lastOff: p.OutC - 16})
	}
	if d.signed && p.KH == 3 && p.KW == 3 && p.DilationH == 1 && p.DilationW == 1 && p.StrideW <= 2 {
		// Σ(x-xz)·w = Σ(x+128)·w - (128+xz)·Σw: the bias already holds
		// -xz·Σw; take 128·Σw too.
		bias := make([]int32, p.OutC)
		v.wb = make([]int8, d.cpad*3*4)
		for c := range p.OutC {
			bias[c] = d.q.Bias[c]
			for t := range 9 {
				w := d.w[t*d.cpad+c]
				bias[c] -= 128 * w
				v.wb[((c/16*3+t%3)*16+c%16)*4+t/3] = int8(w)
			}
		}
		v.qvb = vecRequant(newRequant(bias, p.Mult, p.Shift, p.OutZP, p.ActMin, p.ActMax, p.OutC, 16))
		// The kernel pads by itself a column on either side at most.
		if over := (p.OutW-1)*p.StrideW + 3 - p.PadW - p.InW; p.PadW <= 1 && over <= 1 {
			qb := newRequant(bias, p.Mult, p.Shift, p.OutZP, p.ActMin, p.ActMax, p.OutC, 16)
			if p.OutC >= 16 && anyLShift(qb) == 0 {
				v.offset = qb.Min >= qb.OutZP && offsetFits(qb, dwSumBounds(d, qb))
				d.direct = d.directVNNIBlocks(dwVNNIBlocks(d, qb, v.offset), max(over, 0), v.offset)
			} else {
				d.direct = d.directVNNI(v, max(over, 0))
			}
		}
	}
	d.vec = v
}

// directVNNI returns DWConv.direct for dwconv3x3VNNI, with padR the
// padding columns right of the last window (0 or 1).
func (d *DWConv) directVNNI(v *dwAVX512, padR int) func(in, out []byte, r0, r1 int) {
	p := &d.p
	c := p.OutC
	// Rows above and below the input read a row of zero points, as long
	// as an input row plus the over-read.
	zpRow := make([]byte, p.InW*c+MaxOverread)
	Fill(zpRow, byte(p.InZP))
	zp := uint32(byte(p.InZP) ^ 0x80)
	proto := dwArgs{
		w: (*int32)(unsafe.Pointer(&v.wb[0])), q: &v.qvb[0],
		groups: d.cpad / 16, cLast: c - (d.cpad/16-1)*16, n: p.OutW,
		colStep: c, padL: p.PadW * c, padR: padR, zpCol: int32(zp | zp<<8 | zp<<16),
		outZP: d.q.OutZP, min: d.q.Min, max: d.q.Max,
	}
	return func(in, out []byte, r0, r1 int) {
		args := proto
		for r := r0; r < r1; r++ {
			rows := d.unpaddedRows(in, zpRow, r)
			args.in, args.in1, args.in2 = &rows[0][0], &rows[1][0], &rows[2][0]
			args.out = &out[r*p.OutW*c]
			if p.StrideW == 1 {
				dwconv3x3VNNIs1(&args)
			} else {
				dwconv3x3VNNIs2(&args)
			}
		}
	}
}

// unpaddedArgs returns the dwArgs fields that the kernels over one block
// of channels from unpadded rows (dwconv3x3VNNIBlock, dwconv3x3AVXVNNI)
// take for every row and block, with padR as directVNNI's, and the row of
// input zero points that stands for the rows above and below the input.
// The padding column zpCol is the input zero point, its top bit flipped
// as the kernels flip the input's, in the bytes of a dword that rep
// selects: those the kernel's gather fills.
func (d *DWConv) unpaddedArgs(padR int, rep uint32) (dwArgs, []byte) {
	p := &d.p
	c := p.OutC
	zpRow := make([]byte, p.InW*c)
	Fill(zpRow, byte(p.InZP))
	zp := uint32(byte(p.InZP) ^ 0x80)
	return dwArgs{
		n: p.OutW, colStep: c, padL: p.PadW * c, padR: padR, zpCol: int32(zp * rep),
		outZP: d.q.OutZP, min: d.q.Min, max: d.q.Max,
	}, zpRow
}

// unpaddedRows returns the three input rows of the windows of output row
// r (counting the rows of every image), zpRow for those above or below
// the input.
func (d *DWConv) unpaddedRows(in, zpRow []byte, r int) (rows [3][]byte) {
	p := &d.p
	b, oy := r/p.OutH, r%p.OutH
	for ky := range rows {
		rows[ky] = zpRow
		if y := oy*p.StrideH - p.PadH + ky; y >= 0 && y < p.InH {
			rows[ky] = in[(b*p.InH+y)*p.InW*p.OutC:]
		}
	}
	return rows
}

// The vectors of a block of dwconv3x3VNNIBlock, per group of its
// channels (see _asm/dwconv_vnni.go), the requantization in the AVX2
// kernels' form (see avx2QFields): the bias plus 2^31, the multipliers 2M
// of the even lanes and, moved to the even positions, of the odd lanes,
// the 64-bit nudges of the even and of the odd lanes, the sign shift
// count, the right shift, and the weights of the three filter columns.
const (
	dwBlockBias = iota
	dwBlockMult
	dwBlockMultOdd
	dwBlockNudge
	dwBlockNudgeOdd
	dwBlockSignShift
	dwBlockRShift
	dwBlockW
	dwBlockFields = dwBlockW + 3
)

// dwVNNIBlock is one block of channels of dwconv3x3VNNIBlock, or with
// pairs the 32 channels of dwconv3x3VNNIPairs, two pixels a vector.
type dwVNNIBlock struct {
	off, lanes int     // first channel; 128-bit lanes (16 channels each)
	pairs      bool    // the data repeated for a second pixel
	data       []int32 // [group][dwBlockFields][4·lanes] (8·lanes with pairs)
}

// dwVNNIBlocks cuts the channels into blocks of 64, then 32 and 16, the
// last block of 16 ending at the last channel (overlapping the one
// before it, which needs at least 16 channels), and lays out each block's
// constants from the requantization qb (for activations x+128, every left
// shift 0) and the weights d.w.
//
// With offset the requantization takes the GEMM's offset form for ReLU
// layers (see offsetBeta, gemmRequantOffset): the bias row holds bias + β
// + 2^31, the nudge row in every dword round - k - M + zp·2^r.
func dwVNNIBlocks(d *DWConv, qb *requant, offset bool) []dwVNNIBlock {
	c := d.p.OutC
	var blocks []dwVNNIBlock
	for off := 0; off < c; {
		lanes := 4
		for lanes > 1 && c-off < 16*lanes {
			lanes /= 2
		}
		// Two pixels a vector: at stride 1 from one 64-byte load per
		// column pair, so for a layer of 32 channels only.
		pairs := lanes == 2 && (c == 32 || d.p.StrideW == 2)
		blocks = append(blocks, dwVNNIBlock{off: min(off, c-16), lanes: lanes, pairs: pairs})
		off += 16 * lanes
	}
	for i := range blocks {
		b := &blocks[i]
		n := 4 * b.lanes // dwords in a vector
		if b.pairs {
			n *= 2
		}
		b.data = make([]int32, 4*dwBlockFields*n)
		for j := range 4 {
			vec := func(f int) []int32 { return b.data[(j*dwBlockFields+f)*n:][:n] }
			// Dword k of group j is channel off + 16·(k/4) + 4j + k%4, the
			// order of the kernel's unpacks.
			ch := func(k int) int { return b.off + 16*(k/4%b.lanes) + 4*j + k%4 }
			for k := range n {
				c := ch(k)
				m2, nudge, sign := avx2Scale(qb.Mult[c], qb.RShift[c], qb.Round[c])
				vec(dwBlockBias)[k] = qb.Bias[c] + math.MinInt32
				vec(dwBlockMult)[k] = m2
				vec(dwBlockSignShift)[k] = sign
				vec(dwBlockRShift)[k] = qb.RShift[c]
				for kx := range 3 {
					var w uint32
					for ky := range 3 {
						w |= uint32(uint8(int8(d.w[(ky*3+kx)*d.cpad+c]))) << (8 * ky)
					}
					vec(dwBlockW + kx)[k] = int32(w)
				}
				if offset {
					beta, kk := offsetBeta(qb.Mult[c])
					vec(dwBlockBias)[k] = int32(uint32(int64(qb.Bias[c]) + beta + 1<<31))
					vec(dwBlockNudge)[k] = int32(uint32(int64(qb.Round[c]) - kk - int64(qb.Mult[c]) + int64(qb.OutZP)<<qb.RShift[c]))
					if k%2 == 1 {
						vec(dwBlockMultOdd)[k-1] = m2
					}
					continue
				}
				if k%2 == 1 {
					continue
				}
				// The 64-bit lanes: this dword's nudge, and the odd
				// neighbour's multiplier and nudge, which VPMULUDQ takes
				// from the even positions.
				odd := ch(k + 1)
				m2Odd, nudgeOdd, _ := avx2Scale(qb.Mult[odd], qb.RShift[odd], qb.Round[odd])
				vec(dwBlockMultOdd)[k] = m2Odd
				vec(dwBlockNudge)[k], vec(dwBlockNudge)[k+1] = int32(uint32(nudge)), int32(uint32(nudge>>32))
				vec(dwBlockNudgeOdd)[k], vec(dwBlockNudgeOdd)[k+1] = int32(uint32(nudgeOdd)), int32(uint32(nudgeOdd>>32))
			}
		}
	}
	return blocks
}

// dwSumBounds bounds each channel's biased sum for the int8 3×3 blocks:
// |a| = |bias + Σ x·w| (qb's bias for activations x+128 less 128·Σw)
// ≤ |bias - InZP·Σw| + 128·Σ|w|.
func dwSumBounds(d *DWConv, qb *requant) []int64 {
	b := make([]int64, d.p.OutC)
	for c := range b {
		var sumW, sumAbs int64
		for t := range 9 {
			w := int64(d.w[t*d.cpad+c])
			sumW += w
			sumAbs += abs64(w)
		}
		b[c] = abs64(int64(qb.Bias[c])+128*sumW) + 128*sumAbs
	}
	return b
}

// directVNNIBlocks returns DWConv.direct for dwconv3x3VNNIBlock's kernels
// (with offset, their offset forms), one call per row and block.
func (d *DWConv) directVNNIBlocks(blocks []dwVNNIBlock, padR int, offset bool) func(in, out []byte, r0, r1 int) {
	p := &d.p
	// zpCol as the gather lays out a column: dwords (x0, x1, x2, x2).
	proto, zpRow := d.unpaddedArgs(padR, 0x01010101)
	return func(in, out []byte, r0, r1 int) {
		args := proto
		for r := r0; r < r1; r++ {
			rows := d.unpaddedRows(in, zpRow, r)
			orow := out[r*p.OutW*p.OutC:]
			for i := range blocks {
				bl := &blocks[i]
				args.in, args.in1, args.in2 = &rows[0][bl.off], &rows[1][bl.off], &rows[2][bl.off]
				args.out = &orow[bl.off]
				args.w = &bl.data[0]
				switch {
				case bl.pairs && p.StrideW == 1 && offset:
					dwconv3x3VNNIs1x32pr(&args)
				case bl.pairs && p.StrideW == 1:
					dwconv3x3VNNIs1x32p(&args)
				case bl.pairs && offset:
					dwconv3x3VNNIs2x32pr(&args)
				case bl.pairs:
					dwconv3x3VNNIs2x32p(&args)
				case offset:
					dwVNNIBlockCallOffset(&args, p.StrideW, bl.lanes)
				default:
					dwVNNIBlockCall(&args, p.StrideW, bl.lanes)
				}
			}
		}
	}
}

// dwVNNIBlockCall calls the kernel for the stride and block width
// directly (see gemmAVX2Call).
func dwVNNIBlockCall(args *dwArgs, stride, lanes int) {
	switch {
	case stride == 1 && lanes == 4:
		dwconv3x3VNNIs1x64(args)
	case stride == 1 && lanes == 2:
		dwconv3x3VNNIs1x32(args)
	case stride == 1:
		dwconv3x3VNNIs1x16(args)
	case lanes == 4:
		dwconv3x3VNNIs2x64(args)
	case lanes == 2:
		dwconv3x3VNNIs2x32(args)
	default:
		dwconv3x3VNNIs2x16(args)
	}
}

// dwVNNIBlockCallOffset is dwVNNIBlockCall for the offset forms.
func dwVNNIBlockCallOffset(args *dwArgs, stride, lanes int) {
	switch {
	case stride == 1 && lanes == 4:
		dwconv3x3VNNIs1x64r(args)
	case stride == 1 && lanes == 2:
		dwconv3x3VNNIs1x32r(args)
	case stride == 1:
		dwconv3x3VNNIs1x16r(args)
	case lanes == 4:
		dwconv3x3VNNIs2x64r(args)
	case lanes == 2:
		dwconv3x3VNNIs2x32r(args)
	default:
		dwconv3x3VNNIs2x16r(args)
	}
}

func (d *DWConv) runVector(padded, out []byte, r0, r1 int) bool {
	switch d.backend {
	case AVX2, AVXVNNI:
		return d.runAVX2(padded, out, r0, r1)
	case AVX512VNNI:
	default:
		return false
	}
	v := d.vec.(*dwAVX512)
	p := &d.p
	c := p.OutC
	args := dwArgs{
		w: &d.w[0], q: &v.qv[0], offs: &d.offs[0], taps: len(d.offs),
		groups: d.cpad / 16, cLast: c - (d.cpad/16-1)*16, n: p.OutW,
		inStep: p.StrideW * c, outStep: c, cpad: d.cpad,
		outZP: d.q.OutZP, min: d.q.Min, max: d.q.Max,
	}
	w3 := v.w3
	if w3 != nil {
		args.w = &w3[0]
		args.rowStep, args.colStep = p.DilationH*d.wp*c, p.DilationW*c
	}
	for r := r0; r < r1; r++ {
		b, oy := r/p.OutH, r%p.OutH
		args.in = &padded[(b*d.hp+oy*p.StrideH)*d.wp*c]
		args.out = &out[r*p.OutW*c]
		switch {
		case w3 != nil && d.signed:
			dwconv3x3AVX512s8(&args)
		case w3 != nil:
			dwconv3x3AVX512u8(&args)
		case d.signed:
			dwconvAVX512s8(&args)
		default:
			dwconvAVX512u8(&args)
		}
	}
	return true
}

// addArgs is the parameter block of the ADD assembly kernels: per rescale
// (s0: input 1, s1: input 2, s2: output) the requant constants.
type addArgs struct {
	a, b, out                                    *byte
	n                                            int
	aZP, bZP, outZP, min, max                    int32
	headroom                                     int32 // AddParams.LeftShift
	s0Mult, s0LShift, s0Round, s0NegEn, s0RShift int32
	s1Mult, s1LShift, s1Round, s1NegEn, s1RShift int32
	s2Mult, s2LShift, s2Round, s2NegEn, s2RShift int32
}

// addSplitArgs is the parameter block of the split-form ADD kernels
// (addSplit; addSplitParams tells where it applies): input a is the one of
// multiplier 1/2, b the other. The AVX2 kernels read the vectors as they
// are; the AVX-512 ones broadcast their first element.
type addSplitArgs struct {
	a, b, out *byte
	n         int
	k         [8]int32 // 2^31 - a's zero point·2^19: a's offset and the sum's bias
	// b's rescale (addSplit's fields).
	signZP, hi, lo, half, round [8]int32
	r                           [2]int64 // the right shift (a VPSRAD count)
	// The output rescale in the AVX2 epilogue's form (avx2Scale).
	m2                [8]int32
	nudge2            [4]uint64
	sign2, r2         [2]int64
	outZP             [16]int16
	lo8, hi8          [16]byte
	outZP32, min, max int32
}

// newAddSplitArgs gives the split-form constants of p, or false where the
// split form does not apply (then the general kernels run) or the output
// rescale shifts left (output scales 2^19 times below the inputs'). swap
// is true when the input of multiplier 1/2 is p's second.
func newAddSplitArgs(p *AddParams, signed bool) (args *addSplitArgs, swap, ok bool) {
	small, swap, ok := addSplitParams(p, signed)
	if !ok || p.OutShift > 0 {
		return nil, false, false
	}
	zpA := p.In1ZP
	if swap {
		zpA = p.In2ZP
	}
	args = &addSplitArgs{outZP32: p.OutZP, min: p.ActMin, max: p.ActMax}
	for i := range 8 {
		args.k[i] = math.MinInt32 - zpA<<19
		args.signZP[i], args.hi[i], args.lo[i], args.half[i], args.round[i] = small.SignZP, small.Hi, small.Lo, small.Half, small.Round
	}
	args.r[0] = int64(small.RShift)
	rshift := int32(-p.OutShift)
	m2, nudge, sign := avx2Scale(p.OutMult, rshift, int32(int64(1)<<rshift>>1))
	for i := range args.m2 {
		args.m2[i] = m2
	}
	for i := range args.nudge2 {
		args.nudge2[i] = nudge
	}
	args.sign2[0], args.r2[0] = int64(sign), int64(rshift)
	avx2Out(args.outZP[:], args.lo8[:], args.hi8[:], &requant{OutZP: p.OutZP, Min: p.ActMin, Max: p.ActMax})
	return args, swap, true
}

func (ad *Adder) runVector(a, b, out []byte) bool {
	if sp, ok := ad.vec.(*addSplitArgs); ok {
		if ad.swap {
			a, b = b, a
		}
		if ad.backend == AVX512VNNI {
			args := *sp
			args.a, args.b, args.out, args.n = &a[0], &b[0], &out[0], len(out)
			if ad.signed {
				addSplitAVX512s8(&args)
			} else {
				addSplitAVX512u8(&args)
			}
			return true
		}
		return ad.runSplitAVX2(sp, a, b, out)
	}
	switch ad.backend {
	case AVX2, AVXVNNI:
		return ad.runAVX2(a, b, out)
	case AVX512VNNI:
	default:
		return false
	}
	args := *ad.vec.(*addArgs)
	args.a, args.b, args.out, args.n = &a[0], &b[0], &out[0], len(out)
	if ad.signed {
		addAVX512s8(&args)
	} else {
		addAVX512u8(&args)
	}
	return true
}

// prepareVector computes the ADD kernels' constants once: the split
// form's for every vector backend where it applies, else the general
// AVX-512 kernel's (the general AVX2 kernel builds its own per call, on
// the stack).
func (ad *Adder) prepareVector() {
	switch ad.backend {
	case AVX2, AVXVNNI, AVX512VNNI:
		if args, swap, ok := newAddSplitArgs(ad.p, ad.signed); ok {
			ad.vec, ad.swap = args, swap
			return
		}
	}
	if ad.backend != AVX512VNNI {
		return
	}
	p := ad.p
	args := addArgs{aZP: p.In1ZP, bZP: p.In2ZP, outZP: p.OutZP, min: p.ActMin, max: p.ActMax, headroom: int32(p.LeftShift)}
	args.s0Mult, args.s0LShift, args.s0Round, args.s0NegEn, args.s0RShift = vecShift(p.In1Mult, p.In1Shift)
	args.s1Mult, args.s1LShift, args.s1Round, args.s1NegEn, args.s1RShift = vecShift(p.In2Mult, p.In2Shift)
	args.s2Mult, args.s2LShift, args.s2Round, args.s2NegEn, args.s2RShift = vecShift(p.OutMult, p.OutShift)
	ad.vec = &args
}

// vecShift splits a multiplier and shift into the requant vector form.
func vecShift(mult int32, shift int) (m, l, round, negen, r int32) {
	q := newRequant(nil, []int32{mult}, []int{shift}, 0, 0, 0, 1, 1)
	return q.Mult[0], q.LShift[0], q.Round[0], q.NegEn[0], q.RShift[0]
}

// vecRequant interleaves the per-channel arrays in blocks of 16 channels,
// [block][bias, mult, lshift, rshift, round, negen][16], so that a vector
// kernel reaches all six through one base register.
func vecRequant(q *requant) []int32 {
	n := len(q.Bias)
	out := make([]int32, 0, 6*n)
	for b := 0; b < n; b += 16 {
		for _, arr := range [][]int32{q.Bias, q.Mult, q.LShift, q.RShift, q.Round, q.NegEn} {
			out = append(out, arr[b:b+16]...)
		}
	}
	return out
}
