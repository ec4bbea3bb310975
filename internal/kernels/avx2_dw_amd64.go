//go:build !purego

package kernels

import "math"

// DWConv: groups of 16 channels; taps in pairs (an odd last tap pairs with
// itself and a zero weight), [group][pair][channel][2]int16. When the
// channels are not a multiple of 16, the last group is the 16 channels
// ending at the last one, overlapping the group before it, so that loads
// and stores stay inside each pixel; fewer than 16 channels take the
// narrow kernel, which loads and stores byte-exactly.
type dwAVX2 struct {
	w       []int16
	q       []int32 // one avx2Requant block of 16 channels per group
	offs    []int64 // [pair][2] tap offsets
	groups  int
	lastOff int
	lshift  int
	// 3×3 filters with dilation 1, stride 1 or 2 and at least 16 channels
	// also run from the unpadded input (DWConv.direct): per group, per
	// half of 8 channels, the weight pairs of dwDirectPairs,
	// [group][half][5][8][2]int16, each weight times 2^(LShift+1), and a
	// dwDirectQ block, in the order of the kernel's unpacks (see
	// prepareDirectAVX2).
	w3    []int16
	q3    []int32
	zpRow []byte // the rows above and below the input
}

// dwDirectAVX2Args is the parameter block of the direct 3×3 kernels.
type dwDirectAVX2Args struct {
	rows    [3]*byte // the window's input rows (zpRow outside the input)
	out     *byte    // the output row
	w       *int16
	q       *int32
	groups  int
	lastOff int
	n       int       // output pixels
	inW     int       // input pixels in a row
	x0      int       // the first window's first column, -PadW
	c       int       // channels
	clamp   int       // 1 where the clamp is narrower than the output type
	zp      [16]int16 // the input zero point: a padding column's taps
	lo, hi  [16]byte
}

// dwAVX2Args is the parameter block of the AVX2 depthwise kernels.
type dwAVX2Args struct {
	in      *byte // window origin of the first pixel
	out     *byte
	w       *int16
	q       *int32
	offs    *int64
	pairs   int
	groups  int
	lastOff int // channel offset of the last group
	n       int // output pixels
	inStep  int
	outStep int
	c       int   // channels (narrow kernel)
	inBase  *byte // the padded buffer (narrow kernel: load bounds)
	inLen   int
	rowStep int // bytes between the rows of a 3×3 window
	colStep int // bytes between its columns
	lshift  int
	outZP   [16]int16
	lo, hi  [16]byte
}

func (d *DWConv) prepareAVX2() {
	c := d.p.OutC
	taps := len(d.offs)
	v := &dwAVX2{groups: (c + 15) / 16}
	for t := 0; t < taps; t += 2 {
		v.offs = append(v.offs, d.offs[t], d.offs[min(t+1, taps-1)])
	}
	for g := range v.groups {
		c0 := 16 * g
		if g == v.groups-1 && c > 16 {
			c0 = c - 16
			v.lastOff = c0
		}
		for t := 0; t < taps; t += 2 {
			for ch := c0; ch < c0+16; ch++ {
				var w0, w1 int16
				if ch < c {
					w0 = int16(d.w[t*d.cpad+ch])
					if t+1 < taps {
						w1 = int16(d.w[(t+1)*d.cpad+ch])
					}
				}
				v.w = append(v.w, w0, w1)
			}
		}
		v.q = avx2Requant(v.q, d.q, c0, 16)
	}
	v.lshift = anyLShift(d.q)
	d.vec = v
	d.prepareDirectAVX2(v)
}

// dwDirectQ fields: the requantization constants of the direct kernel
// (_asm's requantDirect), per group of 16 channels [field][2 halves][8],
// each half's lanes in the order of the kernel's unpacks. With s =
// 2^(l+1)·Σ x·w the kernel's sum (l the left shift, carried by the
// weights) and a = bias + Σ x·w the biased sum:
//
//   - the threshold -2^(l+1)·bias - 1, so that s > it exactly where a ≥ 0
//     (clamped to int32, which leaves the compare's results unchanged as
//     |s| < 2^31; MaxInt32, never exceeded, where r = 0);
//   - M for the even lanes and, moved to the even positions, the odd ones;
//   - the nudges, 64-bit lanes of the even then the odd channels:
//     2^(l+1)·bias·M + 2^31 + (round - [r > 0] + zp·2^r)·2^32, so that the
//     high half of s·M plus it is x + round - [r > 0] + zp·2^r, x the
//     doubling high multiply's result;
//   - the right shift.
//
// Adding zp·2^r before the shift adds zp after it exactly, as long as the
// sum stays in int32 (directAVX2Fits).
const (
	dwqSign = iota
	dwqMult
	dwqMultOdd
	dwqNudge
	dwqNudgeOdd
	dwqRShift
	dwqFields
)

