//go:build !purego

#include "textflag.h"
#include "go_asm.h"
#include "neon_arm64.h"

// TFLite's quantized ADD, 16 elements at a time (see addNEONArgs): widen,
// subtract the zero points in int16, widen to int32, rescale each input
// with MBQM (its left shift includes AddParams.LeftShift), add, rescale the
// sum, then add the output zero point and clamp.

// Constants: V18 min, V19 max, V20 a's zero point, V21 b's (int16 lanes),
// V22..V24 a's multiplier, left shift and minus right shift, V25..V27 b's,
// V28..V30 the output's, V31 the output zero point (int16 lanes).

// SUM is the body of addNEONu8 and addNEONs8, which differ in how
// WIDEN/WIDEN2 widen the low/high 8 bytes to int16.
#define SUM(WIDEN, WIDEN2) \
	MOVD p+0(FP), R0 \
	MOVD addNEONArgs_a(R0), R1 \
	MOVD addNEONArgs_b(R0), R2 \
	MOVD addNEONArgs_out(R0), R3 \
	MOVD addNEONArgs_n(R0), R4 \
	MOVW addNEONArgs_min(R0), R5 \
	VDUP R5, V18.H8 \
	MOVW addNEONArgs_max(R0), R5 \
	VDUP R5, V19.H8 \
	MOVW addNEONArgs_aZP(R0), R5 \
	VDUP R5, V20.H8 \
	MOVW addNEONArgs_bZP(R0), R5 \
	VDUP R5, V21.H8 \
	MOVW addNEONArgs_outZP(R0), R5 \
	VDUP R5, V31.H8 \
	MOVW addNEONArgs_aMult(R0), R5 \
	VDUP R5, V22.S4 \
	MOVW addNEONArgs_aL(R0), R5 \
	VDUP R5, V23.S4 \
	MOVW addNEONArgs_aR(R0), R5 \
	VDUP R5, V24.S4 \
	MOVW addNEONArgs_bMult(R0), R5 \
	VDUP R5, V25.S4 \
	MOVW addNEONArgs_bL(R0), R5 \
	VDUP R5, V26.S4 \
	MOVW addNEONArgs_bR(R0), R5 \
	VDUP R5, V27.S4 \
	MOVW addNEONArgs_outMult(R0), R5 \
	VDUP R5, V28.S4 \
	MOVW addNEONArgs_outL(R0), R5 \
	VDUP R5, V29.S4 \
	MOVW addNEONArgs_outR(R0), R5 \
	VDUP R5, V30.S4 \
loop: \
	VLD1.P 16(R1), [V0.B16] \
	VLD1.P 16(R2), [V1.B16] \
	WIDEN(2, 0) \
	WIDEN2(3, 0) \
	WIDEN(4, 1) \
	WIDEN2(5, 1) \
	VSUB V20.H8, V2.H8, V2.H8 \
	VSUB V20.H8, V3.H8, V3.H8 \
	VSUB V21.H8, V4.H8, V4.H8 \
	VSUB V21.H8, V5.H8, V5.H8 \
	SXTL4S(6, 2) \
	SXTL24S(7, 2) \
	SXTL4S(8, 3) \
	SXTL24S(9, 3) \
	SXTL4S(10, 4) \
	SXTL24S(11, 4) \
	SXTL4S(12, 5) \
	SXTL24S(13, 5) \
	MBQM(6, 22, 23, 24, 14) \
	MBQM(7, 22, 23, 24, 15) \
	MBQM(8, 22, 23, 24, 16) \
	MBQM(9, 22, 23, 24, 17) \
	MBQM(10, 25, 26, 27, 14) \
	MBQM(11, 25, 26, 27, 15) \
	MBQM(12, 25, 26, 27, 16) \
	MBQM(13, 25, 26, 27, 17) \
	VADD V10.S4, V6.S4, V6.S4 \
	VADD V11.S4, V7.S4, V7.S4 \
	VADD V12.S4, V8.S4, V8.S4 \
	VADD V13.S4, V9.S4, V9.S4 \
	MBQM(6, 28, 29, 30, 14) \
	MBQM(7, 28, 29, 30, 15) \
	MBQM(8, 28, 29, 30, 16) \
	MBQM(9, 28, 29, 30, 17) \
	SQXTN4H(0, 6) \
	SQXTN28H(0, 7) \
	SQXTN4H(1, 8) \
	SQXTN28H(1, 9) \
	SQADD8H(0, 0, 31) \
	SQADD8H(1, 1, 31) \
	SMAX8H(0, 0, 18) \
	SMAX8H(1, 1, 18) \
	SMIN8H(0, 0, 19) \
	SMIN8H(1, 1, 19) \
	XTN8B(0, 0) \
	XTN216B(0, 1) \
	VST1.P [V0.B16], 16(R3) \
	SUBS $16, R4 \
	BNE loop \
	RET

// func addNEONu8(p *addNEONArgs)
TEXT ·addNEONu8(SB), NOSPLIT, $0-8
	SUM(UXTL8H, UXTL28H)

// func addNEONs8(p *addNEONArgs)
TEXT ·addNEONs8(SB), NOSPLIT, $0-8
	SUM(SXTL8H, SXTL28H)
