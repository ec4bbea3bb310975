package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/ir"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// directConvVNNI generates the direct convolution kernel of 32 output
// channels over 3 window rows of 3 byte quads (kernels.directConvKernel):
// pixels go in pairs, each pair's 4 accumulators (2 pixels × 2 vectors of 16
// channels) fed by 9 broadcast quads per pixel against the 18 weight
// vectors, which stay in registers; then the requantization and one store of
// the pair's 64 output bytes. An odd last pixel is computed twice and stored
// once.
func directConvVNNI(name string, signed, lshift bool) {
	TEXT(name, NOSPLIT, "func(p *directConvArgs)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s computes p.n output pixels of a direct convolution with AVX-512 VNNI (see directConvArgs).", name))
	p := Dereference(Param("p"))
	rows := []GPPhysical{R8, R9, R10}
	Load(p.Field("in0"), R8)
	Load(p.Field("in1"), R9)
	Load(p.Field("in2"), R10)
	Load(p.Field("out"), RDI)
	Load(p.Field("q"), RSI)
	Load(p.Field("n"), RDX)
	Load(p.Field("step"), R11)                      // second pixel of a pair
	LEAQ(Mem{Base: R11, Index: R11, Scale: 1}, R12) // one pair to the next
	// Weights in Z4..Z15 and Z19..Z24, around the output constants that
	// broadcastOutput puts in Z16..Z18.
	var w []VecPhysical
	for _, z := range []VecPhysical{Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15, Z19, Z20, Z21, Z22, Z23, Z24} {
		w = append(w, z)
	}
	Load(p.Field("w"), RAX)
	for i, z := range w {
		VMOVDQU64(Mem{Base: RAX, Disp: 64 * i}, z)
	}
	broadcastOutput(p, R14L, VPBROADCASTW, VPBROADCASTB)
	MOVL(U32(0xAAAA), EAX)
	KMOVW(EAX, K1) // odd 32-bit lanes, for requantCore's blend
	MOVL(U32(0x80808080), EAX)
	VPBROADCASTD(EAX, Z25)
	VMOVDQU64(packPerm512, Z30)
	VPXORD(Z31, Z31, Z31)
	KXNORQ(K2, K2, K2) // store mask: the pair's 64 bytes

	Label(name + "_pair")
	CMPQ(RDX, Imm(1))
	JNE(LabelRef(name + "_body"))
	// The last, odd pixel: the pair's second is the first again, and only
	// the first's 32 bytes are stored.
	XORQ(R11, R11)
	MOVL(U32(0xFFFFFFFF), EAX)
	KMOVQ(RAX, K2)
	Label(name + "_body")
	acc := []VecPhysical{Z0, Z1, Z2, Z3} // pixel 0 channels 0..15, 16..31; pixel 1 the same
	for j := range 2 {
		VMOVDQU32(directQ(j, 0), acc[j])
		VMOVDQA64(acc[j], acc[2+j])
	}
	for ky, row := range rows {
		for q := range 3 {
			VPBROADCASTD(Mem{Base: row, Disp: 4 * q}, Z26)
			VPBROADCASTD(Mem{Base: row, Index: R11, Scale: 1, Disp: 4 * q}, Z27)
			if signed { // x+128: the top bit flipped
				VPXORD(Z25, Z26, Z26)
				VPXORD(Z25, Z27, Z27)
			}
			for j := range 2 {
				wj := w[(ky*3+q)*2+j]
				vpdpbusd(wj, Z26, acc[j])
				vpdpbusd(wj, Z27, acc[2+j])
			}
		}
	}
	directStorePair(name, acc, signed, lshift)
}

// directStorePair requantizes the pair's accumulators, stores its 64
// output bytes (K2 masks the store) and steps to the next pair.
func directStorePair(name string, acc []VecPhysical, signed, lshift bool) {
	rows := []GPPhysical{R8, R9, R10}
	for i, a := range acc {
		directRequant(a, i%2, lshift)
	}
	// Pack as gemmStorePacked does for 4 vectors: the pair's two pixels
	// are 64 consecutive channels of the output.
	VPACKSSDW(Z1, Z0, Z0)
	VPADDSW(Z16, Z0, Z0)
	VPACKSSDW(Z3, Z2, Z2)
	VPADDSW(Z16, Z2, Z2)
	if signed {
		VPACKSSWB(Z2, Z0, Z0)
	} else {
		VPACKUSWB(Z2, Z0, Z0)
	}
	VPERMD(Z0, Z30, Z0)
	if signed {
		VPMAXSB(Z17, Z0, Z0)
		VPMINSB(Z18, Z0, Z0)
	} else {
		VPMAXUB(Z17, Z0, Z0)
		VPMINUB(Z18, Z0, Z0)
	}
	VMOVDQU8(Z0, K2, Mem{Base: RDI})
	for _, row := range rows {
		ADDQ(R12, row)
	}
	ADDQ(Imm(64), RDI)
	SUBQ(Imm(2), RDX)
	JG(LabelRef(name + "_pair"))
	VZEROUPPER()
	RET()
}

