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
// Each input column x of the window's three rows gives, per half, two
// vectors: rows 0 and 1 interleaved and widened to int16 pairs, and row 2
// widened to 32 bits (its pair's upper half meets a zero weight). An output
// pixel is 6 VPMADDWD per half over its three columns, and consecutive
// pixels share columns (two of three at stride 1, one at stride 2), which
// stay in registers: a column is loaded and widened once per row instead of
// once per tap. Columns outside the input are the zero point (the zp
// field); rows outside it are a row of zero points (kernels.dwAVX2.zpRow).
// Every load is 8 bytes inside a pixel: nothing is read past the input.
//
// Registers: three column sets of four vectors (Y0..Y11: A rows 0-1, A
// row 2, B rows 0-1, B row 2, A and B the halves), the accumulators Y12
// and Y13, temporaries Y14 and Y15. GPRs: R8, R9, R10 the rows at the
// group's channels, RAX the column's byte offset, RBX the column, RCX the
// pixel size, R15 the output pixel, RDX pixels left, R11 groups left, R12
// the group's channel offset, R13 its requant block, RSI its weights, R14
// temporary.
func dwconv3x3DirectAVX2(name string, signed bool, stride int) {
	p, f := avx2Text(name, "dwDirectAVX2Args", fmt.Sprintf("%s computes a row of a 3×3 stride-%d depthwise convolution with at least 16 channels from unpadded input rows with AVX2 (see dwDirectAVX2Args).", name, stride))
	l := func(s string) string { return name + "_" + s }
	widen2, widen4 := VPMOVZXBW, VPMOVZXBD
	if signed {
		widen2, widen4 = VPMOVSXBW, VPMOVSXBD
	}
	sets := [3][4]VecPhysical{{Y0, Y1, Y2, Y3}, {Y4, Y5, Y6, Y7}, {Y8, Y9, Y10, Y11}}
	acc := []VecPhysical{Y12, Y13}
	// Padding columns load out of line, after the kernel's RET.
	var padded []func()

	// column loads column RBX into set s and steps to the next one.
	column := func(s [4]VecPhysical) {
		pad, back := l(fmt.Sprintf("pad%d", len(padded))), l(fmt.Sprintf("col%d", len(padded)))
		CMPQ(RBX, f("inW")) // unsigned: columns left of the input are negative
		JAE(LabelRef(pad))
		for h := range 2 {
			off := 8 * h
			x := s[2*h].AsX()
			VMOVQ(Mem{Base: R8, Index: RAX, Scale: 1, Disp: off}, x)
			VMOVQ(Mem{Base: R9, Index: RAX, Scale: 1, Disp: off}, X14)
			VPUNPCKLBW(X14, x, x)
			widen2(x, s[2*h])
			widen4(Mem{Base: R10, Index: RAX, Scale: 1, Disp: off}, s[2*h+1])
		}
		Label(back)
		INCQ(RBX)
		ADDQ(RCX, RAX)
		padded = append(padded, func() {
			Label(pad)
			for _, v := range s {
				VMOVDQU(f("zp"), v)
			}
			JMP(LabelRef(back))
		})
	}

	// pixel computes the output pixel whose window's columns are in sets
	// c0, c1, c2 and stores it.
	pixel := func(c0, c1, c2 [4]VecPhysical) {
		cols := [3][4]VecPhysical{c0, c1, c2}
		temps := []VecPhysical{Y14, Y15}
		for kx := range 3 {
			for part := range 2 { // rows 0-1, row 2
				for h := range 2 {
					w := Mem{Base: RSI, Disp: 32 * (h*6 + kx*2 + part)}
					t := temps[h]
					VPMADDWD(w, cols[kx][2*h+part], t)
					if kx == 0 && part == 0 {
						VPADDD(Mem{Base: R13, Disp: 4*16*aqBias + 32*h}, t, acc[h])
					} else {
						VPADDD(t, acc[h], acc[h])
					}
				}
			}
		}
		q := func(h, field int) Mem { return Mem{Base: R13, Disp: field*4*16 + 32*h} }
		leftShifts(l(fmt.Sprintf("q%d", len(padded))), f("lshift"), acc, q)
		for h, a := range acc {
			requantAVX2(a, Y14, Y15, func(field int) Mem { return q(h, field) })
		}
		pack16(Y12, Y13, signed, f("outZP"), f("lo"), f("hi"))
		VMOVDQU(X12, Mem{Base: R15})
		ADDQ(RCX, R15)
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

	// The first column(s), then per pixel the new ones; the three sets
	// take turns, so the loop is unrolled three times.
	column(sets[0])
	if stride == 1 {
		column(sets[1])
	}
	Label(l("pixel"))
	first := 0
	for u := range 3 {
		var c [3]int
		if stride == 1 {
			c = [3]int{u % 3, (u + 1) % 3, (u + 2) % 3}
			column(sets[c[2]])
		} else {
			c = [3]int{first, (first + 1) % 3, (first + 2) % 3}
			column(sets[c[1]])
			column(sets[c[2]])
			first = c[2]
		}
		pixel(sets[c[0]], sets[c[1]], sets[c[2]])
		DECQ(RDX)
		JZ(LabelRef(l("row_done")))
	}
	JMP(LabelRef(l("pixel")))

	Label(l("row_done"))
	ADDQ(Imm(16), R12)
	ADDQ(U32(aqFields*4*16), R13)
	ADDQ(U32(2*6*32), RSI)
	DECQ(R11)
	JNZ(LabelRef(l("group")))
	VZEROUPPER()
	RET()
	for _, code := range padded {
		code()
	}
}
