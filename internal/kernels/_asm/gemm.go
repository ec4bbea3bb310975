package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/gotypes"
	"github.com/mmcloughlin/avo/ir"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// raw emits an instruction avo's table lacks (AVX-512 VNNI), with its
// register effects declared for avo's liveness analysis.
func raw(opcode string, ins []Op, out Op, ops ...Op) {
	Instruction(&ir.Instruction{Opcode: opcode, Operands: ops, Inputs: ins, Outputs: []Op{out}})
}

// vpdpbusd: acc += Σ4 u8(x) · s8(w), per 32-bit lane, without saturation.
func vpdpbusd(w, x, acc Op) { raw("VPDPBUSD", []Op{w, x, acc}, acc, w, x, acc) }

// vpdpwssd: acc += s16(a)·s16(b) for both 16-bit halves of each lane.
func vpdpwssd(b, a, acc Op) { raw("VPDPWSSD", []Op{b, a, acc}, acc, b, a, acc) }

var zAcc = []VecPhysical{Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15}

// gemmVNNI generates the 4-row × (16·nv)-channel AVX-512 VNNI microkernel
// loop over the panels of one row block. Each row's 4 bytes of a step of K
// are broadcast into a register once and serve all nv vectors. For uint8
// activations they are the unsigned operand, against signed weights w-128;
// for int8 activations the signed one, against unsigned weights w+128.
// Either way a per-row sum of the activations corrects the result (see
// kernels.GEMM).
//
// xor selects the other int8 formulation: activations broadcast into a
// register and made unsigned by flipping their top bit, against the plain
// signed weights; it needs no row sums, which pays for small K.
func gemmVNNI(name string, signed, xor bool, nv int) {
	TEXT(name, NOSPLIT, "func(p *gemmArgs)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s computes p.blocks blocks of up to 4 rows of a packed GEMM with AVX-512 VNNI (see gemmArgs).", name))
	p := Dereference(Param("p"))
	rows := []GPPhysical{R8, R9, R10, R11}
	gemmConsts(p)

	// One pass per row block; between blocks the row pointers in p advance
	// by 4 rows, which saves the caller a call per block.
	Label(name + "_block")
	for r, reg := range rows {
		Load(p.Field("a").Index(r), reg)
	}
	Load(p.Field("w"), RSI)
	Load(p.Field("panels"), RDX)
	XORQ(R12, R12) // output channel offset
	XORQ(R13, R13) // requant block offset

	// Per-row correction (128 - wz)·Σx for uint8 layers, Σ(x+128)·-128
	// for deep int8 ones, broadcast into Z24..Z27.
	corr := []VecPhysical{Z24, Z25, Z26, Z27}
	if xor {
		corr = nil
	} else {
		gemmRowSums(name, p, signed, rows, corr)
	}

	Label(name + "_panel")
	// The accumulators start from the panel's folded bias (plus 2^31, see
	// gemmRequant), loaded rather than copied: the load ports are idle, the
	// vector ports are not. The row correction comes in the epilogue, so
	// that the products need not wait for the row sums.
	Load(p.Field("q"), R14)
	for j := range nv {
		for r := range rows {
			VMOVDQU32(Mem{Base: R14, Index: R13, Scale: 1, Disp: gemmQBlock*j + 64*aqBias}, zAcc[4*r+j])
		}
	}
	// Narrow panels (nv ≤ 2) have few accumulators, each a chain of K/4
	// dependent VPDPBUSD: they split it, odd steps of K into a second
	// set of accumulators (the free zAcc[4r+j+2]), added in the epilogue.
	split := nv <= 2
	acc := func(r, j, set int) VecPhysical { return zAcc[4*r+j+2*set] }
	if split {
		for r := range rows {
			for j := range nv {
				VPXORD(acc(r, j, 1), acc(r, j, 1), acc(r, j, 1))
			}
		}
	}
	XORQ(RBX, RBX)
	set := func(k int) {
		gemmStep(signed, xor, nv, rows, k, func(r, j int) VecPhysical { return acc(r, j, k) })
	}
	if split {
		splitKLoop(name, p, set)
		for r := range rows {
			for j := range nv {
				VPADDD(acc(r, j, 1), acc(r, j, 0), acc(r, j, 0))
			}
		}
	} else {
		Load(p.Field("k4"), RCX)
		Label(name + "_k")
		set(0)
		ADDQ(U32(256), RSI)
		ADDQ(Imm(4), RBX)
		DECQ(RCX)
		JNZ(LabelRef(name + "_k"))
	}

	// Epilogue: requantize and store the valid channels of the panel.
	MOVQ(U32(64), RAX)
	CMPQ(RDX, Imm(1))
	JNE(LabelRef(name + "_full"))
	Load(p.Field("nLast"), RAX)
	Label(name + "_full")
	// The offset epilogues (kernels.gemmEpi*), most layers', then the
	// plain one, with a left shift or, for layers where every channel's
	// left shift is 0, without.
	epis := offsetEpilogues(p, name)
	Load(p.Field("lshift"), ECX)
	TESTL(ECX, ECX)
	JZ(LabelRef(name + "_nolshift"))
	// After the K loop the weights', the broadcast's and (without row
	// sums) the corrections' registers are free, and so are the narrow
	// panels' second accumulators.
	free := []VecPhysical{Z16, Z17, Z18, Z19, Z20}
	if corr == nil {
		free = append(free, Z24, Z25, Z26, Z27)
	}
	for r := range rows {
		for j := range 4 {
			if j >= nv || (split && j >= 2) {
				free = append(free, zAcc[4*r+j])
			}
		}
	}
	accOf := func(r, j int) VecPhysical { return zAcc[4*r+j] }
	gemmStorePacked(p, signed, nv, len(rows), accOf, free, corr, epilogue{lshift: true, sign: true, zp: true, clamp: true})
	JMP(LabelRef(name + "_stored"))
	Label(name + "_nolshift")
	gemmStorePacked(p, signed, nv, len(rows), accOf, free, corr, epilogue{sign: true, zp: true, clamp: true})
	for i, e := range epis {
		JMP(LabelRef(name + "_stored"))
		Label(fmt.Sprintf("%s_epi%d", name, i+1))
		gemmStorePacked(p, signed, nv, len(rows), accOf, free, corr, e)
	}
	Label(name + "_stored")
	ADDQ(Imm(64), R12)
	ADDQ(U32(4*gemmQBlock), R13)
	DECQ(RDX)
	JNZ(LabelRef(name + "_panel"))

	Load(p.Field("blocks"), RCX)
	DECQ(RCX)
	JLE(LabelRef(name + "_done"))
	Store(RCX, p.Field("blocks"))
	Load(p.Field("aStep"), RAX)
	Load(p.Field("outStep"), RBX)
	for r := range rows {
		Load(p.Field("a").Index(r), R14)
		ADDQ(RAX, R14)
		Store(R14, p.Field("a").Index(r))
		Load(p.Field("out").Index(r), R14)
		ADDQ(RBX, R14)
		Store(R14, p.Field("out").Index(r))
	}
	JMP(LabelRef(name + "_block"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// gemmConsts sets up the GEMM kernels' constant registers: K1 the even
// 32-bit lanes, Z21 the top bits of the bytes, and the output constants,
// which stay in registers for the whole call: the epilogue of a shallow
// layer runs once per few steps of K.
func gemmConsts(p gotypes.Component) {
	MOVL(U32(0x5555), EAX)
	KMOVW(EAX, K1)
	MOVL(U32(0x80808080), EAX)
	VPBROADCASTD(EAX, Z21)
	Load(p.Field("outZP"), EAX)
	VPBROADCASTW(EAX, gemmZP)
	Load(p.Field("min"), EAX)
	VPBROADCASTB(EAX, gemmMin)
	Load(p.Field("max"), EAX)
	VPBROADCASTB(EAX, gemmMax)
	VMOVDQU64(packPerm512, gemmPerm)
}

// gemmStep emits one step of K (4 bytes of each row at RBX, plus 4·off)
// into the accumulators acc(r, j): the panel's weights at RSI + 256·off.
func gemmStep(signed, xor bool, nv int, rows []GPPhysical, off int, acc func(r, j int) VecPhysical) {
	w := []VecPhysical{Z16, Z17, Z18, Z19}[:nv]
	for j, z := range w {
		VMOVDQU32(Mem{Base: RSI, Disp: 256*off + 64*j}, z)
	}
	for r, reg := range rows {
		x := Mem{Base: reg, Index: RBX, Scale: 1, Disp: 4 * off}
		VPBROADCASTD(x, Z20)
		if signed && !xor {
			// Signed activations against unsigned weights, broadcast once
			// per row and step: an embedded broadcast in each VPDPBUSD
			// costs more (196×384×64: 15.5 → 11.9 µs).
			for j := range w {
				vpdpbusd(Z20, w[j], acc(r, j))
			}
			continue
		}
		if xor {
			VPXORD(Z21, Z20, Z20)
		}
		for j := range w {
			vpdpbusd(w[j], Z20, acc(r, j))
		}
	}
}

// The GEMM kernels' output constants, loaded once per call: the zero
// point as words, the clamp bounds as bytes, the VPERMD order of the
// packed bytes.
var (
	gemmZP   = Z22
	gemmMin  = Z23
	gemmMax  = Z30
	gemmPerm = Z31
)

// gemmQBlock is the size in bytes of one 16-channel requant block of the
// GEMM kernels: kernels.avx2Requant's layout, 16 channels wide.
const gemmQBlock = 64 * aqFields

// gemmRowSums broadcasts each row's correction rowCorr·Σx (Σ(x+128) for
// int8 rows) into corr, or zeroes corr when rowCorr is 0.
func gemmRowSums(name string, p gotypes.Component, signed bool, rows []GPPhysical, corr []VecPhysical) {
	for _, z := range corr {
		VPXORD(z, z, z)
	}
	Load(p.Field("rowCorr"), EAX)
	TESTL(EAX, EAX)
	JZ(LabelRef(name + "_sums_done"))
	// Z0..Z2 are free until the accumulators start.
	VPXORD(Z2, Z2, Z2)
	for r, reg := range rows {
		l := fmt.Sprintf("%s_sum%d", name, r)
		VPXORD(Z0, Z0, Z0)
		Load(p.Field("k"), RCX)
		MOVQ(reg, R14)
		Label(l + "_loop")
		CMPQ(RCX, Imm(64))
		JL(LabelRef(l + "_tail"))
		if signed { // sum x+128, the bytes with their top bit flipped
			VPXORD(Mem{Base: R14}, Z21, Z1)
			VPSADBW(Z1, Z2, Z1)
		} else {
			VPSADBW(Mem{Base: R14}, Z2, Z1)
		}
		VPADDQ(Z1, Z0, Z0)
		ADDQ(Imm(64), R14)
		SUBQ(Imm(64), RCX)
		JMP(LabelRef(l + "_loop"))
		Label(l + "_tail")
		MOVQ(I64(-1), R15)
		BZHIQ(RCX, R15, R15)
		KMOVQ(R15, K3)
		VMOVDQU8_Z(Mem{Base: R14}, K3, Z1)
		if signed {
			VPXORD(Z21, Z1, Z1)
			VMOVDQU8_Z(Z1, K3, Z1)
		}
		VPSADBW(Z1, Z2, Z1)
		VPADDQ(Z1, Z0, Z0)
		VEXTRACTI64X4(Imm(1), Z0, Y1)
		VPADDQ(Y1, Y0, Y0)
		VEXTRACTI128(Imm(1), Y0, X1)
		VPADDQ(X1, X0, X0)
		VPSHUFD(Imm(0x4E), X0, X1)
		VPADDQ(X1, X0, X0)
		VMOVQ(X0, RCX)
		Load(p.Field("rowCorr"), EAX)
		IMULL(EAX, ECX)
		VPBROADCASTD(ECX, corr[r])
	}
	Label(name + "_sums_done")
}

// gemmStorePacked is the epilogue of a panel (RAX valid channels) over
// rows rows: each accumulator acc(r, j) plus its row's correction (corr,
// nil for none) requantized in place (gemmRequant), with the constants in
// the registers free, then the nv vectors of each row (of 4/nv rows
// for nv ≤ 2) packed to bytes with saturation, offset by the zero point
// and clamped as bytes, and stored at once. Saturating to 16 bits before
// adding the zero point, and to 8 before clamping, changes no result: the
// clamp bounds lie inside the 8-bit range and |zero point| < 256.
// epilogue selects a form of gemmStorePacked.
type epilogue struct {
	offset bool // gemmRequantOffset, else gemmRequant
	lshift bool // gemmRequant's left shift
	sign   bool // RoundingDivideByPOT's -[x < 0] (a ReLU's clamp makes it moot)
	zp     bool // add the output zero point (the offset form has it in its add)
	clamp  bool // clamp the bytes (else the packs' saturation is the clamp)
}

func gemmStorePacked(p gotypes.Component, signed bool, nv, rows int, acc func(r, j int) VecPhysical, free, corr []VecPhysical, e epilogue) {
	MOVQ(I64(-1), R15)
	BZHIQ(RAX, R15, R15)
	KMOVQ(R15, K2)
	if nv <= 2 {
		for _, k := range gemmStoreMask[1 : 4/nv] {
			SHLQ(U8(16*nv), R15)
			KMOVQ(R15, k)
		}
	}
	Load(p.Field("q"), R14)
	// Each vector's constants are loaded once into free registers and
	// serve all its rows; those left over stay memory operands. Most
	// wanted first: the multiplies' and the adds'.
	fields := []int{aqMult, aqMultOdd, aqNudge, aqNudgeOdd, aqSignShift, aqRShift}
	if e.lshift {
		fields = append(fields, aqLShift, aqLXor)
	}
	if e.offset {
		fields = []int{aqMult, aqMultOdd, aqNudge, aqRShift}
		if e.sign {
			fields = append(fields, aqSignShift)
			// Z22, the zero point's register, holds -1 for the sign's
			// masked add: the offset form adds the zero point before the
			// shift.
			VPTERNLOGD(U8(0xFF), gemmZP, gemmZP, gemmZP)
		}
	}
	for j := range nv {
		mem := func(f int) Mem { return Mem{Base: R14, Index: R13, Scale: 1, Disp: gemmQBlock*j + 64*f} }
		held := map[int]VecPhysical{}
		for i, f := range fields[:min(len(fields), len(free))] {
			VMOVDQU32(mem(f), free[i])
			held[f] = free[i]
		}
		q := func(f int) Op {
			if z, ok := held[f]; ok {
				return z
			}
			return mem(f)
		}
		for r := range rows {
			if corr != nil {
				VPADDD(corr[r], acc(r, j), acc(r, j))
			}
			if e.offset {
				gemmRequantOffset(acc(r, j), q, e.sign)
			} else {
				gemmRequant(acc(r, j), q, e.lshift)
			}
		}
	}
	// The rows go in groups whose vectors fill one output register: one
	// row of 3 or 4 vectors, two of 2, four of 1. Packing a group's
	// vectors together takes 8 instructions for 4 vectors where packing
	// each row of 1 or 2 alone took 6.
	per := max(1, 4/nv) // rows per group
	if nv == 3 {
		per = 1
	}
	for g0 := 0; g0 < rows; g0 += per {
		var a []VecPhysical
		for r := g0; r < g0+per; r++ {
			for j := range nv {
				a = append(a, acc(r, j))
			}
		}
		// Words: a[0] and a[1] into a[0], a[2] and a[3] into a[2]; a
		// missing vector's place is filled with a copy, which no store
		// reaches.
		VPACKSSDW(a[min(1, len(a)-1)], a[0], a[0])
		if e.zp {
			VPADDSW(gemmZP, a[0], a[0])
		}
		hi := a[0]
		if len(a) > 2 {
			VPACKSSDW(a[min(3, len(a)-1)], a[2], a[2])
			if e.zp {
				VPADDSW(gemmZP, a[2], a[2])
			}
			hi = a[2]
		}
		if signed {
			VPACKSSWB(hi, a[0], a[0])
		} else {
			VPACKUSWB(hi, a[0], a[0])
		}
		VPERMD(a[0], gemmPerm, a[0])
		switch {
		case !e.clamp:
		case signed:
			VPMAXSB(gemmMin, a[0], a[0])
			VPMINSB(gemmMax, a[0], a[0])
		default:
			VPMAXUB(gemmMin, a[0], a[0])
			VPMINUB(gemmMax, a[0], a[0])
		}
		// Row i of the group holds bytes 16·nv·i on: it is stored from
		// 16·nv·i bytes before its output, with the mask moved up as far,
		// so that only its own channels are written.
		for i := range per {
			Load(p.Field("out").Index(g0+i), R15)
			VMOVDQU8(a[0], gemmStoreMask[i], Mem{Base: R15, Index: R12, Scale: 1, Disp: -16 * nv * i})
		}
	}
}

// gemmStoreMask holds the store masks of the rows of a group (see
// gemmStorePacked): the valid channels, moved up by 16·nv bytes a row.
var gemmStoreMask = []OpmaskPhysical{K2, K4, K5, K6}

// gemmRequant requantizes the accumulator acc in place, in the AVX2
// kernels' form (kernels.avx2Requant; docs/kernels.md, "The AVX2
// epilogue"): acc holds a + 2^31, q addresses its channels' constants.
// Nine instructions on the vector ports per 16 lanes (with a left shift,
// two more) where requantCore takes twelve. K1 holds the even lanes; Z28
// and Z29 are clobbered.
func gemmRequant(acc VecPhysical, q func(field int) Op, lshift bool) {
	if lshift {
		VPSLLVD(q(aqLShift), acc, acc)
		VPXORD(q(aqLXor), acc, acc)
	}
	VPSRLVD(q(aqSignShift), acc, Z29) // [a ≥ 0] where r > 0
	VPSHUFD(Imm(0xF5), acc, Z28)      // odd lanes to the even positions
	VPMULUDQ(q(aqMult), acc, acc)
	VPMULUDQ(q(aqMultOdd), Z28, Z28)
	VPADDQ(q(aqNudge), acc, acc)
	VPADDQ(q(aqNudgeOdd), Z28, Z28)
	// The high halves: the odd lanes' are in place in Z28, the even
	// lanes' move down into it.
	VPSHUFD(Imm(0xF5), acc, K1, Z28)
	VPADDD(Z29, Z28, Z28)
	VPSRAVD(q(aqRShift), Z28, acc)
}

// gemmRequantOffset requantizes the accumulator acc in place, in the
// offset form (kernels.vnniRequantOffset): acc holds a + β + 2^31, whose
// product by 2M has x + k + M in its high half; one add of round - k - M +
// zp·2^r and the right shift finish it. Six instructions per 16 lanes,
// eight with the sign term: [a < 0] is a' below the threshold (never where
// r = 0), added as -1 (Z22) under the mask K7. Z28 is clobbered.
func gemmRequantOffset(acc VecPhysical, q func(field int) Op, sign bool) {
	if sign {
		VPCMPUD(U8(1), q(aqSignShift), acc, K7) // a' < threshold: a < 0
	}
	VPSHUFD(Imm(0xF5), acc, Z28) // odd lanes to the even positions
	VPMULUDQ(q(aqMult), acc, acc)
	VPMULUDQ(q(aqMultOdd), Z28, Z28)
	VPSHUFD(Imm(0xF5), acc, K1, Z28) // the even lanes' high halves
	VPADDD(q(aqNudge), Z28, Z28)
	if sign {
		VPADDD(gemmZP, Z28, K7, Z28)
	}
	VPSRAVD(q(aqRShift), Z28, acc)
}

// packPerm512 puts the dwords of two rounds of in-lane packing back in
// channel order: after them, 128-bit lane L's dword q holds channels
// 16q+4L..16q+4L+3 (q < nv).
var packPerm512 Mem

func packPerm512Data() {
	packPerm512 = GLOBL("packperm512", RODATA|NOPTR)
	for d := range 16 {
		DATA(4*d, U32(uint32(4*(d%4)+d/4)))
	}
}

// Offsets of the per-channel arrays inside a 16-channel requant block
// (kernels.vecRequant layout): [bias, mult, lshift, rshift, round, negen][16]int32.
const (
	qBias = iota
	qMult
	qLShift
	qRShift
	qRound
	qNegEn
)

// outputConsts broadcasts the output zero point and clamp bounds of the
// parameters p into Z16, Z17 and Z18, and zeroes Z31, as requantize
// expects them; tmp is clobbered.
func outputConsts(p gotypes.Component, tmp GPPhysical) {
	broadcastOutput(p, tmp, VPBROADCASTD, VPBROADCASTD)
	VPXORD(Z31, Z31, Z31)
}

// broadcastOutput broadcasts the output zero point into Z16 with zp and the
// clamp bounds into Z17 and Z18 with bound (dword lanes for the int32
// epilogue, words and bytes for the packed one); tmp is clobbered.
func broadcastOutput(p gotypes.Component, tmp GPPhysical, zp, bound func(...Op)) {
	Load(p.Field("outZP"), tmp)
	zp(tmp, Z16)
	Load(p.Field("min"), tmp)
	bound(tmp, Z17)
	Load(p.Field("max"), tmp)
	bound(tmp, Z18)
}

// requantize turns the accumulator acc (plus the row correction corr, if
// any, and the bias unless blk gives nil for it) into clamped 32-bit outputs in Z28, with Z22/Z23 holding the
// even/odd-lane multipliers, Z16/Z17/Z18 the output zero point and clamp
// bounds and Z31 zero. It follows kernels.requant.apply exactly. Where
// there is a choice it takes the shuffle and add ports over the shift port,
// which the multiplications need.
func requantize(acc, corr VecPhysical, blk func(int) Op) {
	requantCore(acc, corr, blk, Z28, true)
	VPADDD(Z16, Z28, Z28) // output zero point
	VPMAXSD(Z17, Z28, Z28)
	VPMINSD(Z18, Z28, Z28)
}

// requantCore is requantize up to the output zero point: the rescaled
// accumulator goes to dst (which may be acc). It uses Z28, Z29, Z31 and K5.
// Without lshift it leaves out the left shift, for callers that know every
// channel's is 0.
func requantCore(acc, corr VecPhysical, blk func(int) Op, dst VecPhysical, lshift bool) {
	x := acc
	if b := blk(qBias); b != nil {
		VPADDD(b, x, Z28)
		x = Z28
	}
	if corr != nil {
		VPADDD(corr, x, Z28)
		x = Z28
	}
	if lshift {
		VPSLLVD(blk(qLShift), x, Z28)
		x = Z28
	}
	VPSHUFD(Imm(0xF5), x, Z29) // odd lanes to the even positions
	VPMULDQ(Z22, x, Z28)
	VPMULDQ(Z23, Z29, Z29)
	VPADDQ_BCST(nudge, Z28, Z28)
	VPADDQ_BCST(nudge, Z29, Z29)
	VPSRLQ(Imm(31), Z28, Z28) // even lanes: bits 31..62 land in the low half
	VPADDQ(Z29, Z29, Z29)     // odd lanes: bits 31..62 land in the high half
	VPBLENDMD(Z29, Z28, K1, Z28)
	// Rounding right shift: add round, and -1 where negative (NegEn is -1
	// only where there is a shift).
	VPCMPGTD(Z28, Z31, K5)
	VPADDD(blk(qRound), Z28, Z28)
	VPADDD(blk(qNegEn), Z28, K5, Z28)
	VPSRAVD(blk(qRShift), Z28, dst)
}

var nudge Mem

// offsetEpilogues lists the offset epilogues in kernels.gemmEpi* order
// (modes 1 to 4) and jumps on the mode field to label l_epiN for mode N;
// mode 0, the plain epilogue, falls through.
func offsetEpilogues(p gotypes.Component, l string) []epilogue {
	epis := []epilogue{
		{offset: true, clamp: false},
		{offset: true, clamp: true},
		{offset: true, sign: true, clamp: false},
		{offset: true, sign: true, clamp: true},
	}
	Load(p.Field("mode"), ECX)
	for i := range epis {
		CMPL(ECX, U8(i+1))
		JE(LabelRef(fmt.Sprintf("%s_epi%d", l, i+1)))
	}
	return epis
}

// splitKLoop emits a K loop of the AVX-512 kernels over k4 steps with two
// sets of accumulators, so that each VPDPBUSD chain waits half as long:
// step(0) and step(1) an iteration, then step(0) once more where k4 is
// odd. A step reads 256 bytes of weights at RSI and each row's 4 bytes at
// RBX; the loop advances both.
func splitKLoop(l string, p gotypes.Component, step func(set int)) {
	Load(p.Field("k4"), RCX)
	SHRQ(Imm(1), RCX) // pairs of steps
	JZ(LabelRef(l + "_kodd"))
	Label(l + "_k")
	step(0)
	step(1)
	ADDQ(U32(512), RSI)
	ADDQ(Imm(8), RBX)
	DECQ(RCX)
	JNZ(LabelRef(l + "_k"))
	Label(l + "_kodd")
	Load(p.Field("k4"), RCX)
	TESTQ(U32(1), RCX)
	JZ(LabelRef(l + "_keven"))
	step(0)
	ADDQ(U32(256), RSI)
	Label(l + "_keven")
}
