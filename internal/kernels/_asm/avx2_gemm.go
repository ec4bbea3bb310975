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
	g2Words     g2Step = iota // int16 pairs (rows widened in the scratch), VPMADDWD
	g2Maddubs                 // byte quads, VPMADDUBSW, VPMADDWD by ones, VPADDD
	g2DPBUSD                  // byte quads, VEX VPDPBUSD (AVX-VNNI)
	g2DPBUSDSum               // as g2DPBUSD, plus a correction per row from its sum (quad.go)
	g2Bytes                   // as g2Words, the weights bytes widened on loading
)

// gemmAVX2 generates the whole product over rows [0, m): for each block of
// mr rows (the last repeats its last row), the rows are widened to int16 in
// the scratch (g2Words, g2Bytes) or read in place, then every panel runs the
// mr×24 microkernel over K pairs or quads and requantizes; the last,
// narrower panel stores byte by byte.
//
// GPRs: RSI weights, R12 requant block, R13 output column, RDX panels
// left, RBX pair offset, RCX count, RAX/R14/R15 temporaries.
func gemmAVX2(name string, signed bool, step g2Step, mr int, relu bool) {
	isa := map[g2Step]string{g2Words: "AVX2", g2Maddubs: "AVX2 VPMADDUBSW (weights proven not to saturate)", g2DPBUSD: "AVX-VNNI", g2DPBUSDSum: "AVX-VNNI and row sums", g2Bytes: "AVX2, one row at a time"}[step]
	p, f := avx2Text(name, "gemmAVX2Args", fmt.Sprintf("%s computes rows [0, m) of a packed GEMM with %s (see gemmAVX2Args).", name, isa))

	widened := step == g2Words || step == g2Bytes
	// int8 rows of the quad kernels without row sums are copied to the
	// scratch with their top bit flipped (x+128), once per block, rather
	// than flipped at every broadcast, once per panel.
	flipped := signed && (step == g2Maddubs || step == g2DPBUSD)
	if widened || flipped {
		Load(p.Field("scratch"), g2Rows[0])
		Load(p.Field("kp"), RAX)
		SHLQ(Imm(2), RAX)
		for r := 1; r < mr; r++ {
			LEAQ(Mem{Base: g2Rows[r-1], Index: RAX, Scale: 1}, g2Rows[r])
		}
	}
	MOVQ(U32(0), f("done"))

	Label(name + "_block")
	for r := range mr {
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
		switch {
		case widened:
			widenRow(fmt.Sprintf("%s_widen%d", name, r), signed, R15, g2Rows[r], p)
		case flipped:
			flipRow(fmt.Sprintf("%s_flip%d", name, r), R15, g2Rows[r], p)
		default:
			MOVQ(R15, g2Rows[r])
		}
	}
	if step == g2DPBUSDSum {
		quadRowSums(name, p, mr)
	}

	Load(p.Field("w"), RSI)
	Load(p.Field("q"), R12)
	XORQ(R13, R13)
	Load(p.Field("panels"), RDX)
	TESTQ(RDX, RDX)
	JZ(LabelRef(name + "_last"))
	gemmAVX2Panels(name, p, mr, signed, step, relu, name+"_next")

	Label(name + "_next")
	Load(p.Field("done"), RAX)
	ADDQ(Imm(uint64(mr)), RAX)
	MOVQ(RAX, f("done"))
	CMPQ(RAX, f("m"))
	JL(LabelRef(name + "_block"))
	VZEROUPPER()
	RET()
}

// gemmAVX2Words is one K pair of the int16 kernel: 2 weight vectors in
// registers, the third (if any) from memory.
// The step's weights are at RSI + wd, the rows' pairs at row + RBX + rd.
func gemmAVX2Words(nv int, acc func(r, j int) VecPhysical, wd, rd int) {
	inReg := min(nv, len(g2W))
	for j := range inReg {
		VMOVDQU(Mem{Base: RSI, Disp: wd + 32*j}, g2W[j])
	}
	for r := range g2MR {
		VPBROADCASTD(Mem{Base: g2Rows[r], Index: RBX, Scale: 1, Disp: rd}, g2Bcast)
		for j := range nv {
			switch {
			case j < inReg:
				VPMADDWD(g2W[j], g2Bcast, g2Prod)
				VPADDD(g2Prod, acc(r, j), acc(r, j))
			default: // the broadcast's last use
				VPMADDWD(Mem{Base: RSI, Disp: wd + 32*j}, g2Bcast, g2Bcast)
				VPADDD(g2Bcast, acc(r, j), acc(r, j))
			}
		}
	}
}

