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

// dwconv3x3VNNI generates the int8 3×3 depthwise kernel for dilation 1 and
// the given stride. It runs one group of 16 channels across the whole output
// row before the next group, so the group's weights and requantization
// constants stay in registers. For each input column it gathers the three
// rows' bytes of a channel into one 32-bit lane, (x0, x1, x2, 0) made
// unsigned by flipping their top bits; one VPDPBUSD per filter column then
// adds three taps. Neighbouring output pixels share columns (three with
// stride 1, one with stride 2), so each column is gathered once.
//
// It reads the input itself, not a padded copy: rows above or below the
// input come as a row of zero points (in, in1, in2 are the three rows), and
// a column left of the first pixel (padL) or right of the last (padR) is
// the constant column zpCol.
func dwconv3x3VNNI(name string, stride int) {
	p := dwText(name, "%s computes n output pixels of an int8 3×3 depthwise convolution with AVX-512 VNNI from unpadded rows (see dwArgs; w is [group][3 columns][16][4] bytes).")
	// Z7: the byte shuffle that spreads a group's 16 bytes (broadcast to
	// each 128-bit lane) to byte 0, 1 and 2 of their channel's lane; K3 and
	// K4 select bytes 1 and 2. Z8 flips the top bits, Z14 is the padding
	// column.
	VMOVDQU64(dwShuf, Z7)
	MOVQ(U64(0x2222222222222222), RAX)
	KMOVQ(RAX, K3)
	MOVQ(U64(0x4444444444444444), RAX)
	KMOVQ(RAX, K4)
	MOVL(U32(0x00808080), EAX)
	VPBROADCASTD(EAX, Z8)
	Load(p.Field("zpCol"), EAX)
	VPBROADCASTD(EAX, Z14)
	colIdx := []GPPhysical{nil, R14, R15}

	XORQ(R12, R12) // channel offset
	XORQ(R13, R13) // requant block offset
	Load(p.Field("w"), RAX)
	Load(p.Field("groups"), R11)
	Label(name + "_group")
	dwGroupMask(p, name)          // clobbers R14 and R15
	Load(p.Field("colStep"), R14) // bytes between input columns
	LEAQ(Mem{Base: R14, Index: R14, Scale: 1}, R15)
	// The group's weights, one vector per filter column, and its
	// requantization constants.
	w := []VecPhysical{Z4, Z5, Z6}
	for kx, z := range w {
		VMOVDQU32(Mem{Base: RAX, Disp: 64 * kx}, z)
	}
	Load(p.Field("q"), RBX)
	consts := map[int]VecPhysical{qBias: Z9, qLShift: Z10, qRShift: Z11, qRound: Z12, qNegEn: Z13}
	for _, a := range []int{qBias, qLShift, qRShift, qRound, qNegEn} {
		VMOVDQU32(Mem{Base: RBX, Index: R13, Scale: 1, Disp: 64 * a}, consts[a])
	}
	VMOVDQU32(Mem{Base: RBX, Index: R13, Scale: 1, Disp: 64 * qMult}, Z22)
	VPSRLQ(Imm(32), Z22, Z23)
	blk := func(a int) Op { return consts[a] }

	// Row pointers at this group's channels of the first window (whose
	// first column may be the padding left of the input), the output
	// pointer and the pixels before the last one if that one needs the
	// padding right of the input.
	Load(p.Field("padL"), RBX)
	rowsP := []GPPhysical{R8, R9, R10}
	for r, f := range []string{"in", "in1", "in2"} {
		Load(p.Field(f), rowsP[r])
		ADDQ(R12, rowsP[r])
		SUBQ(RBX, rowsP[r])
	}
	LEAQ(Mem{Base: RDI, Index: R12, Scale: 1}, RBX)
	Load(p.Field("n"), RCX)
	Load(p.Field("padR"), RDX)
	SUBQ(RDX, RCX)

	cols := []VecPhysical{Z0, Z1, Z2}
	gather := func(kx int, dst VecPhysical) {
		for r, row := range rowsP {
			m := Mem{Base: row}
			if kx > 0 {
				m = Mem{Base: row, Index: colIdx[kx], Scale: 1}
			}
			VBROADCASTI32X4(m, Z19)
			switch r {
			case 0:
				VPSHUFB(Z7, Z19, dst)
			case 1:
				VPSHUFB(Z7, Z19, K3, dst)
			default:
				VPSHUFB(Z7, Z19, K4, dst)
			}
		}
		VPXORD(Z8, dst, dst)
	}
	// pixel computes and stores the output pixel of step s, whose filter
	// column kx is cols[(s·stride+kx) mod 3], gathering the columns it
	// shares with none before it; last takes the padding for its last
	// column.
	pixel := func(s int, last bool) {
		for kx := 3 - stride; kx < 3; kx++ {
			if last && kx == 2 {
				VMOVDQA64(Z14, cols[(s*stride+kx)%3])
			} else {
				gather(kx, cols[(s*stride+kx)%3])
			}
		}
		VPXORD(Z3, Z3, Z3)
		for kx := range 3 {
			vpdpbusd(w[kx], cols[(s*stride+kx)%3], Z3)
		}
		requantize(Z3, nil, blk)
		VPMOVDB(Z28, K2, Mem{Base: RBX})
	}
	// Before the loop: the first pixel's columns that the steps do not
	// gather, the first the padding if there is some.
	for kx := range 3 - stride {
		if kx == 0 {
			Load(p.Field("padL"), RDX)
			TESTQ(RDX, RDX)
			JZ(LabelRef(name + "_gather0"))
			VMOVDQA64(Z14, cols[0])
			JMP(LabelRef(name + "_first"))
			Label(name + "_gather0")
			gather(0, cols[0])
			Label(name + "_first")
			continue
		}
		gather(kx, cols[kx])
	}
	TESTQ(RCX, RCX)
	JZ(LabelRef(name + "_last0"))
	// Three steps per loop turn, so the columns rotate through the
	// registers without moves.
	Label(name + "_pixel")
	for s := range 3 {
		pixel(s, false)
		// With dilation 1 a pixel is colStep bytes: the output moves by
		// one, the window by stride.
		for _, row := range rowsP {
			ADDQ(colIdx[stride], row)
		}
		ADDQ(R14, RBX)
		DECQ(RCX)
		JZ(LabelRef(fmt.Sprintf("%s_exit%d", name, s)))
	}
	JMP(LabelRef(name + "_pixel"))
	// Leaving after step s, the last pixel (if it needs the padding) is
	// step s+1's.
	for s := range 3 {
		Label(fmt.Sprintf("%s_exit%d", name, s))
		Load(p.Field("padR"), RDX)
		TESTQ(RDX, RDX)
		JZ(LabelRef(name + "_next"))
		JMP(LabelRef(fmt.Sprintf("%s_last%d", name, (s+1)%3)))
	}
	for s := range 3 {
		Label(fmt.Sprintf("%s_last%d", name, s))
		pixel(s, true)
		JMP(LabelRef(name + "_next"))
	}

	Label(name + "_next")
	ADDQ(Imm(16), R12)
	ADDQ(U32(384), R13)
	ADDQ(U32(192), RAX)
	DECQ(R11)
	JNZ(LabelRef(name + "_group"))
	VZEROUPPER()
	RET()
}

