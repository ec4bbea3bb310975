package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/gotypes"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// Geometry of the AVX2 GEMM (kernels.gemmAVX2): blocks of 4 rows, panels
// of 24 channels = 3 vectors of 8 int32 accumulators, so 12 accumulators,
// 2 weight vectors, a broadcast and a product fill the 16 YMM registers.
const (
	g2MR     = 4
	g2NV     = 3
	g2NR     = 8 * g2NV
	g2QBlock = aqFields * 4 * g2NR // bytes of one panel's requant block
)

// Registers of the GEMM kernel. The parameter pointer takes one more GPR.
var (
	g2Rows  = []GPPhysical{R8, R9, R10, R11} // the block's int16 rows
	g2Acc   = []VecPhysical{Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11}
	g2W     = []VecPhysical{Y12, Y13}
	g2Bcast = Y14
	g2Prod  = Y15
)

// g2Step is the inner step of a GEMM kernel of the AVX2 family; every
// step consumes 4 bytes of each row and 32 bytes of weights per vector.
type g2Step int

const (
	g2Words   g2Step = iota // int16 pairs (rows widened in the scratch), VPMADDWD
	g2Maddubs               // byte quads, VPMADDUBSW, VPMADDWD by ones, VPADDD
	g2DPBUSD                // byte quads, VEX VPDPBUSD (AVX-VNNI)
)

// gemmAVX2 generates the whole product over rows [0, m): for each block of
// 4 rows (the last repeats its last row), the rows are widened to int16 in
// the scratch (g2Words) or read in place, then every panel runs the 4×24
// microkernel over K pairs or quads and requantizes; the last, narrower
// panel stores byte by byte.
//
// GPRs: RSI weights, R12 requant block, R13 output column, RDX panels
// left, RBX pair offset, RCX count, RAX/R14/R15 temporaries.
func gemmAVX2(name string, signed bool, step g2Step) {
	isa := map[g2Step]string{g2Words: "AVX2", g2Maddubs: "AVX2 VPMADDUBSW (weights proven not to saturate)", g2DPBUSD: "AVX-VNNI"}[step]
	p, f := avx2Text(name, "gemmAVX2Args", fmt.Sprintf("%s computes rows [0, m) of a packed GEMM with %s (see gemmAVX2Args).", name, isa))

	if step == g2Words {
		Load(p.Field("scratch"), g2Rows[0])
		Load(p.Field("kp"), RAX)
		SHLQ(Imm(2), RAX)
		for r := 1; r < g2MR; r++ {
			LEAQ(Mem{Base: g2Rows[r-1], Index: RAX, Scale: 1}, g2Rows[r])
		}
	}
	MOVQ(U32(0), f("done"))

	Label(name + "_block")
	for r := range g2MR {
		// row = min(done + r, m - 1)
		Load(p.Field("done"), RAX)
		ADDQ(Imm(uint64(r)), RAX)
		Load(p.Field("m"), RCX)
		DECQ(RCX)
		CMPQ(RAX, RCX)
		CMOVQGT(RCX, RAX)
		MOVQ(RAX, R15)
		IMULQ(f("lda"), R15)
		ADDQ(f("a"), R15)
		IMULQ(f("ldc"), RAX)
		ADDQ(f("out"), RAX)
		MOVQ(RAX, fieldMem(p.Field("outRows").Index(r)))
		if step == g2Words {
			widenRow(fmt.Sprintf("%s_widen%d", name, r), signed, R15, g2Rows[r], p)
		} else {
			MOVQ(R15, g2Rows[r])
		}
	}

	Load(p.Field("w"), RSI)
	Load(p.Field("q"), R12)
	XORQ(R13, R13)
	Load(p.Field("panels"), RDX)
	TESTQ(RDX, RDX)
	JZ(LabelRef(name + "_last"))
	Label(name + "_panel")
	gemmAVX2Panel(name+"_full", p, g2NV, false, signed, step)
	ADDQ(Imm(g2NR), R13)
	ADDQ(U32(g2QBlock), R12)
	DECQ(RDX)
	JNZ(LabelRef(name + "_panel"))

	Label(name + "_last")
	Load(p.Field("nvLast"), RAX)
	for nv := 1; nv <= g2NV; nv++ {
		CMPQ(RAX, Imm(uint64(nv)))
		JE(LabelRef(fmt.Sprintf("%s_last%d", name, nv)))
	}
	JMP(LabelRef(name + "_next"))
	for nv := 1; nv <= g2NV; nv++ {
		Label(fmt.Sprintf("%s_last%d", name, nv))
		gemmAVX2Panel(fmt.Sprintf("%s_last%d", name, nv), p, nv, true, signed, step)
		JMP(LabelRef(name + "_next"))
	}

	Label(name + "_next")
	Load(p.Field("done"), RAX)
	ADDQ(Imm(g2MR), RAX)
	MOVQ(RAX, f("done"))
	CMPQ(RAX, f("m"))
	JL(LabelRef(name + "_block"))
	VZEROUPPER()
	RET()
}

// gemmAVX2Words is one K pair of the int16 kernel: 2 weight vectors in
// registers, the third (if any) from memory.
func gemmAVX2Words(nv int, acc func(r, j int) VecPhysical) {
	inReg := min(nv, len(g2W))
	for j := range inReg {
		VMOVDQU(Mem{Base: RSI, Disp: 32 * j}, g2W[j])
	}
	for r := range g2MR {
		VPBROADCASTD(Mem{Base: g2Rows[r], Index: RBX, Scale: 1}, g2Bcast)
		for j := range nv {
			switch {
			case j < inReg:
				VPMADDWD(g2W[j], g2Bcast, g2Prod)
				VPADDD(g2Prod, acc(r, j), acc(r, j))
			default: // the broadcast's last use
				VPMADDWD(Mem{Base: RSI, Disp: 32 * j}, g2Bcast, g2Bcast)
				VPADDD(g2Bcast, acc(r, j), acc(r, j))
			}
		}
	}
}

