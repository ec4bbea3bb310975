package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/gotypes"
	"github.com/mmcloughlin/avo/ir"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The direct convolution of the AVX2 family (kernels.directConvAVX2):
// MobileNet's first layer, 32 output channels from 3 window rows, read from
// the input instead of an im2col copy, on 16 YMM registers.

// dcStep is the inner step of a direct kernel of the AVX2 family.
type dcStep int

const (
	dcWordsDP dcStep = iota // int16 pairs of the widened rows, VEX VPDPWSSD (AVX-VNNI)
	dcQuads                 // byte quads of the input rows, VEX VPDPBUSD (AVX-VNNI)
)

// avx2Direct generates the set: per activation type, the AVX2 kernels for
// window rows of up to 9 and 12 bytes, the AVX-VNNI pair kernels for up to
// 10 and 12 (5 or 6 pairs), and the quad kernel.
func avx2Direct() {
	avx2Data()
	quadData()
	for _, t := range []struct {
		suffix string
		signed bool
	}{{"u8", false}, {"s8", true}} {
		for _, seg := range []int{9, 12} {
			directConvAVX2Words(fmt.Sprintf("directConvAVX2%sk%d", t.suffix, seg), t.signed, seg, false)
			directConvAVX2Words(fmt.Sprintf("directConvAVX2%sk%dgen", t.suffix, seg), t.signed, seg, true)
		}
		for _, pairs := range []int{5, 6} {
			directConvAVX2(fmt.Sprintf("directConvAVXVNNIW%sp%d", t.suffix, pairs), t.signed, dcWordsDP, pairs)
		}
		directConvAVX2("directConvAVXVNNI"+t.suffix, t.signed, dcQuads, 3)
	}
}

