package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/gotypes"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// addAVX512 generates TFLite's quantized ADD over n elements, 16 at a time:
// offset, shift left (by 20 but for a hand-built AddParams), rescale each input, sum, rescale to the output,
// clamp — each rescale the exact MultiplyByQuantizedMultiplier.
func addAVX512(name string, signed bool) {
	p := addText(name, "addArgs", "%s adds n quantized elements with AVX-512 (see addArgs).", RSI, RDI, R8, RCX)
	MOVL(U32(0xAAAA), EAX)
	KMOVW(EAX, K1)
	// Broadcast the three rescales' constants: [zp/offset, mult, mult>>32,
	// lshift, round, negen, rshift] for input 1 (Z2..), input 2 and output.
	bcast := func(field string, z VecPhysical) {
		Load(p.Field(field), EAX)
		VPBROADCASTD(EAX, z)
	}
	bcast("aZP", Z2)
	bcast("bZP", Z3)
	bcast("outZP", Z4)
	bcast("min", Z5)
	bcast("max", Z6)
	type rescale struct{ mult, multOdd, lshift, round, negen, rshift VecPhysical }
	scales := []rescale{
		{Z7, Z8, Z9, Z10, Z11, Z12},
		{Z13, Z14, Z15, Z16, Z17, Z18},
		{Z19, Z20, Z21, Z22, Z23, Z24},
	}
	for i, s := range scales {
		f := fmt.Sprintf("s%d", i)
		bcast(f+"Mult", s.mult)
		VPSRLQ(Imm(32), s.mult, s.multOdd)
		bcast(f+"LShift", s.lshift)
		bcast(f+"Round", s.round)
		bcast(f+"NegEn", s.negen)
		bcast(f+"RShift", s.rshift)
	}
	bcast("headroom", Z25)

	addLoad16(name, signed)
	VPSUBD(Z2, Z0, Z0)
	VPSUBD(Z3, Z1, Z1)
	VPSLLVD(Z25, Z0, Z0)
	VPSLLVD(Z25, Z1, Z1)
	mbqm(Z0, scales[0].mult, scales[0].multOdd, scales[0].lshift, scales[0].round, scales[0].negen, scales[0].rshift)
	mbqm(Z1, scales[1].mult, scales[1].multOdd, scales[1].lshift, scales[1].round, scales[1].negen, scales[1].rshift)
	VPADDD(Z1, Z0, Z0)
	mbqm(Z0, scales[2].mult, scales[2].multOdd, scales[2].lshift, scales[2].round, scales[2].negen, scales[2].rshift)
	VPADDD(Z4, Z0, Z0)
	VPMAXSD(Z5, Z0, Z0)
	VPMINSD(Z6, Z0, Z0)
	VPMOVDB(Z0, K2, Mem{Base: R8})
	// n is not a multiple of 16: JA ends the loop when n-16 borrows, too.
	addNext(name, JA, RSI, RDI, R8)
}

// addLoad16 starts an AVX-512 ADD kernel's step (label name_loop): up to 16
// elements of a (RSI) and b (RDI), widened to dwords in Z0 and Z1, under
// the mask K2 of the elements left (RCX).
func addLoad16(name string, signed bool) {
	Label(name + "_loop")
	MOVL(U32(0xFFFF), R15L)
	CMPQ(RCX, Imm(16))
	JAE(LabelRef(name + "_mask"))
	BZHIL(ECX, R15L, R15L)
	Label(name + "_mask")
	KMOVW(R15L, K2)
	// Masked loads: the inputs may be constants at the end of the model file.
	widenZ := VPMOVZXBD_Z
	if signed {
		widenZ = VPMOVSXBD_Z
	}
	widenZ(Mem{Base: RSI}, K2, Z0)
	widenZ(Mem{Base: RDI}, K2, Z1)
}

// mbqm applies MultiplyByQuantizedMultiplier to x in place with vector
// constants (temporaries Z28..Z30), as requantize does.
func mbqm(x, mult, multOdd, lshift, round, negen, rshift VecPhysical) {
	VPSLLVD(lshift, x, x)
	VPSRLQ(Imm(32), x, Z29)
	VPMULDQ(mult, x, Z28)
	VPMULDQ(multOdd, Z29, Z29)
	VPADDQ_BCST(nudge, Z28, Z28)
	VPADDQ_BCST(nudge, Z29, Z29)
	VPSRLQ(Imm(31), Z28, Z28)
	VPSLLQ(Imm(1), Z29, Z29)
	VPBLENDMD(Z29, Z28, K1, x)
	VPSRAD(Imm(31), x, Z30)
	VPANDD(negen, Z30, Z30)
	VPADDD(round, x, x)
	VPADDD(Z30, x, x)
	VPSRAVD(rshift, x, x)
}