// prepareDirectAVX2 sets up dwconv3x3DirectAVX2 where the layer is a 3×3
// with dilation 1, stride 1 or 2, at least 16 channels, and fits its
// arithmetic (directAVX2Fits).
func (d *DWConv) prepareDirectAVX2(v *dwAVX2) {
	p := &d.p
	c := p.OutC
	if p.KH != 3 || p.KW != 3 || p.DilationH != 1 || p.DilationW != 1 || p.StrideW > 2 || c < 16 || !d.directAVX2Fits() {
		return
	}
	q := d.q
	for g := range v.groups {
		c0 := min(16*g, c-16)
		// Half j holds in dword k channel c0 + 8·(k/4) + 4j + k%4 (the
		// kernel's word unpacks work in 128-bit lanes).
		ch := func(j, k int) int { return c0 + 8*(k/4) + 4*j + k%4 }
		block := make([]int32, dwqFields*16)
		for j := range 2 {
			row := func(f int) []int32 { return block[16*f+8*j : 16*f+8*j+8] }
			for k := range 8 {
				sign, m, nudge, r := dwDirectScale(q, ch(j, k))
				row(dwqSign)[k] = sign
				f, lane := dwqNudge, k/2*2
				if k%2 == 1 {
					f = dwqNudgeOdd
					row(dwqMultOdd)[k-1] = m
				} else {
					row(dwqMult)[k] = m
				}
				row(f)[lane], row(f)[lane+1] = int32(uint32(nudge)), int32(uint64(nudge)>>32)
				row(dwqRShift)[k] = r
			}
			for _, pair := range dwDirectPairs(p.StrideW) {
				for k := range 8 {
					c := ch(j, k)
					for _, t := range pair {
						var w int32
						if t >= 0 {
							w = d.w[t*d.cpad+c] << (q.LShift[c] + 1)
						}
						v.w3 = append(v.w3, int16(w))
					}
				}
			}
		}
		v.q3 = append(v.q3, block...)
	}
	v.zpRow = make([]byte, p.InW*c)
	Fill(v.zpRow, byte(p.InZP))
	d.direct = d.directAVX2(v)
}

// dwDirectScale gives channel c's dwDirectQ constants: the sign
// threshold, M, the nudge and the right shift.
func dwDirectScale(q *requant, c int) (sign, m int32, nudge int64, r int32) {
	bias := int64(2) << q.LShift[c] * int64(q.Bias[c])
	m, r = q.Mult[c], q.RShift[c]
	sign = math.MaxInt32
	var pos int64 // [r > 0]
	if r > 0 {
		sign = int32(min(max(-bias-1, math.MinInt32), math.MaxInt32))
		pos = 1
	}
	return sign, m, bias*int64(m) + 1<<31 + (int64(q.Round[c])-pos+int64(q.OutZP)<<r)<<32, r
}

// dwDirectLane is one lane of _asm's requantDirect, for tests: the
// output value plus the zero point for the kernel's sum s.
func dwDirectLane(s, sign, m int32, nudge int64, r int32) int32 {
	var mask int32
	if s > sign {
		mask = -1
	}
	return (int32((int64(s)*int64(m)+nudge)>>32) - mask) >> r
}

// directAVX2Fits reports whether every channel's arithmetic stays in range
// in dwconv3x3DirectAVX2: the weights times 2^(l+1) in int16, the sums s
// in int32, and x + round + zp·2^r, x the doubling high multiply, which is
// at most the magnitude of the shifted biased sum (M < 2^31), itself at
// most |bias| plus the widest input byte times Σ|w|, shifted. Real layers
// stay far below; the others take the padded kernel.
func (d *DWConv) directAVX2Fits() bool {
	xmax := int64(255)
	if d.signed {
		xmax = 128
	}
	for c := range d.p.OutC {
		var sum, most int64
		for t := range d.p.KH * d.p.KW {
			w := abs64(int64(d.w[t*d.cpad+c]))
			sum, most = sum+w, max(most, w)
		}
		if !dwDirectFits(d.q, c, most, xmax*sum) {
			return false
		}
	}
	return true
}

// dwDirectFits is directAVX2Fits for channel c, given its largest |w| and
// the bound of its |Σ x·w|.
func dwDirectFits(q *requant, c int, most, bound int64) bool {
	l := q.LShift[c]
	if most<<(l+1) > math.MaxInt16 || bound<<(l+1) > math.MaxInt32 {
		return false
	}
	x := (abs64(int64(q.Bias[c])) + bound) << l
	return x+int64(q.Round[c])+abs64(int64(q.OutZP))<<q.RShift[c] < math.MaxInt32
}

