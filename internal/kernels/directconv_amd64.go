//go:build !purego

package kernels

// directConvArgs is the parameter block of the direct convolution kernels
// (_asm/directconv.go), which compute n output pixels of one row: pixel i's
// window is the 3 rows in0, in1, in2, each read as 12 bytes from i·step.
type directConvArgs struct {
	in0, in1, in2 *byte
	out           *byte
	w             *int8  // [3 rows][3 quads][2 vectors][16 channels][4]int8
	q             *int32 // [2 vectors][directQ fields][16]int32
	n             int    // pixels, at least 1
	step          int    // input bytes from one window to the next
	outZP         int32
	min           int32
	max           int32
	// The AVX2 family (directConvAVX2), which requantizes from an
	// avx2Requant block in q and reads w16 (pairs) or w (quads).
	w16           *int16 // [3 rows][pairs][4 vectors][8 channels][2]int16
	lshift        int    // whether any channel shifts left
	seg           int    // window row bytes: KW·InC
	scratch       *int16 // 3 rows of scratchStride bytes, for the rows widened to int16
	scratchStride int
}

// The per-channel constants of a 16-channel vector, in the order the
// kernels read them: the folded bias, the multiplier, the multiplier of the
// odd lane at each even position (VPMULDQ multiplies even lanes only), and
// requant's shifts and rounding terms.
const (
	directBias = iota
	directMult
	directMultOdd
	directLShift
	directRShift
	directRound
	directNegEn
	directQ
)

// directConvKernel returns the AVX-512 VNNI direct kernel for p, or nil
// when p does not fit it: 32 output channels (two vectors of 16, all
// weights in registers), at most 3 filter rows, window rows of at most 12
// bytes (3 quads; the bytes past KW·InC get zero weights) read
// contiguously (DilationW 1), and for uint8 weights w - wz that fit a
// signed byte. It uses the quad formulation of the other VNNI kernels
// (docs/kernels.md): the activation is the unsigned operand, x for uint8,
// x^0x80 = x+128 for int8, and
//
//	uint8: Σ(x-xz)(w-wz) = Σ x·(w-wz) - xz·Σ(w-wz)
//	int8:  Σ(x-xz)·w     = Σ (x+128)·w - (128+xz)·Σw
//
// with the second term in the bias. Padding taps read the input zero
// point, which adds nothing.
func directConvKernel(p *ConvParams, signed bool, w []byte, bias []int32, b Backend) func(in, out []byte, r0, r1 int) {
	const outC, rows, quads = 32, 3, 3
	seg := p.KW * p.InC
	if b == AVX2 || b == AVXVNNI {
		return directConvAVX2(p, signed, w, bias, b)
	}
	if b != AVX512VNNI || p.OutC != outC || p.KH > rows || seg > 4*quads || p.DilationW != 1 {
		return nil
	}
	weight := func(raw byte) int32 {
		if signed {
			return int32(int8(raw))
		}
		return int32(raw) - p.FilterZP
	}
	// uint8 weights whose w - wz do not fit a signed byte take the pair
	// form of directConvAVX2 instead: int16 pairs, exact for any weights.
	kind, pairs := directVNNI512, 0
	for _, raw := range w {
		if v := weight(raw); v < -128 || v > 127 {
			kind, pairs = directWords512x5, 5
			if seg > 2*pairs {
				kind, pairs = directWords512x6, 6
			}
		}
	}
	zp := p.InZP
	if signed {
		zp += 128
	}
	folded := make([]int32, outC)
	wp := make([]int8, rows*quads*2*16*4)
	wp16 := make([]int16, rows*max(pairs, 1)*2*16*2)
	for oc := range outC {
		if bias != nil {
			folded[oc] = bias[oc]
		}
		for ky := range p.KH {
			for s := range seg {
				v := weight(w[(oc*p.KH+ky)*seg+s])
				folded[oc] -= zp * v
				if pairs > 0 {
					wp16[(((ky*pairs+s/2)*2+oc/16)*16+oc%16)*2+s%2] = int16(v)
				} else {
					wp[(((ky*quads+s/4)*2+oc/16)*16+oc%16)*4+s%4] = int8(v)
				}
			}
		}
	}
	rq := newRequant(folded, p.Mult, p.Shift, p.OutZP, p.ActMin, p.ActMax, outC, 16)
	q := make([]int32, 2*directQ*16)
	for oc := range outC {
		blk := q[oc/16*directQ*16:]
		c := oc % 16
		for f, v := range [directQ]int32{rq.Bias[oc], rq.Mult[oc], rq.Mult[oc|1], rq.LShift[oc], rq.RShift[oc], rq.Round[oc], rq.NegEn[oc]} {
			blk[f*16+c] = v
		}
	}
	proto := directConvArgs{w: &wp[0], w16: &wp16[0], q: &q[0]}
	return directConvRows(p, proto, rq, directConvVariant{signed: signed, lshift: anyLShift(rq) != 0, kind: kind})
}

// directConvVariant selects one of the generated kernels: int8 or uint8,
// and with or without the left shift no channel of a typical model needs
// (AVX-512; the AVX-VNNI kernels test args.lshift; the AVX2 kernels have a
// general form for left shifts and channels that shift neither way), of
// one instruction set (directConvAVX2's kinds).
type directConvVariant struct {
	signed, lshift, general bool
	kind                    directKind
}

