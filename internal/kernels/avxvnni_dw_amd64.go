//go:build !purego

package kernels

import "math"

// prepareAVXVNNI prepares a depthwise convolution for the AVX-VNNI
// backend: the AVX2 kernels; in their place for 3×3 layers with a fused
// ReLU that the AVX2 direct kernel runs, dwconv3x3AVXVNNIPair (see
// preparePairAVXVNNI); else for int8 3×3 layers that dwconv3x3AVXVNNI can
// run (dilation 1, stride 1 or 2, at most a column of padding a side, at
// least 16 channels, no left shift) that kernel. Other uint8 layers keep
// the AVX2 kernels: their weights less the zero point do not fit
// VPDPBUSD's signed bytes in one set.
func (d *DWConv) prepareAVXVNNI() {
	d.prepareAVX2()
	if d.preparePairAVXVNNI() {
		return
	}
	p := &d.p
	if !d.signed || p.KH != 3 || p.KW != 3 || p.DilationH != 1 || p.DilationW != 1 || p.StrideW > 2 || p.OutC < 16 {
		return
	}
	over := (p.OutW-1)*p.StrideW + 3 - p.PadW - p.InW
	if p.PadW > 1 || over > 1 {
		return
	}
	// Σ(x-xz)·w = Σ(x+128)·w - (128+xz)·Σw: the bias already holds
	// -xz·Σw; take 128·Σw too.
	bias := make([]int32, p.OutC)
	for c := range bias {
		bias[c] = d.q.Bias[c]
		for t := range 9 {
			bias[c] -= 128 * d.w[t*d.cpad+c]
		}
	}
	qb := newRequant(bias, p.Mult, p.Shift, p.OutZP, p.ActMin, p.ActMax, p.OutC, 16)
	if anyLShift(qb) != 0 {
		return
	}
	d.direct = d.directAVXVNNI(avxvnniDWBlocks(d, qb), max(over, 0))
}

// avxvnniDWBlocks lays out the constants of dwconv3x3AVXVNNI for each
// block of 16 channels, the last block ending at the last channel
// (overlapping the one before it): per half j, the avx2Requant block of
// its 8 channels, then the weights (w0, w1, w2, 0) of the three filter
// columns, dword k of half j for channel off + 8·(k/4) + 4j + k%4 (the
// order of the kernel's unpacks).
func avxvnniDWBlocks(d *DWConv, qb *requant) [][]int32 {
	c := d.p.OutC
	var blocks [][]int32
	for off := 0; off < c; off += 16 {
		off := min(off, c-16)
		var data []int32
		for j := range 2 {
			h := &requant{}
			var w [3][8]int32
			for k := range 8 {
				c := off + 8*(k/4) + 4*j + k%4
				h.Bias = append(h.Bias, qb.Bias[c])
				h.Mult = append(h.Mult, qb.Mult[c])
				h.LShift = append(h.LShift, qb.LShift[c])
				h.RShift = append(h.RShift, qb.RShift[c])
				h.Round = append(h.Round, qb.Round[c])
				h.NegEn = append(h.NegEn, qb.NegEn[c])
				for kx := range w {
					var q uint32
					for ky := range 3 {
						q |= uint32(uint8(int8(d.w[(ky*3+kx)*d.cpad+c]))) << (8 * ky)
					}
					w[kx][k] = int32(q)
				}
			}
			data = avx2Requant(data, h, 0, 8)
			for kx := range w {
				data = append(data, w[kx][:]...)
			}
		}
		blocks = append(blocks, data)
	}
	return blocks
}

// directAVXVNNI returns DWConv.direct for dwconv3x3AVXVNNI, one call per
// row and block of 16 channels, with padR the padding columns right of
// the last window (0 or 1).
func (d *DWConv) directAVXVNNI(blocks [][]int32, padR int) func(in, out []byte, r0, r1 int) {
	p := &d.p
	c := p.OutC
	// zpCol as the gather lays out a column: dwords (x0, x1, x2, 0).
	proto, zpRow := d.unpaddedArgs(padR, 0x010101)
	return func(in, out []byte, r0, r1 int) {
		args := proto
		for r := r0; r < r1; r++ {
			rows := d.unpaddedRows(in, zpRow, r)
			orow := out[r*p.OutW*c:]
			for i, data := range blocks {
				off := min(16*i, c-16)
				args.in, args.in1, args.in2 = &rows[0][off], &rows[1][off], &rows[2][off]
				args.out = &orow[off]
				args.w = &data[0]
				if p.StrideW == 1 {
					dwconv3x3AVXVNNIs1(&args)
				} else {
					dwconv3x3AVXVNNIs2(&args)
				}
			}
		}
	}
}

// dwPairArgs is the parameter block of dwconv3x3AVXVNNIPair.
type dwPairArgs struct {
	rows    [3]*byte // the window rows (zpRow outside the input)
	out     *byte    // the first pair's first pixel
	data    *int32   // avxvnniPairBlocks
	blocks  int
	lastOff int // channel offset of the last block
	pairs   int // pixel pairs, at least 1
	x0      int // the first window's first column, -PadW
	inW     int // input pixels in a row
	c       int // channels
	clamp   int // 1 where the clamp is narrower than the output type
	outZP   [16]int16
	zp      [16]byte // the input zero point: a padding column
	order   [32]byte // undoes requantAVX2Relu's channel order 0 2 1 3
	lo, hi  [32]byte
}

// Offsets of the vectors of a block of avxvnniPairBlocks (_asm's ap*).
const (
	apBias = iota
	apMult
	apMultOdd
	apNudge
	apNudgeOdd
	apRShift
	apW
)

// pairLane is the channel, within its 4, that requantAVX2Relu leaves at
// each position of a 128-bit lane (an involution).
var pairLane = [4]int{0, 2, 1, 3}

