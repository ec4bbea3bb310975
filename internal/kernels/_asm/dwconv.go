package main

import (
	"fmt"

	"github.com/mmcloughlin/avo/gotypes"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// dwconvAVX512 generates the depthwise convolution kernel: for each of n
// output pixels, for each group of 16 channels, Σ over taps of the widened
// input times the 32-bit weight (w - wz), then the shared requantization.
// The input is a zero-point-padded copy, so no tap is ever out of bounds.
func dwconvAVX512(name string, signed bool) {
	p := dwText(name, "%s computes n output pixels of a depthwise convolution with AVX-512 (see dwArgs).")

	Label(name + "_pixel")
	XORQ(R12, R12) // channel offset (bytes of input/output)
	XORQ(R13, R13) // requant block offset (384 bytes per group)
	Load(p.Field("groups"), R11)
	Label(name + "_group")
	// Store mask: all 16 lanes, or cLast in the last group.
	dwGroupMask(p, name)

	VPXORD(Z0, Z0, Z0)
	Load(p.Field("offs"), R8)
	Load(p.Field("w"), R9)
	LEAQ(Mem{Base: R9, Index: R12, Scale: 4}, R9) // weights of this group, tap 0
	Load(p.Field("taps"), RCX)
	Load(p.Field("cpad"), R10)
	SHLQ(Imm(2), R10) // bytes between taps' weight rows
	Label(name + "_tap")
	MOVQ(Mem{Base: R8}, RAX)
	ADDQ(RSI, RAX)
	if signed {
		VPMOVSXBD(Mem{Base: RAX, Index: R12, Scale: 1}, Z1)
	} else {
		VPMOVZXBD(Mem{Base: RAX, Index: R12, Scale: 1}, Z1)
	}
	VPMULLD(Mem{Base: R9}, Z1, Z1)
	VPADDD(Z1, Z0, Z0)
	ADDQ(Imm(8), R8)
	ADDQ(R10, R9)
	DECQ(RCX)
	JNZ(LabelRef(name + "_tap"))

	dwStore(p, Z0)
	ADDQ(Imm(16), R12)
	ADDQ(U32(384), R13)
	DECQ(R11)
	JNZ(LabelRef(name + "_group"))

	dwNextPixel(p, name)
}

// dwconv3x3AVX512 is dwconvAVX512 unrolled for 3×3 filters: the nine taps
// are addressed from three row pointers and three column offsets, and the
// weights are laid out [group][tap pair][16] so each is a fixed displacement.
func dwconv3x3AVX512(name string, signed bool) {
	p := dwText(name, "%s computes n output pixels of a 3×3 depthwise convolution with AVX-512 VNNI (see dwArgs; w is [group][5 tap pairs][16] int16 pairs).")
	MOVL(U32(0xAAAAAAAA), EAX)
	KMOVD(EAX, K4) // odd 16-bit lanes

	Label(name + "_pixel")
	Load(p.Field("rowStep"), RCX)
	MOVQ(RSI, R8)
	LEAQ(Mem{Base: RSI, Index: RCX, Scale: 1}, R9)
	LEAQ(Mem{Base: R9, Index: RCX, Scale: 1}, R10)
	Load(p.Field("colStep"), RBX) // second column's offset
	LEAQ(Mem{Base: RBX, Index: RBX, Scale: 1}, RCX)
	XORQ(R12, R12)
	XORQ(R13, R13)
	Load(p.Field("w"), RAX)
	Load(p.Field("groups"), R11)
	Label(name + "_group")
	dwGroupMask(p, name)

	rowsP := []GPPhysical{R8, R9, R10}
	tap := func(t int) Mem {
		idx := []GPPhysical{R12, RBX, RCX}[t%3]
		return Mem{Base: rowsP[t/3], Index: idx, Scale: 1}
	}
	widen := VPMOVZXBD
	if signed {
		widen = VPMOVSXBD
	}
	// Taps go in pairs: two taps' values as the 16-bit halves of each lane,
	// times the matching pair of 16-bit weights, summed by VPDPWSSD. Two
	// accumulators keep the multiply-adds from waiting on each other.
	VPXORD(Z0, Z0, Z0)
	VPXORD(Z2, Z2, Z2)
	for i := range 4 {
		widen(tap(2*i), Z1)
		widen(tap(2*i+1), Z3)
		VPSLLD(Imm(16), Z3, Z3)
		VPBLENDMW(Z3, Z1, K4, Z1)
		vpdpwssd(Mem{Base: RAX, Disp: 64 * i}, Z1, []VecPhysical{Z0, Z2}[i%2])
	}
	widen(tap(8), Z1) // the ninth tap, paired with a zero weight
	vpdpwssd(Mem{Base: RAX, Disp: 256}, Z1, Z0)
	VPADDD(Z2, Z0, Z0)

	dwStore(p, Z0)
	ADDQ(Imm(16), R12)
	ADDQ(Imm(16), RBX)
	ADDQ(Imm(16), RCX)
	ADDQ(U32(384), R13)
	ADDQ(U32(320), RAX)
	DECQ(R11)
	JNZ(LabelRef(name + "_group"))

	dwNextPixel(p, name)
}

// The parts the depthwise kernels share. Registers: RSI the current
// pixel's window origin, RDI its output, RDX pixels left, R11 groups left,
// R12 the channel offset, R13 the requant block offset.

// dwText declares the depthwise kernel name, taking *dwArgs and documented
// by doc (a format of name), and loads what all the variants use from it.
func dwText(name, doc string) gotypes.Component {
	TEXT(name, NOSPLIT, "func(p *dwArgs)")
	Pragma("noescape")
	Doc(fmt.Sprintf(doc, name))
	p := Dereference(Param("p"))
	dwBegin(p)
	return p
}

// dwBegin loads the pointers and the constants: K1 the odd 32-bit lanes,
// Z16/Z17/Z18 the output zero point and clamp.
func dwBegin(p gotypes.Component) {
	Load(p.Field("in"), RSI)
	Load(p.Field("out"), RDI)
	Load(p.Field("n"), RDX)
	MOVL(U32(0xAAAA), EAX)
	KMOVW(EAX, K1)
	outputConsts(p, EAX)
}

// dwGroupMask sets K2 to the group's valid channels: all 16, or cLast in the
// last group.
func dwGroupMask(p gotypes.Component, name string) {
	MOVL(U32(0xFFFF), R15L)
	CMPQ(R11, Imm(1))
	JNE(LabelRef(name + "_mask"))
	Load(p.Field("cLast"), R14)
	BZHIL(R14L, R15L, R15L)
	Label(name + "_mask")
	KMOVW(R15L, K2)
}

// dwStore requantizes the accumulator acc and stores the group's bytes.
func dwStore(p gotypes.Component, acc VecPhysical) {
	Load(p.Field("q"), R14)
	blk := func(a int) Op { return Mem{Base: R14, Index: R13, Scale: 1, Disp: 64 * a} }
	VMOVDQU32(blk(qMult), Z22)
	VPSRLQ(Imm(32), Z22, Z23)
	requantize(acc, nil, blk)
	VPMOVDB(Z28, K2, Mem{Base: RDI, Index: R12, Scale: 1})
}

// dwNextPixel moves to the next output pixel and loops, then returns.
func dwNextPixel(p gotypes.Component, name string) {
	Load(p.Field("inStep"), RAX)
	ADDQ(RAX, RSI)
	Load(p.Field("outStep"), RAX)
	ADDQ(RAX, RDI)
	DECQ(RDX)
	JNZ(LabelRef(name + "_pixel"))
	VZEROUPPER()
	RET()
}

var (
	xmm = []VecPhysical{X0, X1, X2, X3, X4, X5, X6, X7, X8, X9, X10, X11, X12, X13, X14, X15, X16, X17, X18, X19, X20, X21, X22, X23, X24, X25, X26, X27, X28, X29, X30, X31}
	ymm = []VecPhysical{Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11, Y12, Y13, Y14, Y15, Y16, Y17, Y18, Y19, Y20, Y21, Y22, Y23, Y24, Y25, Y26, Y27, Y28, Y29, Y30, Y31}
	zmm = []VecPhysical{Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15, Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23, Z24, Z25, Z26, Z27, Z28, Z29, Z30, Z31}
)