// dwShuf is the byte shuffle of dwconv3x3VNNI: in 128-bit lane L, the bytes
// of lane i of it come from byte 4L+i (the lane's channel) at positions 0, 1
// and 2, and are zero at position 3.
var dwShuf Mem

// dwShufData emits dwShuf's table.
func dwShufData() {
	dwShuf = GLOBL("dwshuf", RODATA|NOPTR)
	for d := range 16 {
		DATA(4*d, U32(uint32(d)|uint32(d)<<8|uint32(d)<<16|0x80<<24))
	}
}

// dwconv3x3VNNIBlock generates the int8 3×3 depthwise kernel for dilation 1
// and the given stride over one block of 16·lanes channels (lanes 128-bit
// lanes: 1, 2 or 4) across the output row, reading the unpadded rows as
// dwconv3x3VNNI does (see dwArgs; w is the block's data, dwBlockField).
//
// It gathers a column with byte and word unpacks: the three rows' bytes,
// their top bits flipped, interleaved in lane order, so that vector j of a
// column holds in its dword 4L+i the bytes (x0, x1, x2, x2) of channel
// 16L+4j+i (the fourth byte meets a zero weight). The weights and the
// requantization constants are permuted at load to match. The saturating
// packs that follow the requantization undo the permutation: the output
// bytes come out in channel order, one store for the block.
//
// The requantization is requant.apply's with every left shift 0 (the caller
// checks): the product's nudge and the rounding term of the right shift
// added together as one 64-bit constant, the right shift's correction for
// negative values taken from the accumulator's sign (it differs from the
// product's only where the product is 0, which the shift maps to 0 either
// way), the zero point added with 16-bit saturation after the first pack,
// which equals adding it before.
func dwconv3x3VNNIBlock(name string, stride, lanes int) {
	TEXT(name, NOSPLIT, "func(p *dwArgs)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s computes n output pixels of an int8 3×3 depthwise convolution over %d channels with AVX-512 VNNI from unpadded rows (see dwArgs and dwconv3x3VNNIBlock).", name, 16*lanes))
	p := Dereference(Param("p"))
	vb := 16 * lanes // bytes in a vector
	v := func(i int) VecPhysical {
		switch lanes {
		case 1:
			return xmm[i]
		case 2:
			return ymm[i]
		}
		return zmm[i]
	}
	// Registers: v(0..11) the three columns' four vectors, v(12) the flip,
	// v(13) the padding column, v(14) the output zero point as words,
	// v(15)/v(16) the clamp bounds as bytes, v(17..23) the gather's
	// temporaries, v(24..27) the accumulators, v(28..30) the requantization's.
	flip, zpCol, outZP, lo, hi := v(12), v(13), v(14), v(15), v(16)
	MOVL(U32(0x80808080), EAX)
	VPBROADCASTD(EAX, flip)
	Load(p.Field("zpCol"), EAX)
	VPBROADCASTD(EAX, zpCol)
	Load(p.Field("outZP"), EAX)
	VPBROADCASTW(EAX, outZP)
	Load(p.Field("min"), EAX)
	VPBROADCASTB(EAX, lo)
	Load(p.Field("max"), EAX)
	VPBROADCASTB(EAX, hi)
	MOVL(U32(0xAAAA), EAX)
	KMOVW(EAX, K1) // odd dwords

	Load(p.Field("w"), RAX)
	Load(p.Field("colStep"), R14) // bytes between input columns
	LEAQ(Mem{Base: R14, Index: R14, Scale: 1}, R15)
	colIdx := []GPPhysical{nil, R14, R15}
	Load(p.Field("padL"), RBX)
	rowsP := []GPPhysical{R8, R9, R10}
	for r, f := range []string{"in", "in1", "in2"} {
		Load(p.Field(f), rowsP[r])
		SUBQ(RBX, rowsP[r])
	}
	Load(p.Field("out"), RBX)
	Load(p.Field("n"), RCX)
	Load(p.Field("padR"), RDX)
	SUBQ(RDX, RCX)

	col := func(k int) []VecPhysical { return []VecPhysical{v(4 * k), v(4*k + 1), v(4*k + 2), v(4*k + 3)} }
	gather := func(kx int, dst []VecPhysical) {
		t := []VecPhysical{v(17), v(18), v(19)}
		for r, row := range rowsP {
			m := Mem{Base: row}
			if kx > 0 {
				m = Mem{Base: row, Index: colIdx[kx], Scale: 1}
			}
			VPXORD(m, flip, t[r])
		}
		VPUNPCKLBW(t[1], t[0], v(20)) // (x0, x1) of bytes 0..7 of each lane
		VPUNPCKHBW(t[1], t[0], v(21))
		VPUNPCKLBW(t[2], t[2], v(22)) // (x2, x2)
		VPUNPCKHBW(t[2], t[2], v(23))
		VPUNPCKLWD(v(22), v(20), dst[0])
		VPUNPCKHWD(v(22), v(20), dst[1])
		VPUNPCKLWD(v(23), v(21), dst[2])
		VPUNPCKHWD(v(23), v(21), dst[3])
	}
	pad := func(dst []VecPhysical) {
		for _, d := range dst {
			VMOVDQA64(zpCol, d)
		}
	}
	field := func(j, f int) Mem { return Mem{Base: RAX, Disp: (j*dwBlockFields + f) * vb} }
	pixel := func(s int, last bool) {
		for kx := 3 - stride; kx < 3; kx++ {
			if last && kx == 2 {
				pad(col((s*stride + kx) % 3))
			} else {
				gather(kx, col((s*stride+kx)%3))
			}
		}
		for j := range 4 {
			acc := v(24 + j)
			VMOVDQU32(field(j, dwbBias), acc)
			for kx := range 3 {
				vpdpbusd(field(j, dwbW+kx), col((s*stride + kx) % 3)[j], acc)
			}
		}
		for j := range 4 {
			acc, odd, even := v(24+j), v(28), v(29)
			VPSHUFD(Imm(0xF5), acc, odd) // odd lanes to the even positions
			VPMULDQ(field(j, dwbMult), acc, even)
			VPMULDQ(field(j, dwbMultOdd), odd, odd)
			VPADDQ(field(j, dwbNudge), even, even)
			VPADDQ(field(j, dwbNudgeOdd), odd, odd)
			VPSRLQ(Imm(31), even, even) // bits 31..62 to the low half
			VPADDQ(odd, odd, odd)       // and to the high half
			VPMOVD2M(acc, K5)
			VPBLENDMD(odd, even, K1, acc)
			VPADDD(field(j, dwbNegEn), acc, K5, acc)
			VPSRAVD(field(j, dwbRShift), acc, acc)
		}
		VPACKSSDW(v(25), v(24), v(24))
		VPACKSSDW(v(27), v(26), v(26))
		VPADDSW(outZP, v(24), v(24))
		VPADDSW(outZP, v(26), v(26))
		VPACKSSWB(v(26), v(24), v(24))
		VPMAXSB(lo, v(24), v(24))
		VPMINSB(hi, v(24), v(24))
		VMOVDQU64(v(24), Mem{Base: RBX})
	}
	// Before the loop: the first pixel's columns that the steps do not
	// gather, the first the padding if there is some.
	for kx := range 3 - stride {
		if kx == 0 {
			Load(p.Field("padL"), RDX)
			TESTQ(RDX, RDX)
			JZ(LabelRef(name + "_gather0"))
			pad(col(0))
			JMP(LabelRef(name + "_first"))
			Label(name + "_gather0")
			gather(0, col(0))
			Label(name + "_first")
			continue
		}
		gather(kx, col(kx))
	}
	TESTQ(RCX, RCX)
	JZ(LabelRef(name + "_last0"))
	// Three steps per loop turn, so the columns rotate through the
	// registers without moves.
	Label(name + "_pixel")
	for s := range 3 {
		pixel(s, false)
		for _, row := range rowsP {
			ADDQ(colIdx[stride], row)
		}
		ADDQ(R14, RBX)
		DECQ(RCX)
		JZ(LabelRef(fmt.Sprintf("%s_exit%d", name, s)))
	}
	JMP(LabelRef(name + "_pixel"))
	for s := range 3 {
		Label(fmt.Sprintf("%s_exit%d", name, s))
		Load(p.Field("padR"), RDX)
		TESTQ(RDX, RDX)
		JZ(LabelRef(name + "_done"))
		JMP(LabelRef(fmt.Sprintf("%s_last%d", name, (s+1)%3)))
	}
	for s := range 3 {
		Label(fmt.Sprintf("%s_last%d", name, s))
		pixel(s, true)
		JMP(LabelRef(name + "_done"))
	}
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// The vectors of a dwconv3x3VNNIBlock block, per group j of 4 (kernels'
// dwBlock* constants mirror them).
const (
	dwbBias = iota
	dwbMult
	dwbMultOdd
	dwbNudge
	dwbNudgeOdd
	dwbNegEn
	dwbRShift
	dwbW          // three vectors, one per filter column
	dwBlockFields = dwbW + 3
)

var (
	xmm = []VecPhysical{X0, X1, X2, X3, X4, X5, X6, X7, X8, X9, X10, X11, X12, X13, X14, X15, X16, X17, X18, X19, X20, X21, X22, X23, X24, X25, X26, X27, X28, X29, X30, X31}
	ymm = []VecPhysical{Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11, Y12, Y13, Y14, Y15, Y16, Y17, Y18, Y19, Y20, Y21, Y22, Y23, Y24, Y25, Y26, Y27, Y28, Y29, Y30, Y31}
	zmm = []VecPhysical{Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15, Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23, Z24, Z25, Z26, Z27, Z28, Z29, Z30, Z31}
)
