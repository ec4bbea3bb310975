package main

import (
	"fmt"

	"github.com/mmcloughlin/avo/gotypes"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

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
	// gather loads column register k from filter column kx, pad from the
	// padding column (see dwPixels).
	gather := func(kx, k int) {
		dst := cols[k]
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
	// column kx is cols[(s·stride+kx) mod 3].
	pixel := func(s int) {
		VPXORD(Z3, Z3, Z3)
		for kx := range 3 {
			vpdpbusd(w[kx], cols[(s*stride+kx)%3], Z3)
		}
		requantize(Z3, nil, blk)
		VPMOVDB(Z28, K2, Mem{Base: RBX})
	}
	pad := func(k int) { VMOVDQA64(Z14, cols[k]) }
	dwPixels(p, name, stride, rowsP, colIdx[stride], gather, pad, pixel, name+"_next")

	Label(name + "_next")
	ADDQ(Imm(16), R12)
	ADDQ(U32(384), R13)
	ADDQ(U32(192), RAX)
	DECQ(R11)
	JNZ(LabelRef(name + "_group"))
	VZEROUPPER()
	RET()
}

// dwPixels emits the pixel loop of a 3×3 depthwise row shared by the
// kernels that read unpadded rows. The three sets of column registers
// rotate: filter column kx of step s is in set (s·stride+kx) mod 3, so
// neighbouring pixels share columns without moves. gather(kx, k) loads
// set k from filter column kx of the window, pad(k) from the padding
// column, and pixel(s) computes and stores step s's pixel from them.
//
// Before the loop come the first pixel's columns that the steps do not
// load (the first the padding if padL is set); then three steps per loop
// turn, each loading the columns it shares with none before it; leaving
// after step s, the last pixel (if it needs the padding right, for its
// last column) is step s+1's. RCX holds the pixels before that last one,
// rowsP the window's row pointers (advanced by colStride bytes a pixel),
// RBX the output (advanced by R14); it ends by jumping to end.
func dwPixels(p gotypes.Component, name string, stride int, rowsP []GPPhysical, colStride GPPhysical,
	gather func(kx, k int), pad func(k int), pixel func(s int), end string) {
	step := func(s int, last bool) {
		for kx := 3 - stride; kx < 3; kx++ {
			if last && kx == 2 {
				pad((s*stride + kx) % 3)
			} else {
				gather(kx, (s*stride+kx)%3)
			}
		}
		pixel(s)
	}
	for kx := range 3 - stride {
		if kx == 0 {
			Load(p.Field("padL"), RDX)
			TESTQ(RDX, RDX)
			JZ(LabelRef(name + "_gather0"))
			pad(0)
			JMP(LabelRef(name + "_first"))
			Label(name + "_gather0")
			gather(0, 0)
			Label(name + "_first")
			continue
		}
		gather(kx, kx)
	}
	TESTQ(RCX, RCX)
	JZ(LabelRef(name + "_last0"))
	Label(name + "_pixel")
	for s := range 3 {
		step(s, false)
		for _, row := range rowsP {
			ADDQ(colStride, row)
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
		JZ(LabelRef(end))
		JMP(LabelRef(fmt.Sprintf("%s_last%d", name, (s+1)%3)))
	}
	for s := range 3 {
		Label(fmt.Sprintf("%s_last%d", name, s))
		step(s, true)
		JMP(LabelRef(end))
	}
}

// dwBlockRows loads the pointers of a kernel over one block of channels
// that reads unpadded rows (dwArgs): RAX the block's data, R14 and R15
// the bytes of one and two columns, rowsP (R8, R9, R10) the first
// window's rows (whose first column may be the padding left of the
// input), RBX the output, and RCX the pixels before the last one if that
// one needs the padding right of the input, as dwPixels takes them. It
// returns rowsP and, by filter column, the offsets of the columns from
// the window's (nil for the first).
func dwBlockRows(p gotypes.Component) (rowsP, colIdx []GPPhysical) {
	Load(p.Field("w"), RAX)
	Load(p.Field("colStep"), R14) // bytes between input columns
	LEAQ(Mem{Base: R14, Index: R14, Scale: 1}, R15)
	colIdx = []GPPhysical{nil, R14, R15}
	Load(p.Field("padL"), RBX)
	rowsP = []GPPhysical{R8, R9, R10}
	for r, f := range []string{"in", "in1", "in2"} {
		Load(p.Field(f), rowsP[r])
		SUBQ(RBX, rowsP[r])
	}
	Load(p.Field("out"), RBX)
	Load(p.Field("n"), RCX)
	Load(p.Field("padR"), RDX)
	SUBQ(RDX, RCX)
	return rowsP, colIdx
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
//
// With offset the block's data is kernels.dwVNNIBlocks's offset form (a
// ReLU layer's, see gemmRequantOffset): six instructions per vector
// instead of nine, and the zero point in the add before the shift.
func dwconv3x3VNNIBlock(name string, stride, lanes int, offset bool) {
	TEXT(name, NOSPLIT, "func(p *dwArgs)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s computes n output pixels of an int8 3×3 depthwise convolution over %d channels with AVX-512 VNNI from unpadded rows (see dwArgs and dwconv3x3VNNIBlock).", name, 16*lanes))
	p := Dereference(Param("p"))
	b := newDWBlock(p, lanes, offset)
	rowsP, colIdx := dwBlockRows(p)

	// gather loads column set k from filter column kx, pad from the
	// padding column (see dwPixels).
	gather := func(kx, k int) {
		t := []VecPhysical{b.v(17), b.v(18), b.v(19)}
		for r, row := range rowsP {
			m := Mem{Base: row}
			if kx > 0 {
				m = Mem{Base: row, Index: colIdx[kx], Scale: 1}
			}
			VPXORD(m, b.flip, t[r])
		}
		b.unpack(t, b.col(k))
	}
	pad := func(k int) {
		for _, d := range b.col(k) {
			VMOVDQA64(b.zpCol, d)
		}
	}
	pixel := func(s int) {
		out := b.pixel([3][]VecPhysical{b.col(s * stride % 3), b.col((s*stride + 1) % 3), b.col((s*stride + 2) % 3)})
		VMOVDQU64(out, Mem{Base: RBX})
	}
	dwPixels(p, name, stride, rowsP, colIdx[stride], gather, pad, pixel, name+"_done")
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// dwconv3x3VNNIPairs generates the int8 3×3 depthwise kernel for dilation
// 1 and stride 1 over a layer of exactly 32 channels, two output pixels a
// step, one per 256-bit half of each vector: dwconv3x3VNNIBlock over 32
// channels runs every operation on half vectors, which cost as much as
// whole ones. The block's data is that of 32 channels repeated in both
// halves.
//
// With 32 channels two neighbouring input columns are one 64-byte load,
// so column pair E_s, columns (2s, 2s+1) of the window row, gathers as
// one column of 64 channels does. Pixels 2s and 2s+1 take E_s, E_{s+1}
// and, for their middle filter column, the pair between them, (2s+1,
// 2s+2), assembled from the halves of the two by one lane shuffle per
// vector: per step one column pair's gather, four shuffles, and one
// pixel's products, requantization and store of 64 channels.
func dwconv3x3VNNIPairs(name string, offset bool) {
	TEXT(name, NOSPLIT, "func(p *dwArgs)")
	Pragma("noescape")
	Doc(name + " computes n output pixels of an int8 3×3 depthwise convolution over 32 channels with stride 1 with AVX-512 VNNI from unpadded rows, two pixels a step (see dwArgs and dwconv3x3VNNIPairs).")
	p := Dereference(Param("p"))
	b := newDWBlock(p, 4, offset)
	rowsP, _ := dwBlockRows(p)
	t := []VecPhysical{Z17, Z18, Z19}

	// gather loads column pair set k from the window row's bytes at disp.
	gather := func(k, disp int) {
		for r, row := range rowsP {
			VPXORD(Mem{Base: row, Disp: disp}, b.flip, t[r])
		}
		b.unpack(t, b.col(k))
	}
	// gatherHalf loads column pair set k from the column at disp and the
	// padding column: the last pixel's column next to the padding right,
	// or the column after the last one when it is alone (its pair's
	// second pixel is not stored); reading no further.
	gatherHalf := func(k, disp int) {
		for r, row := range rowsP {
			VPXORD(Mem{Base: row, Disp: disp}, b.flip.AsY(), t[r].AsY())
			VINSERTI32X8(Imm(1), b.zpCol.AsY(), t[r], t[r])
		}
		b.unpack(t, b.col(k))
	}
	// pixels computes pixels 2s and 2s+1 from E_s in set k and E_{s+1} in
	// set 1-k, and stores both or, if !both, the first.
	pixels := func(k int, both bool) {
		mid := b.col(2)
		for j := range 4 {
			VALIGNQ(Imm(4), b.col(k)[j], b.col(1 - k)[j], mid[j]) // the high half of E_s, the low of E_{s+1}
		}
		out := b.pixel([3][]VecPhysical{b.col(k), mid, b.col(1 - k)})
		if both {
			VMOVDQU64(out, Mem{Base: RBX})
		} else {
			VMOVDQU64(out.AsY(), Mem{Base: RBX})
		}
	}

	// E_0, its first column the padding if padL is set.
	Load(p.Field("padL"), RDX)
	TESTQ(RDX, RDX)
	JZ(LabelRef(name + "_gather0"))
	for r, row := range rowsP {
		VPXORD(Mem{Base: row, Disp: 32}, b.flip.AsY(), t[r].AsY())
		VINSERTI32X8(Imm(1), t[r].AsY(), b.zpCol, t[r])
	}
	b.unpack(t, b.col(0))
	JMP(LabelRef(name + "_first"))
	Label(name + "_gather0")
	gather(0, 0)
	Label(name + "_first")

	// RCX holds the pixels before the last one if that one needs the
	// padding right (dwBlockRows); R11 the steps whose E_{s+1} lies in
	// the row. Two steps per loop turn, E_s alternating between sets 0
	// and 1.
	MOVQ(RCX, R11)
	SHRQ(Imm(1), R11)
	JZ(LabelRef(name + "_tail0"))
	Label(name + "_step")
	for s := range 2 {
		gather(1-s, 64)
		pixels(s, true)
		for _, row := range rowsP {
			ADDQ(R15, row) // two columns
		}
		ADDQ(R15, RBX)
		DECQ(R11)
		JZ(LabelRef(fmt.Sprintf("%s_tail%d", name, 1-s)))
	}
	JMP(LabelRef(name + "_step"))

	// What is left with E_s in set k: if RCX is odd, one pixel, or two
	// with padR, whose E_{s+1} is a column and the padding (or what
	// follows, not stored); if RCX is even, nothing, or with padR one
	// pixel whose E_{s+1} is all padding.
	for k := range 2 {
		Label(fmt.Sprintf("%s_tail%d", name, k))
		Load(p.Field("padR"), RDX)
		TESTB(Imm(1), CL)
		JZ(LabelRef(fmt.Sprintf("%s_even%d", name, k)))
		gatherHalf(1-k, 64)
		TESTQ(RDX, RDX)
		JZ(LabelRef(fmt.Sprintf("%s_one%d", name, k)))
		pixels(k, true)
		JMP(LabelRef(name + "_done"))
		Label(fmt.Sprintf("%s_even%d", name, k))
		TESTQ(RDX, RDX)
		JZ(LabelRef(name + "_done"))
		for _, d := range b.col(1 - k) {
			VMOVDQA64(b.zpCol, d)
		}
		Label(fmt.Sprintf("%s_one%d", name, k))
		pixels(k, false)
		JMP(LabelRef(name + "_done"))
	}
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// dwconv3x3VNNIPairs2 generates the int8 3×3 depthwise kernel for
// dilation 1 and stride 2 over a block of 32 channels of a layer of any
// width (colStep bytes a pixel), two output pixels a step as
// dwconv3x3VNNIPairs computes them. Pixels 2s and 2s+1 have their
// windows at columns 4s and 4s+2: filter column 0 is the pair A_s =
// columns (4s, 4s+2), column 1 the pair (4s+1, 4s+3), and column 2 the
// high half of A_s and the low half of A_{s+1}, one VALIGNQ per vector. A
// pair of columns is two 32-byte loads, one into the high half. Per step
// two pairs gathered and one pixel's products, requantization and stores
// of 64 channels, against two 32-channel pixels of two columns each.
func dwconv3x3VNNIPairs2(name string, offset bool) {
	TEXT(name, NOSPLIT, "func(p *dwArgs)")
	Pragma("noescape")
	Doc(name + " computes n output pixels of an int8 3×3 depthwise convolution over 32 channels with stride 2 with AVX-512 VNNI from unpadded rows, two pixels a step (see dwArgs and dwconv3x3VNNIPairs2).")
	p := Dereference(Param("p"))
	b := newDWBlock(p, 4, offset)
	rowsP, _ := dwBlockRows(p)
	LEAQ(Mem{Base: R14, Index: R14, Scale: 2}, R12) // three columns
	LEAQ(Mem{Base: R15, Index: R15, Scale: 1}, R13) // four
	t := []VecPhysical{Z17, Z18, Z19}
	// col is column m of the window row from the step's first window.
	col := func(row GPPhysical, m int) Mem {
		switch m {
		case 0:
			return Mem{Base: row}
		case 1, 2, 4:
			return Mem{Base: row, Index: R14, Scale: uint8(m)}
		}
		return Mem{Base: row, Index: R12, Scale: uint8(m / 3)}
	}
	mid := b.col(2)
	// gather loads set k from columns lo and hi, one per half.
	gather := func(k, lo, hi int) {
		for r, row := range rowsP {
			VMOVDQU64(col(row, lo), t[r].AsY())
			VINSERTI32X8(Imm(1), col(row, hi), t[r], t[r])
			VPXORD(b.flip, t[r], t[r])
		}
		b.unpack(t, b.col(k))
	}
	// gatherHalf loads set k from column lo and the padding column.
	gatherHalf := func(k, lo int) {
		for r, row := range rowsP {
			VPXORD(col(row, lo), b.flip.AsY(), t[r].AsY())
			VINSERTI32X8(Imm(1), b.zpCol.AsY(), t[r], t[r])
		}
		b.unpack(t, b.col(k))
	}
	pad := func(k int) {
		for _, d := range b.col(k) {
			VMOVDQA64(b.zpCol, d)
		}
	}
	// step computes pixels 2s and 2s+1 from A_s in set k: their filter
	// column 1 as a pair (both) or, for a last pixel alone, one column;
	// next loads A_{s+1} into set 1-k (for a pixel alone, only its low
	// half counts, if any).
	step := func(k int, both bool, next func()) {
		if both {
			gather(2, 1, 3)
		} else {
			gatherHalf(2, 1)
		}
		cols := [3][]VecPhysical{b.col(k), mid, mid}
		b.products(cols, 0, 2)
		next()
		for j := range 4 {
			VALIGNQ(Imm(4), b.col(k)[j], b.col(1 - k)[j], mid[j]) // the high half of A_s, the low of A_{s+1}
		}
		b.products(cols, 2, 3)
		out := b.requant()
		VMOVDQU64(out.AsY(), Mem{Base: RBX})
		if both {
			VEXTRACTI32X8(Imm(1), out, Mem{Base: RBX, Index: R14, Scale: 1})
		}
	}
	advance := func() {
		for _, row := range rowsP {
			ADDQ(R13, row) // four columns
		}
		ADDQ(R15, RBX) // two pixels
	}

	// A_0: its first column the padding if padL is set, its second the
	// padding if the only pixel needs the padding right (RCX 0).
	Load(p.Field("padL"), RDX)
	TESTQ(RDX, RDX)
	JNZ(LabelRef(name + "_padL"))
	TESTQ(RCX, RCX)
	JZ(LabelRef(name + "_half0"))
	gather(0, 0, 2)
	JMP(LabelRef(name + "_first"))
	Label(name + "_half0")
	gatherHalf(0, 0)
	JMP(LabelRef(name + "_first"))
	Label(name + "_padL")
	TESTQ(RCX, RCX)
	JZ(LabelRef(name + "_pad0"))
	for r, row := range rowsP {
		VPXORD(col(row, 2), b.flip.AsY(), t[r].AsY())
		VINSERTI32X8(Imm(1), t[r].AsY(), b.zpCol, t[r])
	}
	b.unpack(t, b.col(0))
	JMP(LabelRef(name + "_first"))
	Label(name + "_pad0")
	pad(0)
	Label(name + "_first")

	// RCX holds the pixels before the last one if that one needs the
	// padding right (dwBlockRows), R11 the steps whose A_{s+1} lies in
	// the row: (RCX-1)/2. Two steps per loop turn, A_s alternating
	// between sets 0 and 1.
	MOVQ(RCX, R11)
	SUBQ(Imm(1), R11)
	JLE(LabelRef(name + "_tail0"))
	SHRQ(Imm(1), R11)
	JZ(LabelRef(name + "_tail0"))
	Label(name + "_step")
	for k := range 2 {
		step(k, true, func() { gather(1-k, 4, 6) })
		advance()
		DECQ(R11)
		JZ(LabelRef(fmt.Sprintf("%s_tail%d", name, 1-k)))
	}
	JMP(LabelRef(name + "_step"))

	// What is left with A_s in set k, by RCX's parity and padR: RCX odd,
	// one pixel or, with padR, two whose A_{s+1} is the padding; RCX
	// even, two pixels whose A_{s+1} is a column and what follows (the
	// padding with padR, which leaves a third pixel, alone), or with RCX
	// 0 that third pixel only.
	for k := range 2 {
		tail := func(l string) string { return fmt.Sprintf("%s_%s%d", name, l, k) }
		Label(tail("tail"))
		Load(p.Field("padR"), RDX)
		TESTB(Imm(1), CL)
		JNZ(LabelRef(tail("odd")))
		TESTQ(RCX, RCX)
		JZ(LabelRef(tail("one")))
		step(k, true, func() { gatherHalf(1-k, 4) })
		TESTQ(RDX, RDX)
		JZ(LabelRef(name + "_done"))
		advance()
		JMP(LabelRef(fmt.Sprintf("%s_one%d", name, 1-k)))
		Label(tail("odd"))
		TESTQ(RDX, RDX)
		JZ(LabelRef(tail("one")))
		step(k, true, func() { pad(1 - k) })
		JMP(LabelRef(name + "_done"))
		Label(tail("one"))
		step(k, false, func() {})
		JMP(LabelRef(name + "_done"))
	}
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// dwBlock holds the registers of a dwconv3x3VNNIBlock kernel: v(0..11) the
// three column sets' four vectors, v(12) the flip, v(13) the padding
// column, v(14) the output zero point as words, v(15)/v(16) the clamp
// bounds as bytes, v(17..23) the gather's temporaries, v(24..27) the
// accumulators, v(28..30) the requantization's.
type dwBlock struct {
	v                          func(i int) VecPhysical
	vb                         int // bytes in a vector
	flip, zpCol, outZP, lo, hi VecPhysical
	offset                     bool // the offset requantization (see dwconv3x3VNNIBlock)
}

// newDWBlock picks the registers of a block of 16·lanes channels (lanes
// 128-bit lanes: 1, 2 or 4) and loads the constants that are not the
// block's data, K1 the even dwords.
func newDWBlock(p gotypes.Component, lanes int, offset bool) *dwBlock {
	b := &dwBlock{vb: 16 * lanes, offset: offset}
	b.v = func(i int) VecPhysical {
		switch lanes {
		case 1:
			return xmm[i]
		case 2:
			return ymm[i]
		}
		return zmm[i]
	}
	b.flip, b.zpCol, b.outZP, b.lo, b.hi = b.v(12), b.v(13), b.v(14), b.v(15), b.v(16)
	MOVL(U32(0x80808080), EAX)
	VPBROADCASTD(EAX, b.flip)
	Load(p.Field("zpCol"), EAX)
	VPBROADCASTD(EAX, b.zpCol)
	Load(p.Field("outZP"), EAX)
	VPBROADCASTW(EAX, b.outZP)
	Load(p.Field("min"), EAX)
	VPBROADCASTB(EAX, b.lo)
	Load(p.Field("max"), EAX)
	VPBROADCASTB(EAX, b.hi)
	MOVL(U32(0x5555), EAX)
	KMOVW(EAX, K1) // even dwords
	return b
}

// col returns column set k.
func (b *dwBlock) col(k int) []VecPhysical {
	return []VecPhysical{b.v(4 * k), b.v(4*k + 1), b.v(4*k + 2), b.v(4*k + 3)}
}

// unpack interleaves the three rows t of a column, their top bits
// flipped, into dst: vector j holds in dword 4L+i the bytes
// (x0, x1, x2, x2) of the lane's channel 4j+i.
func (b *dwBlock) unpack(t, dst []VecPhysical) {
	v := b.v
	VPUNPCKLBW(t[1], t[0], v(20)) // (x0, x1) of bytes 0..7 of each lane
	VPUNPCKHBW(t[1], t[0], v(21))
	VPUNPCKLBW(t[2], t[2], v(22)) // (x2, x2)
	VPUNPCKHBW(t[2], t[2], v(23))
	VPUNPCKLWD(v(22), v(20), dst[0])
	VPUNPCKHWD(v(22), v(20), dst[1])
	VPUNPCKLWD(v(23), v(21), dst[2])
	VPUNPCKHWD(v(23), v(21), dst[3])
}

// pixel computes an output pixel's bytes, in channel order, from the sets
// of its three filter columns (RAX the block's data) and returns their
// register.
func (b *dwBlock) pixel(cols [3][]VecPhysical) VecPhysical {
	b.products(cols, 0, 3)
	return b.requant()
}

// field is vector f of group j of the block's data.
func (b *dwBlock) field(j, f int) Mem { return Mem{Base: RAX, Disp: (j*dwBlockFields + f) * b.vb} }

// products adds to the accumulators the products of filter columns
// kx0..kx1-1 with their sets in cols, starting them from the bias if kx0
// is 0.
func (b *dwBlock) products(cols [3][]VecPhysical, kx0, kx1 int) {
	for j := range 4 {
		acc := b.v(24 + j)
		if kx0 == 0 {
			VMOVDQU32(b.field(j, dwbBias), acc)
		}
		for kx := kx0; kx < kx1; kx++ {
			vpdpbusd(b.field(j, dwbW+kx), cols[kx][j], acc)
		}
	}
}

// requant requantizes the accumulators to bytes in channel order and
// returns their register.
func (b *dwBlock) requant() VecPhysical {
	v, field := b.v, b.field
	for j := range 4 {
		acc, odd, sign := v(24+j), v(28), v(29)
		if b.offset {
			// acc holds a + β + 2^31: the high halves are x + k + M, the
			// nudge field's dword round - k - M + zp·2^r.
			VPSHUFD(Imm(0xF5), acc, odd)
			VPMULUDQ(field(j, dwbMult), acc, acc)
			VPMULUDQ(field(j, dwbMultOdd), odd, odd)
			VPSHUFD(Imm(0xF5), acc, K1, odd)
			VPADDD(field(j, dwbNudge), odd, odd)
			VPSRAVD(field(j, dwbRShift), odd, acc)
			continue
		}
		VPSRLVD(field(j, dwbSignShift), acc, sign) // [a ≥ 0] where r > 0
		VPSHUFD(Imm(0xF5), acc, odd)               // odd lanes to the even positions
		VPMULUDQ(field(j, dwbMult), acc, acc)
		VPMULUDQ(field(j, dwbMultOdd), odd, odd)
		VPADDQ(field(j, dwbNudge), acc, acc)
		VPADDQ(field(j, dwbNudgeOdd), odd, odd)
		// The high halves: the odd lanes' are in place, the even lanes'
		// move down among them.
		VPSHUFD(Imm(0xF5), acc, K1, odd)
		VPADDD(sign, odd, odd)
		VPSRAVD(field(j, dwbRShift), odd, acc)
	}
	VPACKSSDW(v(25), v(24), v(24))
	VPACKSSDW(v(27), v(26), v(26))
	if !b.offset {
		VPADDSW(b.outZP, v(24), v(24))
		VPADDSW(b.outZP, v(26), v(26))
	}
	VPACKSSWB(v(26), v(24), v(24))
	VPMAXSB(b.lo, v(24), v(24))
	VPMINSB(b.hi, v(24), v(24))
	return v(24)
}

// The vectors of a dwconv3x3VNNIBlock block, per group j of 4 (kernels'
// dwBlock* constants mirror them).
const (
	dwbBias = iota
	dwbMult
	dwbMultOdd
	dwbNudge
	dwbNudgeOdd
	dwbSignShift
	dwbRShift
	dwbW          // three vectors, one per filter column
	dwBlockFields = dwbW + 3
)