// directConvAVX2 generates p.n output pixels of one row. Each window row is
// units pairs (int16, from the scratch rows the kernel first widens the
// input rows into) or quads (bytes, straight from the input) at 4-byte
// steps. Pixels go in pairs: 8 accumulators (2 pixels × 4 vectors of 8
// channels), two broadcasts, and one weight vector loaded at a time and
// used for both pixels. Then requantAVX2, and per pixel one 32-byte store.
// An odd last pixel is computed twice and stored once.
//
// YMM: Y0..Y7 accumulators, Y8 and Y9 the broadcasts, Y10 the weights,
// Y11 unused, Y12 the output zero point (int16), Y13 and
// Y14 the clamp, Y15 the pack permutation. GPRs: R8, R9, R10 the window
// rows, R11 the second pixel's offset, R12 one pair to the next, RBX the
// weights, RSI the requant block (kernels.avx2Requant of 32 channels), RDI
// the output, RDX pixels left, R13 the left-shift flag.
func directConvAVX2(name string, signed bool, step dcStep, units int) {
	isa := map[dcStep]string{dcWordsDP: "AVX-VNNI VPDPWSSD", dcQuads: "AVX-VNNI VPDPBUSD"}[step]
	p, _ := avx2Text(name, "directConvArgs", fmt.Sprintf("%s computes p.n output pixels of a direct convolution with %s (see directConvArgs).", name, isa))
	l := func(s string) LabelRef { return LabelRef(name + "_" + s) }
	rows := []GPPhysical{R8, R9, R10}
	for i, r := range rows {
		Load(p.Field(fmt.Sprintf("in%d", i)), r)
	}
	Load(p.Field("out"), RDI)
	Load(p.Field("q"), RSI)
	Load(p.Field("n"), RDX)
	Load(p.Field("step"), R11)
	Load(p.Field("lshift"), R13)
	Load(p.Field("outZP"), RAX)
	VMOVD(EAX, X12)
	VPBROADCASTW(X12, Y12)
	Load(p.Field("min"), RAX)
	VMOVD(EAX, X13)
	VPBROADCASTB(X13, Y13)
	Load(p.Field("max"), RAX)
	VMOVD(EAX, X14)
	VPBROADCASTB(X14, Y14)
	VMOVDQU(packPerm, Y15)
	if step == dcQuads {
		Load(p.Field("w"), RBX)
	} else {
		Load(p.Field("w16"), RBX)
		widenRows(l, p, signed, rows)
		SHLQ(Imm(1), R11) // int16 from here on
	}
	LEAQ(Mem{Base: R11, Index: R11, Scale: 1}, R12)

	acc := []VecPhysical{Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7} // pixel i, channels 8v..8v+7: acc[4i+v]
	q := func(field, v int) Mem { return Mem{Base: RSI, Disp: field*4*32 + 32*v} }
	Label(string(l("pair")))
	CMPQ(RDX, Imm(1))
	JNE(l("body"))
	XORQ(R11, R11) // the odd last pixel: the second is the first again
	Label(string(l("body")))
	for v := range 4 {
		VMOVDQU(q(aqBias, v), acc[v])
		VMOVDQA(acc[v], acc[4+v])
	}
	bcast := []VecPhysical{Y8, Y9}
	for ky, row := range rows {
		for u := range units {
			VPBROADCASTD(Mem{Base: row, Disp: 4 * u}, Y8)
			VPBROADCASTD(Mem{Base: row, Index: R11, Scale: 1, Disp: 4 * u}, Y9)
			if signed && step == dcQuads { // x+128: the top bit flipped
				VPXOR(bytes80, Y8, Y8)
				VPXOR(bytes80, Y9, Y9)
			}
			for v := range 4 {
				VMOVDQU(Mem{Base: RBX, Disp: 32 * ((ky*units+u)*4 + v)}, Y10)
				for i, b := range bcast {
					a := acc[4*i+v]
					switch step {
					case dcQuads:
						vpdpbusdVEX(Y10, b, a)
					default:
						vexVNNI(0x52, "VPDPWSSD", Y10, b, a)
					}
				}
			}
		}
	}

	// As leftShifts, the flag in a register.
	TESTQ(R13, R13)
	JZ(l("nolshift"))
	for i, a := range acc {
		VPSLLVD(q(aqLShift, i%4), a, a)
		VPXOR(q(aqLXor, i%4), a, a)
	}
	Label(string(l("nolshift")))
	for i, a := range acc {
		requantAVX2(a, Y8, Y9, func(field int) Mem { return q(field, i%4) })
	}
	for i := range 2 {
		a := acc[4*i : 4*i+4]
		// Lanes [0..3 8..11 | 4..7 12..15] and [16..19 24..27 | 20..23
		// 28..31], then in bytes dwords 0, 2, 4, 6, 1, 3, 5, 7 of the
		// channels: packPerm puts them in order.
		VPACKSSDW(a[1], a[0], a[0])
		VPACKSSDW(a[3], a[2], a[2])
		VPADDSW(Y12, a[0], a[0])
		VPADDSW(Y12, a[2], a[2])
		if signed {
			VPACKSSWB(a[2], a[0], a[0])
		} else {
			VPACKUSWB(a[2], a[0], a[0])
		}
		VPERMD(a[0], Y15, a[0])
		if signed {
			VPMAXSB(Y13, a[0], a[0])
			VPMINSB(Y14, a[0], a[0])
		} else {
			VPMAXUB(Y13, a[0], a[0])
			VPMINUB(Y14, a[0], a[0])
		}
	}
	VMOVDQU(Y0, Mem{Base: RDI})
	CMPQ(RDX, Imm(1))
	JE(l("done"))
	VMOVDQU(Y4, Mem{Base: RDI, Disp: 32})
	for _, row := range rows {
		ADDQ(R12, row)
	}
	ADDQ(Imm(64), RDI)
	SUBQ(Imm(2), RDX)
	JG(l("pair"))
	Label(string(l("done")))
	VZEROUPPER()
	RET()
}

// widenStart begins widenRows and widenPairs: RCX the count of 8-byte
// chunks of a window row the n pixels read ((n-1)·step + seg, rounded up),
// R14 the scratch, R15 its stride; it returns the widening instruction.
func widenStart(p gotypes.Component, signed bool) func(...Op) {
	MOVQ(RDX, RCX)
	DECQ(RCX)
	IMULQ(R11, RCX)
	Load(p.Field("seg"), RAX)
	LEAQ(Mem{Base: RCX, Index: RAX, Scale: 1, Disp: 7}, RCX)
	SHRQ(Imm(3), RCX) // 8-byte chunks, at least 1
	Load(p.Field("scratch"), R14)
	Load(p.Field("scratchStride"), R15)
	if signed {
		return VPMOVSXBW
	}
	return VPMOVZXBW
}

