// Encodings of the NEON instructions that Go's arm64 assembler does not
// spell (Arm ARM, "Advanced SIMD"), emitted with WORD. Arguments are vector
// register numbers: SQRDMULH4S(1, 2, 3) is SQRDMULH V1.4S, V2.4S, V3.4S.
// Each was checked against GNU as and `go tool objdump`.

// SMLAL Vd.4S, Vn.4H, Vm.H[i] (SMLAL2: Vn.8H); m < 16.
#define SMLALH(d, n, m, i) WORD $(0x0F402000 | (((i)&4)<<9) | (((i)&2)<<20) | (((i)&1)<<20) | ((m)<<16) | ((n)<<5) | (d))
#define SMLAL2H(d, n, m, i) WORD $(0x4F402000 | (((i)&4)<<9) | (((i)&2)<<20) | (((i)&1)<<20) | ((m)<<16) | ((n)<<5) | (d))

// SMLAL Vd.4S, Vn.4H, Vm.4H and SMLAL2 Vd.4S, Vn.8H, Vm.8H.
#define SMLAL4S(d, n, m) WORD $(0x0E608000 | ((m)<<16) | ((n)<<5) | (d))
#define SMLAL24S(d, n, m) WORD $(0x4E608000 | ((m)<<16) | ((n)<<5) | (d))

// SXTL Vd.8H, Vn.8B and SXTL2 Vd.8H, Vn.16B (SSHLL #0).
#define SXTL8H(d, n) WORD $(0x0F08A400 | ((n)<<5) | (d))
#define SXTL28H(d, n) WORD $(0x4F08A400 | ((n)<<5) | (d))

// UXTL Vd.8H, Vn.8B and UXTL2 Vd.8H, Vn.16B, in the same form as SXTL8H.
#define UXTL8H(d, n) WORD $(0x2F08A400 | ((n)<<5) | (d))
#define UXTL28H(d, n) WORD $(0x6F08A400 | ((n)<<5) | (d))

// SXTL Vd.4S, Vn.4H and SXTL2 Vd.4S, Vn.8H.
#define SXTL4S(d, n) WORD $(0x0F10A400 | ((n)<<5) | (d))
#define SXTL24S(d, n) WORD $(0x4F10A400 | ((n)<<5) | (d))

// Vd.4S = op(Vn.4S, Vm.4S): SSHL (shift left by Vm, right if negative,
// truncating), SRSHL (likewise, rounding half up), SQRDMULH (gemmlowp's
// SaturatingRoundingDoublingHighMul), SQADD.
#define SSHL4S(d, n, m) WORD $(0x4EA04400 | ((m)<<16) | ((n)<<5) | (d))
#define SRSHL4S(d, n, m) WORD $(0x4EA05400 | ((m)<<16) | ((n)<<5) | (d))
#define SQRDMULH4S(d, n, m) WORD $(0x6EA0B400 | ((m)<<16) | ((n)<<5) | (d))
#define SQADD4S(d, n, m) WORD $(0x4EA00C00 | ((m)<<16) | ((n)<<5) | (d))

// SSHR Vd.4S, Vn.4S, #31: all ones where negative.
#define SSHR31(d, n) WORD $(0x4F210400 | ((n)<<5) | (d))

// SQXTN Vd.4H, Vn.4S and SQXTN2 Vd.8H, Vn.4S: narrow with saturation.
#define SQXTN4H(d, n) WORD $(0x0E614800 | ((n)<<5) | (d))
#define SQXTN28H(d, n) WORD $(0x4E614800 | ((n)<<5) | (d))

// Vd.8H = op(Vn.8H, Vm.8H).
#define SQADD8H(d, n, m) WORD $(0x4E600C00 | ((m)<<16) | ((n)<<5) | (d))
#define SMAX8H(d, n, m) WORD $(0x4E606400 | ((m)<<16) | ((n)<<5) | (d))
#define SMIN8H(d, n, m) WORD $(0x4E606C00 | ((m)<<16) | ((n)<<5) | (d))

// XTN Vd.8B, Vn.8H and XTN2 Vd.16B, Vn.8H: keep the low bytes.
#define XTN8B(d, n) WORD $(0x0E212800 | ((n)<<5) | (d))
#define XTN216B(d, n) WORD $(0x4E212800 | ((n)<<5) | (d))

// SDOT/UDOT Vd.4S, Vn.16B, Vm.4B[i] (the dot product extension, FEAT_DotProd).
#define SDOTB(d, n, m, i) WORD $(0x4F80E000 | (((i)&1)<<21) | (((i)&2)<<10) | ((m)<<16) | ((n)<<5) | (d))
#define UDOTB(d, n, m, i) WORD $(0x6F80E000 | (((i)&1)<<21) | (((i)&2)<<10) | ((m)<<16) | ((n)<<5) | (d))

// AND Vd.16B, Vn.16B, Vm.16B, for operands given as numbers.
#define AND16B(d, n, m) WORD $(0x4E201C00 | ((m)<<16) | ((n)<<5) | (d))

// UDOT Vd.4S, Vn.16B, Vm.16B.
#define UDOT16B(d, n, m) WORD $(0x6E809400 | ((m)<<16) | ((n)<<5) | (d))

// MBQM requantizes Vx.4S in place, exactly as Requant.Apply: x << lshift
// (Vl), SQRDMULH by the multiplier (Vm), then the rounding right shift by
// -Vr (Vr holds minus the right shift, so is negative when there is one):
// SRSHL rounds half up, so negative values first step down by one, as
// gemmlowp's NEON RoundingDivideByPOT does. Vt is a temporary.
#define MBQM(x, m, l, r, t) \
	SSHL4S(x, x, l) \
	SQRDMULH4S(x, x, m) \
	AND16B(t, x, r) \
	SSHR31(t, t) \
	SQADD4S(x, x, t) \
	SRSHL4S(x, x, r)

// ZERO clears the accumulators V16..V31.
#define ZERO \
	VEOR V16.B16, V16.B16, V16.B16 \
	VEOR V17.B16, V17.B16, V17.B16 \
	VEOR V18.B16, V18.B16, V18.B16 \
	VEOR V19.B16, V19.B16, V19.B16 \
	VEOR V20.B16, V20.B16, V20.B16 \
	VEOR V21.B16, V21.B16, V21.B16 \
	VEOR V22.B16, V22.B16, V22.B16 \
	VEOR V23.B16, V23.B16, V23.B16 \
	VEOR V24.B16, V24.B16, V24.B16 \
	VEOR V25.B16, V25.B16, V25.B16 \
	VEOR V26.B16, V26.B16, V26.B16 \
	VEOR V27.B16, V27.B16, V27.B16 \
	VEOR V28.B16, V28.B16, V28.B16 \
	VEOR V29.B16, V29.B16, V29.B16 \
	VEOR V30.B16, V30.B16, V30.B16 \
	VEOR V31.B16, V31.B16, V31.B16
