package main

import (
	. "github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/ir"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The byte-quad GEMM kernels (kernels.gemmQuad): the AVX2 GEMM's driver
// and epilogue with an inner step on 4 K bytes per 32-bit lane, the
// activations (unsigned) broadcast, the weights signed.

// Registers of the quad steps besides the accumulators and the broadcast:
// VPDPBUSD keeps all three weight vectors in registers; VPMADDUBSW reads
// the weights from memory and needs a product, int16 ones and (int8 rows)
// the top-bit mask.
var (
	quadW    = []VecPhysical{Y12, Y13, Y15}
	quadProd = Y12
	quadOnes = Y13
	quadTop  = Y15
)

// bytes80 is 32 bytes of 0x80: int8 activations xor it become x+128.
var bytes80 Mem

func quadData() {
	bytes80 = GLOBL("quadBytes80", RODATA|NOPTR)
	for i := range 4 {
		DATA(8*i, U64(0x8080808080808080))
	}
}

// quadConstants loads the registers the step keeps across K (the
// epilogue clobbers them, so once per panel).
func quadConstants(signed bool, step g2Step) {
	if step != g2Maddubs {
		return
	}
	VPCMPEQW(quadOnes, quadOnes, quadOnes)
	VPSRLW(Imm(15), quadOnes, quadOnes)
	if signed {
		VMOVDQU(bytes80, quadTop)
	}
}

// gemmAVX2Quads is one K quad: per row a broadcast of its 4 bytes (top bit
// flipped for int8 rows) against each weight vector.
func gemmAVX2Quads(nv int, acc func(r, j int) VecPhysical, signed bool, step g2Step) {
	if step == g2DPBUSD {
		for j := range nv {
			VMOVDQU(Mem{Base: RSI, Disp: 32 * j}, quadW[j])
		}
	}
	for r := range g2MR {
		VPBROADCASTD(Mem{Base: g2Rows[r], Index: RBX, Scale: 1}, g2Bcast)
		if signed && step == g2DPBUSD {
			VPXOR(bytes80, g2Bcast, g2Bcast)
		} else if signed {
			VPXOR(quadTop, g2Bcast, g2Bcast)
		}
		for j := range nv {
			if step == g2DPBUSD {
				vpdpbusdVEX(quadW[j], g2Bcast, acc(r, j))
				continue
			}
			VPMADDUBSW(Mem{Base: RSI, Disp: 32 * j}, g2Bcast, quadProd)
			VPMADDWD(quadOnes, quadProd, quadProd)
			VPADDD(quadProd, acc(r, j), acc(r, j))
		}
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
