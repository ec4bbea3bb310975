package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The multiply-accumulate loops (kernels.MACLoop): each backend's MAC
// instructions alone, as its kernels issue them, with no loads, stores or
// requantization, so that `classifly bench --profile` can measure the
// ceiling a layer runs against on the CPU at hand instead of assuming it.
// Each iteration updates macAccs independent accumulators from two
// register operands: enough chains to cover any current core's latency ×
// throughput (VPDPBUSD: 4–5 cycles, 2 a cycle).
const macAccs = 12

// macLoop generates name(n int): n iterations of step(acc) for each of
// the accumulators accs (zeroed first).
func macLoop(name, what string, accs []VecPhysical, zero func(VecPhysical), step func(i int, acc VecPhysical)) {
	TEXT(name, NOSPLIT, "func(n int)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s runs n iterations of %d %s on independent accumulators, register operands only (see kernels.MACLoop).", name, len(accs), what))
	Load(Param("n"), RCX)
	for _, a := range accs {
		zero(a)
	}
	TESTQ(RCX, RCX)
	JLE(LabelRef(name + "_done"))
	Label(name + "_loop")
	for i, a := range accs {
		step(i, a)
	}
	DECQ(RCX)
	JNZ(LabelRef(name + "_loop"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// macLoopsAVX2 generates the AVX2 family's loops (the avx2 set): VPMADDWD
// and VPADDD, as the int16 GEMM's K loop (two product registers in turn);
// AVX-VNNI's VEX VPDPBUSD; and the float kernels' 256-bit FMA.
func macLoopsAVX2() {
	accs := []VecPhysical{Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11}
	zero := func(a VecPhysical) { VPXOR(a, a, a) }
	prods := []VecPhysical{Y12, Y13}
	macLoop("macLoopAVX2", "VPMADDWD ymm + VPADDD (16 int16 MACs each)", accs, zero, func(i int, a VecPhysical) {
		VPMADDWD(Y15, Y14, prods[i%2])
		VPADDD(prods[i%2], a, a)
	})
	macLoop("macLoopAVXVNNI", "VPDPBUSD ymm (32 u8×s8 MACs each)", accs, zero, func(_ int, a VecPhysical) {
		vpdpbusdVEX(Y15, Y14, a)
	})
	macLoop("macLoopFMA256", "VFMADD231PS ymm (8 float32 MACs each)", accs, zero, func(_ int, a VecPhysical) {
		VFMADD231PS(Y15, Y14, a)
	})
}

// macLoopsAVX512 generates the AVX-512 loops (the avx512 set): zmm
// VPDPBUSD and FMA.
func macLoopsAVX512() {
	accs := []VecPhysical{Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11}
	zero := func(a VecPhysical) { VPXORD(a, a, a) }
	macLoop("macLoopVNNI512", "VPDPBUSD zmm (64 u8×s8 MACs each)", accs, zero, func(_ int, a VecPhysical) {
		vpdpbusd(Z15, Z14, a)
	})
	macLoop("macLoopFMA512", "VFMADD231PS zmm (16 float32 MACs each)", accs, zero, func(_ int, a VecPhysical) {
		VFMADD231PS(Z15, Z14, a)
	})
}
