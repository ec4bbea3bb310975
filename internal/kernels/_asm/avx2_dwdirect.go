package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// dwconv3x3DirectAVX2 generates one output row of a 3×3 depthwise
// convolution (dilation 1, stride 1 or 2) read from the unpadded input
// (kernels.dwAVX2's direct form): per group of 16 channels, as two halves
// of 8, the output pixels left to right.
//
// Each input column x of the window's three rows is widened to words
// once (16-byte loads): rows 0 and 1 interleaved by word unpacks into the
// pairs A_x = (x0, x1), and row 2 kept as words to pair with the next
// column's, Z_x = (x2 of column x-1, x2 of column x). The unpacks work in
// 128-bit lanes, so half j holds in dword 4L+i channel 8L+4j+i; the
// weights and requantization constants are laid out in that order, and
// the pack of the two halves puts the words back in channel order. An
// output pixel over columns a, a+1, a+2 is 5 VPMADDWD per half: A_a,
// A_{a+1}, A_{a+2} and, for row 2, at stride 1 Z_{a+1}·(w20, w21) and
// Z_{a+2}·(0, w22) (each Z serves two pixels), at stride 2 Z_a·(0, w20)
// and Z_{a+2}·(w21, w22) (Z only at even columns, each serving two
// pixels). Columns are loaded and widened once per row. Columns outside
// the input are the zero point (the zp field); rows outside it are a row
// of zero points (kernels.dwAVX2.zpRow). Every load is the group's 16
// bytes of a pixel: nothing is read past the input.
//
// Pixels go in pairs: the first one's words wait in Y15 while the second
// is computed, then both take one byte pack, one clamp and two 16-byte
// stores (an odd last pixel is stored alone).
//
// Registers: three column sets of A (Y0..Y5, two halves each), two of Z
// (Y6..Y9), the last column's row 2 as words (Y10), the accumulators Y11
// and Y12, temporaries Y13 and Y14, the first pixel's words Y15. GPRs:
// R8, R9, R10 the rows at the group's channels, RAX the column's byte
// offset, RBX the column, RCX the pixel size, R15 the output pixel, RDX
// pixels left, R11 groups left, R12 the group's channel offset, R13 its
// requant block, RSI its weights.
func dwconv3x3DirectAVX2(name string, signed bool, stride int) {
	p, f := avx2Text(name, "dwDirectAVX2Args", fmt.Sprintf("%s computes a row of a 3×3 stride-%d depthwise convolution with at least 16 channels from unpadded input rows with AVX2 (see dwDirectAVX2Args).", name, stride))
	l := func(s string) string { return name + "_" + s }
	widen, packBytes := VPMOVZXBW, VPACKUSWB
	clampBytes := func(y VecPhysical) {
		VPMAXUB(f("lo"), y, y)
		VPMINUB(f("hi"), y, y)
	}
	if signed {
		widen, packBytes = VPMOVSXBW, VPACKSSWB
		clampBytes = func(y VecPhysical) {
			VPMAXSB(f("lo"), y, y)
			VPMINSB(f("hi"), y, y)
		}
	}
	as := [3][2]VecPhysical{{Y0, Y1}, {Y2, Y3}, {Y4, Y5}}
	zs := [2][2]VecPhysical{{Y6, Y7}, {Y8, Y9}}
	acc := []VecPhysical{Y11, Y12}
	// Padding columns load out of line, after the kernel's RET.
	var padded []func()

	// column loads column RBX: its pairs A into a, its row 2 as words
	// into w; then steps to the next column.
	column := func(a [2]VecPhysical, w VecPhysical) {
		pad, back := l(fmt.Sprintf("pad%d", len(padded))), l(fmt.Sprintf("col%d", len(padded)))
		CMPQ(RBX, f("inW")) // unsigned: columns left of the input are negative
		JAE(LabelRef(pad))
		widen(Mem{Base: R8, Index: RAX, Scale: 1}, a[0])
		widen(Mem{Base: R9, Index: RAX, Scale: 1}, Y13)
		VPUNPCKHWD(Y13, a[0], a[1]) // channels 4..7 | 12..15
		VPUNPCKLWD(Y13, a[0], a[0]) // channels 0..3 | 8..11
		widen(Mem{Base: R10, Index: RAX, Scale: 1}, w)
		Label(back)
		INCQ(RBX)
		ADDQ(RCX, RAX)
		padded = append(padded, func() {
			Label(pad)
			for _, v := range []VecPhysical{a[0], a[1], w} {
				VMOVDQU(f("zp"), v)
			}
			JMP(LabelRef(back))
		})
	}
	// pairZ makes Z from row 2 of the previous column (prev) and of this
	// one (cur), in the halves' order.
	pairZ := func(z [2]VecPhysical, prev, cur VecPhysical) {
		VPUNPCKLWD(cur, prev, z[0])
		VPUNPCKHWD(cur, prev, z[1])
	}

	// pixel computes the output pixel from the five pair vectors of each
	// half, in the order of the weights. Pixels go in pairs: the first
	// (second false) keeps its words in Y15, the second packs both and
	// stores them.
	pixel := func(a0, a1, a2, z0, z1 [2]VecPhysical, second bool) {
		srcs := [5][2]VecPhysical{a0, a1, a2, z0, z1}
		temps := []VecPhysical{Y13, Y14}
		for t, src := range srcs {
			for h := range 2 {
				w := Mem{Base: RSI, Disp: 32 * (h*5 + t)}
				VPMADDWD(w, src[h], temps[h])
				if t == 0 {
					VPADDD(Mem{Base: R13, Disp: 4*16*aqBias + 32*h}, temps[h], acc[h])
				} else {
					VPADDD(temps[h], acc[h], acc[h])
				}
			}
		}
		q := func(h, field int) Mem { return Mem{Base: R13, Disp: field*4*16 + 32*h} }
		leftShifts(l(fmt.Sprintf("q%d", len(padded))), f("lshift"), acc, q)
		for h, a := range acc {
			requantAVX2(a, Y13, Y14, func(field int) Mem { return q(h, field) })
		}
		if !second {
			VPACKSSDW(Y12, Y11, Y15) // words in channel order
			VPADDSW(f("outZP"), Y15, Y15)
			return
		}
		VPACKSSDW(Y12, Y11, Y11)
		VPADDSW(f("outZP"), Y11, Y11)
		packBytes(Y11, Y15, Y11)    // lanes: first 0..7, second 0..7 | first 8..15, second 8..15
		VPERMQ(Imm(0xD8), Y11, Y11) // the first pixel | the second
		clampBytes(Y11)
		VMOVDQU(X11, Mem{Base: R15})
		VEXTRACTI128(Imm(1), Y11, Mem{Base: R15, Index: RCX, Scale: 1})
		LEAQ(Mem{Base: R15, Index: RCX, Scale: 2}, R15)
	}

	Load(p.Field("c"), RCX)
	Load(p.Field("q"), R13)
	Load(p.Field("w"), RSI)
	Load(p.Field("groups"), R11)
	XORQ(R12, R12)

	Label(l("group"))
	CMPQ(R11, Imm(1))
	JNE(LabelRef(l("mid")))
	Load(p.Field("lastOff"), R12)
	Label(l("mid"))
	rows := []GPPhysical{R8, R9, R10}
	for i, r := range rows {
		Load(p.Field("rows").Index(i), r)
		ADDQ(R12, r)
	}
	Load(p.Field("out"), R15)
	ADDQ(R12, R15)
	Load(p.Field("n"), RDX)
	Load(p.Field("x0"), RBX)
	MOVQ(RBX, RAX)
	IMULQ(RCX, RAX)

	// The first column(s), then per pixel the new ones. A takes turns in
	// three sets, Z in two, and pixels go in pairs, so the loop is
	// unrolled six times.
	exit := func(u int) {
		DECQ(RDX)
		if u%2 == 0 {
			JZ(LabelRef(l("odd")))
		} else {
			JZ(LabelRef(l("row_done")))
		}
	}
	if stride == 1 {
		// Column x: A in set x%3, Z_x in zs[x%2]; the last column's row
		// 2 in Y10.
		column(as[0], Y10)
		column(as[1], Y14)
		pairZ(zs[1], Y10, Y14)
		VMOVDQA(Y14, Y10)
		Label(l("pixel"))
		for u := range 6 {
			x := u + 2
			column(as[x%3], Y14)
			pairZ(zs[x%2], Y10, Y14)
			VMOVDQA(Y14, Y10)
			pixel(as[u%3], as[(u+1)%3], as[x%3], zs[(u+1)%2], zs[x%2], u%2 == 1)
			exit(u)
		}
	} else {
		// Pixel u: its first column in A set (2u)%3, Z of it in
		// zs[u%2]. The first column's Z meets a zero weight in its low
		// words.
		column(as[0], Y10)
		pairZ(zs[0], Y10, Y10)
		Label(l("pixel"))
		for u := range 6 {
			a := 2 * u
			column(as[(a+1)%3], Y14)
			column(as[(a+2)%3], Y10)
			pairZ(zs[(u+1)%2], Y14, Y10)
			pixel(as[a%3], as[(a+1)%3], as[(a+2)%3], zs[u%2], zs[(u+1)%2], u%2 == 1)
			exit(u)
		}
	}
	JMP(LabelRef(l("pixel")))

	// An odd last pixel is stored alone.
	Label(l("odd"))
	VEXTRACTI128(Imm(1), Y15, X13)
	packBytes(X13, X15, X15)
	clampBytes(X15)
	VMOVDQU(X15, Mem{Base: R15})

	Label(l("row_done"))
	ADDQ(Imm(16), R12)
	ADDQ(U32(aqFields*4*16), R13)
	ADDQ(U32(2*5*32), RSI)
	DECQ(R11)
	JNZ(LabelRef(l("group")))
	VZEROUPPER()
	RET()
	for _, code := range padded {
		code()
	}
}
