package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/gotypes"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The AVX2 kernel set: 16 YMM registers, no mask registers, no AVX-512.
// Every kernel is exact: int16 × int16 → int32 products (VPMADDWD), and
// kernels.requant.apply's requantization lane by lane.

// avx2 generates the set.
func avx2() {
	avx2Data()
	quadData()
	quadSumData()
	gemmAVX2("gemmAVX2u8", false, g2Words, g2MR, false)
	gemmAVX2("gemmAVX2s8", true, g2Words, g2MR, false)
	gemmAVX2("gemmAVX2u8relu", false, g2Words, g2MR, true)
	gemmAVX2("gemmAVX2s8relu", true, g2Words, g2MR, true)
	gemvAVX2("gemvAVX2u8", false)
	gemvAVX2("gemvAVX2s8", true)
	for _, k := range []struct {
		name string
		step g2Step
	}{{"gemmMaddubsAVX2", g2Maddubs}, {"gemmAVXVNNI", g2DPBUSD}, {"gemmAVXVNNISum", g2DPBUSDSum}} {
		for _, relu := range []bool{false, true} {
			suffix := map[bool]string{true: "relu"}[relu]
			gemmAVX2(k.name+"u8"+suffix, false, k.step, g2MR, relu)
			if k.step != g2DPBUSDSum { // uint8 layers only
				gemmAVX2(k.name+"s8"+suffix, true, k.step, g2MR, relu)
			}
		}
	}
	dwconvAVX2("dwconvAVX2u8", false, dwTapLoop)
	dwconvAVX2("dwconvAVX2s8", true, dwTapLoop)
	macLoopsAVX2()
	dwconvAVX2("dwconv3x3AVX2u8", false, dw3x3)
	dwconvAVX2("dwconv3x3AVX2s8", true, dw3x3)
	dwconvAVX2("dwconvNarrowAVX2u8", false, dwNarrow)
	dwconvAVX2("dwconvNarrowAVX2s8", true, dwNarrow)
	for _, stride := range []int{1, 2} {
		dwconv3x3DirectAVX2(fmt.Sprintf("dwconv3x3DirectAVX2s%du8", stride), false, stride)
		dwconv3x3DirectAVX2(fmt.Sprintf("dwconv3x3DirectAVX2s%ds8", stride), true, stride)
	}
	addAVX2("addAVX2u8", false)
	addAVX2("addAVX2s8", true)
	addSplitAVX2("addSplitAVX2u8", false)
	addSplitAVX2("addSplitAVX2s8", true)
}

// Read-only vectors of the set.
var (
	packPerm Mem // VPERMD indices that undo the lane split of VPACK*
	shiftTab Mem // VPSHUFB masks moving bytes down: entry at offset s shifts by s
)

func avx2Data() {
	packPerm = GLOBL("avx2PackPerm", RODATA|NOPTR)
	for i, v := range []uint32{0, 4, 1, 5, 2, 6, 3, 7} {
		DATA(4*i, U32(v))
	}
	shiftTab = GLOBL("avx2ShiftTab", RODATA|NOPTR)
	for i := range 32 {
		v := uint8(i)
		if i >= 16 {
			v = 0x80
		}
		DATA(i, U8(v))
	}
}

// avx2Text begins kernel name, whose one parameter p points to a struct of
// type args, with its doc, and returns *p and a memory operand per field.
func avx2Text(name, args, doc string) (gotypes.Component, func(field string) Mem) {
	TEXT(name, NOSPLIT, "func(p *"+args+")")
	Pragma("noescape")
	Doc(doc)
	p := Dereference(Param("p"))
	return p, func(field string) Mem { return fieldMem(p.Field(field)) }
}

// fieldMem is the memory operand of a parameter-struct component (of an
// array's first element: the vectors and counts are arrays).
func fieldMem(c gotypes.Component) Mem {
	b, err := c.Resolve()
	if err != nil {
		b, err = c.Index(0).Resolve()
	}
	if err != nil {
		panic(err)
	}
	return b.Addr
}

// Offsets of the fields of a kernels.avx2Requant block, in rows of the
// block's width.
const (
	aqBias = iota
	aqMult
	aqMultOdd
	aqLShift
	aqLXor
	aqNudge
	aqNudgeOdd
	aqSignShift
	aqRShift
	aqFields
)

// aqOffSign is the row of a kernels.avx2RequantOffset block that replaces
// the sign shift: the threshold of requantAVX2Offset's compare.
const aqOffSign = aqSignShift