// gemvAVX2 generates the one-row product (kernels.gemmAVX2's wb): the row
// widened into the scratch, then the full panels four at a time (four
// streams of weights in flight, twelve accumulators) and the rest one at a
// time, each weight vector's 16 bytes widened as they load; then the last,
// partial panel.
//
// GPRs: R8 the widened row, RSI weights, R9 the bytes of a panel's
// weights, R10 three times that, R12 requant block, R13 output column, RDX
// panels left, RBX pair offset, RCX count, RAX/R14/R15 temporaries.
func gemvAVX2(name string, signed bool) {
	p, f := avx2Text(name, "gemmAVX2Args", fmt.Sprintf("%s computes one row (m = 1) of a packed GEMM with AVX2, from weight bytes (see gemmAVX2Args).", name))
	widen := VPMOVZXBW
	if signed {
		widen = VPMOVSXBW
	}
	Load(p.Field("scratch"), R8)
	Load(p.Field("a"), R15)
	widenRow(name+"_widen", signed, R15, R8, p)
	Load(p.Field("out"), RAX)
	MOVQ(RAX, fieldMem(p.Field("outRows").Index(0)))
	Load(p.Field("w"), RSI)
	Load(p.Field("q"), R12)
	XORQ(R13, R13)
	Load(p.Field("kp"), R9)
	IMUL3Q(Imm(2*g2NR), R9, R9)
	LEAQ(Mem{Base: R9, Index: R9, Scale: 2}, R10)

	Load(p.Field("panels"), RDX)
	SHRQ(Imm(2), RDX)
	JZ(LabelRef(name + "_singles"))
	Label(name + "_group")
	const group = 4
	acc := func(pp, j int) VecPhysical { return g2Acc[pp*g2NV+j] }
	for pp := range group {
		for j := range g2NV {
			VMOVDQU(Mem{Base: R12, Disp: pp*g2QBlock + 32*j}, acc(pp, j))
			VPSUBD(f("corr"), acc(pp, j), acc(pp, j))
		}
	}
	XORQ(RBX, RBX)
	Load(p.Field("kp"), RCX)
	Label(name + "_k")
	VPBROADCASTD(Mem{Base: R8, Index: RBX, Scale: 1}, Y14)
	panel := []Mem{{Base: RSI}, {Base: RSI, Index: R9, Scale: 1}, {Base: RSI, Index: R9, Scale: 2}, {Base: RSI, Index: R10, Scale: 1}}
	temps := []VecPhysical{Y12, Y13, Y15}
	for pp := range group {
		for j := range g2NV {
			t := temps[(pp*g2NV+j)%len(temps)]
			widen(panel[pp].Offset(16*j), t)
			VPMADDWD(t, Y14, t)
			VPADDD(t, acc(pp, j), acc(pp, j))
		}
	}
	ADDQ(Imm(2*g2NR), RSI)
	ADDQ(Imm(4), RBX)
	DECQ(RCX)
	JNZ(LabelRef(name + "_k"))
	ADDQ(R10, RSI) // past the group's other three panels

	accs := g2Acc[:group*g2NV]
	q := func(i, field int) Mem { return Mem{Base: R12, Disp: i/g2NV*g2QBlock + field*4*g2NR + 32*(i%g2NV)} }
	leftShifts(name+"_group", f("lshift"), accs, q)
	for i, a := range accs {
		requantAVX2(a, Y12, Y13, func(field int) Mem { return q(i, field) })
	}
	VMOVDQU(packPerm, Y14)
	for pp := range group {
		Load(p.Field("outRows").Index(0), R14)
		packStore(fmt.Sprintf("%s_store%d", name, pp), p, accs[pp*g2NV:(pp+1)*g2NV], false, signed, true, g2NR*pp, Y14, f("outZP"), false)
	}
	ADDQ(Imm(group*g2NR), R13)
	ADDQ(U32(group*g2QBlock), R12)
	DECQ(RDX)
	JNZ(LabelRef(name + "_group"))

	Label(name + "_singles")
	Load(p.Field("panels"), RDX)
	ANDQ(Imm(group-1), RDX)
	JZ(LabelRef(name + "_last"))
	gemmAVX2Panels(name, p, 1, signed, g2Bytes, false, name+"_done")
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// gemmAVX2Bytes is one K pair of the one-row kernel: each weight vector's
// 16 bytes (8 channels' pairs) widened to int16 as they are loaded, zero-
// extended for uint8 layers, whose weights are stored raw (the weight zero
// point's term is the row correction).
func gemmAVX2Bytes(nv int, signed bool, acc func(r, j int) VecPhysical) {
	widen := VPMOVZXBW
	if signed {
		widen = VPMOVSXBW
	}
	VPBROADCASTD(Mem{Base: g2Rows[0], Index: RBX, Scale: 1}, g2Bcast)
	for j := range nv {
		w := g2Acc[g2NV+j]
		widen(Mem{Base: RSI, Disp: 16 * j}, w)
		VPMADDWD(w, g2Bcast, w)
		VPADDD(w, acc(0, j), acc(0, j))
	}
}

// widenRow copies the K activations at src to dst as int16 (zero- or
// sign-extended): 16 at a time, the last 16 overlapping the ones before;
// rows shorter than 16 8 at a time likewise, shorter than 8 one at a
// time. Nothing past the row is read. Clobbers src, RAX, RCX, R14, Y15.
func widenRow(l string, signed bool, src, dst GPPhysical, p gotypes.Component) {
	MOVQ(dst, RAX)
	Load(p.Field("k"), RCX)
	widen, widen1 := VPMOVZXBW, MOVBLZX
	if signed {
		widen, widen1 = VPMOVSXBW, MOVBLSX
	}
	for _, s := range []struct {
		n          int
		v          VecPhysical
		here, next string
	}{{16, Y15, "_16", "_8"}, {8, X15, "_8", "_1"}} {
		Label(l + s.here)
		CMPQ(RCX, Imm(uint64(s.n)))
		JB(LabelRef(l + s.next))
		Label(l + s.here + "_loop")
		widen(Mem{Base: src}, s.v)
		VMOVDQU(s.v, Mem{Base: RAX})
		ADDQ(Imm(uint64(s.n)), src)
		ADDQ(Imm(uint64(2*s.n)), RAX)
		SUBQ(Imm(uint64(s.n)), RCX)
		JZ(LabelRef(l + "_done"))
		CMPQ(RCX, Imm(uint64(s.n)))
		JAE(LabelRef(l + s.here + "_loop"))
		// The last n, moved back over ones already done.
		LEAQ(Mem{Base: src, Index: RCX, Scale: 1, Disp: -s.n}, src)
		LEAQ(Mem{Base: RAX, Index: RCX, Scale: 2, Disp: -2 * s.n}, RAX)
		widen(Mem{Base: src}, s.v)
		VMOVDQU(s.v, Mem{Base: RAX})
		JMP(LabelRef(l + "_done"))
	}
	Label(l + "_1")
	widen1(Mem{Base: src}, R14L)
	MOVW(R14W, Mem{Base: RAX})
	INCQ(src)
	ADDQ(Imm(2), RAX)
	DECQ(RCX)
	JNZ(LabelRef(l + "_1"))
	Label(l + "_done")
}

// gemmAVX2Panels emits the loop over RDX whole panels (entered at
// name_panel), then the last, partial one (name_last, its width from
// nvLast), each of mr rows, and jumps to done.
func gemmAVX2Panels(name string, p gotypes.Component, mr int, signed bool, step g2Step, relu bool, done string) {
	Label(name + "_panel")
	gemmAVX2Panel(name+"_full", p, g2NV, mr, false, signed, step, relu)
	ADDQ(Imm(g2NR), R13)
	ADDQ(U32(g2QBlock), R12)
	DECQ(RDX)
	JNZ(LabelRef(name + "_panel"))

	Label(name + "_last")
	Load(p.Field("nvLast"), RAX)
	if step != g2Bytes {
		// A last panel of whole vectors (N = 16, 32, 64, …) stores them
		// as a full one does.
		CMPQ(fieldMem(p.Field("lastWhole")), Imm(0))
		JE(LabelRef(name + "_lastpart"))
		for nv := 1; nv < g2NV; nv++ {
			CMPQ(RAX, Imm(uint64(nv)))
			JE(LabelRef(fmt.Sprintf("%s_lastw%d", name, nv)))
		}
		Label(name + "_lastpart")
	}
	for nv := 1; nv <= g2NV; nv++ {
		CMPQ(RAX, Imm(uint64(nv)))
		JE(LabelRef(fmt.Sprintf("%s_last%d", name, nv)))
	}
	JMP(LabelRef(done))
	if step != g2Bytes {
		for nv := 1; nv < g2NV; nv++ {
			Label(fmt.Sprintf("%s_lastw%d", name, nv))
			gemmAVX2Panel(fmt.Sprintf("%s_lastw%d", name, nv), p, nv, mr, false, signed, step, relu)
			JMP(LabelRef(done))
		}
	}
	for nv := 1; nv <= g2NV; nv++ {
		Label(fmt.Sprintf("%s_last%d", name, nv))
		gemmAVX2Panel(fmt.Sprintf("%s_last%d", name, nv), p, nv, mr, true, signed, step, relu)
		JMP(LabelRef(done))
	}
}

// gemmAVX2Panel generates the microkernel for one panel of nv vectors and
// mr rows: accumulators from the bias (less the one-row kernel's row
// correction), the K loop, the row corrections of g2DPBUSDSum,
// requantization and the stores (whole vectors, or cLast bytes when
// partial).
func gemmAVX2Panel(l string, p gotypes.Component, nv, mr int, partial, signed bool, step g2Step, relu bool) {
	f := func(s string) Mem { return fieldMem(p.Field(s)) }
	acc := func(r, j int) VecPhysical { return g2Acc[r*nv+j] }
	for j := range nv {
		VMOVDQU(Mem{Base: R12, Disp: 32 * j}, acc(0, j))
		if step == g2Bytes {
			VPSUBD(f("corr"), acc(0, j), acc(0, j))
		}
		for r := 1; r < mr; r++ {
			VMOVDQA(acc(0, j), acc(r, j))
		}
	}
	XORQ(RBX, RBX)
	Load(p.Field("kp"), RCX)
	if step == g2Bytes {
		Label(l + "_k")
		gemmAVX2Bytes(nv, signed, acc)
		ADDQ(Imm(uint64(16*nv)), RSI)
		ADDQ(Imm(4), RBX)
		DECQ(RCX)
		JNZ(LabelRef(l + "_k"))
		gemmAVX2OldEpilogue(l, p, nv, mr, partial, signed)
		return
	}
	// Two steps an iteration: the loop's own instructions take dispatch
	// slots the K loop, at 2 VPMADDWD or VPDPBUSD a cycle, nearly fills.
	kstep := func(acc func(r, j int) VecPhysical, wd, rd int) {
		if step == g2Words {
			gemmAVX2Words(nv, acc, wd, rd)
		} else {
			gemmAVX2Quads(nv, acc, step, wd, rd)
		}
	}
	// VPDPBUSD accumulates in place, 5 cycles a step: one vector's mr
	// chains would run at under half its rate, so there the loop's
	// second step has accumulators of its own, added at the end.
	acc2 := acc
	dual := (step == g2DPBUSD || step == g2DPBUSDSum) && nv == 1
	if dual {
		acc2 = func(r, j int) VecPhysical { return g2Acc[mr+r] }
		for r := range mr {
			VPXOR(acc2(r, 0), acc2(r, 0), acc2(r, 0))
		}
	}
	wstep := 32 * nv
	quadConstants(step)
	SHRQ(Imm(1), RCX)
	JZ(LabelRef(l + "_k1"))
	Label(l + "_k")
	kstep(acc, 0, 0)
	kstep(acc2, wstep, 4)
	ADDQ(Imm(uint64(2*wstep)), RSI)
	ADDQ(Imm(8), RBX)
	DECQ(RCX)
	JNZ(LabelRef(l + "_k"))
	Label(l + "_k1")
	Load(p.Field("kp"), RAX)
	ANDQ(Imm(1), RAX)
	JZ(LabelRef(l + "_kdone"))
	kstep(acc, 0, 0)
	ADDQ(Imm(uint64(wstep)), RSI)
	Label(l + "_kdone")
	if dual {
		for r := range mr {
			VPADDD(acc2(r, 0), acc(r, 0), acc(r, 0))
		}
	}
	if step == g2DPBUSDSum {
		// The row corrections are added last: the K loop need not wait
		// for the block's row sums.
		for r := range mr {
			for j := range nv {
				VPADDD(f("sums").Offset(32*r), acc(r, j), acc(r, j))
			}
		}
	}
	gemmAVX2Epilogue(l, p, nv, mr, partial, signed, relu)
}

// gemmAVX2OldEpilogue is the one-row kernel's epilogue: every constant
// from memory, for each accumulator. Y12, Y13 temporaries, Y14 pack
// permutation.
func gemmAVX2OldEpilogue(l string, p gotypes.Component, nv, mr int, partial, signed bool) {
	f := func(s string) Mem { return fieldMem(p.Field(s)) }
	acc := func(r, j int) VecPhysical { return g2Acc[r*nv+j] }
	var accs []VecPhysical
	for r := range mr {
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
	for r := range mr {
		Load(p.Field("outRows").Index(r), R14)
		packStore(fmt.Sprintf("%s_store%d", l, r), p, g2Acc[r*nv:(r+1)*nv], partial, signed, true, 0, Y14, f("outZP"), false)
	}
}

// gemmAVX2Epilogue requantizes and stores a panel of the int16 and quad
// kernels in the form the layer's offset field selects: the offset form
// (requantAVX2Offset, kernels.avx2RequantOffset), which most layers fit,
// or the plain one.
func gemmAVX2Epilogue(l string, p gotypes.Component, nv, mr int, partial, signed, relu bool) {
	CMPQ(fieldMem(p.Field("offset")), Imm(0))
	JE(LabelRef(l + "_plain"))
	gemmAVX2EpilogueForm(l+"_off", p, nv, mr, partial, signed, relu, true)
	JMP(LabelRef(l + "_epidone"))
	Label(l + "_plain")
	gemmAVX2EpilogueForm(l, p, nv, mr, partial, signed, relu, false)
	Label(l + "_epidone")
}

// gemmAVX2EpilogueForm is one form of gemmAVX2Epilogue, vector by vector:
// each vector's constants are loaded once into registers free after the K
// loop and serve its mr rows (memory operands where the registers run
// out). With 3 vectors the first two are packed to int16 before the
// third, whose constants then all fit in the registers this frees. The
// epilogue is load-bound otherwise: 4 to 6 constants per vector and row.
func gemmAVX2EpilogueForm(l string, p gotypes.Component, nv, mr int, partial, signed, relu, offset bool) {
	f := func(s string) Mem { return fieldMem(p.Field(s)) }
	acc := func(r, j int) VecPhysical { return g2Acc[r*nv+j] }
	q := func(j, field int) Mem { return Mem{Base: R12, Disp: field*4*g2NR + 32*j} }
	var accs []VecPhysical
	for r := range mr {
		for j := range nv {
			accs = append(accs, acc(r, j))
		}
	}
	free := append([]VecPhysical{Y12, Y13, Y14, Y15}, g2Acc[mr*nv:]...)
	temps := 2
	fields := []int{aqMult, aqMultOdd, aqNudge, aqNudgeOdd, aqRShift, aqSignShift}
	switch {
	case offset && relu:
		temps, fields = 1, []int{aqMult, aqMultOdd, aqNudge, aqRShift}
	case offset:
		temps, fields = 1, []int{aqMult, aqMultOdd, aqNudge, aqRShift, aqOffSign}
	case relu:
		temps, fields = 1, fields[:5]
	}
	if !offset { // offset layers have no left shift
		leftShifts(l, f("lshift"), accs, func(i, field int) Mem { return q(i%nv, field) })
	}
	for j := range nv {
		if j == 2 {
			for r := range mr {
				VPACKSSDW(acc(r, 1), acc(r, 0), acc(r, 0))
				free = append(free, acc(r, 1))
			}
		}
		regs := map[int]VecPhysical{}
		for i, field := range fields {
			if temps+i < len(free) {
				regs[field] = free[temps+i]
				VMOVDQU(q(j, field), regs[field])
			}
		}
		op := func(field int) Op {
			if r, ok := regs[field]; ok {
				return r
			}
			return q(j, field)
		}
		for r := range mr {
			switch {
			case offset:
				requantAVX2Offset(acc(r, j), free[0], op, !relu)
			case relu:
				requantAVX2Relu(acc(r, j), free[0], op)
			default:
				requantAVX2Op(acc(r, j), free[0], free[1], op)
			}
		}
	}
	perm := free[0]
	VMOVDQU(packPerm, perm)
	var zp Op // the offset form added the zero point before the shift
	if !offset {
		zp = free[1]
		VMOVDQU(f("outZP"), zp)
	}
	store := func(clamp bool) {
		for r := range mr {
			Load(p.Field("outRows").Index(r), R14)
			packStore(fmt.Sprintf("%s_store%d%v", l, r, clamp), p, g2Acc[r*nv:(r+1)*nv], partial, signed, clamp, 0, perm, zp, nv == 3)
		}
	}
	// Most layers clamp to the whole range of the type, which the packs'
	// saturation already gives.
	CMPQ(f("clamp"), Imm(0))
	JE(LabelRef(l + "_noclamp"))
	store(true)
	JMP(LabelRef(l + "_stored"))
	Label(l + "_noclamp")
	store(false)
	Label(l + "_stored")
}

// requantAVX2Offset requantizes the accumulator acc in place, in the
// offset form (kernels.avx2RequantOffset): acc holds a' = a + β + 2^31,
// β·2M ≡ 2^31 (mod 2^32), so the high half of a'·2M is x + k + M, x the
// doubling high multiply's result with its rounding nudge already in. One
// VSHUFPS gathers the high halves (the lanes in kernels.gemmReluLane's
// order, as requantAVX2Relu), one add of round - k - M + zp·2^r leaves z
// = x + round + zp·2^r, and the right shift gives the output with its
// zero point. With sign, RoundingDivideByPOT's -[x < 0] where r > 0: the
// nudge there is one less, and a compare with round + zp·2^r - 2 (never
// true where r = 0) adds [x ≥ 0] back. 6 instructions per 8 lanes (8
// with sign) where requantAVX2Relu takes 7 (requantAVX2 10), and no zero
// point to add after the pack. o is a temporary.
func requantAVX2Offset(acc, o VecPhysical, q func(field int) Op, sign bool) {
	VPSHUFD(Imm(0xF5), acc, o)
	VPMULUDQ(q(aqMult), acc, acc)
	VPMULUDQ(q(aqMultOdd), o, o)
	VSHUFPS(Imm(0xDD), o, acc, acc) // [acc1 acc3 o1 o3] per 128 bits
	VPADDD(q(aqNudge), acc, acc)
	if sign {
		VPCMPGTD(q(aqOffSign), acc, o) // x ≥ 0
		VPSUBD(o, acc, acc)
	}
	VPSRAVD(q(aqRShift), acc, acc)
}

// requantAVX2Op is requantAVX2 with each constant a register or a memory
// operand.
func requantAVX2Op(acc, c, o VecPhysical, q func(field int) Op) {
	VPSRLVD(q(aqSignShift), acc, c)
	VPSHUFD(Imm(0xF5), acc, o)
	VPMULUDQ(q(aqMult), acc, acc)
	VPMULUDQ(q(aqMultOdd), o, o)
	VPADDQ(q(aqNudge), acc, acc)
	VPADDQ(q(aqNudgeOdd), o, o)
	VPSHUFD(Imm(0xF5), acc, acc)
	VPBLENDD(Imm(0xAA), o, acc, acc)
	VPADDD(c, acc, acc)
	VPSRAVD(q(aqRShift), acc, acc)
}

// requantAVX2Relu is requantAVX2 for layers whose clamp starts at or above
// the output zero point (a fused ReLU or ReLU6). There RoundingDivideByPOT's
// -[x < 0] can be left out: it changes a result only for x < 0, where
// both (x + round) >> r and the exact value are at most 0, so the output,
// at most the zero point, clamps to the lower bound either way. The nudge
// lacks its -[r > 0] term accordingly. The high halves of the products
// are gathered by one VSHUFPS instead of a shuffle and a blend, which
// leaves them in lane order [0 2 1 3 | 4 6 5 7] of the accumulator: the
// relu kernels' weights and constants are packed in that order
// (kernels.gemmReluLane), so the result is in channel order. o is a
// temporary. 7 instructions per 8 lanes where requantAVX2 takes 10.
func requantAVX2Relu(acc, o VecPhysical, q func(field int) Op) {
	VPSHUFD(Imm(0xF5), acc, o)
	VPMULUDQ(q(aqMult), acc, acc)
	VPMULUDQ(q(aqMultOdd), o, o)
	VPADDQ(q(aqNudge), acc, acc)
	VPADDQ(q(aqNudgeOdd), o, o)
	VSHUFPS(Imm(0xDD), o, acc, acc) // [acc1 acc3 o1 o3] per 128 bits
	VPSRAVD(q(aqRShift), acc, acc)
}

// packStore packs a row's requantized vectors a (1 to 3) to int16
// (saturating), adds the zero point zp there (saturating: exact, as |zp| <
// 256; nil: none, it is in already), packs to bytes, clamps them if clamp, and stores them at R14 +
// R13 + disp (cLast bytes when partial). With packed01 the first two of
// 3 vectors are already packed to int16 in a[0]. The packs work per
// 128-bit lane, leaving dwords [0l 1l 2l · | 0h 1h 2h ·] of the vectors'
// low and high halves; VPERMD with perm (packPerm) puts them in channel
// order. Clobbers a, R14, R15, RAX.
func packStore(l string, p gotypes.Component, a []VecPhysical, partial, signed, clamp bool, disp int, perm VecPhysical, zp Op, packed01 bool) {
	f := func(s string) Mem { return fieldMem(p.Field(s)) }
	switch len(a) {
	case 1:
		VPACKSSDW(a[0], a[0], a[0])
	case 2:
		VPACKSSDW(a[1], a[0], a[0])
	case 3:
		if !packed01 {
			VPACKSSDW(a[1], a[0], a[0])
		}
		VPACKSSDW(a[2], a[2], a[2])
		if zp != nil {
			VPADDSW(zp, a[2], a[2])
		}
	}
	if zp != nil {
		VPADDSW(zp, a[0], a[0])
	}
	b := a[0]
	if len(a) == 3 {
		b = a[2]
	}
	if signed {
		VPACKSSWB(b, a[0], a[0])
	} else {
		VPACKUSWB(b, a[0], a[0])
	}
	VPERMD(a[0], perm, a[0])
	switch {
	case !clamp:
	case signed:
		VPMAXSB(f("lo"), a[0], a[0])
		VPMINSB(f("hi"), a[0], a[0])
	default:
		VPMAXUB(f("lo"), a[0], a[0])
		VPMINUB(f("hi"), a[0], a[0])
	}
	if partial {
		LEAQ(Mem{Base: R14, Index: R13, Scale: 1, Disp: disp}, R14)
		Load(p.Field("cLast"), R15)
		storeBytes(l, a[0], R14, R15, RAX)
		return
	}
	dst := Mem{Base: R14, Index: R13, Scale: 1, Disp: disp}
	switch len(a) {
	case 1:
		VMOVQ(a[0].AsX(), dst)
	case 2:
		VMOVDQU(a[0].AsX(), dst)
	case 3:
		VMOVDQU(a[0].AsX(), dst)
		VEXTRACTI128(Imm(1), a[0], a[2].AsX())
		VMOVQ(a[2].AsX(), dst.Offset(16))
	}
}
