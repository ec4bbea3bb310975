package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The float32 kernel set (AVX2 with FMA3, AVX-512): kernels.GemmF32's
// microkernels and kernels.DWConvF32's 3×3 depthwise kernels.

func f32() {
	gemmF32("gemmF32AVX2", false, 6, 2)
	gemmF32("gemmF32AVX512", true, 7, 2)
	gemmF32("gemmF32AVX512Narrow", true, 7, 1)
	dwF32AVX2("dwF32AVX2", false, false)
	dwF32AVX2("dwF32AVX2Masked", true, false)
	dwF32AVX2("dwF32AVX512", false, true)
}

// gemmF32 generates blocks of mr rows over every panel of nv vectors of
// channels: the accumulators start from the panel's bias, take K
// broadcast-and-FMA steps over the packed weights (in segs segments of k
// values, each segskip bytes after the end of the last in the rows), are
// clamped, and are stored, the last panel under its mask (with fuse, a
// fused ADD: each output first adds its residual's value and is clamped
// to lo2..hi2); then the rows, outputs and residuals move on by one block
// (astep, ostep bytes) until blocks are done. AVX2 (z false): panels of 16 channels in 2 YMM vectors, the mask a
// vector for VMASKMOVPS; AVX-512: panels of 16·nv in nv ZMM vectors, the
// mask bits in K1 (and K2). mr·nv accumulators, nv weight vectors and a
// broadcast.
//
// GPRs: R8–R13 and RDI the rows, RSI weights, R15 bias, RBX byte offset in
// the rows (then a residual row), RCX steps left, RDX byte offset in the
// outputs, R14 panels left, RAX segments left (then an output row).
func gemmF32(name string, z bool, mr, nv int) {
	TEXT(name, NOSPLIT, "func(p *gemmF32Args)")
	Pragma("noescape")
	isa := "AVX2 and FMA"
	v := []VecPhysical{Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11, Y12, Y13, Y14, Y15}
	if z {
		isa = "AVX-512"
		v = []VecPhysical{Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15, Z16, Z17, Z18, Z19, Z20}
	}
	Doc(fmt.Sprintf("%s computes blocks of %d rows of kernels.GemmF32 over panels of %d channels with %s (see gemmF32Args).", name, mr, 8*nv*map[bool]int{false: 1, true: 2}[z], isa))
	acc, w, bcast := v[:mr*nv], v[mr*nv:mr*nv+nv], v[mr*nv+nv]
	rows := []GPPhysical{R8, R9, R10, R11, R12, R13, RDI}[:mr]
	vb := 32 // bytes per vector
	if z {
		vb = 64
	}
	l := func(s string) string { return name + "_" + s }
	p := Dereference(Param("p"))
	for r, reg := range rows {
		Load(p.Field("a").Index(r), reg)
	}

	Label(l("block"))
	Load(p.Field("w"), RSI)
	Load(p.Field("bias"), R15)
	Load(p.Field("panels"), R14)
	XORQ(RDX, RDX)

	Label(l("panel"))
	for j := range nv {
		VMOVUPS(Mem{Base: R15, Disp: j * vb}, w[j])
	}
	for r := range mr {
		for j := range nv {
			VMOVAPS(w[j], acc[nv*r+j])
		}
	}
	XORQ(RBX, RBX)
	Load(p.Field("segs"), RAX)

	Label(l("seg"))
	Load(p.Field("k"), RCX)
	TESTQ(RCX, RCX)
	JZ(LabelRef(l("clamp")))

	Label(l("k"))
	for j := range nv {
		VMOVUPS(Mem{Base: RSI, Disp: j * vb}, w[j])
	}
	for r, row := range rows {
		VBROADCASTSS(Mem{Base: row, Index: RBX, Scale: 1}, bcast)
		for j := range nv {
			VFMADD231PS(w[j], bcast, acc[nv*r+j])
		}
	}
	ADDQ(Imm(uint64(nv*vb)), RSI)
	ADDQ(Imm(4), RBX)
	DECQ(RCX)
	JNZ(LabelRef(l("k")))
	// The next segment of the rows' values (a convolution's next tap row).
	ADDQ(fieldMem(p.Field("segskip")), RBX)
	DECQ(RAX)
	JNZ(LabelRef(l("seg")))

	Label(l("clamp"))
	lo, hi := w[0], bcast
	VBROADCASTSS(fieldMem(p.Field("lo")), lo)
	VBROADCASTSS(fieldMem(p.Field("hi")), hi)
	for _, a := range acc {
		VMAXPS(lo, a, a)
		VMINPS(hi, a, a)
	}

	// Stores, the last panel's under its mask; with fuse each row first
	// adds its residual and clamps again (an ADD after the layer).
	store := func(last, fuse bool) {
		masks := []VecPhysical{w[0], bcast}
		if last {
			if z {
				MOVWLZX(fieldMem(p.Field("kmask").Index(0)), EAX)
				KMOVW(EAX, K1)
				MOVWLZX(fieldMem(p.Field("kmask").Index(1)), EAX)
				KMOVW(EAX, K2)
			} else {
				VMOVDQU(fieldMem(p.Field("mask").Index(0)), masks[0])
				VMOVDQU(fieldMem(p.Field("mask").Index(8)), masks[1])
			}
		}
		// AVX2 clamps the sums from memory (lo2, hi2: 8 copies each);
		// AVX-512 has registers to spare.
		lo2, hi2 := Op(fieldMem(p.Field("lo2"))), Op(fieldMem(p.Field("hi2")))
		tmp := v[mr*nv+nv+1]
		if fuse && z {
			lo2, hi2 = v[mr*nv+nv+2], v[mr*nv+nv+3]
			VBROADCASTSS(fieldMem(p.Field("lo2")), lo2)
			VBROADCASTSS(fieldMem(p.Field("hi2")), hi2)
		}
		for r := range mr {
			Load(p.Field("out").Index(r), RAX)
			if fuse {
				Load(p.Field("res").Index(r), RBX)
			}
			for j := range nv {
				a := acc[nv*r+j]
				if fuse {
					res := Mem{Base: RBX, Index: RDX, Scale: 1, Disp: j * vb}
					switch {
					case last && z:
						VADDPS(res, a, []Op{K1, K2}[j], a)
					case last:
						VMASKMOVPS(res, masks[j], tmp)
						VADDPS(tmp, a, a)
					default:
						VADDPS(res, a, a)
					}
					VMAXPS(lo2, a, a)
					VMINPS(hi2, a, a)
				}
				m := Mem{Base: RAX, Index: RDX, Scale: 1, Disp: j * vb}
				switch {
				case last && z:
					VMOVUPS(a, []Op{K1, K2}[j], m)
				case last:
					VMASKMOVPS(a, masks[j], m)
				default:
					VMOVUPS(a, m)
				}
			}
		}
	}
	// storeEither stores both ways, chosen at run time by fuse, and
	// goes on at join.
	storeEither := func(last bool, fused, join string) {
		CMPQ(fieldMem(p.Field("fuse")), Imm(0))
		JNE(LabelRef(fused))
		store(last, false)
		JMP(LabelRef(join))
		Label(fused)
		store(last, true)
	}
	CMPQ(R14, Imm(1))
	JE(LabelRef(l("last")))
	storeEither(false, l("fused"), l("stored"))
	Label(l("stored"))
	ADDQ(Imm(uint64(nv*vb)), RDX)
	ADDQ(Imm(uint64(nv*vb)), R15)
	DECQ(R14)
	JMP(LabelRef(l("panel")))

	Label(l("last"))
	storeEither(true, l("lastfused"), l("next"))

	Label(l("next"))
	// The next block of rows.
	DECQ(fieldMem(p.Field("blocks")))
	JZ(LabelRef(l("done")))
	Load(p.Field("astep"), RAX)
	for _, row := range rows {
		ADDQ(RAX, row)
	}
	Load(p.Field("ostep"), RAX)
	for r := range mr {
		ADDQ(RAX, fieldMem(p.Field("out").Index(r)))
		ADDQ(RAX, fieldMem(p.Field("res").Index(r)))
	}
	JMP(LabelRef(l("block")))

	Label(l("done"))
	VZEROUPPER()
	RET()
}

