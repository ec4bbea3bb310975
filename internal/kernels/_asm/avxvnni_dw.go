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
		dwconv3x3AVXVNNIPair(fmt.Sprintf("dwconv3x3AVXVNNIPairs%ds8", stride), stride, true, 1)
		dwconv3x3AVXVNNIPair(fmt.Sprintf("dwconv3x3AVXVNNIPairs%du8", stride), stride, false, 2)
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

// Offsets of the vectors of a block of dwconv3x3AVXVNNIPair (kernels'
// avxvnniPairBlocks), per quarter of its 16 channels: the requantization
// in requantAVX2Relu's form, then the weights of the three filter
// columns, and with two weight sets (uint8) the second set's.
const (
	apBias = iota
	apMult
	apMultOdd
	apNudge
	apNudgeOdd
	apRShift
	apW
)

// apOf is the ap field of each aq field that requantAVX2Relu reads.
func apOf(aq int) int {
	return map[int]int{aqMult: apMult, aqMultOdd: apMultOdd, aqNudge: apNudge, aqNudgeOdd: apNudgeOdd, aqRShift: apRShift}[aq]
}

// dwconv3x3AVXVNNIPair generates the 3×3 depthwise kernel for dilation 1
// and the given stride over windows inside the input (the caller runs the
// edges with the AVX2 direct kernel): per block of 16 channels, pixel
// pairs left to right, the pair's two pixels in the two 128-bit lanes of
// each vector. As in the AVX-512 kernels, a column is the three rows'
// bytes of a channel in one dword, (x0, x1, x2, x2) (the second x2 meets
// a zero weight), and VPDPBUSD adds three taps; the gather is one load
// and one lane insert per row (the pair's two columns), byte unpacks and
// word unpacks, so quarter j of a column pair holds in each lane the
// dwords of channels 4j..4j+3: 14 instructions for 32 channel columns.
//
// At stride 1 pair s takes the column pairs E_s = (2s, 2s+1), E_{s+1}
// and (2s+1, 2s+2), the lane halves of the two by one VPERM2I128 per
// quarter: one gather a pair. At stride 2 it takes (4s, 4s+2), (4s+1,
// 4s+3) and (4s+2, 4s+4), the last again from its neighbours: two.
//
// int8 activations have their top bits flipped (the unsigned operand is
// x+128; the bias holds -128·Σw). uint8 activations are the unsigned
// operand as they are; their weights less the zero point, in [-255,
// 255], are split into two sets of int8 that sum to them (wsets 2).
//
// The requantization is requantAVX2Relu's (the caller checks for a fused
// ReLU and no left shift): the accumulators start from the bias plus
// 2^31. It leaves each quarter's channels in the order 0 2 1 3, which
// one byte shuffle after the packs undoes.
func dwconv3x3AVXVNNIPair(name string, stride int, signed bool, wsets int) {
	p, f := avx2Text(name, "dwPairArgs", fmt.Sprintf("%s computes pixel pairs of a 3×3 stride-%d depthwise convolution inside the input with AVX-VNNI (see dwPairArgs and dwconv3x3AVXVNNIPair).", name, stride))
	l := func(s string) string { return name + "_" + s }
	pack, clampLo, clampHi := VPACKSSWB, VPMAXSB, VPMINSB
	if !signed {
		pack, clampLo, clampHi = VPACKUSWB, VPMAXUB, VPMINUB
	}
	flip := Y15
	if signed {
		MOVL(U32(0x80808080), EAX)
		VMOVD(EAX, flip.AsX())
		VPBROADCASTD(flip.AsX(), flip)
	}
	fields := apW + 3*wsets + wsets - 1 // and with two sets, apW+6's flags
	blockBytes := 4 * fields * 32
	disp := func(j, field int) int32 { return int32((j*fields + field) * 32) }
	field := func(j, field int) Mem { return Mem{Base: RSI, Disp: int(disp(j, field))} }

	// GPRs: R8, R9, R10 the rows at the block's channels and the pair's
	// first window column, R15 the output, RDX pairs left, R11 blocks
	// left, R12 the block's channel offset, RSI its data, R14 the first
	// window column (-1 in the padding left); RCX, RAX, RBX, R13 the bytes
	// of 1, 2, 3 and 4 columns.
	rows := []GPPhysical{R8, R9, R10}
	Load(p.Field("c"), RCX)
	LEAQ(Mem{Base: RCX, Index: RCX, Scale: 1}, RAX)
	LEAQ(Mem{Base: RAX, Index: RCX, Scale: 1}, RBX)
	LEAQ(Mem{Base: RAX, Index: RAX, Scale: 1}, R13)
	Load(p.Field("data"), RSI)
	Load(p.Field("blocks"), R11)
	XORQ(R12, R12)

	at := func(r GPPhysical, k int) Mem { // column k of the window
		switch k {
		case 0:
			return Mem{Base: r}
		case 6:
			return Mem{Base: r, Index: RBX, Scale: 2}
		}
		return Mem{Base: r, Index: map[int]GPPhysical{1: RCX, 2: RAX, 3: RBX, 4: R13}[k], Scale: 1}
	}
	// Columns outside the input (left of it, or right of it at the row's
	// end: at stride 2 also two past the last window) load the zero
	// point instead, out of line, after the RET.
	var padded []func()
	pads := 0
	// gather loads the column pair (k0, k1), columns from the window's
	// first, into dst, with s a temporary.
	gather := func(k0, k1 int, dst [4]VecPhysical, s VecPhysical) {
		t := []VecPhysical{dst[0], dst[1], dst[2]}
		for lane, k := range []int{k0, k1} {
			pads++
			pad, back := l(fmt.Sprintf("pad%d", pads)), l(fmt.Sprintf("col%d", pads))
			LEAQ(Mem{Base: R14, Disp: k}, RDI)
			CMPQ(RDI, f("inW")) // unsigned: columns left of the input are negative
			JAE(LabelRef(pad))
			load := func(m Mem) {
				for r := range rows {
					if lane == 0 {
						VMOVDQU(m, t[r].AsX())
					} else {
						VINSERTI128(Imm(1), m, t[r], t[r])
					}
				}
			}
			for r, row := range rows {
				if lane == 0 {
					VMOVDQU(at(row, k), t[r].AsX())
				} else {
					VINSERTI128(Imm(1), at(row, k), t[r], t[r])
				}
			}
			Label(back)
			padded = append(padded, func() {
				Label(pad)
				load(f("zp"))
				JMP(LabelRef(back))
			})
		}
		for r := range rows {
			if signed {
				VPXOR(flip, t[r], t[r])
			}
		}
		VPUNPCKHBW(t[1], t[0], s)      // (x0, x1) of channels 8..15
		VPUNPCKHBW(t[2], t[2], dst[3]) // (x2, x2) of 8..15
		VPUNPCKLBW(t[2], t[2], t[2])   // of 0..7
		VPUNPCKLBW(t[1], t[0], t[1])   // (x0, x1) of 0..7
		VPUNPCKLWD(t[2], t[1], dst[0])
		VPUNPCKHWD(t[2], t[1], dst[1])
		VPUNPCKLWD(dst[3], s, dst[2])
		VPUNPCKHWD(dst[3], s, dst[3])
	}
	// products adds filter column kx's taps of quarter j from cols into
	// acc.
	// The second set's vectors are mostly zero (the weights of real
	// layers cluster near the zero point): a flag per vector (the same for
	// every pair of the block: predicted) skips those.
	skips := 0
	products := func(j, kx int, cols, acc VecPhysical) {
		for w := range wsets {
			skip := l(fmt.Sprintf("skip%d", skips))
			if w == 1 {
				skips++
				CMPL(Mem{Base: RSI, Disp: int(disp(j, apW+6)) + 4*kx}, Imm(0))
				JE(LabelRef(skip))
			}
			vpdpbusdVEXMem(RSI, disp(j, apW+3*w+kx), cols, acc)
			if w == 1 {
				Label(skip)
			}
		}
	}
	acc := [4]VecPhysical{Y8, Y9, Y10, Y11}
	o := Y12
	clamps := 0
	// finish requantizes, packs and stores the pair in acc.
	finish := func() {
		for j, a := range acc {
			requantAVX2Relu(a, o, func(fl int) Op { return field(j, apOf(fl)) })
		}
		VPACKSSDW(acc[1], acc[0], acc[0])
		VPACKSSDW(acc[3], acc[2], acc[2])
		VPADDSW(f("outZP"), acc[0], acc[0])
		VPADDSW(f("outZP"), acc[2], acc[2])
		pack(acc[2], acc[0], acc[0])
		VPSHUFB(f("order"), acc[0], acc[0]) // channels 0 2 1 3 → 0 1 2 3 per quarter
		clamps++
		noClamp := l(fmt.Sprintf("noclamp%d", clamps))
		CMPQ(f("clamp"), Imm(0))
		JE(LabelRef(noClamp))
		clampLo(f("lo"), acc[0], acc[0])
		clampHi(f("hi"), acc[0], acc[0])
		Label(noClamp)
		VMOVDQU(acc[0].AsX(), Mem{Base: R15})
		VEXTRACTI128(Imm(1), acc[0], Mem{Base: R15, Index: RCX, Scale: 1})
		ADDQ(RAX, R15)
	}
	setA := [4]VecPhysical{Y0, Y1, Y2, Y3}
	setB := [4]VecPhysical{Y4, Y5, Y6, Y7}
	sets := [2][4]VecPhysical{setA, setB}

	Label(l("block"))
	CMPQ(R11, Imm(1))
	JNE(LabelRef(l("mid")))
	Load(p.Field("lastOff"), R12)
	Label(l("mid"))
	Load(p.Field("x0"), R14)
	MOVQ(R14, RDI)
	IMULQ(RCX, RDI)
	ADDQ(R12, RDI)
	for i, r := range rows {
		Load(p.Field("rows").Index(i), r)
		ADDQ(RDI, r)
	}
	Load(p.Field("out"), R15)
	ADDQ(R12, R15)
	Load(p.Field("pairs"), RDX)
	gather(0, 1+(stride-1), sets[0], o) // E_0, or (0, 2)

	// step runs a pair with its first column pair in set k.
	step := func(k int) {
		cur, next := sets[k], sets[1-k]
		if stride == 1 {
			gather(2, 3, next, o)
			for j, a := range acc {
				VMOVDQU(field(j, apBias), a)
				products(j, 0, cur[j], a)
				VPERM2I128(Imm(0x21), next[j], cur[j], cur[j]) // (2s+1, 2s+2)
				products(j, 1, cur[j], a)
				products(j, 2, next[j], a)
			}
		} else {
			gather(1, 3, next, o)
			for j, a := range acc {
				VMOVDQU(field(j, apBias), a)
				products(j, 0, cur[j], a)
				products(j, 1, next[j], a)
			}
			gather(4, 6, next, o)
			for j, a := range acc {
				VPERM2I128(Imm(0x21), next[j], cur[j], cur[j]) // (4s+2, 4s+4)
				products(j, 2, cur[j], a)
			}
		}
		finish()
		adv := RAX
		if stride == 2 {
			adv = R13
		}
		for _, r := range rows {
			ADDQ(adv, r)
		}
		ADDQ(Imm(uint64(2*stride)), R14)
		DECQ(RDX)
		JZ(LabelRef(l("block_done")))
	}
	Label(l("pair"))
	step(0)
	step(1)
	JMP(LabelRef(l("pair")))

	Label(l("block_done"))
	ADDQ(Imm(16), R12)
	ADDQ(U32(blockBytes), RSI)
	DECQ(R11)
	JNZ(LabelRef(l("block")))
	VZEROUPPER()
	RET()
	for _, code := range padded {
		code()
	}
}