// dwDirectPairs gives the taps (ky·3+kx, -1 for a zero weight) of the five
// int16 pairs per pixel of dwconv3x3DirectAVX2: rows 0 and 1 of each filter
// column, then row 2 paired across columns, at stride 1 as (x2 of columns
// 0 and 1), (-, column 2), at stride 2 as (-, column 0), (columns 1 and 2).
func dwDirectPairs(stride int) [5][2]int {
	if stride == 1 {
		return [5][2]int{{0, 3}, {1, 4}, {2, 5}, {6, 7}, {-1, 8}}
	}
	return [5][2]int{{0, 3}, {1, 4}, {2, 5}, {-1, 6}, {7, 8}}
}

// directAVX2 returns DWConv.direct for dwconv3x3DirectAVX2 with v's
// constants.
func (d *DWConv) directAVX2(v *dwAVX2) func(in, out []byte, r0, r1 int) {
	return func(in, out []byte, r0, r1 int) { d.runDirectAVX2(v, in, out, r0, r1) }
}

func (d *DWConv) runDirectAVX2(v *dwAVX2, in, out []byte, r0, r1 int) {
	args := d.directAVX2Args(v)
	for r := r0; r < r1; r++ {
		d.runDirectAVX2Row(v, &args, in, out, r, 0, d.p.OutW)
	}
}

// directAVX2Args returns the parameter block of dwconv3x3DirectAVX2 for
// the layer, without its rows and pixels.
func (d *DWConv) directAVX2Args(v *dwAVX2) dwDirectAVX2Args {
	p := &d.p
	args := dwDirectAVX2Args{
		w: &v.w3[0], q: &v.q3[0], groups: v.groups, lastOff: v.lastOff,
		inW: p.InW, c: p.OutC,
	}
	for i := range args.zp {
		args.zp[i] = int16(p.InZP)
	}
	var outZP [16]int16 // in the requantization's constants (dwDirectQ)
	avx2Out(outZP[:], args.lo[:], args.hi[:], d.q)
	lo, hi := int32(0), int32(255)
	if d.signed {
		lo, hi = -128, 127
	}
	if d.q.Min > lo || d.q.Max < hi {
		args.clamp = 1
	}
	return args
}

// runDirectAVX2Row runs dwconv3x3DirectAVX2 on output pixels [x0, x1) of
// output row r (counting the rows of every image).
func (d *DWConv) runDirectAVX2Row(v *dwAVX2, args *dwDirectAVX2Args, in, out []byte, r, x0, x1 int) {
	p := &d.p
	c := p.OutC
	b, oy := r/p.OutH, r%p.OutH
	for ky := range args.rows {
		args.rows[ky] = &v.zpRow[0]
		if y := oy*p.StrideH - p.PadH + ky; y >= 0 && y < p.InH {
			args.rows[ky] = &in[(b*p.InH+y)*p.InW*c]
		}
	}
	args.out = &out[(r*p.OutW+x0)*c]
	args.n = x1 - x0
	args.x0 = x0*p.StrideW - p.PadW
	switch {
	case p.StrideW == 1 && d.signed:
		dwconv3x3DirectAVX2s1s8(args)
	case p.StrideW == 1:
		dwconv3x3DirectAVX2s1u8(args)
	case d.signed:
		dwconv3x3DirectAVX2s2s8(args)
	default:
		dwconv3x3DirectAVX2s2u8(args)
	}
}

func (d *DWConv) runAVX2(padded, out []byte, r0, r1 int) bool {
	v, ok := d.vec.(*dwAVX2)
	// The narrow kernel's backward loads need 32 bytes of buffer.
	if !ok || (d.p.OutC < 16 && len(padded) < 32) {
		return false
	}
	p := &d.p
	c := p.OutC
	args := dwAVX2Args{
		w: &v.w[0], q: &v.q[0], offs: &v.offs[0], pairs: len(v.offs) / 2, groups: v.groups, lastOff: v.lastOff,
		n: p.OutW, inStep: p.StrideW * c, outStep: c, c: c, inBase: &padded[0], inLen: len(padded),
		rowStep: p.DilationH * d.wp * c, colStep: p.DilationW * c, lshift: v.lshift,
	}
	avx2Out(args.outZP[:], args.lo[:], args.hi[:], d.q)
	kind := 0 // the tap loop
	switch {
	case c < 16:
		kind = 1
	case p.KH == 3 && p.KW == 3:
		kind = 2
	}
	for r := r0; r < r1; r++ {
		b, oy := r/p.OutH, r%p.OutH
		args.in = &padded[(b*d.hp+oy*p.StrideH)*d.wp*c]
		args.out = &out[r*p.OutW*c]
		switch {
		case kind == 1 && d.signed:
			dwconvNarrowAVX2s8(&args)
		case kind == 1:
			dwconvNarrowAVX2u8(&args)
		case kind == 2 && d.signed:
			dwconv3x3AVX2s8(&args)
		case kind == 2:
			dwconv3x3AVX2u8(&args)
		case d.signed:
			dwconvAVX2s8(&args)
		default:
			dwconvAVX2u8(&args)
		}
	}
	return true
}

