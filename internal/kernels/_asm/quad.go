package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/gotypes"
	"github.com/mmcloughlin/avo/ir"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The byte-quad GEMM kernels (kernels.gemmQuad): the AVX2 GEMM's driver
// and epilogue with an inner step on 4 K bytes per 32-bit lane, the
// activations (unsigned) broadcast, the weights signed.

// Registers of the quad steps besides the accumulators and the broadcast:
// VPDPBUSD keeps all three weight vectors in registers; VPMADDUBSW reads
// the weights from memory and needs a product and int16 ones.
var (
	quadW    = []VecPhysical{Y12, Y13, Y15}
	quadProd = Y12
	quadOnes = Y13
)

// bytes80 is 32 bytes of 0x80: int8 activations xor it become x+128.
// byteMask is 32 bytes of 0xFF, then 32 of 0: 16 bytes loaded at
// byteMask + 32 - n keep the first n bytes of a vector they mask.
var bytes80, byteMask Mem

func quadData() {
	bytes80 = GLOBL("quadBytes80", RODATA|NOPTR)
	for i := range 4 {
		DATA(8*i, U64(0x8080808080808080))
	}
}

// quadSumData is the row sums' data, besides bytes80.
func quadSumData() {
	byteMask = GLOBL("quadByteMask", RODATA|NOPTR)
	for i := range 8 {
		v := uint64(0)
		if i < 4 {
			v = ^v
		}
		DATA(8*i, U64(v))
	}
}

// quadConstants loads the registers the step keeps across K (the
// epilogue clobbers them, so once per panel).
func quadConstants(step g2Step) {
	if step != g2Maddubs {
		return
	}
	VPCMPEQW(quadOnes, quadOnes, quadOnes)
	VPSRLW(Imm(15), quadOnes, quadOnes)
}

// flipRow copies the row at src to dst with every byte's top bit flipped
// (x+128 for int8 x), in whole quads (k4 of them: the last reads at most 3
// bytes past the row, as the K loop does): 32 bytes at a time, then 16, 8
// and 4. Clobbers src, RAX, RCX, Y15.
func flipRow(l string, src, dst GPPhysical, p gotypes.Component) {
	MOVQ(dst, RAX)
	Load(p.Field("kp"), RCX)
	SHLQ(Imm(2), RCX)
	byteSteps(l, func(n int) {
		v := sizedVec(Y15, n)
		moveBytes(n, Mem{Base: src}, v)
		VPXOR(bytes80, v, v)
		moveBytes(n, v, Mem{Base: RAX})
		ADDQ(Imm(uint64(n)), src)
		ADDQ(Imm(uint64(n)), RAX)
	})
}

// byteSteps emits the walk over RCX bytes that flipRow and quadRowSums
// share: step(32) while 32 or more remain, then step(n) for n = 16, 8, 4
// where RCX has that bit, ending at label l_2 with RCX's low 2 bits left.
// step handles n bytes and advances its pointers; byteSteps counts RCX.
func byteSteps(l string, step func(n int)) {
	Label(l + "_32")
	CMPQ(RCX, Imm(32))
	JB(LabelRef(l + "_16"))
	step(32)
	SUBQ(Imm(32), RCX)
	JMP(LabelRef(l + "_32"))
	for _, n := range []int{16, 8, 4} {
		Label(fmt.Sprintf("%s_%d", l, n))
		TESTQ(U32(n), RCX)
		JZ(LabelRef(fmt.Sprintf("%s_%d", l, n/2)))
		step(n)
	}
	Label(l + "_2")
}

// sizedVec is v as wide as n bytes need: Y for 32, X below.
func sizedVec(v VecPhysical, n int) Op {
	if n < 32 {
		return v.AsX()
	}
	return v
}

// moveBytes moves n bytes (32, 16, 8 or 4) from src to dst, one a vector.
func moveBytes(n int, src, dst Op) {
	switch n {
	case 32, 16:
		VMOVDQU(src, dst)
	case 8:
		VMOVQ(src, dst)
	case 4:
		VMOVD(src, dst)
	}
}

// gemmAVX2Quads is one K quad: per row a broadcast of its 4 bytes (int8
// rows flipped in the scratch) against each weight vector. The step's
// weights are at RSI + wd, the rows' quads at row + RBX + rd.
func gemmAVX2Quads(nv int, acc func(r, j int) VecPhysical, step g2Step, wd, rd int) {
	vnni := step == g2DPBUSD || step == g2DPBUSDSum
	if vnni {
		for j := range nv {
			VMOVDQU(Mem{Base: RSI, Disp: wd + 32*j}, quadW[j])
		}
	}
	for r := range g2MR {
		VPBROADCASTD(Mem{Base: g2Rows[r], Index: RBX, Scale: 1, Disp: rd}, g2Bcast)
		for j := range nv {
			switch {
			case vnni:
				vpdpbusdVEX(quadW[j], g2Bcast, acc(r, j))
			default:
				VPMADDUBSW(Mem{Base: RSI, Disp: wd + 32*j}, g2Bcast, quadProd)
				VPMADDWD(quadOnes, quadProd, quadProd)
				VPADDD(quadProd, acc(r, j), acc(r, j))
			}
		}
	}
}