// addText declares an ADD kernel taking p *args, documented by doc (a
// format of name), and loads p's a, b, out and n into the registers given.
func addText(name, args, doc string, a, b, out, n Register) gotypes.Component {
	TEXT(name, NOSPLIT, "func(p *"+args+")")
	Pragma("noescape")
	Doc(fmt.Sprintf(doc, name))
	p := Dereference(Param("p"))
	Load(p.Field("a"), a)
	Load(p.Field("b"), b)
	Load(p.Field("out"), out)
	Load(p.Field("n"), n)
	return p
}

// addNext ends an ADD kernel's step of 16 elements: it advances the
// pointers a, b and out, counts the step off n (RCX), loops to name_loop
// through jump while elements are left, and returns.
func addNext(name string, jump func(Op), a, b, out Register) {
	for _, r := range []Register{a, b, out} {
		ADDQ(Imm(16), r)
	}
	SUBQ(Imm(16), RCX)
	jump(LabelRef(name + "_loop"))
	VZEROUPPER()
	RET()
}

// addSplitAVX512 generates the ADD of inputs in split form
// (kernels.addSplit, addSplitArgs): input a has the multiplier 1/2, so
// its rescale is (a - zp)·2^19 exactly; input b is rescaled with 32-bit
// products, v·Mh + ((v·Ml + 2^10) >> 11) with v = b - zp (folded into
// the constants), then divided by 2^e with rounding; the sum, biased by
// 2^31 through a's offset k, takes the GEMM's output rescale
// (gemmRequant's form, docs/kernels.md "The AVX2 epilogue"), with no left
// shift. 27 operations on the vector ports per 16 elements where
// addAVX512 takes 53. b's rescale in the epilogue's form would take 11
// instead of 9 and measures 15% slower (Zen 5, BenchmarkAdd).
func addSplitAVX512(name string, signed bool) {
	p := addText(name, "addSplitArgs", "%s adds n quantized elements in split form with AVX-512 (see addSplitArgs).", RSI, RDI, R8, RCX)
	f := func(s string) Mem { return fieldMem(p.Field(s)) }
	MOVL(U32(0x5555), EAX)
	KMOVW(EAX, K1) // even 32-bit lanes
	for _, c := range []struct {
		field string
		z     VecPhysical
	}{
		{"k", Z2}, {"signZP", Z3}, {"hi", Z4}, {"lo", Z5}, {"half", Z6}, {"round", Z7},
		{"r", Z9}, {"m2", Z10}, {"sign2", Z12}, {"r2", Z13},
		{"outZP32", Z14}, {"min", Z15}, {"max", Z16},
	} {
		VPBROADCASTD(f(c.field), c.z)
	}
	VPBROADCASTQ(f("nudge2"), Z11)
	MOVL(U32(1), EAX)
	VPBROADCASTD(EAX, Z8)

	addLoad16(name, signed)
	VPSLLD(Imm(19), Z0, Z0)
	VPADDD(Z2, Z0, Z0)        // (a - zp)·2^19 + 2^31
	VPCMPGTD(Z1, Z3, K3)      // [b < zp] where e > 0
	VPMULLD(Z5, Z1, Z17)      // b·Ml
	VPMULLD(Z4, Z1, Z1)       // b·Mh
	VPADDD(Z6, Z17, Z17)      // v·Ml + 2^10
	VPADDD(Z7, Z1, Z1)        // v·Mh + round
	VPSRAD(Imm(11), Z17, Z17) // (v·Ml + 2^10) >> 11
	VPSUBD(Z8, Z1, K3, Z1)    // - [v < 0]
	VPADDD(Z17, Z1, Z1)
	VPSRAVD(Z9, Z1, Z1)
	VPADDD(Z1, Z0, Z0) // the sum plus 2^31
	VPSRLVD(Z12, Z0, Z18)
	VPSHUFD(Imm(0xF5), Z0, Z17) // odd lanes to the even positions
	VPMULUDQ(Z10, Z0, Z0)
	VPMULUDQ(Z10, Z17, Z17)
	VPADDQ(Z11, Z0, Z0)
	VPADDQ(Z11, Z17, Z17)
	VPSHUFD(Imm(0xF5), Z0, K1, Z17) // the even lanes' high halves down
	VPADDD(Z18, Z17, Z17)
	VPSRAVD(Z13, Z17, Z0)
	VPADDD(Z14, Z0, Z0)
	VPMAXSD(Z15, Z0, Z0)
	VPMINSD(Z16, Z0, Z0)
	VPMOVDB(Z0, K2, Mem{Base: R8})
	addNext(name, JA, RSI, RDI, R8)
}