// dwF32AVX2 generates a 3×3 float depthwise convolution of one block of 8
// channels (the mask selects the channels of a narrower last block) over
// a rectangle of output pixels: rows output rows, each of n pixels whose
// taps all lie inside the input, optionally preceded by a pixel whose tap
// column 0 lies left of the input (left) and followed by one whose column
// 2 lies right of it (right); the rows use all three tap rows, or only
// rows 1 and 2 (taps 1, the top border) or 0 and 1 (taps 2, the bottom
// one). Missing taps are skipped, as the generic loop skips them. The 9
// weight vectors stay in registers; each pixel's accumulator starts from
// the bias and adds the products row by row of taps. Products and sums
// round separately, in the generic loop's order, as TFLite's float
// depthwise kernel does: a fused multiply-add changes dynamic-range
// models' run-time quantization of the next layer's input enough to
// matter, so the backends agree exactly here.
//
// The present tap rows of an output row are in0, in1, in2 (at the first
// interior pixel's column 0), anywhere in memory: a tensor's rows, or a
// ring of rows computed just before (DWConvF32.RunRow); each moves on by
// inrow to the next output row's.
//
// GPRs: RSI the pixel's first present tap row, RCX/RDX the next two, R11
// and R15 their offsets from RSI, RBX column step in bytes, R8 output, R9
// pixels left, R10 pixel step, R12 output step, R13 bias, R14 rows left,
// RDI the row's output, RAX temporary.
//
// With z the same loop runs on ZMM registers: a block of 16 channels with
// AVX-512 (no mask; a narrower rest takes the AVX2 kernels).
func dwF32AVX2(name string, masked, z bool) {
	TEXT(name, NOSPLIT, "func(p *dwF32Args)")
	Pragma("noescape")
	if z {
		Doc(name + " computes a rectangle of output pixels of one 16-channel block of a 3×3 float depthwise convolution with AVX-512 (see dwF32Args).")
	} else {
		Doc(name + " computes a rectangle of output pixels of one 8-channel block of a 3×3 float depthwise convolution with AVX2 and FMA (see dwF32Args).")
	}
	l := func(s string) string { return name + "_" + s }
	load := func(m Mem, dst VecPhysical) {
		if masked {
			VMASKMOVPS(m, Y15, dst)
		} else {
			VMOVUPS(m, dst)
		}
	}
	p := Dereference(Param("p"))
	w := []VecPhysical{Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8}
	acc, lo, hi, tmp, mask := VecPhysical(Y9), VecPhysical(Y10), VecPhysical(Y11), VecPhysical(Y14), Y15
	if z {
		w = []VecPhysical{Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8}
		acc, lo, hi, tmp = Z9, Z10, Z11, Z14
	}
	if masked {
		VMOVDQU(fieldMem(p.Field("mask")), mask)
	}
	VBROADCASTSS(fieldMem(p.Field("lo")), lo)
	VBROADCASTSS(fieldMem(p.Field("hi")), hi)
	Load(p.Field("w"), RAX)
	Load(p.Field("wstep"), R12)
	for _, wr := range w {
		load(Mem{Base: RAX}, wr)
		ADDQ(R12, RAX)
	}
	Load(p.Field("out"), RDI)
	Load(p.Field("bias"), R13)
	Load(p.Field("rows"), R14)
	Load(p.Field("pixstep"), R10)
	Load(p.Field("colstep"), RBX)
	Load(p.Field("outstep"), R12)

	// pixel computes one output pixel from tap rows kys (their weights'
	// rows; RSI, RCX, RDX hold the first, second and third present row)
	// and tap columns kxs, and stores it at R8.
	pixel := func(kys, kxs []int) {
		load(Mem{Base: R13}, acc)
		LEAQ(Mem{Base: RSI, Index: R11, Scale: 1}, RCX)
		if len(kys) == 3 {
			LEAQ(Mem{Base: RSI, Index: R15, Scale: 1}, RDX)
		}
		for i, ky := range kys {
			row := []GPPhysical{RSI, RCX, RDX}[i]
			for _, kx := range kxs {
				m := Mem{Base: row}
				if kx > 0 {
					m = Mem{Base: row, Index: RBX, Scale: uint8(kx)}
				}
				if masked {
					VMASKMOVPS(m, mask, tmp)
					VMULPS(tmp, w[3*ky+kx], tmp)
				} else {
					VMULPS(m, w[3*ky+kx], tmp)
				}
				VADDPS(tmp, acc, acc)
			}
		}
		VMAXPS(lo, acc, acc)
		VMINPS(hi, acc, acc)
		if masked {
			VMASKMOVPS(acc, mask, Mem{Base: R8})
		} else {
			VMOVUPS(acc, Mem{Base: R8})
		}
	}

	// One copy of the loop over rows per set of tap rows.
	sets := []struct {
		name string
		kys  []int
	}{{"full", []int{0, 1, 2}}, {"top", []int{1, 2}}, {"bottom", []int{0, 1}}}
	CMPQ(fieldMem(p.Field("taps")), Imm(1))
	JE(LabelRef(l("top_row")))
	JA(LabelRef(l("bottom_row")))
	for _, s := range sets {
		ls := func(x string) string { return l(s.name + "_" + x) }
		Label(ls("row"))
		Load(p.Field("in0"), RSI)
		Load(p.Field("in1"), R11)
		SUBQ(RSI, R11)
		Load(p.Field("in2"), R15)
		SUBQ(RSI, R15)
		MOVQ(RDI, R8)
		CMPQ(fieldMem(p.Field("left")), Imm(0))
		JE(LabelRef(ls("interior")))
		// The left border pixel's column 0 would be a pixel step before
		// the first interior pixel's.
		SUBQ(R10, RSI)
		pixel(s.kys, []int{1, 2})
		ADDQ(R10, RSI)
		ADDQ(R12, R8)
		Label(ls("interior"))
		Load(p.Field("n"), R9)
		TESTQ(R9, R9)
		JZ(LabelRef(ls("right")))
		Label(ls("pixel"))
		pixel(s.kys, []int{0, 1, 2})
		ADDQ(R10, RSI)
		ADDQ(R12, R8)
		DECQ(R9)
		JNZ(LabelRef(ls("pixel")))
		Label(ls("right"))
		CMPQ(fieldMem(p.Field("right")), Imm(0))
		JE(LabelRef(ls("next")))
		pixel(s.kys, []int{0, 1})
		Label(ls("next"))
		// The next row, if any: the pointers never pass the last row, so
		// that the block holds only valid pointers for the collector.
		DECQ(R14)
		JZ(LabelRef(l("done")))
		Load(p.Field("inrow"), RAX)
		ADDQ(RAX, fieldMem(p.Field("in0")))
		ADDQ(RAX, fieldMem(p.Field("in1")))
		ADDQ(RAX, fieldMem(p.Field("in2")))
		ADDQ(fieldMem(p.Field("outrow")), RDI)
		JMP(LabelRef(ls("row")))
	}
	Label(l("done"))
	VZEROUPPER()
	RET()
}