// widenRows widens the bytes of the three window rows that the n pixels
// read, (n-1)·step + seg of each rounded up to 8, to int16 in the scratch
// rows, and points the rows there. Words past seg in a window are left as
// they are: their weights are zero. Reads at most 7 bytes past the last
// window. Uses RAX, RCX, R12, R14, R15 and X0..X2.
func widenRows(l func(string) LabelRef, p gotypes.Component, signed bool, rows []GPPhysical) {
	widen := widenStart(p, signed)
	LEAQ(Mem{Base: R14, Index: R15, Scale: 1}, R12)
	LEAQ(Mem{Base: R14, Index: R15, Scale: 2}, R15)
	dst := []GPPhysical{R14, R12, R15}
	XORQ(RAX, RAX)
	Label(string(l("widen")))
	for i, r := range rows {
		x := []VecPhysical{X0, X1, X2}[i]
		widen(Mem{Base: r, Index: RAX, Scale: 1}, x)
		VMOVDQU(x, Mem{Base: dst[i], Index: RAX, Scale: 2})
	}
	ADDQ(Imm(8), RAX)
	DECQ(RCX)
	JNZ(l("widen"))
	for i, r := range rows {
		MOVQ(dst[i], r)
	}
}

// vexVNNI emits an AVX-VNNI instruction, acc op= u, w (Intel operand
// order: acc, u, w), in its VEX encoding VEX.256.66.0F38.W0 op /r, as
// bytes: the Go assembler knows only the EVEX forms, which need AVX-512
// VL. As quad.go's vpdpbusdVEX, for any opcode of the family (0x52:
// VPDPWSSD, acc += s16·s16 for both halves of each lane).
func vexVNNI(op byte, mnemonic string, w, u, acc VecPhysical) {
	if evexVNNI(mnemonic, w, u, acc) {
		return
	}
	a, v, m := byte(acc.PhysicalIndex()), byte(u.PhysicalIndex()), byte(w.PhysicalIndex())
	b1 := byte(0x02) | 0x40 // map 0F38; X̄ set (no index register)
	if a < 8 {
		b1 |= 0x80 // R̄: ModRM.reg is YMM0..7
	}
	if m < 8 {
		b1 |= 0x20 // B̄: ModRM.rm is YMM0..7
	}
	b2 := (^v&15)<<3 | 0x04 | 0x01 // W0, vvvv = ¬u, L = 256, pp = 66
	Comment(mnemonic + " " + w.Asm() + ", " + u.Asm() + ", " + acc.Asm())
	for _, b := range []byte{0xC4, b1, b2, op, 0xC0 | (a&7)<<3 | m&7} {
		Instruction(&ir.Instruction{Opcode: "BYTE", Operands: []Op{Imm(uint64(b))}, Inputs: []Op{w, u, acc}, Outputs: []Op{acc}})
	}
}