// addAVX2Args is the parameter block of the AVX2 ADD kernels: per rescale
// (0: input 1, 1: input 2, 2: output) the constants of the AVX2 epilogue
// (see avx2QFields), uniform: the value added after the left shift (2^31
// less the shifted zero point for the inputs, 2^31 for the sum), 2M, the
// nudge, and the shift counts as VPSLLD/VPSRLD/VPSRAD count operands (the
// inputs' left shift includes TFLite's 20 bits of headroom).
type addAVX2Args struct {
	a, b, out              *byte
	n                      int // a positive multiple of 16
	k0, k1, k2             [8]int32
	m0, m1, m2             [8]int32
	nudge0, nudge1, nudge2 [4]uint64
	l0, l1, l2             [2]int64
	r0, r1, r2             [2]int64
	sign0, sign1, sign2    [2]int64
	outZP                  [16]int16
	lo, hi                 [16]byte
}

func (ad *Adder) runAVX2(a, b, out []byte) bool {
	p := ad.p
	var args addAVX2Args
	scale := func(k, m *[8]int32, nudge *[4]uint64, l, r, sign *[2]int64, zp, mult int32, shift, extra int) {
		lshift, rshift := int32(max(shift, 0)), int32(max(-shift, 0))
		m2, n, s := avx2Scale(mult, rshift, int32(int64(1)<<rshift>>1))
		l[0], r[0], sign[0] = int64(lshift)+int64(extra), int64(rshift), int64(s)
		for i := range k {
			k[i], m[i] = math.MinInt32-zp<<l[0], m2
		}
		for i := range nudge {
			nudge[i] = n
		}
	}
	scale(&args.k0, &args.m0, &args.nudge0, &args.l0, &args.r0, &args.sign0, p.In1ZP, p.In1Mult, p.In1Shift, p.LeftShift)
	scale(&args.k1, &args.m1, &args.nudge1, &args.l1, &args.r1, &args.sign1, p.In2ZP, p.In2Mult, p.In2Shift, p.LeftShift)
	scale(&args.k2, &args.m2, &args.nudge2, &args.l2, &args.r2, &args.sign2, 0, p.OutMult, p.OutShift, 0)
	avx2Out(args.outZP[:], args.lo[:], args.hi[:], &requant{OutZP: p.OutZP, Min: p.ActMin, Max: p.ActMax})
	n := len(out)
	if body := n &^ 15; body > 0 {
		args.a, args.b, args.out, args.n = &a[0], &b[0], &out[0], body
		addAVX2Call(&args, ad.signed)
	}
	// The tail goes through a 16-byte tile: the inputs may be constants at
	// the end of the model file, so nothing past them is read.
	if tail := n & 15; tail > 0 {
		var ta, tb, to [16]byte
		copy(ta[:], a[n-tail:n])
		copy(tb[:], b[n-tail:n])
		args.a, args.b, args.out, args.n = &ta[0], &tb[0], &to[0], 16
		addAVX2Call(&args, ad.signed)
		copy(out[n-tail:], to[:tail])
	}
	return true
}

// runSplitAVX2 runs the split-form AVX2 kernel on whole blocks of 16
// and the tail through a 16-byte tile, as runAVX2 does.
func (ad *Adder) runSplitAVX2(sp *addSplitArgs, a, b, out []byte) bool {
	args := *sp
	n := len(out)
	if body := n &^ 15; body > 0 {
		args.a, args.b, args.out, args.n = &a[0], &b[0], &out[0], body
		addSplitAVX2Call(&args, ad.signed)
	}
	if tail := n & 15; tail > 0 {
		var ta, tb, to [16]byte
		copy(ta[:], a[n-tail:n])
		copy(tb[:], b[n-tail:n])
		args.a, args.b, args.out, args.n = &ta[0], &tb[0], &to[0], 16
		addSplitAVX2Call(&args, ad.signed)
		copy(out[n-tail:], to[:tail])
	}
	return true
}

// addSplitAVX2Call calls the split-form kernel directly.
func addSplitAVX2Call(args *addSplitArgs, signed bool) {
	if signed {
		addSplitAVX2s8(args)
	} else {
		addSplitAVX2u8(args)
	}
}

// addAVX2Call calls the kernel directly (see gemmAVX2Call).
func addAVX2Call(args *addAVX2Args, signed bool) {
	if signed {
		addAVX2s8(args)
	} else {
		addAVX2u8(args)
	}
}
