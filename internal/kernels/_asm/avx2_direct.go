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
	dcWords   dcStep = iota // int16 pairs of the widened rows, VPMADDWD and VPADDD (AVX2)
	dcWordsDP               // the same pairs, VEX VPDPWSSD (AVX-VNNI)
	dcQuads                 // byte quads of the input rows, VEX VPDPBUSD (AVX-VNNI)
)

// avx2Direct generates the set: per activation type, the pair kernels for
// window rows of up to 10 and 12 bytes (5 or 6 pairs), and the quad kernel.
func avx2Direct() {
	avx2Data()
	quadData()
	for _, t := range []struct {
		suffix string
		signed bool
	}{{"u8", false}, {"s8", true}} {
		for _, pairs := range []int{5, 6} {
			directConvAVX2(fmt.Sprintf("directConvAVX2%sp%d", t.suffix, pairs), t.signed, dcWords, pairs)
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
// Y11 the product (dcWords), Y12 the output zero point (int16), Y13 and
// Y14 the clamp, Y15 the pack permutation. GPRs: R8, R9, R10 the window
// rows, R11 the second pixel's offset, R12 one pair to the next, RBX the
// weights, RSI the requant block (kernels.avx2Requant of 32 channels), RDI
// the output, RDX pixels left, R13 the left-shift flag.
func directConvAVX2(name string, signed bool, step dcStep, units int) {
	isa := map[dcStep]string{dcWords: "AVX2", dcWordsDP: "AVX-VNNI VPDPWSSD", dcQuads: "AVX-VNNI VPDPBUSD"}[step]
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
					case dcWordsDP:
						vexVNNI(0x52, "VPDPWSSD", Y10, b, a)
					default:
						VPMADDWD(Y10, b, Y11)
						VPADDD(Y11, a, a)
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

// widenRows widens the bytes of the three window rows that the n pixels
// read, (n-1)·step + seg of each rounded up to 8, to int16 in the scratch
// rows, and points the rows there. Words past seg in a window are left as
// they are: their weights are zero. Reads at most 7 bytes past the last
// window. Uses RAX, RCX, R12, R14, R15 and X0..X2.
func widenRows(l func(string) LabelRef, p gotypes.Component, signed bool, rows []GPPhysical) {
	widen := VPMOVZXBW
	if signed {
		widen = VPMOVSXBW
	}
	MOVQ(RDX, RCX)
	DECQ(RCX)
	IMULQ(R11, RCX)
	Load(p.Field("seg"), RAX)
	LEAQ(Mem{Base: RCX, Index: RAX, Scale: 1, Disp: 7}, RCX)
	SHRQ(Imm(3), RCX) // 8-byte chunks, at least 1
	Load(p.Field("scratch"), R14)
	Load(p.Field("scratchStride"), R15)
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