// directConvAVX2Words generates the AVX2 kernel for window rows of up to
// seg bytes (kernels.directConvAVX2Words): p.n output pixels of one row, on
// int16 pairs, general or not (see directEpilogue).
//
// It first widens what the pixels read into two scratch rows: rows 0 and 1
// interleaved, (x0[j], x1[j]) a pair per input byte j, and row 2 as it is.
// A window is then seg pairs of rows 0 and 1 and (seg+1)/2 pairs of row 2
// (its last word past the window meets a zero weight): 14 VPMADDWD per 8
// channels for MobileNet's 27 taps, where pairs within each row took 15.
// Pixels go in pairs, as in directConvAVX2: 8 accumulators, 2 broadcasts,
// one weight vector loaded at a time and used for both pixels.
//
// The requantization of a pair runs while the next pair's products do:
// the accumulators are spilled to the stack, and the requantization and
// packing of the previous pair, on Y12..Y15 with every constant read from
// memory, is spread among the products. Otherwise its long dependency
// chains, after the products, left the multiply pipes idle. The first
// pair's turn stores a spill of nothing to a dummy on the stack; the last
// pair's is done after the loop. The channels are permuted
// (kernels.directLane) so that the two packs leave the bytes in order.
//
// YMM: Y0..Y7 accumulators (pixel i, lanes 8v..8v+7: acc[4i+v]), Y8 and Y9
// the broadcasts, Y10 the weights, Y11 the product, Y12..Y15 the previous
// pair's requantization. GPRs: R8 and R9 the interleaved rows and row 2,
// R11 and R12 the second pixel's offsets in them, RBX the weights, RSI the
// requant block, RDI the output, R13 the previous pair's output, RDX
// pixels left.
func directConvAVX2Words(name string, signed bool, seg int, general bool) {
	p, _ := avx2Text(name, "directConvArgs", fmt.Sprintf("%s computes p.n output pixels of a direct convolution with AVX2, window rows of up to %d bytes (see directConvArgs).", name, seg))
	l := func(s string) LabelRef { return LabelRef(name + "_" + s) }
	spill := AllocLocal(8 * 32)
	dummy := AllocLocal(64)
	in := []GPPhysical{R8, R9, R10}
	for i, r := range in {
		Load(p.Field(fmt.Sprintf("in%d", i)), r)
	}
	Load(p.Field("out"), RDI)
	Load(p.Field("q"), RSI)
	Load(p.Field("n"), RDX)
	Load(p.Field("step"), R11)
	Load(p.Field("w16"), RBX)
	widenPairs(l, p, signed, in)
	// The second pixel's offsets: 4 bytes per input byte in the pairs of
	// rows 0 and 1, 2 in row 2.
	SHLQ(Imm(2), R11)
	MOVQ(R11, R12)
	SHRQ(Imm(1), R12)
	LEAQ(dummy, R13)

	acc := []VecPhysical{Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7}
	q := func(field, v int) Mem { return Mem{Base: RSI, Disp: field*4*32 + 32*v} }
	Label(string(l("pair")))
	CMPQ(RDX, Imm(1))
	JNE(l("body"))
	XORQ(R11, R11) // the odd last pixel: the second is the first again
	XORQ(R12, R12)
	Label(string(l("body")))
	for v := range 4 {
		VMOVDQU(q(aqBias, v), acc[v])
		VMOVDQA(acc[v], acc[4+v])
	}
	// Units: seg pairs of rows 0 and 1 at 4 bytes a pair, then the pairs
	// of row 2 at 4 bytes (2 words) a pair.
	type unit struct {
		base, off GPPhysical
		disp      int
	}
	var units []unit
	for k := range seg {
		units = append(units, unit{R8, R11, 4 * k})
	}
	for m := range (seg + 1) / 2 {
		units = append(units, unit{R9, R12, 4 * m})
	}
	var prod []func()
	for u, un := range units {
		prod = append(prod,
			func() { VPBROADCASTD(Mem{Base: un.base, Disp: un.disp}, Y8) },
			func() { VPBROADCASTD(Mem{Base: un.base, Index: un.off, Scale: 1, Disp: un.disp}, Y9) })
		for v := range 4 {
			prod = append(prod, func() { VMOVDQU(Mem{Base: RBX, Disp: 32 * (u*4 + v)}, Y10) })
			for i, b := range []VecPhysical{Y8, Y9} {
				a := acc[4*i+v]
				prod = append(prod, func() { VPMADDWD(Y10, b, Y11) }, func() { VPADDD(Y11, a, a) })
			}
		}
	}
	var epi []func()
	for i := range 2 {
		epi = append(epi, directEpilogue(signed, general, spill, i, Mem{Base: R13, Disp: 32 * i})...)
	}
	// Spread the requantization evenly among the products.
	e := 0
	for k, f := range prod {
		f()
		for ; e < (k+1)*len(epi)/len(prod); e++ {
			epi[e]()
		}
	}
	for i, a := range acc {
		VMOVDQU(a, spill.Offset(32*i))
	}
	MOVQ(RDI, R13)
	ADDQ(Imm(64), RDI)
	LEAQ(Mem{Base: R8, Index: R11, Scale: 2}, R8)
	LEAQ(Mem{Base: R9, Index: R12, Scale: 2}, R9)
	SUBQ(Imm(2), RDX)
	JG(l("pair"))

	// The last pair: its second pixel only when RDX is 0, not -1.
	for i := range 2 {
		if i == 1 {
			TESTQ(RDX, RDX)
			JNZ(l("done"))
		}
		for _, f := range directEpilogue(signed, general, spill, i, Mem{Base: R13, Disp: 32 * i}) {
			f()
		}
	}
	Label(string(l("done")))
	VZEROUPPER()
	RET()
}

