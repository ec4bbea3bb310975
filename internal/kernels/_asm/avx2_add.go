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
	rescaleAVX2Ops(f("m"), f("nudge"), f("sign"), f("r"), xs, t)
}

// rescaleAVX2Ops is rescaleAVX2 with its constants as operands: 2M, the
// nudge, and the sign and right shift counts.
func rescaleAVX2Ops(m, nudge, sign, r Op, xs, t []VecPhysical) {
	for i, x := range xs {
		VPSRLD(sign, x, t[2*i])
		VPSHUFD(Imm(0xF5), x, t[2*i+1])
	}
	for i, x := range xs {
		VPMULUDQ(m, x, x)
		VPMULUDQ(m, t[2*i+1], t[2*i+1])
	}
	for i, x := range xs {
		VPADDQ(nudge, x, x)
		VPADDQ(nudge, t[2*i+1], t[2*i+1])
		VPSHUFD(Imm(0xF5), x, x)
		VPBLENDD(Imm(0xAA), t[2*i+1], x, x)
		VPADDD(t[2*i], x, x)
		VPSRAD(r, x, x)
	}
}

// addSplitAVX2 generates the ADD of inputs in split form (see
// addSplitAVX512) over n elements, a multiple of 16, 16 at a time: a's
// rescale is a shift, b's two VPMULLD, and the sum, biased by 2^31
// through a's offset, takes the AVX2 epilogue (rescaleAVX2's form). The
// constants live in registers: from memory operands the kernel measured
// 15% slower, and with b's rescale in the epilogue's form instead of the
// split one 10% slower (Zen 5, BenchmarkAdd).
func addSplitAVX2(name string, signed bool) {
	widen := VPMOVZXBD
	if signed {
		widen = VPMOVSXBD
	}
	p := addText(name, "addSplitArgs", "%s adds n quantized elements in split form, a multiple of 16, with AVX2 (see addSplitArgs).", RSI, R8, R9, RCX)
	f := func(s string) Mem { return fieldMem(p.Field(s)) }
	signZP, lo, hi, half, k, round, m2, nudge2 := Y8, Y9, Y10, Y11, Y12, Y13, Y14, Y15
	for _, c := range []struct {
		field string
		y     VecPhysical
	}{
		{"signZP", signZP}, {"lo", lo}, {"hi", hi}, {"half", half}, {"k", k}, {"round", round}, {"m2", m2}, {"nudge2", nudge2},
	} {
		VMOVDQU(f(c.field), c.y)
	}

	Label(name + "_loop")
	widen(Mem{Base: RSI}, Y0)
	widen(Mem{Base: RSI, Disp: 8}, Y1)
	widen(Mem{Base: R8}, Y2)
	widen(Mem{Base: R8, Disp: 8}, Y3)
	vs, low, neg := []VecPhysical{Y2, Y3}, []VecPhysical{Y4, Y5}, []VecPhysical{Y6, Y7}
	for i, y := range vs {
		VPCMPGTD(y, signZP, neg[i]) // -[v < 0] where e > 0
		VPMULLD(lo, y, low[i])      // b·Ml
	}
	for i, y := range vs {
		VPMULLD(hi, y, y)            // b·Mh
		VPADDD(half, low[i], low[i]) // v·Ml + 2^10
	}
	for _, y := range []VecPhysical{Y0, Y1} {
		VPSLLD(Imm(19), y, y)
		VPADDD(k, y, y) // (a - zp)·2^19 + 2^31
	}
	for i, y := range vs {
		VPADDD(round, y, y) // v·Mh + round
		VPSRAD(Imm(11), low[i], low[i])
		VPADDD(neg[i], y, y)
		VPADDD(low[i], y, y)
		VPSRAD(f("r"), y, y)
	}
	VPADDD(Y2, Y0, Y0)
	VPADDD(Y3, Y1, Y1)
	rescaleAVX2Ops(m2, nudge2, f("sign2"), f("r2"), []VecPhysical{Y0, Y1}, []VecPhysical{Y4, Y5, Y6, Y7})
	pack16(Y0, Y1, signed, f("outZP"), f("lo8"), f("hi8"))
	VMOVDQU(X0, Mem{Base: R9})
	addNext(name, JNZ, RSI, R8, R9)
}