// preparePairAVXVNNI sets d.direct to run dwconv3x3AVXVNNIPair on the
// output rows' pixel pairs, and the AVX2 direct kernel on the last pixel
// of odd rows. It needs the AVX2 direct kernel (3×3, dilation 1, stride 1
// or 2, at least 16 channels), a clamp from at least the output zero
// point (requantAVX2Relu), no left shift and, for uint8, weights less the
// zero point that two int8 sum to. It reports whether it did.
func (d *DWConv) preparePairAVXVNNI() bool {
	p := &d.p
	v, ok := d.vec.(*dwAVX2)
	if !ok || v.w3 == nil || d.q.Min < d.q.OutZP || anyLShift(d.q) != 0 || p.OutW < 2 {
		return false
	}
	// uint8 rows of odd length (MobileNet's 7×7) measured faster on the
	// AVX2 direct kernel alone than with its call for the last pixel.
	if !d.signed && p.OutW%2 == 1 {
		return false
	}
	data, ok := avxvnniPairBlocks(d)
	if !ok {
		return false
	}
	c := p.OutC
	args := dwPairArgs{data: &data[0], blocks: v.groups, lastOff: v.lastOff, pairs: p.OutW / 2, x0: -p.PadW, inW: p.InW, c: c}
	avx2Out(args.outZP[:], args.lo[:], args.hi[:], d.q)
	Fill(args.zp[:], byte(p.InZP))
	lo, hi := int32(0), int32(255)
	if d.signed {
		lo, hi = -128, 127
	}
	if d.q.Min > lo || d.q.Max < hi {
		args.clamp = 1
	}
	for i := range args.order {
		args.order[i] = byte(i/4*4 + pairLane[i%4])
	}
	d.direct = func(in, out []byte, r0, r1 int) {
		a := args
		edge := d.directAVX2Args(v)
		for r := r0; r < r1; r++ {
			rows := d.unpaddedRows(in, v.zpRow, r)
			for i := range a.rows {
				a.rows[i] = &rows[i][0]
			}
			a.out = &out[r*p.OutW*c]
			switch {
			case p.StrideW == 1 && d.signed:
				dwconv3x3AVXVNNIPairs1s8(&a)
			case p.StrideW == 1:
				dwconv3x3AVXVNNIPairs1u8(&a)
			case d.signed:
				dwconv3x3AVXVNNIPairs2s8(&a)
			default:
				dwconv3x3AVXVNNIPairs2u8(&a)
			}
			if p.OutW%2 == 1 {
				d.runDirectAVX2Row(v, &edge, in, out, r, p.OutW-1, p.OutW)
			}
		}
	}
	return true
}

// avxvnniPairBlocks lays out the constants of dwconv3x3AVXVNNIPair for
// each block of 16 channels, the last block ending at the last channel
// (overlapping the one before it): per quarter j, vectors of two equal
// lanes (one per pixel of the pair), their dword i for channel 4j+i of
// the block: the requantization of requantAVX2Relu (the right shift at
// position i for channel 4j+pairLane[i], where it gathers the products),
// then per weight set the (w0, w1, w2, ·) bytes of the three filter
// columns. int8 takes one set, its bias less 128·Σw (the kernel flips the
// activations' top bits); uint8 two, a and b with a + b = w, a the
// weight clamped to int8 and b the rest in the first set's fourth byte
// (which meets x2 again) for row 2 and in the second set's for rows 0
// and 1. It reports false if some uint8 weight has no such split.
func avxvnniPairBlocks(d *DWConv) ([]int32, bool) {
	c, q := d.p.OutC, d.q
	sets := 2
	if d.signed {
		sets = 1
	}
	fields := apW + 3*sets + sets - 1
	var data []int32
	for off := 0; off < c; off += 16 {
		off := min(off, c-16)
		for j := range 4 {
			block := make([]int32, 8*fields)
			row := func(f int) []int32 { return block[8*f : 8*f+8] }
			for i := range 8 {
				ch := off + 4*j + i%4
				m2, _, _ := avx2Scale(q.Mult[ch], q.RShift[ch], q.Round[ch])
				nudge := avx2ReluNudge(q.Mult[ch], q.Round[ch])
				bias := q.Bias[ch]
				var w [2][3][4]int8
				for kx := range 3 {
					for ky := range 3 {
						t := d.w[(ky*3+kx)*d.cpad+ch]
						a := min(max(t, -128), 127)
						b := t - a
						if b < -128 || b > 127 {
							return nil, false
						}
						if d.signed {
							bias -= 128 * t
						}
						w[0][kx][ky] = int8(a)
						if ky == 2 {
							w[0][kx][3] = int8(b)
						} else {
							w[1][kx][ky] = int8(b)
						}
					}
				}
				row(apBias)[i] = bias + math.MinInt32
				f, lane := apNudge, i/2*2
				if i%2 == 1 {
					f = apNudgeOdd
					row(apMultOdd)[lane] = m2
				} else {
					row(apMult)[i] = m2
				}
				row(f)[lane], row(f)[lane+1] = int32(uint32(nudge)), int32(uint32(nudge>>32))
				row(apRShift)[i] = q.RShift[off+4*j+pairLane[i%4]]
				for set := range sets {
					for kx := range 3 {
						var u uint32
						for k, b := range w[set][kx] {
							u |= uint32(uint8(b)) << (8 * k)
						}
						row(apW + 3*set + kx)[i] = int32(u)
					}
				}
			}
			if sets == 2 {
				for kx := range 3 {
					for _, w := range row(apW + 3 + kx) {
						if w != 0 {
							row(apW + 6)[kx] = 1
						}
					}
				}
			}
			data = append(data, block...)
		}
	}
	return data, true
}
