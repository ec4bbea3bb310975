package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// Offsets of the fields of a kernels.dwDirectQ block, in rows of 16
// channels (two halves of 8).
const (
	dqSign = iota
	dqMult
	dqMultOdd
	dqNudge
	dqNudgeOdd
	dqRShift
	dqFields
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
// The sums start from the products alone: the bias, the doubling of the
// high multiply and the output zero point are in the requantization's
// constants (requantDirect).
//
// Registers: three column sets of A (Y0..Y5, two halves each), two of Z
// (Y6..Y9), the last column's row 2 as words (Y10), the accumulators Y11
// and Y12, temporaries Y13 and Y14. GPRs: R8, R9, R10 the rows at the
// group's channels, RAX the column's byte offset, RBX the column, RCX the
// pixel size, R15 the output pixel, RDX pixels left, R11 groups left, R12
// the group's channel offset, R13 its requant block, RSI its weights.
func dwconv3x3DirectAVX2(name string, signed bool, stride int) {
	p, f := avx2Text(name, "dwDirectAVX2Args", fmt.Sprintf("%s computes a row of a 3×3 stride-%d depthwise convolution with at least 16 channels from unpadded input rows with AVX2 (see dwDirectAVX2Args).", name, stride))
	l := func(s string) string { return name + "_" + s }
	widen, packBytes := VPMOVZXBW, VPACKUSWB
	clampBytes := func(x VecPhysical) {
		VPMAXUB(f("lo"), x, x)
		VPMINUB(f("hi"), x, x)
	}
	if signed {
		widen, packBytes = VPMOVSXBW, VPACKSSWB
		clampBytes = func(x VecPhysical) {
			VPMAXSB(f("lo"), x, x)
			VPMINSB(f("hi"), x, x)
		}
	}
	as := [3][2]VecPhysical{{Y0, Y1}, {Y2, Y3}, {Y4, Y5}}
	zs := [2][2]VecPhysical{{Y6, Y7}, {Y8, Y9}}
	// Padding columns load out of line, after the kernel's RET.
	var padded []func()
	labels := 0
	label := func(s string) string {
		labels++
		return l(fmt.Sprintf("%s%d", s, labels))
	}

	// column loads column RBX: its pairs A into a, its row 2 as words
	// into w; then steps to the next column.
	column := func(a [2]VecPhysical, w VecPhysical) {
		pad, back := label("pad"), label("col")
		CMPQ(RBX, f("inW")) // unsigned: columns left of the input are negative
		JAE(LabelRef(pad))
		widen(Mem{Base: R8, Index: RAX, Scale: 1}, a[0])
		widen(Mem{Base: R9, Index: RAX, Scale: 1}, w)
		VPUNPCKHWD(w, a[0], a[1]) // channels 4..7 | 12..15
		VPUNPCKLWD(w, a[0], a[0]) // channels 0..3 | 8..11
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

	// products sums the output pixel's five pair vectors of each half,
	// in the order of the weights, into acc (t a temporary).
	products := func(acc [2]VecPhysical, t VecPhysical, a0, a1, a2, z0, z1 [2]VecPhysical) {
		srcs := [5][2]VecPhysical{a0, a1, a2, z0, z1}
		for i, src := range srcs {
			for h := range 2 {
				w := Mem{Base: RSI, Disp: 32 * (h*5 + i)}
				if i == 0 {
					VPMADDWD(w, src[h], acc[h])
					continue
				}
				VPMADDWD(w, src[h], t)
				VPADDD(t, acc[h], acc[h])
			}
		}
	}
	// finish requantizes the pixel in acc (c and o temporaries) and
	// stores it.
	finish := func(acc [2]VecPhysical, c, o VecPhysical) {
		for h, a := range acc {
			requantDirect(a, c, o, func(field int) Mem { return Mem{Base: R13, Disp: 64*field + 32*h} })
		}
		VPACKSSDW(acc[1], acc[0], acc[0]) // words in channel order: 0..7 | 8..15
		lo, hi := acc[0].AsX().(VecPhysical), acc[1].AsX().(VecPhysical)
		VEXTRACTI128(Imm(1), acc[0], hi)
		packBytes(hi, lo, lo)
		// Most layers clamp to the whole range of their type, which the
		// saturating packs have done.
		noClamp := label("noclamp")
		CMPQ(f("clamp"), Imm(0))
		JE(LabelRef(noClamp))
		clampBytes(lo)
		Label(noClamp)
		VMOVDQU(lo, Mem{Base: R15})
		ADDQ(RCX, R15)
	}
	// last ends the row after the products of its last pixel, in acc
	// (c and o temporaries): out of line, it finishes the pixel.
	last := func(acc [2]VecPhysical, c, o VecPhysical) {
		end := label("last")
		DECQ(RDX)
		JZ(LabelRef(end))
		padded = append(padded, func() {
			Label(end)
			finish(acc, c, o)
			JMP(LabelRef(l("row_done")))
		})
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

	// Two pixels are in flight: per step u, pixel u's products, pixel u-1's
	// requantization and store, then the columns pixel u+1 adds, into the
	// registers pixel u no longer needs (A_u's serve the requantization
	// as temporaries first). A takes turns in three sets, Z and the sums
	// in two, so the loop is unrolled six times.
	accs := [2][2]VecPhysical{{Y11, Y12}, {Y13, Y14}}
	if stride == 1 {
		// Column x: A in set x%3, Z_x in zs[x%2]; the last column's row
		// 2 in Y10.
		step := func(u int) {
			x := u + 2
			products(accs[u%2], Y15, as[u%3], as[(u+1)%3], as[x%3], zs[(u+1)%2], zs[x%2])
			if u > 0 {
				finish(accs[(u+1)%2], as[u%3][0], as[u%3][1])
			}
			last(accs[u%2], as[u%3][0], as[u%3][1])
			column(as[(x+1)%3], Y15)
			pairZ(zs[(x+1)%2], Y10, Y15)
			VMOVDQA(Y15, Y10)
		}
		column(as[0], Y10)
		column(as[1], Y15)
		pairZ(zs[1], Y10, Y15)
		column(as[2], Y10)
		pairZ(zs[0], Y15, Y10)
		step(0)
		Label(l("pixel"))
		for u := 1; u <= 6; u++ {
			step(u)
		}
	} else {
		// Pixel u: its first column in A set (2u)%3, Z of it in
		// zs[u%2]. The first column's Z meets a zero weight in its low
		// words.
		step := func(u int) {
			a := 2 * u
			products(accs[u%2], Y15, as[a%3], as[(a+1)%3], as[(a+2)%3], zs[u%2], zs[(u+1)%2])
			column(as[(a+3)%3], Y15)
			column(as[(a+4)%3], Y10)
			pairZ(zs[u%2], Y15, Y10)
			if u > 0 {
				finish(accs[(u+1)%2], Y10, Y15)
			}
			last(accs[u%2], Y10, Y15)
		}
		column(as[0], Y10)
		pairZ(zs[0], Y10, Y10)
		column(as[1], Y15)
		column(as[2], Y10)
		pairZ(zs[1], Y15, Y10)
		step(0)
		Label(l("pixel"))
		for u := 1; u <= 6; u++ {
			step(u)
		}
	}
	JMP(LabelRef(l("pixel")))

	Label(l("row_done"))
	ADDQ(Imm(16), R12)
	ADDQ(U32(dqFields*64), R13)
	ADDQ(U32(2*5*32), RSI)
	DECQ(R11)
	JNZ(LabelRef(l("group")))
	VZEROUPPER()
	RET()
	for _, code := range padded {
		code()
	}
}

// requantDirect turns the 8 sums in acc, s = 2^(l+1)·Σ x·w (the weights
// carry the doubling and the left shift l), into output values plus the
// output zero point, as kernels.requant.apply does before its clamp; q
// addresses the channels' constants (kernels.dwDirectQ), c and o are
// temporaries.
//
// VPMULDQ multiplies the even lanes by M, signed; the odd lanes are moved
// to the even positions first. The nudge adds 2^(l+1)·bias·M (so the
// product is 2·(a << l)·M, a the biased sum), 2^31 and (round - [r > 0] +
// zp·2^r)·2^32: each 64-bit product's high half is then x + round - [r >
// 0] + zp·2^r, x the doubling high multiply's result, and a shuffle and a
// blend gather them. A compare of s with the threshold -2^(l+1)·bias - 1
// gives -[a ≥ 0] (never where r = 0), which subtracted leaves
// RoundingDivideByPOT's x + round - [a < 0], plus zp·2^r, to shift right.
func requantDirect(acc, c, o VecPhysical, q func(field int) Mem) {
	VPCMPGTD(q(dqSign), acc, c)
	VPSHUFD(Imm(0xF5), acc, o)
	VPMULDQ(q(dqMult), acc, acc)
	VPMULDQ(q(dqMultOdd), o, o)
	VPADDQ(q(dqNudge), acc, acc)
	VPADDQ(q(dqNudgeOdd), o, o)
	VPSHUFD(Imm(0xF5), acc, acc)
	VPBLENDD(Imm(0xAA), o, acc, acc)
	VPSUBD(c, acc, acc)
	VPSRAVD(q(dqRShift), acc, acc)
}