// quadRowSums stores the correction rowCorr·Σx of each of the block's 4
// uint8 rows, broadcast, in sums. The rows go together: VPSADBW over 32 bytes
// at a time, then 16, 8 and 4, then the last 1 to 3 bytes masked (a load
// of 4 reads at most 3 bytes past the row, as the K loop does); then one
// reduction for the 4. Runs before the panels, when every vector register
// is free; clobbers RAX, RBX, RCX, R15.
func quadRowSums(name string, p gotypes.Component, mr int) {
	if mr != 4 {
		panic("quadRowSums: blocks of 4 rows")
	}
	l := name + "_sums"
	zero, t := Y15, []VecPhysical{Y4, Y5, Y6, Y7}
	sum := g2Acc[:mr]
	VPXOR(zero, zero, zero)
	for _, s := range sum {
		VPXOR(s, s, s)
	}
	XORQ(RBX, RBX)
	Load(p.Field("k"), RCX)
	row := func(r int) Mem { return Mem{Base: g2Rows[r], Index: RBX, Scale: 1} }
	// Each step sums n bytes of every row at RBX.
	byteSteps(l, func(n int) {
		for r := range mr {
			moveBytes(n, row(r), sizedVec(t[r], n))
			VPSADBW(sizedVec(zero, n), sizedVec(t[r], n), sizedVec(t[r], n))
			VPADDQ(t[r], sum[r], sum[r])
		}
		ADDQ(Imm(uint64(n)), RBX)
	})
	ANDQ(Imm(3), RCX)
	JZ(LabelRef(l + "_done"))
	LEAQ(byteMask.Offset(32), R15)
	NEGQ(RCX)
	mask := Mem{Base: R15, Index: RCX, Scale: 1}
	VMOVDQU(mask, Y14.AsX())
	for r := range mr {
		VMOVD(row(r), t[r].AsX())
		VPAND(Y14.AsX(), t[r].AsX(), t[r].AsX())
		VPSADBW(zero.AsX(), t[r].AsX(), t[r].AsX())
		VPADDQ(t[r], sum[r], sum[r])
	}
	Label(l + "_done")
	// Each sum is 4 qwords below 2^32: the rows' dwords interleaved, then
	// the qwords added across lanes, leave [Σ0 Σ1 Σ2 Σ3].
	VPSLLQ(Imm(32), sum[1], sum[1])
	VPBLENDD(Imm(0xAA), sum[1], sum[0], sum[0])
	VPSLLQ(Imm(32), sum[3], sum[3])
	VPBLENDD(Imm(0xAA), sum[3], sum[2], sum[2])
	VPUNPCKLQDQ(sum[2], sum[0], sum[1])
	VPUNPCKHQDQ(sum[2], sum[0], sum[3])
	VPADDD(sum[3], sum[1], sum[1])
	VEXTRACTI128(Imm(1), sum[1], sum[0].AsX())
	VPADDD(sum[0].AsX(), sum[1].AsX(), sum[1].AsX())
	VPBROADCASTD(fieldMem(p.Field("rowCorr")), sum[0].AsX())
	VPMULLD(sum[0].AsX(), sum[1].AsX(), sum[1].AsX())
	for r := range mr {
		VPSHUFD(Imm(uint64(0x55*r)), sum[1].AsX(), sum[0].AsX())
		VINSERTI128(Imm(1), sum[0].AsX(), sum[0], sum[0])
		VMOVDQU(sum[0], fieldMem(p.Field("sums")).Offset(32*r))
	}
}

// vpdpbusdVEX emits VPDPBUSD acc, u, w (Intel operand order: acc +=
// Σ4 u8(u)·s8(w) per 32-bit lane) in its VEX encoding, VEX.256.66.0F38.W0
// 50 /r, as bytes: the Go assembler knows only the EVEX form, which needs
// AVX-512 VL, and AVX-VNNI CPUs such as Alder Lake have no AVX-512.
func vpdpbusdVEX(w, u, acc VecPhysical) {
	if evexVNNI("VPDPBUSD", w, u, acc) {
		return
	}
	a, v, m := byte(acc.PhysicalIndex()), byte(u.PhysicalIndex()), byte(w.PhysicalIndex())
	b1 := byte(0x02) | 0x40 // map 0F38; X̄ set (no index register)
	if a < 8 {
		b1 |= 0x80 // R̄: ModRM.reg is YMM0..7
	}
	if m < 8 {
		b1 |= 0x20 // B̄: ModRM.rm is YMM0..7
	}
	b2 := (^v&15)<<3 | 0x04 | 0x01 // W0, vvvv = ¬u, L = 256, pp = 66
	Comment("VPDPBUSD " + w.Asm() + ", " + u.Asm() + ", " + acc.Asm())
	for _, b := range []byte{0xC4, b1, b2, 0x50, 0xC0 | (a&7)<<3 | m&7} {
		Instruction(&ir.Instruction{Opcode: "BYTE", Operands: []Op{Imm(uint64(b))}, Inputs: []Op{w, u, acc}, Outputs: []Op{acc}})
	}
}
