package main

import (
	. "github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/gotypes"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// addAVX2 generates TFLite's quantized ADD over n elements (a multiple of
// 16; kernels.Adder.runAVX2 runs the tail through a tile), 16 at a time:
// offset, shift left (20 bits of headroom plus the rescale's own left
// shift), rescale each input, sum, rescale to the output, clamp. The
// rescales' constants are uniform, so one multiplier vector serves even
// and odd lanes, and the shifts take count operands.
func addAVX2(name string, signed bool) {
	widen := VPMOVZXBD
	if signed {
		widen = VPMOVSXBD
	}
	p := addText(name, "addAVX2Args", "%s adds n quantized elements, a multiple of 16, with AVX2 (see addAVX2Args).", RSI, R8, R9, RCX)
	f := func(s string) Mem { return fieldMem(p.Field(s)) }
	VPBROADCASTQ(nudge, Y15)

	Label(name + "_loop")
	widen(Mem{Base: RSI}, Y0)
	widen(Mem{Base: RSI, Disp: 8}, Y1)
	widen(Mem{Base: R8}, Y2)
	widen(Mem{Base: R8, Disp: 8}, Y3)
	for _, y := range []VecPhysical{Y0, Y1} {
		VPSUBD(f("aZP"), y, y)
	}
	for _, y := range []VecPhysical{Y2, Y3} {
		VPSUBD(f("bZP"), y, y)
	}
	// Two independent chains per step keep the multipliers busy.
	rescaleAVX2(p, "0", Y0, Y4, Y1, Y5)
	rescaleAVX2(p, "1", Y2, Y6, Y3, Y7)
	VPADDD(Y2, Y0, Y0)
	VPADDD(Y3, Y1, Y1)
	rescaleAVX2(p, "2", Y0, Y4, Y1, Y5)
	pack16(Y0, Y1, signed, f("outZP"), f("lo"), f("hi"))
	VMOVDQU(X0, Mem{Base: R9})
	addNext(name, JNZ, RSI, R8, R9)
}

// rescaleAVX2 applies MultiplyByQuantizedMultiplier with rescale s's
// uniform constants to x and y in place (temporaries tx, ty).
func rescaleAVX2(p gotypes.Component, s string, x, tx, y, ty VecPhysical) {
	f := func(name string) Mem { return fieldMem(p.Field(name + s)) }
	pairs := [][2]VecPhysical{{x, tx}, {y, ty}}
	for _, v := range pairs {
		VPSLLD(f("l"), v[0], v[0])
	}
	for _, v := range pairs {
		VPSRLQ(Imm(32), v[0], v[1])
	}
	for _, v := range pairs {
		VPMULDQ(f("m"), v[0], v[0])
		VPMULDQ(f("m"), v[1], v[1])
	}
	for _, v := range pairs {
		VPADDQ(Y15, v[0], v[0])
		VPADDQ(Y15, v[1], v[1])
		VPSRLQ(Imm(31), v[0], v[0])
		VPSLLQ(Imm(1), v[1], v[1])
		VPBLENDD(Imm(0xAA), v[1], v[0], v[0])
	}
	for _, v := range pairs {
		roundingShift(v[0], v[1], f("sign"), f("round"), f("r"), true)
	}
}
