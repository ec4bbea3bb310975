package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/gotypes"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// Kinds of AVX2 depthwise kernel.
type dwMode int

const (
	dwTapLoop dwMode = iota // any taps, from the offsets array; channels ≥ 16
	dw3x3                   // 3×3 taps unrolled, addressed from row pointers; channels ≥ 16
	dwNarrow                // any taps, fewer than 16 channels
)

// dwconvAVX2 generates the depthwise convolution over n output pixels of
// one row (kernels.dwAVX2): per pixel, per group of 16 channels, per pair
// of taps, the two taps' bytes are interleaved and widened to int16 pairs
// and multiplied with the weight pairs by VPMADDWD (exact), then the
// 16 sums are requantized and packed.
//
// The wide kernels load and store whole groups; the last group overlaps
// the one before it (kernels.dwAVX2.lastOff). The narrow kernel (one
// group) loads each tap's 16 bytes forward when they are inside the padded
// buffer and otherwise the 16 bytes ending at the tap's last channel,
// shifted down; it stores c bytes.
//
// GPRs: RSI window origin, R15 output pixel, RDX pixels left, R12 channel
// offset (narrow: 32 - c), R11 groups left (narrow: end of the buffer),
// R13 requant block, R9 weights, R10 input of the group, R14 temporary;
// the tap loop: R8 tap offsets, RCX pairs left, RAX/RBX offsets; 3×3: RAX,
// RBX the window's second and third rows, RCX the column step, R8 the row
// step.
func dwconvAVX2(name string, signed bool, mode dwMode) {
	kind := map[dwMode]string{dwTapLoop: "at least 16 channels", dw3x3: "a 3×3 window and at least 16 channels", dwNarrow: "fewer than 16 channels"}[mode]
	p, f := avx2Text(name, "dwAVX2Args", fmt.Sprintf("%s computes n output pixels of a depthwise convolution with %s with AVX2 (see dwAVX2Args).", name, kind))
	l := func(s string) string { return name + "_" + s }

	Load(p.Field("in"), RSI)
	Load(p.Field("out"), R15)
	Load(p.Field("n"), RDX)
	switch mode {
	case dwNarrow:
		Load(p.Field("c"), RAX)
		MOVQ(U32(32), R12)
		SUBQ(RAX, R12)
		LEAQ(shiftTab, R14)
		VMOVDQU(Mem{Base: R14, Index: R12, Scale: 1, Disp: -16}, X14) // shiftTab[16-c:]
		Load(p.Field("inBase"), R11)
		ADDQ(f("inLen"), R11)
	case dw3x3:
		Load(p.Field("colStep"), RCX)
		Load(p.Field("rowStep"), R8)
	}

	Label(l("pixel"))
	Load(p.Field("q"), R13)
	Load(p.Field("w"), R9)
	if mode != dwNarrow {
		XORQ(R12, R12)
		Load(p.Field("groups"), R11)
	}
	Label(l("group"))
	if mode == dwNarrow {
		MOVQ(RSI, R10)
	} else {
		CMPQ(R11, Imm(1))
		JNE(LabelRef(l("mid")))
		Load(p.Field("lastOff"), R12)
		Label(l("mid"))
		LEAQ(Mem{Base: RSI, Index: R12, Scale: 1}, R10)
	}
	VMOVDQU(Mem{Base: R13, Disp: 4 * 16 * aqBias}, Y0)
	VMOVDQU(Mem{Base: R13, Disp: 4*16*aqBias + 32}, Y1)
	if mode == dw3x3 {
		dwTaps3x3(signed)
	} else {
		dwTapsLoop(l, p, signed, mode == dwNarrow)
	}

	q := func(acc, field int) Mem { return Mem{Base: R13, Disp: field*4*16 + 32*acc} }
	leftShifts(l("q"), f("lshift"), []VecPhysical{Y0, Y1}, q)
	for j, acc := range []VecPhysical{Y0, Y1} {
		requantAVX2(acc, Y2, Y3, func(field int) Mem { return q(j, field) })
	}
	pack16(Y0, Y1, signed, f("outZP"), f("lo"), f("hi"))
	if mode == dwNarrow {
		MOVQ(R15, R14)
		Load(p.Field("c"), RAX)
		storeBytes(l("store"), Y0, R14, RAX, RBX)
	} else {
		VMOVDQU(X0, Mem{Base: R15, Index: R12, Scale: 1})
		ADDQ(Imm(16), R12)
		ADDQ(U32(aqFields*4*16), R13)
		DECQ(R11)
		JNZ(LabelRef(l("group")))
	}

	ADDQ(f("inStep"), RSI)
	ADDQ(f("outStep"), R15)
	DECQ(RDX)
	JNZ(LabelRef(l("pixel")))
	VZEROUPPER()
	RET()
}

