//go:build !purego

#include "textflag.h"
#include "go_asm.h"
#include "neon_arm64.h"

// The depthwise convolution (see dwNEONArgs): channels in vectors; for each
// output pixel and group of channels, each tap's input bytes, widened to
// int16, multiply its int16 weights (w - wz) with SMLAL/SMLAL2 into int32
// accumulators V16..V19, which are then requantized and stored.

// REQ requantizes Vx (register number x) with the next 4 channels'
// constants loaded through R16 into V4..V7 (bias, mult, lshift, -rshift).
#define REQ(vx, x, t) \
	VLD4.P 64(R16), [V4.S4, V5.S4, V6.S4, V7.S4] \
	VADD V4.S4, vx.S4, vx.S4 \
	MBQM(x, 5, 6, 7, t)

// CLAMP adds the output zero point (V12) to the int16 lanes of Vv and
// clamps them to [V13, V14]: the clamp of the 32-bit values, since the
// saturated ones lie outside the byte bounds as they did.
#define CLAMP(v) \
	SQADD8H(v, v, 12) \
	SMAX8H(v, v, 13) \
	SMIN8H(v, v, 14)

// DW is the body of dwconvNEONu8 and dwconvNEONs8, which differ in how
// WIDEN/WIDEN2 widen the low/high 8 input bytes to int16.
#define DW(WIDEN, WIDEN2) \
	MOVD p+0(FP), R0 \
	MOVD dwNEONArgs_in(R0), R1 \
	MOVD dwNEONArgs_out(R0), R2 \
	MOVD dwNEONArgs_n(R0), R3 \
	MOVD dwNEONArgs_inStep(R0), R4 \
	MOVD dwNEONArgs_outStep(R0), R5 \
	MOVD dwNEONArgs_wStep(R0), R6 \
	MOVD dwNEONArgs_w(R0), R7 \
	MOVD dwNEONArgs_q(R0), R8 \
	MOVW dwNEONArgs_outZP(R0), R9 \
	VDUP R9, V12.H8 \
	MOVW dwNEONArgs_min(R0), R9 \
	VDUP R9, V13.H8 \
	MOVW dwNEONArgs_max(R0), R9 \
	VDUP R9, V14.H8 \
pixel: \
	MOVD dwNEONArgs_groups(R0), R9 \
	MOVD dwNEONArgs_n16(R0), R10 \
	CBZ R10, half \
group: \
	MOVD.P 8(R9), R11 \
	VEOR V16.B16, V16.B16, V16.B16 \
	VEOR V17.B16, V17.B16, V17.B16 \
	VEOR V18.B16, V18.B16, V18.B16 \
	VEOR V19.B16, V19.B16, V19.B16 \
	MOVD dwNEONArgs_offs(R0), R12 \
	MOVD dwNEONArgs_taps(R0), R13 \
	ADD R11<<1, R7, R14 \
	ADD R11, R1, R15 \
tap: \
	MOVD.P 8(R12), R16 \
	ADD R15, R16 \
	VLD1 (R16), [V0.B16] \
	VLD1 (R14), [V4.H8, V5.H8] \
	ADD R6, R14 \
	WIDEN(1, 0) \
	WIDEN2(2, 0) \
	SMLAL4S(16, 1, 4) \
	SMLAL24S(17, 1, 4) \
	SMLAL4S(18, 2, 5) \
	SMLAL24S(19, 2, 5) \
	SUBS $1, R13 \
	BNE tap \
	ADD R11<<4, R8, R16 \
	REQ(V16, 16, 8) \
	REQ(V17, 17, 9) \
	REQ(V18, 18, 10) \
	REQ(V19, 19, 11) \
	SQXTN4H(0, 16) \
	SQXTN28H(0, 17) \
	SQXTN4H(1, 18) \
	SQXTN28H(1, 19) \
	CLAMP(0) \
	CLAMP(1) \
	XTN8B(0, 0) \
	XTN216B(0, 1) \
	ADD R11, R2, R16 \
	VST1 [V0.B16], (R16) \
	SUBS $1, R10 \
	BNE group \
half: \
	MOVD dwNEONArgs_n8(R0), R10 \
	CBZ R10, next \
group8: \
	MOVD.P 8(R9), R11 \
	VEOR V16.B16, V16.B16, V16.B16 \
	VEOR V17.B16, V17.B16, V17.B16 \
	MOVD dwNEONArgs_offs(R0), R12 \
	MOVD dwNEONArgs_taps(R0), R13 \
	ADD R11<<1, R7, R14 \
	ADD R11, R1, R15 \
tap8: \
	MOVD.P 8(R12), R16 \
	ADD R15, R16 \
	FMOVD (R16), F0 \
	VLD1 (R14), [V4.H8] \
	ADD R6, R14 \
	WIDEN(1, 0) \
	SMLAL4S(16, 1, 4) \
	SMLAL24S(17, 1, 4) \
	SUBS $1, R13 \
	BNE tap8 \
	ADD R11<<4, R8, R16 \
	REQ(V16, 16, 8) \
	REQ(V17, 17, 9) \
	SQXTN4H(0, 16) \
	SQXTN28H(0, 17) \
	CLAMP(0) \
	XTN8B(0, 0) \
	ADD R11, R2, R16 \
	FMOVD F0, (R16) \
	SUBS $1, R10 \
	BNE group8 \
next: \
	ADD R4, R1 \
	ADD R5, R2 \
	SUBS $1, R3 \
	BNE pixel \
	RET

// func dwconvNEONu8(p *dwNEONArgs)
TEXT ·dwconvNEONu8(SB), NOSPLIT, $0-8
	DW(UXTL8H, UXTL28H)

// func dwconvNEONs8(p *dwNEONArgs)
TEXT ·dwconvNEONs8(SB), NOSPLIT, $0-8
	DW(SXTL8H, SXTL28H)