// widenRow copies the K activations at src to dst as int16 (zero- or
// sign-extended), 16, then 8, then 1 at a time: nothing past the row is
// read. Clobbers src, RAX, RCX, R14, Y15.
func widenRow(l string, signed bool, src, dst GPPhysical, p gotypes.Component) {
	MOVQ(dst, RAX)
	Load(p.Field("k"), RCX)
	widen, widen1 := VPMOVZXBW, MOVBLZX
	if signed {
		widen, widen1 = VPMOVSXBW, MOVBLSX
	}
	// 16 at a time while that many remain, then 8 once.
	for _, s := range []struct {
		n          uint64
		v          VecPhysical
		here, next string
	}{{16, Y15, "_16", "_8"}, {8, X15, "_8", "_1"}} {
		Label(l + s.here)
		CMPQ(RCX, Imm(s.n))
		JB(LabelRef(l + s.next))
		widen(Mem{Base: src}, s.v)
		VMOVDQU(s.v, Mem{Base: RAX})
		ADDQ(Imm(s.n), src)
		ADDQ(Imm(2*s.n), RAX)
		SUBQ(Imm(s.n), RCX)
		if s.n == 16 {
			JMP(LabelRef(l + s.here))
		}
	}
	Label(l + "_1")
	TESTQ(RCX, RCX)
	JZ(LabelRef(l + "_done"))
	widen1(Mem{Base: src}, R14L)
	MOVW(R14W, Mem{Base: RAX})
	INCQ(src)
	ADDQ(Imm(2), RAX)
	DECQ(RCX)
	JMP(LabelRef(l + "_1"))
	Label(l + "_done")
}

// gemmAVX2Panel generates the microkernel for one panel of nv vectors:
// accumulators from the bias, the K-pair loop, requantization and the
// stores (whole vectors, or cLast bytes when partial).
func gemmAVX2Panel(l string, p gotypes.Component, nv int, partial, signed bool, step g2Step) {
	f := func(s string) Mem { return fieldMem(p.Field(s)) }
	acc := func(r, j int) VecPhysical { return g2Acc[r*nv+j] }
	for j := range nv {
		VMOVDQU(Mem{Base: R12, Disp: 32 * j}, acc(0, j))
		for r := 1; r < g2MR; r++ {
			VMOVDQA(acc(0, j), acc(r, j))
		}
	}
	XORQ(RBX, RBX)
	Load(p.Field("kp"), RCX)
	if step != g2Words {
		quadConstants(signed, step)
	}
	Label(l + "_k")
	switch step {
	case g2Words:
		gemmAVX2Words(nv, acc)
	default:
		gemmAVX2Quads(nv, acc, signed, step)
	}
	ADDQ(Imm(uint64(32*nv)), RSI)
	ADDQ(Imm(4), RBX)
	DECQ(RCX)
	JNZ(LabelRef(l + "_k"))

	// Epilogue: Y12, Y13 temporaries, Y14 pack permutation.
	var accs []VecPhysical
	for r := range g2MR {
		for j := range nv {
			accs = append(accs, acc(r, j))
		}
	}
	q := func(j, field int) Mem { return Mem{Base: R12, Disp: field*4*g2NR + 32*j} }
	leftShifts(l, f("lshift"), accs, func(i, field int) Mem { return q(i%nv, field) })
	for i, a := range accs {
		requantAVX2(a, Y12, Y13, func(field int) Mem { return q(i%nv, field) })
	}
	VMOVDQU(packPerm, Y14)
	for r := range g2MR {
		// Pack to int16 (saturating), add the zero point there (saturating:
		// exact, as |zp| < 256), pack to bytes. The packs work per 128-bit
		// lane, leaving dwords [0l 1l 2l · | 0h 1h 2h ·] of the vectors'
		// low and high halves; VPERMD puts them in channel order.
		a := acc(r, 0)
		switch nv {
		case 1:
			VPACKSSDW(a, a, a)
		case 2:
			VPACKSSDW(acc(r, 1), a, a)
		case 3:
			VPACKSSDW(acc(r, 1), a, a)
			VPACKSSDW(acc(r, 2), acc(r, 2), acc(r, 2))
			VPADDSW(f("outZP"), acc(r, 2), acc(r, 2))
		}
		VPADDSW(f("outZP"), a, a)
		b := a
		if nv == 3 {
			b = acc(r, 2)
		}
		if signed {
			VPACKSSWB(b, a, a)
		} else {
			VPACKUSWB(b, a, a)
		}
		VPERMD(a, Y14, a)
		if signed {
			VPMAXSB(f("lo"), a, a)
			VPMINSB(f("hi"), a, a)
		} else {
			VPMAXUB(f("lo"), a, a)
			VPMINUB(f("hi"), a, a)
		}
		Load(p.Field("outRows").Index(r), R14)
		if partial {
			ADDQ(R13, R14)
			Load(p.Field("cLast"), R15)
			storeBytes(fmt.Sprintf("%s_store%d", l, r), a, R14, R15, RAX)
			continue
		}
		dst := Mem{Base: R14, Index: R13, Scale: 1}
		switch nv {
		case 1:
			VMOVQ(a.AsX(), dst)
		case 2:
			VMOVDQU(a.AsX(), dst)
		case 3:
			VMOVDQU(a.AsX(), dst)
			VEXTRACTI128(Imm(1), a, X12)
			VMOVQ(X12, dst.Offset(16))
		}
	}
}