// directEpilogue returns, one instruction a step, the requantization of
// pixel i's accumulators, spilled at spill, and the store of its 32 bytes
// to out: requantAVX2 with every constant read from RSI (the requant
// block, then the output zero point as int16 lanes and the clamp bytes),
// on Y12..Y15. Unless general, no channel shifts left and every channel
// shifts right (so [a ≥ 0] is a shift by 31 in every lane), as in
// MobileNet's first layers, and the kernel saves those loads. The packed words of vectors 2 and 3 wait in their spill
// slot while vectors 0 and 1 are requantized.
func directEpilogue(signed, general bool, spill Mem, i int, out Mem) []func() {
	q := func(field, v int) Mem { return Mem{Base: RSI, Disp: field*4*32 + 32*v} }
	outConst := func(k int) Mem { return Mem{Base: RSI, Disp: aqFields*4*32 + 32*k} }
	slot := func(v int) Mem { return spill.Offset(32 * (4*i + v)) }
	var fs []func()
	emit := func(f ...func()) { fs = append(fs, f...) }
	rq := func(v int, a, c, o VecPhysical) {
		m := func(field int) Mem { return q(field, v) }
		emit(func() { VMOVDQU(slot(v), a) })
		if general {
			// As leftShifts, and the sign shift by 31 or 32 per lane.
			emit(func() { VPSLLVD(m(aqLShift), a, a) },
				func() { VPXOR(m(aqLXor), a, a) },
				func() { VPSRLVD(m(aqSignShift), a, c) })
		} else {
			emit(func() { VPSRLD(Imm(31), a, c) })
		}
		// requantAVX2's arithmetic, one instruction a step.
		emit(func() { VPSHUFD(Imm(0xF5), a, o) },
			func() { VPMULUDQ(m(aqMult), a, a) },
			func() { VPMULUDQ(m(aqMultOdd), o, o) },
			func() { VPADDQ(m(aqNudge), a, a) },
			func() { VPADDQ(m(aqNudgeOdd), o, o) },
			func() { VPSHUFD(Imm(0xF5), a, a) },
			func() { VPBLENDD(Imm(0xAA), o, a, a) },
			func() { VPADDD(c, a, a) },
			func() { VPSRAVD(m(aqRShift), a, a) })
	}
	pack := func(hi, lo VecPhysical) {
		emit(func() { VPACKSSDW(hi, lo, lo) },
			func() { VPADDSW(outConst(0), lo, lo) })
	}
	rq(3, Y12, Y13, Y14)
	rq(2, Y15, Y13, Y14)
	pack(Y12, Y15)
	emit(func() { VMOVDQU(Y15, slot(2)) })
	rq(1, Y12, Y13, Y14)
	rq(0, Y15, Y13, Y14)
	pack(Y12, Y15)
	// Bytes: lanes 0..3 of the 4 vectors, then lanes 4..7: the channels
	// in order (kernels.directLane).
	if signed {
		emit(func() { VPACKSSWB(slot(2), Y15, Y15) },
			func() { VPMAXSB(outConst(1), Y15, Y15) },
			func() { VPMINSB(outConst(2), Y15, Y15) })
	} else {
		emit(func() { VPACKUSWB(slot(2), Y15, Y15) },
			func() { VPMAXUB(outConst(1), Y15, Y15) },
			func() { VPMINUB(outConst(2), Y15, Y15) })
	}
	emit(func() { VMOVDQU(Y15, out) })
	return fs
}

// widenPairs widens the bytes of the three window rows that the n pixels
// read, (n-1)·step + seg of each rounded up to 8, into two scratch rows:
// rows 0 and 1 interleaved as int16 pairs (x0[j], x1[j]) at 4 bytes per
// input byte j, from the scratch's start, and row 2 as int16 from
// 2·scratchStride bytes on; then points R8 and R9 there. Reads at most 7
// bytes past the last window. Uses RAX, RCX, R14, R15 and X0..X2.
func widenPairs(l func(string) LabelRef, p gotypes.Component, signed bool, in []GPPhysical) {
	widen := widenStart(p, signed)
	LEAQ(Mem{Base: R14, Index: R15, Scale: 2}, R15)
	XORQ(RAX, RAX)
	Label(string(l("widen")))
	VMOVQ(Mem{Base: in[0], Index: RAX, Scale: 1}, X0)
	VMOVQ(Mem{Base: in[1], Index: RAX, Scale: 1}, X1)
	VPUNPCKLBW(X1, X0, X0) // x0[j], x1[j] for 8 bytes j
	widen(X0, Y0)
	VMOVDQU(Y0, Mem{Base: R14, Index: RAX, Scale: 4})
	widen(Mem{Base: in[2], Index: RAX, Scale: 1}, X2)
	VMOVDQU(X2, Mem{Base: R15, Index: RAX, Scale: 2})
	ADDQ(Imm(8), RAX)
	DECQ(RCX)
	JNZ(l("widen"))
	MOVQ(R14, in[0])
	MOVQ(R15, in[1])
}
