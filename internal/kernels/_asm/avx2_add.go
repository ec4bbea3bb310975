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
// rescales are the GEMM epilogue's (requantAVX2) with uniform constants,
// on values biased by 2^31: the bias goes in with the zero point (k0, k1)
// or after the sum (k2).
func addAVX2(name string, signed bool) {
	widen := VPMOVZXBD
	if signed {
		widen = VPMOVSXBD
	}
	p := addText(name, "addAVX2Args", "%s adds n quantized elements, a multiple of 16, with AVX2 (see addAVX2Args).", RSI, R8, R9, RCX)
	f := func(s string) Mem { return fieldMem(p.Field(s)) }

	Label(name + "_loop")
	widen(Mem{Base: RSI}, Y0)
	widen(Mem{Base: RSI, Disp: 8}, Y1)
	widen(Mem{Base: R8}, Y2)
	widen(Mem{Base: R8, Disp: 8}, Y3)
	for _, y := range []VecPhysical{Y0, Y1} {
		VPSLLD(f("l0"), y, y)
		VPADDD(f("k0"), y, y)
	}
	for _, y := range []VecPhysical{Y2, Y3} {
		VPSLLD(f("l1"), y, y)
		VPADDD(f("k1"), y, y)
	}
	// Two independent chains per rescale keep the multipliers busy.
	rescaleAVX2(p, "0", []VecPhysical{Y0, Y1}, []VecPhysical{Y4, Y5, Y6, Y7})
	rescaleAVX2(p, "1", []VecPhysical{Y2, Y3}, []VecPhysical{Y8, Y9, Y10, Y11})
	VPADDD(Y2, Y0, Y0)
	VPADDD(Y3, Y1, Y1)
	for _, y := range []VecPhysical{Y0, Y1} {
		VPSLLD(f("l2"), y, y)
		VPADDD(f("k2"), y, y)
	}
	rescaleAVX2(p, "2", []VecPhysical{Y0, Y1}, []VecPhysical{Y4, Y5, Y6, Y7})
	pack16(Y0, Y1, signed, f("outZP"), f("lo"), f("hi"))
	VMOVDQU(X0, Mem{Base: R9})
	addNext(name, JNZ, RSI, R8, R9)
}

// rescaleAVX2 applies MultiplyByQuantizedMultiplier with rescale s's
// uniform constants to the vectors xs, which hold their values plus 2^31,
// in place, as requantAVX2 does (two temporaries per vector in t).
func rescaleAVX2(p gotypes.Component, s string, xs, t []VecPhysical) {
	f := func(name string) Mem { return fieldMem(p.Field(name + s)) }
	for i, x := range xs {
		VPSRLD(f("sign"), x, t[2*i])
		VPSHUFD(Imm(0xF5), x, t[2*i+1])
	}
	for i, x := range xs {
		VPMULUDQ(f("m"), x, x)
		VPMULUDQ(f("m"), t[2*i+1], t[2*i+1])
	}
	for i, x := range xs {
		VPADDQ(f("nudge"), x, x)
		VPADDQ(f("nudge"), t[2*i+1], t[2*i+1])
		VPSHUFD(Imm(0xF5), x, x)
		VPBLENDD(Imm(0xAA), t[2*i+1], x, x)
		VPADDD(t[2*i], x, x)
		VPSRAD(f("r"), x, x)
	}
}
