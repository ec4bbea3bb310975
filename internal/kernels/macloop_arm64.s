//go:build !purego

#include "textflag.h"
#include "neon_arm64.h"

// The multiply-accumulate loops of the NEON backend (kernels.MACLoop): n
// iterations of 16 instructions of the kind its GEMM kernels issue, each
// into its own accumulator (V16..V31), from register operands only.

// MAC16 issues OP(d, 4, 0, 0) for every accumulator d.
#define MAC16(OP) \
	OP(16, 4, 0, 0) \
	OP(17, 4, 0, 0) \
	OP(18, 4, 0, 0) \
	OP(19, 4, 0, 0) \
	OP(20, 4, 0, 0) \
	OP(21, 4, 0, 0) \
	OP(22, 4, 0, 0) \
	OP(23, 4, 0, 0) \
	OP(24, 4, 0, 0) \
	OP(25, 4, 0, 0) \
	OP(26, 4, 0, 0) \
	OP(27, 4, 0, 0) \
	OP(28, 4, 0, 0) \
	OP(29, 4, 0, 0) \
	OP(30, 4, 0, 0) \
	OP(31, 4, 0, 0)

// func macLoopDot(n int): SDOT by element, 16 int8 MACs each (gemmDots8).
TEXT ·macLoopDot(SB), NOSPLIT, $0-8
	MOVD n+0(FP), R0
	ZERO
	CMP  $0, R0
	BLE  dotdone

dotloop:
	MAC16(SDOTB)
	SUBS $1, R0, R0
	BNE  dotloop

dotdone:
	RET

// func macLoopSMLAL(n int): SMLAL by element, 4 int16 MACs each
// (gemmNEONs8).
TEXT ·macLoopSMLAL(SB), NOSPLIT, $0-8
	MOVD n+0(FP), R0
	ZERO
	CMP  $0, R0
	BLE  smlaldone

smlalloop:
	MAC16(SMLALH)
	SUBS $1, R0, R0
	BNE  smlalloop

smlaldone:
	RET
