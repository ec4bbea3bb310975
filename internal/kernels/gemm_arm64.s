//go:build !purego

#include "textflag.h"
#include "go_asm.h"
#include "neon_arm64.h"

// The 4-row × 16-channel GEMM microkernels (see gemmNEONArgs). Baseline
// (gemmNEONu8, gemmNEONs8): for each k, the activations of the 4 rows,
// widened to int16, multiply the panel's 16 int16 weights by lane,
// SMLAL/SMLAL2 into 16 int32 accumulators. With the dot product extension
// (gemmDotu8, gemmDots8), see below.

// MLALK accumulates activation k (lane k of V0..V3, for rows 0..3) times the
// weights of channels 0-7 (Vlo) and 8-15 (Vhi) into V16..V31: row r's
// channels 4j..4j+3 are in V(16+4r+j).
#define MLALK(lo, hi, k) \
	SMLALH(16, lo, 0, k) \
	SMLAL2H(17, lo, 0, k) \
	SMLALH(18, hi, 0, k) \
	SMLAL2H(19, hi, 0, k) \
	SMLALH(20, lo, 1, k) \
	SMLAL2H(21, lo, 1, k) \
	SMLALH(22, hi, 1, k) \
	SMLAL2H(23, hi, 1, k) \
	SMLALH(24, lo, 2, k) \
	SMLAL2H(25, lo, 2, k) \
	SMLALH(26, hi, 2, k) \
	SMLAL2H(27, hi, 2, k) \
	SMLALH(28, lo, 3, k) \
	SMLAL2H(29, lo, 3, k) \
	SMLALH(30, hi, 3, k) \
	SMLAL2H(31, hi, 3, k)

// REQ adds the bias (V4) to accumulator Vx (register number x) and
// requantizes it with the constants in V5..V7 (temporary Vt).
#define REQ(vx, x, t) \
	VADD V4.S4, vx.S4, vx.S4 \
	MBQM(x, 5, 6, 7, t)

// NARROW turns 16 requantized channels in Va..Vd into bytes in V0: add the
// output zero point (V12) and clamp (V13, V14) in saturating 16-bit lanes,
// which gives the clamp of the exact 32-bit sum since the bounds are bytes.
#define NARROW(a, b, c, d) \
	SQXTN4H(0, a) \
	SQXTN28H(0, b) \
	SQXTN4H(1, c) \
	SQXTN28H(1, d) \
	SQADD8H(0, 0, 12) \
	SQADD8H(1, 1, 12) \
	SMAX8H(0, 0, 13) \
	SMAX8H(1, 1, 13) \
	SMIN8H(0, 0, 14) \
	SMIN8H(1, 1, 14) \
	XTN8B(0, 0) \
	XTN216B(0, 1)

// STORE writes the first R16 bytes of V0 to dst (all 16 when R16 is 16).
#define STORE(dst, s8, s4, s2, s1, done) \
	CMP $16, R16 \
	BNE s8 \
	VST1 [V0.B16], (dst) \
	B done \
s8: \
	MOVD dst, R25 \
	VMOV V0.D[0], R23 \
	VMOV V0.D[1], R24 \
	TBZ $3, R16, s4 \
	MOVD.P R23, 8(R25) \
	MOVD R24, R23 \
s4: \
	TBZ $2, R16, s2 \
	MOVW.P R23, 4(R25) \
	LSR $32, R23 \
s2: \
	TBZ $1, R16, s1 \
	MOVH.P R23, 2(R25) \
	LSR $16, R23 \
s1: \
	TBZ $0, R16, done \
	MOVB R23, (R25) \
done:

// EPILOGUE requantizes the 4×16 block in V16..V31, stores it and moves
// the row pointers (R1..R4) and output pointers (R5..R8) to the next block.
#define EPILOGUE \
	MOVD gemmNEONArgs_q(R0), R15 \
	VLD4.P 64(R15), [V4.S4, V5.S4, V6.S4, V7.S4] \
	REQ(V16, 16, 8) \
	REQ(V20, 20, 9) \
	REQ(V24, 24, 10) \
	REQ(V28, 28, 11) \
	VLD4.P 64(R15), [V4.S4, V5.S4, V6.S4, V7.S4] \
	REQ(V17, 17, 8) \
	REQ(V21, 21, 9) \
	REQ(V25, 25, 10) \
	REQ(V29, 29, 11) \
	VLD4.P 64(R15), [V4.S4, V5.S4, V6.S4, V7.S4] \
	REQ(V18, 18, 8) \
	REQ(V22, 22, 9) \
	REQ(V26, 26, 10) \
	REQ(V30, 30, 11) \
	VLD4.P 64(R15), [V4.S4, V5.S4, V6.S4, V7.S4] \
	REQ(V19, 19, 8) \
	REQ(V23, 23, 9) \
	REQ(V27, 27, 10) \
	REQ(V31, 31, 11) \
	NARROW(16, 17, 18, 19) \
	STORE(R5, s80, s40, s20, s10, done0) \
	NARROW(20, 21, 22, 23) \
	STORE(R6, s81, s41, s21, s11, done1) \
	NARROW(24, 25, 26, 27) \
	STORE(R7, s82, s42, s22, s12, done2) \
	NARROW(28, 29, 30, 31) \
	STORE(R8, s83, s43, s23, s13, done3) \
	ADD R10, R1 \
	ADD R10, R2 \
	ADD R10, R3 \
	ADD R10, R4 \
	ADD R11, R5 \
	ADD R11, R6 \
	ADD R11, R7 \
	ADD R11, R8

// GEMM is the body of gemmNEONu8 and gemmNEONs8, which differ in how
// WIDEN(d, n) widens 8 activation bytes to int16.
#define GEMM(WIDEN) \
	MOVD p+0(FP), R0 \
	MOVD (gemmNEONArgs_a+0)(R0), R1 \
	MOVD (gemmNEONArgs_a+8)(R0), R2 \
	MOVD (gemmNEONArgs_a+16)(R0), R3 \
	MOVD (gemmNEONArgs_a+24)(R0), R4 \
	MOVD (gemmNEONArgs_out+0)(R0), R5 \
	MOVD (gemmNEONArgs_out+8)(R0), R6 \
	MOVD (gemmNEONArgs_out+16)(R0), R7 \
	MOVD (gemmNEONArgs_out+24)(R0), R8 \
	MOVD gemmNEONArgs_blocks(R0), R9 \
	MOVD gemmNEONArgs_aStep(R0), R10 \
	MOVD gemmNEONArgs_oStep(R0), R11 \
	MOVD gemmNEONArgs_w(R0), R12 \
	MOVD gemmNEONArgs_k8(R0), R17 \
	MOVD gemmNEONArgs_nValid(R0), R16 \
	MOVW gemmNEONArgs_outZP(R0), R23 \
	VDUP R23, V12.H8 \
	MOVW gemmNEONArgs_min(R0), R23 \
	VDUP R23, V13.H8 \
	MOVW gemmNEONArgs_max(R0), R23 \
	VDUP R23, V14.H8 \
block: \
	ZERO \
	MOVD R1, R19 \
	MOVD R2, R20 \
	MOVD R3, R21 \
	MOVD R4, R22 \
	MOVD R12, R13 \
	MOVD R17, R14 \
	CBZ R14, tail \
k8: \
	VLD1.P 8(R19), [V0.B8] \
	VLD1.P 8(R20), [V1.B8] \
	VLD1.P 8(R21), [V2.B8] \
	VLD1.P 8(R22), [V3.B8] \
	VLD1.P 64(R13), [V4.H8, V5.H8, V6.H8, V7.H8] \
	VLD1.P 64(R13), [V8.H8, V9.H8, V10.H8, V11.H8] \
	WIDEN(0, 0) \
	WIDEN(1, 1) \
	WIDEN(2, 2) \
	WIDEN(3, 3) \
	MLALK(4, 5, 0) \
	MLALK(6, 7, 1) \
	VLD1.P 64(R13), [V4.H8, V5.H8, V6.H8, V7.H8] \
	MLALK(8, 9, 2) \
	MLALK(10, 11, 3) \
	VLD1.P 64(R13), [V8.H8, V9.H8, V10.H8, V11.H8] \
	MLALK(4, 5, 4) \
	MLALK(6, 7, 5) \
	MLALK(8, 9, 6) \
	MLALK(10, 11, 7) \
	SUBS $1, R14 \
	BNE k8 \