// directKind is the instruction set and inner step of a direct kernel.
type directKind int

const (
	directVNNI512    directKind = iota // AVX-512 VNNI, byte quads
	directQuadsVEX                     // AVX-VNNI VPDPBUSD, byte quads
	directWords9                       // AVX2 VPMADDWD, window rows of up to 9 bytes (rows 0 and 1 paired)
	directWords12                      // the same, up to 12 bytes
	directWordsDP5                     // AVX-VNNI VPDPWSSD, 5 pairs
	directWordsDP6                     // the same, 6 pairs
	directWords512x5                   // AVX-512 VNNI VPDPWSSD, 5 pairs (uint8 only)
	directWords512x6                   // the same, 6 pairs
)

// call runs the kernel. Direct calls: through a func value, args would
// escape to the heap.
func (v directConvVariant) call(args *directConvArgs) {
	switch {
	case v.kind == directWords512x5 && !v.lshift:
		directConvVNNIWordsu8p5(args)
	case v.kind == directWords512x5:
		directConvVNNIWordsu8p5shl(args)
	case v.kind == directWords512x6 && !v.lshift:
		directConvVNNIWordsu8p6(args)
	case v.kind == directWords512x6:
		directConvVNNIWordsu8p6shl(args)
	case v.kind != directVNNI512:
		v.callAVX2(args)
	case v.signed && !v.lshift:
		directConvVNNIs8(args)
	case v.signed:
		directConvVNNIs8shl(args)
	case !v.lshift:
		directConvVNNIu8(args)
	default:
		directConvVNNIu8shl(args)
	}
}

// directConvRows returns the row loop around kernel: windows wholly inside
// the input's columns read it directly, rows above or below it a row of zero
// points; windows that cross the left or right edge are first copied, one
// at a time, to a small patch padded with the zero point.
func directConvRows(p *ConvParams, proto directConvArgs, rq *requant, kernel directConvVariant) func(in, out []byte, r0, r1 int) {
	c, seg := p.InC, p.KW*p.InC
	rowLen := p.InW * c
	// The kernel reads 12 bytes of each window row: up to 12-seg past the
	// last window of a row, which the over-read contract covers.
	zpRow := make([]byte, rowLen+MaxOverread)
	Fill(zpRow, byte(p.InZP))
	// Output columns [lo, hi) have windows inside the input's columns.
	lo := min((p.PadW+p.StrideW-1)/p.StrideW, p.OutW)
	hi := lo
	if last := p.InW - p.KW + p.PadW; last >= 0 {
		hi = min(max(last/p.StrideW+1, lo), p.OutW)
	}
	proto.step, proto.seg, proto.outZP, proto.min, proto.max = p.StrideW*c, seg, rq.OutZP, rq.Min, rq.Max
	proto.lshift = anyLShift(rq)
	// The pair kernels widen what a call reads into the scratch:
	// (n-1)·step + seg bytes rounded up to 8, and read 12 words of the
	// last window, so a call takes at most chunk pixels.
	chunk := p.OutW
	if kernel.kind >= directWords9 {
		chunk = (directScratch-12-7)/proto.step + 1
		proto.scratchStride = 2 * directScratch
	}
	return func(in, out []byte, r0, r1 int) {
		args := proto
		// Out here, or escape analysis moves them to the heap: args, which
		// outlives an iteration, points to them.
		var patch [3][16]byte
		var scratch [3 * directScratch]int16
		args.scratch = &scratch[0]
		for r := r0; r < r1; r++ {
			b, oy := r/p.OutH, r%p.OutH
			var src [3][]byte
			var inside [3]bool
			for ky := range src {
				src[ky] = zpRow
				if y := oy*p.StrideH - p.PadH + ky*p.DilationH; ky < p.KH && y >= 0 && y < p.InH {
					src[ky], inside[ky] = in[(b*p.InH+y)*rowLen:], true
				}
			}
			outRow := out[r*p.OutW*p.OutC:]
			for ox := lo; ox < hi; ox += chunk {
				x0 := (ox*p.StrideW - p.PadW) * c
				args.in0, args.in1, args.in2 = &src[0][x0], &src[1][x0], &src[2][x0]
				args.out, args.n = &outRow[ox*p.OutC], min(chunk, hi-ox)
				kernel.call(&args)
			}
			for _, cols := range [2][2]int{{0, lo}, {hi, p.OutW}} {
				for ox := cols[0]; ox < cols[1]; ox++ {
					x0 := ox*p.StrideW - p.PadW
					for ky := range patch {
						for s := range seg {
							patch[ky][s] = byte(p.InZP)
							if x := x0 + s/c; inside[ky] && x >= 0 && x < p.InW {
								patch[ky][s] = src[ky][x*c+s%c]
							}
						}
					}
					args.in0, args.in1, args.in2 = &patch[0][0], &patch[1][0], &patch[2][0]
					args.out, args.n = &outRow[ox*p.OutC], 1
					kernel.call(&args)
				}
			}
		}
	}
}