// leftShifts shifts the accumulators left by their channels' LShift when
// the kernel's lshift field is set (most layers have none). An
// accumulator holds a + 2^31; the shift moves that 2^31 out, so it is put
// back where the shift is not 0.
func leftShifts(l string, flag Mem, accs []VecPhysical, q func(acc, field int) Mem) {
	CMPQ(flag, Imm(0))
	JE(LabelRef(l + "_nolshift"))
	for i, acc := range accs {
		VPSLLVD(q(i, aqLShift), acc, acc)
		VPXOR(q(i, aqLXor), acc, acc)
	}
	Label(l + "_nolshift")
}

// requantAVX2 turns the 8 accumulators in acc, which hold a + 2^31 (they
// started from the bias plus 2^31 and were shifted left), into output
// values less the output zero point, as kernels.requant.apply does;
// q(field) addresses the channels' constants (kernels.avx2Requant), c and
// o are temporaries.
//
// VPMULUDQ multiplies the even 32-bit lanes by 2M as unsigned numbers;
// the odd lanes are moved to the even positions first. With the nudge
// added, each 64-bit product's high half is x + round - [r > 0], x the
// doubling high multiply's result; a shuffle and a blend gather them.
// Adding [a ≥ 0] (a logical shift by 31, or by 32 where r = 0) leaves
// RoundingDivideByPOT's x + round - [x < 0] to shift right.
func requantAVX2(acc, c, o VecPhysical, q func(field int) Mem) {
	requantAVX2Op(acc, c, o, func(field int) Op { return q(field) })
}

// roundingShift is RoundingDivideByPOT: (x + round - (x < 0)) >> e, where
// x < 0 comes from a logical shift by 31, or by 32 (giving 0) where e = 0;
// per-lane counts (VPSRLVD, VPSRAVD) or, when uniform, count operands.
func roundingShift(x, t VecPhysical, sign, round, e Mem, uniform bool) {
	if uniform {
		VPSRLD(sign, x, t)
	} else {
		VPSRLVD(sign, x, t)
	}
	VPADDD(round, x, x)
	VPSUBD(t, x, x)
	if uniform {
		VPSRAD(e, x, x)
	} else {
		VPSRAVD(e, x, x)
	}
}

// pack16 packs two vectors of 8 int32 (channels 0..7 and 8..15) into 16
// bytes in the low half of lo, in channel order: saturated to int16, plus
// the output zero point (int16 lanes, saturating), saturated to bytes and
// clamped to [min, max] (16-byte vectors). hi is clobbered.
func pack16(lo, hi VecPhysical, signed bool, zp, min, max Mem) {
	VPACKSSDW(hi, lo, lo) // lanes: [0..3, 8..11 | 4..7, 12..15]
	VPADDSW(zp, lo, lo)
	VPERMQ(Imm(0xD8), lo, lo)
	VEXTRACTI128(Imm(1), lo, hi.AsX())
	x := lo.AsX()
	if signed {
		VPACKSSWB(hi.AsX(), x, x)
		VPMAXSB(min, x, x)
		VPMINSB(max, x, x)
	} else {
		VPACKUSWB(hi.AsX(), x, x)
		VPMAXUB(min, x, x)
		VPMINUB(max, x, x)
	}
}

// storeBytes stores the low n bytes of y to dst, n (1..31) in cnt; dst,
// cnt, tmp and y are clobbered.
func storeBytes(name string, y VecPhysical, dst, cnt, tmp GPPhysical) {
	x := y.AsX()
	l := func(s string) LabelRef { return LabelRef(fmt.Sprintf("%s_%s", name, s)) }
	// Store 16, 8 and 4 bytes while that many remain, each time moving the
	// bytes not yet stored to the bottom of x.
	for _, s := range []struct {
		n           int
		store, next func()
	}{
		{16, func() { VMOVDQU(x, Mem{Base: dst}) }, func() { VEXTRACTI128(Imm(1), y, x) }},
		{8, func() { VMOVQ(x, Mem{Base: dst}) }, func() { VPSRLDQ(Imm(8), x, x) }},
		{4, func() { VMOVD(x, Mem{Base: dst}) }, func() { VPSRLDQ(Imm(4), x, x) }},
	} {
		skip := l(fmt.Sprint(s.n / 2))
		CMPQ(cnt, Imm(uint64(s.n)))
		JB(skip)
		s.store()
		s.next()
		ADDQ(Imm(uint64(s.n)), dst)
		SUBQ(Imm(uint64(s.n)), cnt)
		Label(string(skip))
	}
	VMOVD(x, tmp.As32())
	CMPQ(cnt, Imm(2))
	JB(l("1"))
	MOVW(tmp.As16(), Mem{Base: dst})
	SHRL(Imm(16), tmp.As32())
	ADDQ(Imm(2), dst)
	SUBQ(Imm(2), cnt)
	Label(string(l("1")))
	TESTQ(cnt, cnt)
	JZ(l("done"))
	MOVB(tmp.As8(), Mem{Base: dst})
	Label(string(l("done")))
}