tail: \
	MOVD gemmNEONArgs_tail4(R0), R14 \
	CBZ R14, requant \
	FMOVS (R19), F0 \
	FMOVS (R20), F1 \
	FMOVS (R21), F2 \
	FMOVS (R22), F3 \
	VLD1.P 64(R13), [V4.H8, V5.H8, V6.H8, V7.H8] \
	VLD1.P 64(R13), [V8.H8, V9.H8, V10.H8, V11.H8] \
	WIDEN(0, 0) \
	WIDEN(1, 1) \
	WIDEN(2, 2) \
	WIDEN(3, 3) \
	MLALK(4, 5, 0) \
	MLALK(6, 7, 1) \
	MLALK(8, 9, 2) \
	MLALK(10, 11, 3) \
requant: \
	EPILOGUE \
	SUBS $1, R9 \
	BNE block \
	RET

// func gemmNEONu8(p *gemmNEONArgs)
TEXT ·gemmNEONu8(SB), NOSPLIT, $0-8
	GEMM(UXTL8H)

// func gemmNEONs8(p *gemmNEONArgs)
TEXT ·gemmNEONs8(SB), NOSPLIT, $0-8
	GEMM(SXTL8H)

// The same block with the dot product extension (gemmDotu8, gemmDots8):
// each SDOT/UDOT by element adds 4 products of bytes, so the weights stay
// bytes, packed [panel][k/4][16 channels][4]. For uint8 the products give
// Σ x·w, and Σ (x - xz)(w - wz) is that plus the folded bias plus -wz·Σx,
// from row sums (UDOT with ones, V8) scaled by gemmNEONArgs.wzNeg. K runs
// in steps of 16 bytes, then of 4; the last step's bytes past K (at most 3)
// meet zero weights and, in the row sums, the zeros of ones4 (V9).

// DOTLANE accumulates lane i of V0..V3 (4 bytes of rows 0..3) against the
// 4 channel groups in V4..V7 into V16..V31, with DOT(d, n, m, i).
#define DOTLANE(DOT, i) \
	DOT(16, 4, 0, i) \
	DOT(17, 5, 0, i) \
	DOT(18, 6, 0, i) \
	DOT(19, 7, 0, i) \
	DOT(20, 4, 1, i) \
	DOT(21, 5, 1, i) \
	DOT(22, 6, 1, i) \
	DOT(23, 7, 1, i) \
	DOT(24, 4, 2, i) \
	DOT(25, 5, 2, i) \
	DOT(26, 6, 2, i) \
	DOT(27, 7, 2, i) \
	DOT(28, 4, 3, i) \
	DOT(29, 5, 3, i) \
	DOT(30, 6, 3, i) \
	DOT(31, 7, 3, i)

// DOTK loads the next 4 weight vectors and accumulates lane i.
#define DOTK(DOT, i) \
	VLD1.P 64(R13), [V4.B16, V5.B16, V6.B16, V7.B16] \
	DOTLANE(DOT, i)

// ROWSUMS adds the bytes of V0..V3, times those of Vo, to the row sums
// in V12..V15; NOSUMS does nothing.
#define ROWSUMS(o) \
	UDOT16B(12, 0, o) \
	UDOT16B(13, 1, o) \
	UDOT16B(14, 2, o) \
	UDOT16B(15, 3, o)
#define NOSUMS(o)

// ROWCORR adds -wz times each row's sum (V12..V15) to its accumulators;
// NOCORR does nothing.
#define ROWCORR \
	MOVW gemmNEONArgs_wzNeg(R0), R24 \
	VADDV V12.S4, V12 \
	VMOV V12.S[0], R23 \
	MULW R24, R23, R23 \
	VDUP R23, V12.S4 \
	VADD V12.S4, V16.S4, V16.S4 \
	VADD V12.S4, V17.S4, V17.S4 \
	VADD V12.S4, V18.S4, V18.S4 \
	VADD V12.S4, V19.S4, V19.S4 \
	VADDV V13.S4, V13 \
	VMOV V13.S[0], R23 \
	MULW R24, R23, R23 \
	VDUP R23, V13.S4 \
	VADD V13.S4, V20.S4, V20.S4 \
	VADD V13.S4, V21.S4, V21.S4 \
	VADD V13.S4, V22.S4, V22.S4 \
	VADD V13.S4, V23.S4, V23.S4 \
	VADDV V14.S4, V14 \
	VMOV V14.S[0], R23 \
	MULW R24, R23, R23 \
	VDUP R23, V14.S4 \
	VADD V14.S4, V24.S4, V24.S4 \
	VADD V14.S4, V25.S4, V25.S4 \
	VADD V14.S4, V26.S4, V26.S4 \
	VADD V14.S4, V27.S4, V27.S4 \
	VADDV V15.S4, V15 \
	VMOV V15.S[0], R23 \
	MULW R24, R23, R23 \
	VDUP R23, V15.S4 \
	VADD V15.S4, V28.S4, V28.S4 \
	VADD V15.S4, V29.S4, V29.S4 \
	VADD V15.S4, V30.S4, V30.S4 \
	VADD V15.S4, V31.S4, V31.S4
