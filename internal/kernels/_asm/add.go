package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// addAVX512 generates TFLite's quantized ADD over n elements, 16 at a time:
// offset, shift left by 20, rescale each input, sum, rescale to the output,
// clamp — each rescale the exact MultiplyByQuantizedMultiplier.
func addAVX512(name string, signed bool) {
	TEXT(name, NOSPLIT, "func(p *addArgs)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s adds n quantized elements with AVX-512 (see addArgs).", name))
	p := Dereference(Param("p"))
	Load(p.Field("a"), RSI)
	Load(p.Field("b"), RDI)
	Load(p.Field("out"), R8)
	Load(p.Field("n"), RCX)
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
	MOVL(U32(20), EAX)
	VPBROADCASTD(EAX, Z25)

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
	ADDQ(Imm(16), RSI)
	ADDQ(Imm(16), RDI)
	ADDQ(Imm(16), R8)
	SUBQ(Imm(16), RCX)
	JA(LabelRef(name + "_loop"))
	VZEROUPPER()
	RET()
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
