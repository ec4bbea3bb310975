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
