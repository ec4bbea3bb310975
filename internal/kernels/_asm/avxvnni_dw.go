package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/ir"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The AVX-VNNI depthwise set: int8 3×3 depthwise convolutions with the VEX
// form of VPDPBUSD, in YMM0..15 only (Alder Lake-class CPUs have no
// AVX-512, so no EVEX, no mask registers).
func avxvnniDW() {
	for _, stride := range []int{1, 2} {
		dwconv3x3AVXVNNI(fmt.Sprintf("dwconv3x3AVXVNNIs%d", stride), stride)
	}
}

// dwconv3x3AVXVNNI generates the int8 3×3 depthwise kernel for dilation 1
// and the given stride over one block of 16 channels across the output
// row, from unpadded rows as dwconv3x3VNNIBlock (see dwArgs; w is the
// block's data: per half, the avx2Requant block of its 8 channels, then
// the weights of the three filter columns, 8 dwords each).
//
// It gathers a column with zero extensions and word unpacks: the rows'
// 16 bytes widened to words, row 1 shifted into the high bytes of row 0,
// then interleaved with row 2, so that half j of a column holds in dword
// 4L+i the bytes (x0, x1, x2, 0) of channel 8L+4j+i, their top bits
// flipped by one XOR (the unsigned operand of VPDPBUSD is x+128; the bias
// holds -128·Σw). The weights and constants are laid out in that order.
//
// The requantization is the AVX2 kernels' (requantAVX2; every left shift
// is 0, the caller checks): the accumulator starts from the bias plus 2^31. The pack of the two halves puts the words in
// channel order; one extract and pack make the 16 bytes.
func dwconv3x3AVXVNNI(name string, stride int) {
	TEXT(name, NOSPLIT, "func(p *dwArgs)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s computes n output pixels of an int8 3×3 depthwise convolution over 16 channels with AVX-VNNI from unpadded rows (see dwArgs and dwconv3x3AVXVNNI).", name))
	p := Dereference(Param("p"))
	// Registers: Y0..Y5 the three columns' two halves, Y6/Y7 the
	// accumulators, Y8..Y10 temporaries, Y11 the flip, Y12 the padding
	// column, Y13 the output zero point as words, X14/X15 the clamp bounds.
	flip, zpCol, outZP, lo, hi := Y11, Y12, Y13, X14, X15
	MOVL(U32(0x00808080), EAX)
	VMOVD(EAX, flip.AsX())
	VPBROADCASTD(flip.AsX(), flip)
	Load(p.Field("zpCol"), EAX)
	VMOVD(EAX, zpCol.AsX())
	VPBROADCASTD(zpCol.AsX(), zpCol)
	Load(p.Field("outZP"), EAX)
	VMOVD(EAX, outZP.AsX())
	VPBROADCASTW(outZP.AsX(), outZP)
	Load(p.Field("min"), EAX)
	VMOVD(EAX, lo)
	VPBROADCASTB(lo, lo)
	Load(p.Field("max"), EAX)
	VMOVD(EAX, hi)
	VPBROADCASTB(hi, hi)

	rowsP, colIdx := dwBlockRows(p)

	col := func(k int) []VecPhysical { return []VecPhysical{ymm[2*k], ymm[2*k+1]} }
	// gather loads column set k from filter column kx, pad from the
	// padding column (see dwPixels).
	gather := func(kx, k int) {
		dst := col(k)
		m := func(r int) Mem {
			if kx == 0 {
				return Mem{Base: rowsP[r]}
			}
			return Mem{Base: rowsP[r], Index: colIdx[kx], Scale: 1}
		}
		VPMOVZXBW(m(0), Y8)
		VPMOVZXBW(m(1), Y9)
		VPMOVZXBW(m(2), Y10)
		VPSLLW(Imm(8), Y9, Y9)
		VPOR(Y9, Y8, Y8)            // (x0, x1): channels 0..7 | 8..15
		VPUNPCKLWD(Y10, Y8, dst[0]) // channels 0..3 | 8..11
		VPUNPCKHWD(Y10, Y8, dst[1]) // channels 4..7 | 12..15
		VPXOR(flip, dst[0], dst[0])
		VPXOR(flip, dst[1], dst[1])
	}
	pad := func(k int) {
		for _, d := range col(k) {
			VMOVDQA(zpCol, d)
		}
	}
	disp := func(j, f int) int32 { return int32((j*(avxvnniDWW+3) + f) * 32) }
	field := func(j, f int) Mem { return Mem{Base: RAX, Disp: int(disp(j, f))} }
	acc := []VecPhysical{Y6, Y7}
	pixel := func(s int) {
		for j, a := range acc {
			VMOVDQU(field(j, aqBias), a)
			for kx := range 3 {
				vpdpbusdVEXMem(RAX, disp(j, avxvnniDWW+kx), col((s*stride + kx) % 3)[j], a)
			}
		}
		for j, a := range acc {
			requantAVX2(a, Y8, Y9, func(f int) Mem { return field(j, f) })
		}
		VPACKSSDW(Y7, Y6, Y6) // words in channel order
		VPADDSW(outZP, Y6, Y6)
		VEXTRACTI128(Imm(1), Y6, X8)
		VPACKSSWB(X8, X6, X6)
		VPMAXSB(lo, X6, X6)
		VPMINSB(hi, X6, X6)
		VMOVDQU(X6, Mem{Base: RBX})
	}
	dwPixels(p, name, stride, rowsP, colIdx[stride], gather, pad, pixel, name+"_done")
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// avxvnniDWW is the first weight vector of a half's data in
// dwconv3x3AVXVNNI, after the requantization's.
const avxvnniDWW = aqFields

