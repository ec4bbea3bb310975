package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// gemvGroup is how many panels the one-row kernel streams at once.
const gemvGroup = 4

// gemvVNNI generates the one-row AVX-512 VNNI kernel for products of fewer
// rows than a block (a classifier's last layer): the row a[0] against all
// p.panels panels, the last with p.nLast channels, into out[0]. The block
// kernels would repeat the row to fill their four and do four times the
// multiplies for one; here each step of K is broadcast once and meets the
// weights of gemvGroup panels, whose streams are in flight together, into
// 16 independent accumulators. The panels left over go one at a time,
// their K split over two sets of accumulators. Formulations (signed, xor)
// and epilogues are gemmVNNI's.
func gemvVNNI(name string, signed, xor bool) {
	TEXT(name, NOSPLIT, "func(p *gemmArgs)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s computes one row of a packed GEMM with AVX-512 VNNI (see gemmArgs).", name))
	p := Dereference(Param("p"))
	row := R8
	gemmConsts(p)
	Load(p.Field("a").Index(0), row)
	Load(p.Field("w"), RSI)
	Load(p.Field("panels"), R11) // panels left
	XORQ(R12, R12)               // output channel offset
	XORQ(R13, R13)               // requant block offset
	Load(p.Field("k4"), R9)
	SHLQ(Imm(8), R9) // bytes per panel
	LEAQ(Mem{Base: R9, Index: R9, Scale: 2}, R10)

	var corr []VecPhysical
	if !xor {
		corr = []VecPhysical{Z24}
		gemmRowSums(name, p, signed, []GPPhysical{row}, corr)
	}
	// Registers free in the epilogue, besides unused accumulators: the
	// weights', the broadcast's and the unused corrections'.
	free := []VecPhysical{Z16, Z17, Z18, Z19, Z20, Z25, Z26, Z27}
	if xor {
		free = append(free, Z24)
	}

	// step emits one step of K at RBX + 4·off into acc(pp, j), from
	// panel pp's weights at panel(pp) + 256·off.
	step := func(panels int, panel func(pp int) Mem, off int, acc func(pp, j int) VecPhysical) {
		VPBROADCASTD(Mem{Base: row, Index: RBX, Scale: 1, Disp: 4 * off}, Z20)
		if xor {
			VPXORD(Z21, Z20, Z20)
		}
		for pp := range panels {
			for j := range 4 {
				w := panel(pp).Offset(256*off + 64*j)
				if signed && !xor {
					// Signed activations are the memory-capable
					// operand's type: the unsigned weights load first.
					t := []VecPhysical{Z16, Z17, Z18, Z19}[(4*pp+j)%4]
					VMOVDQU32(w, t)
					vpdpbusd(Z20, t, acc(pp, j))
				} else {
					vpdpbusd(w, Z20, acc(pp, j))
				}
			}
		}
	}
	// epilogues emits the requantization of panels whole panels (RAX valid
	// channels in the last), their accumulators acc(pp, j) and the free
	// registers extra besides free, in each epilogue form by p.mode, then
	// jumps to done.
	epilogues := func(l string, panels int, acc func(pp, j int) VecPhysical, extra []VecPhysical, done string) {
		fr := append(append([]VecPhysical{}, free...), extra...)
		emit := func(e epilogue) {
			for pp := range panels {
				gemmStorePacked(p, signed, 4, 1, func(_, j int) VecPhysical { return acc(pp, j) }, fr, corr, e)
				ADDQ(Imm(64), R12)
				ADDQ(U32(4*gemmQBlock), R13)
			}
			JMP(LabelRef(done))
		}
		epis := offsetEpilogues(p, l)
		Load(p.Field("lshift"), ECX)
		TESTL(ECX, ECX)
		JZ(LabelRef(l + "_nolshift"))
		emit(epilogue{lshift: true, sign: true, zp: true, clamp: true})
		Label(l + "_nolshift")
		emit(epilogue{sign: true, zp: true, clamp: true})
		for i, e := range epis {
			Label(fmt.Sprintf("%s_epi%d", l, i+1))
			emit(e)
		}
	}

	// Groups while more than gemvGroup panels are left, so that the last
	// (maybe partial) panel goes with the singles.
	Label(name + "_group")
	CMPQ(R11, Imm(gemvGroup))
	JLE(LabelRef(name + "_singles"))
	gacc := func(pp, j int) VecPhysical { return zAcc[4*pp+j] }
	Load(p.Field("q"), R14)
	for pp := range gemvGroup {
		for j := range 4 {
			VMOVDQU32(Mem{Base: R14, Index: R13, Scale: 1, Disp: gemmQBlock*(4*pp+j) + 64*aqBias}, gacc(pp, j))
		}
	}
	XORQ(RBX, RBX)
	Load(p.Field("k4"), RCX)
	Label(name + "_gk")
	panel := []Mem{{Base: RSI}, {Base: RSI, Index: R9, Scale: 1}, {Base: RSI, Index: R9, Scale: 2}, {Base: RSI, Index: R10, Scale: 1}}
	step(gemvGroup, func(pp int) Mem { return panel[pp] }, 0, gacc)
	ADDQ(U32(256), RSI)
	ADDQ(Imm(4), RBX)
	DECQ(RCX)
	JNZ(LabelRef(name + "_gk"))
	ADDQ(R10, RSI) // past the group's other panels
	MOVQ(U32(64), RAX)
	epilogues(name+"_g", gemvGroup, gacc, nil, name+"_gdone")
	Label(name + "_gdone")
	SUBQ(Imm(gemvGroup), R11)
	JMP(LabelRef(name + "_group"))

	// Single panels: two sets of 4 accumulators, even and odd steps of K.
	Label(name + "_singles")
	sacc := func(set, j int) VecPhysical { return zAcc[4*set+j] }
	Label(name + "_single")
	Load(p.Field("q"), R14)
	for j := range 4 {
		VMOVDQU32(Mem{Base: R14, Index: R13, Scale: 1, Disp: gemmQBlock*j + 64*aqBias}, sacc(0, j))
		VPXORD(sacc(1, j), sacc(1, j), sacc(1, j))
	}
	XORQ(RBX, RBX)
	one := func(int) Mem { return Mem{Base: RSI} }
	splitKLoop(name+"_s", p, func(set int) {
		step(1, one, set, func(_, j int) VecPhysical { return sacc(set, j) })
	})
	for j := range 4 {
		VPADDD(sacc(1, j), sacc(0, j), sacc(0, j))
	}
	MOVQ(U32(64), RAX)
	CMPQ(R11, Imm(1))
	JNE(LabelRef(name + "_sfull"))
	Load(p.Field("nLast"), RAX)
	Label(name + "_sfull")
	epilogues(name+"_s", 1, func(_, j int) VecPhysical { return sacc(0, j) }, zAcc[4:16], name+"_sdone")
	Label(name + "_sdone")
	DECQ(R11)
	JNZ(LabelRef(name + "_single"))
	VZEROUPPER()
	RET()
}