// dwPair accumulates one pair of taps, already in X2 and X3, into Y0 (the
// group's channels 0..7) and Y1 (8..15) with the weight pairs at w.
func dwPair(signed bool, w Mem) {
	widen := VPMOVZXBW
	if signed {
		widen = VPMOVSXBW
	}
	VPUNPCKHBW(X3, X2, X4) // channels 8..15, taps interleaved
	VPUNPCKLBW(X3, X2, X2) // channels 0..7
	widen(X2, Y2)
	widen(X4, Y4)
	VPMADDWD(w, Y2, Y2)
	VPMADDWD(w.Offset(32), Y4, Y4)
	VPADDD(Y2, Y0, Y0)
	VPADDD(Y4, Y1, Y1)
}

// dwTapsLoop accumulates the taps listed in the offsets array, a pair per
// iteration.
func dwTapsLoop(l func(string) string, p gotypes.Component, signed, narrow bool) {
	Load(p.Field("offs"), R8)
	Load(p.Field("pairs"), RCX)
	Label(l("pair"))
	MOVQ(Mem{Base: R8}, RAX)
	MOVQ(Mem{Base: R8, Disp: 8}, RBX)
	if narrow {
		dwLoadNarrow(l("t0"), RAX, X2)
		dwLoadNarrow(l("t1"), RBX, X3)
	} else {
		VMOVDQU(Mem{Base: R10, Index: RAX, Scale: 1}, X2)
		VMOVDQU(Mem{Base: R10, Index: RBX, Scale: 1}, X3)
	}
	dwPair(signed, Mem{Base: R9})
	ADDQ(Imm(16), R8)
	ADDQ(Imm(64), R9)
	DECQ(RCX)
	JNZ(LabelRef(l("pair")))
}

// dwTaps3x3 accumulates the nine taps of a 3×3 window: tap (ky, kx) is at
// row ky's pointer plus kx column steps; the odd ninth tap pairs with
// itself (its partner weight is zero).
func dwTaps3x3(signed bool) {
	LEAQ(Mem{Base: R10, Index: R8, Scale: 1}, RAX)
	LEAQ(Mem{Base: R10, Index: R8, Scale: 2}, RBX)
	rows := []GPPhysical{R10, RAX, RBX}
	tap := func(t int) Mem {
		ky, kx := t/3, t%3
		if kx == 0 {
			return Mem{Base: rows[ky]}
		}
		return Mem{Base: rows[ky], Index: RCX, Scale: uint8(kx)}
	}
	for pair := range 5 {
		VMOVDQU(tap(2*pair), X2)
		if 2*pair+1 < 9 {
			VMOVDQU(tap(2*pair+1), X3)
		} else {
			VMOVDQA(X2, X3)
		}
		dwPair(signed, Mem{Base: R9, Disp: 64 * pair})
	}
	ADDQ(U32(5*64), R9)
}

// dwLoadNarrow loads the tap at R10+off into x: forward when 16 bytes fit
// before the end of the buffer (R11), else the 16 bytes ending c bytes
// after the tap (R12 = 32 - c), shifted down by 16 - c (mask X14).
func dwLoadNarrow(l string, off GPPhysical, x VecPhysical) {
	LEAQ(Mem{Base: R10, Index: off, Scale: 1, Disp: 16}, R14)
	CMPQ(R14, R11)
	JA(LabelRef(l + "_back"))
	VMOVDQU(Mem{Base: R10, Index: off, Scale: 1}, x)
	JMP(LabelRef(l + "_done"))
	Label(l + "_back")
	SUBQ(R12, R14)
	VMOVDQU(Mem{Base: R14}, x)
	VPSHUFB(X14, x, x)
	Label(l + "_done")
}