// vpdpbusdVEXMem emits VPDPBUSD acc, u, [base+disp] (acc += Σ4 u8(u)·s8(m)
// per 32-bit lane) in its VEX encoding as bytes, as vpdpbusdVEX does, with
// the signed operand in memory: ModRM mod 01 (8-bit displacement) or 10
// (32-bit), rm the base register, which may not be RSP or R12 (they would
// need a SIB byte).
func vpdpbusdVEXMem(base GPPhysical, disp int32, u, acc VecPhysical) {
	if evexVNNI("VPDPBUSD", Mem{Base: base, Disp: int(disp)}, u, acc) {
		return
	}
	a, v, r := byte(acc.PhysicalIndex()), byte(u.PhysicalIndex()), byte(base.PhysicalIndex())
	if r&7 == 4 {
		panic("vpdpbusdVEXMem: base needs a SIB byte")
	}
	b1 := byte(0x02) | 0x40 // map 0F38; X̄ set (no index register)
	if a < 8 {
		b1 |= 0x80 // R̄: ModRM.reg is YMM0..7
	}
	if r < 8 {
		b1 |= 0x20 // B̄: the base is a legacy register
	}
	b2 := (^v&15)<<3 | 0x04 | 0x01 // W0, vvvv = ¬u, L = 256, pp = 66
	m := Mem{Base: base, Disp: int(disp)}
	Comment(fmt.Sprintf("VPDPBUSD %d(%s), %s, %s", disp, base.Asm(), u.Asm(), acc.Asm()))
	bytes := []byte{0xC4, b1, b2, 0x50}
	if disp >= -128 && disp < 128 {
		bytes = append(bytes, 0x40|(a&7)<<3|r&7, byte(disp))
	} else {
		bytes = append(bytes, 0x80|(a&7)<<3|r&7, byte(disp), byte(disp>>8), byte(disp>>16), byte(disp>>24))
	}
	for _, b := range bytes {
		Instruction(&ir.Instruction{Opcode: "BYTE", Operands: []Op{Imm(uint64(b))}, Inputs: []Op{m, u, acc}, Outputs: []Op{acc}})
	}
}