// directConvVNNIWords generates the direct convolution of uint8 layers
// whose w - wz do not fit a signed byte (kernels.directConvKernel's pair
// form): widenRows first widens the window rows to int16 in the scratch,
// then, as directConvVNNI, pixels go in pairs, but each window row is
// pairs int16 pairs, VPDPWSSD with the pixel's pair broadcast from the
// scratch row (EVEX embedded broadcast) against 2 weight vectors of 16
// channels; 20 of the 30 or 36 weight vectors stay in registers, the rest
// are loaded into Z27 as they are used.
func directConvVNNIWords(name string, pairs int, lshift bool) {
	TEXT(name, NOSPLIT, "func(p *directConvArgs)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s computes p.n output pixels of a uint8 direct convolution on int16 pairs with AVX-512 VNNI (see directConvArgs).", name))
	p := Dereference(Param("p"))
	l := func(s string) LabelRef { return LabelRef(name + "_" + s) }
	rows := []GPPhysical{R8, R9, R10}
	for i, r := range rows {
		Load(p.Field(fmt.Sprintf("in%d", i)), r)
	}
	Load(p.Field("out"), RDI)
	Load(p.Field("q"), RSI)
	Load(p.Field("n"), RDX)
	Load(p.Field("step"), R11)
	widenRows(l, p, false, rows)
	SHLQ(Imm(1), R11)                               // int16: second pixel of a pair
	LEAQ(Mem{Base: R11, Index: R11, Scale: 1}, R12) // one pair to the next
	// Weights around the output constants in Z16..Z18.
	regs := []VecPhysical{Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15, Z19, Z20, Z21, Z22, Z23, Z24, Z25, Z26}
	Load(p.Field("w16"), RBX)
	for i, z := range regs {
		VMOVDQU64(Mem{Base: RBX, Disp: 64 * i}, z)
	}
	broadcastOutput(p, R14L, VPBROADCASTW, VPBROADCASTB)
	MOVL(U32(0xAAAA), EAX)
	KMOVW(EAX, K1) // odd 32-bit lanes, for directRequant's blend
	VMOVDQU64(packPerm512, Z30)
	VPXORD(Z31, Z31, Z31)
	KXNORQ(K2, K2, K2) // store mask: the pair's 64 bytes

	Label(name + "_pair")
	CMPQ(RDX, Imm(1))
	JNE(LabelRef(name + "_body"))
	XORQ(R11, R11) // the odd last pixel, as directConvVNNI's
	MOVL(U32(0xFFFFFFFF), EAX)
	KMOVQ(RAX, K2)
	Label(name + "_body")
	acc := []VecPhysical{Z0, Z1, Z2, Z3}
	for j := range 2 {
		VMOVDQU32(directQ(j, 0), acc[j])
		VMOVDQA64(acc[j], acc[2+j])
	}
	for ky, row := range rows {
		for u := range pairs {
			for j := range 2 {
				i := (ky*pairs+u)*2 + j
				w := Z27
				if i < len(regs) {
					w = regs[i]
				} else {
					VMOVDQU64(Mem{Base: RBX, Disp: 64 * i}, w)
				}
				vpdpwssdBcst(Mem{Base: row, Disp: 4 * u}, w, acc[j])
				vpdpwssdBcst(Mem{Base: row, Index: R11, Scale: 1, Disp: 4 * u}, w, acc[2+j])
			}
		}
	}
	directStorePair(name, acc, false, lshift)
}

// vpdpwssdBcst: acc += s16(w)·s16(m32) for both halves of each lane, the
// word pair broadcast from memory to every lane (EVEX embedded broadcast).
func vpdpwssdBcst(m Mem, w, acc Op) {
	Instruction(&ir.Instruction{Opcode: "VPDPWSSD", Suffixes: []string{"BCST"}, Operands: []Op{m, w, acc}, Inputs: []Op{m, w, acc}, Outputs: []Op{acc}})
}

// directQ addresses field f (kernels.directBias, …) of vector j's
// constants, from RSI.
func directQ(j, f int) Mem { return Mem{Base: RSI, Disp: (j*7 + f) * 64} }

// directRequant rescales acc in place, as requantCore does, with the
// multipliers read from memory (the odd lanes' already at the even
// positions), which leaves the registers to the weights. Uses Z28, Z29,
// Z31 (zero), K1 (odd lanes) and K5.
func directRequant(acc VecPhysical, j int, lshift bool) {
	const mult, multOdd, lsh, rsh, round, negEn = 1, 2, 3, 4, 5, 6
	if lshift {
		VPSLLVD(directQ(j, lsh), acc, acc)
	}
	VPSHUFD(Imm(0xF5), acc, Z29) // odd lanes to the even positions
	VPMULDQ(directQ(j, mult), acc, Z28)
	VPMULDQ(directQ(j, multOdd), Z29, Z29)
	VPADDQ_BCST(nudge, Z28, Z28)
	VPADDQ_BCST(nudge, Z29, Z29)
	VPSRLQ(Imm(31), Z28, Z28) // even lanes: bits 31..62 land in the low half
	VPADDQ(Z29, Z29, Z29)     // odd lanes: bits 31..62 land in the high half
	VPBLENDMD(Z29, Z28, K1, Z28)
	VPCMPGTD(Z28, Z31, K5)
	VPADDD(directQ(j, round), Z28, Z28)
	VPADDD(directQ(j, negEn), Z28, K5, Z28)
	VPSRAVD(directQ(j, rsh), Z28, acc)
}