#define NOCORR

// LOAD4 loads the next 4 bytes of each row into lane 0 of V0..V3.
#define LOAD4 \
	FMOVS.P 4(R19), F0 \
	FMOVS.P 4(R20), F1 \
	FMOVS.P 4(R21), F2 \
	FMOVS.P 4(R22), F3

// GEMMDOT is the body of gemmDotu8 and gemmDots8: DOT is UDOTB or SDOTB,
// SUMS ROWSUMS or NOSUMS, CORR ROWCORR or NOCORR.
#define GEMMDOT(DOT, SUMS, CORR) \
	MOVD p+0(FP), R0 \
	MOVD (gemmNEONArgs_a+0)(R0), R1 \
	MOVD (gemmNEONArgs_a+8)(R0), R2 \
	MOVD (gemmNEONArgs_a+16)(R0), R3 \
	MOVD (gemmNEONArgs_a+24)(R0), R4 \
	MOVD (gemmNEONArgs_out+0)(R0), R5 \
	MOVD (gemmNEONArgs_out+8)(R0), R6 \
	MOVD (gemmNEONArgs_out+16)(R0), R7 \
	MOVD (gemmNEONArgs_out+24)(R0), R8 \
	MOVD gemmNEONArgs_blocks(R0), R9 \
	MOVD gemmNEONArgs_aStep(R0), R10 \
	MOVD gemmNEONArgs_oStep(R0), R11 \
	MOVD gemmNEONArgs_w(R0), R12 \
	MOVD gemmNEONArgs_k16(R0), R17 \
	MOVD gemmNEONArgs_nValid(R0), R16 \
block: \
	ZERO \
	VEOR V12.B16, V12.B16, V12.B16 \
	VEOR V13.B16, V13.B16, V13.B16 \
	VEOR V14.B16, V14.B16, V14.B16 \
	VEOR V15.B16, V15.B16, V15.B16 \
	VMOVI $1, V8.B16 \
	MOVD R1, R19 \
	MOVD R2, R20 \
	MOVD R3, R21 \
	MOVD R4, R22 \
	MOVD R12, R13 \
	MOVD R17, R14 \
	CBZ R14, steps4 \
k16: \
	VLD1.P 16(R19), [V0.B16] \
	VLD1.P 16(R20), [V1.B16] \
	VLD1.P 16(R21), [V2.B16] \
	VLD1.P 16(R22), [V3.B16] \
	SUMS(8) \
	DOTK(DOT, 0) \
	DOTK(DOT, 1) \
	DOTK(DOT, 2) \
	DOTK(DOT, 3) \
	SUBS $1, R14 \
	BNE k16 \
steps4: \
	MOVD gemmNEONArgs_k4(R0), R14 \
	CBZ R14, requant \
	SUBS $1, R14 \
	BEQ last4 \
k4: \
	LOAD4 \
	SUMS(8) \
	DOTK(DOT, 0) \
	SUBS $1, R14 \
	BNE k4 \
last4: \
	LOAD4 \
	FMOVS gemmNEONArgs_ones4(R0), F9 \
	SUMS(9) \
	DOTK(DOT, 0) \
requant: \
	CORR \
	MOVW gemmNEONArgs_outZP(R0), R23 \
	VDUP R23, V12.H8 \
	MOVW gemmNEONArgs_min(R0), R23 \
	VDUP R23, V13.H8 \
	MOVW gemmNEONArgs_max(R0), R23 \
	VDUP R23, V14.H8 \
	EPILOGUE \
	SUBS $1, R9 \
	BNE block \
	RET

// func gemmDotu8(p *gemmNEONArgs)
TEXT ·gemmDotu8(SB), NOSPLIT, $0-8
	GEMMDOT(UDOTB, ROWSUMS, ROWCORR)

// func gemmDots8(p *gemmNEONArgs)
TEXT ·gemmDots8(SB), NOSPLIT, $0-8
	GEMMDOT(SDOTB, NOSUMS, NOCORR)
