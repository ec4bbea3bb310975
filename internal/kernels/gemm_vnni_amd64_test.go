//go:build !purego

package kernels

import (
	"bytes"
	"math"
	"slices"
	"testing"

	"github.com/classifly/classifly/internal/testkit"
)

// offsetLane is the offset epilogue (_asm's gemmRequantOffset, then the
// packs' saturation) on one accumulator of channel i of a block from
// vnniRequantOffset, up to the clamp.
func offsetLane(block []int32, i int, acc int32, sign bool) int32 {
	row := func(f int) []int32 { return block[f*16 : (f+1)*16] }
	a := uint32(row(avx2QBias)[i] + acc)
	m := row(avx2QMult)[i]
	if i%2 == 1 {
		m = row(avx2QMultOdd)[i-1]
	}
	y := int32(uint32(uint64(a)*uint64(uint32(m))>>32) + uint32(row(avx2QNudge)[i]))
	if sign && a < uint32(row(avx2QSignShift)[i]) {
		y--
	}
	return y >> row(avx2QRShift)[i]
}

// TestVNNIRequantOffsetForm checks the offset epilogue lane by lane against
// requant.apply, on every sum within the bound that lets a layer take it,
// at its ends and near zero, with the multipliers and shifts of real layers
// and unusual ones (0, 2^30, the largest, right shifts to 31).
func TestVNNIRequantOffsetForm(t *testing.T) {
	r := testkit.SeededRand(t)
	checked := 0
	for iter := range 400 {
		mult, shift := make([]int32, 16), make([]int, 16)
		randomMultipliers(r, mult, shift, false)
		if iter%2 == 1 {
			unusualMultipliers(r, mult, shift, false)
		}
		bias := make([]int32, 16)
		for c := range bias {
			bias[c] = int32(r.IntN(1<<20) - 1<<19)
		}
		zp := int32(r.IntN(256) - 128)
		if iter%3 == 0 {
			zp = 0 // lets the deepest shifts fold the zero point
		}
		lo, hi := int32(-128), int32(127)
		relu := iter%4 < 2
		if relu {
			lo = zp
		}
		q := newRequant(bias, mult, shift, zp, lo, hi, 16, 16)
		bound := make([]int64, 16)
		top := int64(1) << (20 + r.IntN(11)) // sums up to 2^20 .. 2^30
		for c := range bound {
			bound[c] = top + abs64(int64(bias[c]))
		}
		if !offsetFits(q, bound) {
			continue
		}
		checked++
		block := vnniRequantOffset(q, bound)
		for c := range 16 {
			b := bound[c] - abs64(int64(bias[c])) // |acc| may reach this
			accs := []int64{-b, b, 0, 1, -1, 2, -2, -b + 1, b - 1}
			for range 64 {
				accs = append(accs, r.Int64N(2*b+1)-b)
			}
			for s := int64(1); s < b; s <<= 1 { // around every power of two
				accs = append(accs, s, s-1, -s, -s+1)
			}
			for _, acc := range accs {
				want := q.apply(int32(acc), c)
				got := clamp(offsetLane(block, c, int32(acc), !relu), lo, hi)
				if got != want {
					t.Fatalf("M=%d shift=%d zp=%d relu=%v bias=%d acc=%d: got %d, want %d", mult[c], shift[c], zp, relu, bias[c], acc, got, want)
				}
			}
		}
	}
	if checked < 100 {
		t.Fatalf("only %d of 400 blocks fit the offset form", checked)
	}
}

// TestGEMMVNNIOffsetEpilogues runs the AVX-512 GEMM's four offset
// epilogues (ReLU or not, byte clamp or not) and the plain one it falls
// back to, on uint8 and int8 layers, the xor and row-sum formulations,
// and checks that each case took the epilogue it should.
func TestGEMMVNNIOffsetEpilogues(t *testing.T) {
	if !slices.Contains(Available(), AVX512VNNI) {
		t.Skip("no AVX-512 VNNI")
	}
	r := testkit.SeededRand(t)
	seen := map[int32]int{}
	for i := range 240 {
		m := []int{1, 4, 5, 17, 70}[i%5]
		n := []int{16, 24, 64, 96, 144, 17}[i/5%6]
		k := []int{16, 24, 32, 200}[i/30%4]
		signed := i/120 == 0
		c := randomGEMM(r, m, n, k, signed)
		lo, hi := int32(0), int32(255)
		if signed {
			lo, hi = -128, 127
		}
		relu, clamped := i%2 == 0, i/2%2 == 0
		if i%3 == 0 { // deep right shifts, 0 and unusual multipliers
			c.spec.OutZP = 0
			unusualMultipliers(r, c.spec.Mult, c.spec.Shift, false)
		} else {
			randomMultipliers(r, c.spec.Mult, c.spec.Shift, false)
		}
		c.spec.ActMin, c.spec.ActMax = lo, hi
		if relu {
			c.spec.ActMin = max(c.spec.OutZP, lo)
			if c.spec.ActMin == lo && !clamped {
				c.spec.OutZP = lo // a ReLU whose clamp spans the type
			}
		}
		if clamped {
			c.spec.ActMax = hi - 1 - int32(r.IntN(20))
			c.spec.ActMin = min(c.spec.ActMin+int32(r.IntN(3)), c.spec.ActMax)
		}
		wantMode := gemmEpiPlain
		switch {
		case i%7 == 3 && i%3 != 0:
			// A bias near the limit, with an odd multiplier (β = 2^30):
			// a+β could leave int32, the plain epilogue.
			c.spec.Mult[0] |= 1
			c.spec.Bias[0] = math.MaxInt32 - 1<<28
		case i%11 == 5 && i%3 != 0: // a left shift: the plain epilogue
			c.spec.Mult[0], c.spec.Shift[0] = quantizeMultiplier(1.5)
		default:
			wantMode = gemmEpiSign
			if c.spec.ActMin >= c.spec.OutZP {
				wantMode = gemmEpiRelu
			}
			if c.spec.ActMin > lo || c.spec.ActMax < hi {
				wantMode++
			}
		}
		c.reference()
		g, err := NewGEMM(c.spec, AVX512VNNI)
		if err != nil {
			t.Fatal(err)
		}
		v := g.vec.(*gemmVNNI)
		if i%3 != 0 && v.mode != wantMode { // unusual multipliers may not fit
			t.Fatalf("case %d: epilogue %d, want %d", i, v.mode, wantMode)
		}
		seen[v.mode]++
		out := bytes.Repeat([]byte{0xA5}, len(c.want)+2*guard)
		g.Run(c.a, c.lda, 0, c.m, out[guard:], c.ldc)
		for j := range guard {
			if out[j] != 0xA5 || out[len(out)-1-j] != 0xA5 {
				t.Fatalf("case %d: wrote outside the output", i)
			}
		}
		for row := range c.m {
			got, want := out[guard+row*c.ldc:][:n], c.want[row*c.ldc:][:n]
			if !bytes.Equal(got, want) {
				t.Fatalf("case %d (m=%d n=%d k=%d signed=%v epilogue %d) row %d:\n got %v\nwant %v", i, m, n, k, signed, v.mode, row, got, want)
			}
		}
	}
	for mode := gemmEpiPlain; mode <= gemmEpiSignClamp; mode++ {
		if seen[mode] < 5 {
			t.Errorf("epilogue %d ran in %d cases", mode, seen[mode])
		}
	}
}

// TestDWConvVNNIOffset runs int8 3×3 ReLU layers through the AVX-512
// depthwise blocks' offset forms (every block width, the pair kernels,
// both strides, rows of every length to 20), with multipliers of real
// layers and unusual ones, and checks that they took it.
func TestDWConvVNNIOffset(t *testing.T) {
	if !slices.Contains(Available(), AVX512VNNI) {
		t.Skip("no AVX-512 VNNI")
	}
	r := testkit.SeededRand(t)
	taken := 0
	for i := range 300 {
		c := []int{16, 32, 48, 64, 96, 144, 40}[i%7]
		stride := 1 + i/7%2
		inH, inW := 1+r.IntN(5), 1+r.IntN(20)
		outH, outW := (inH+stride-1)/stride, (inW+stride-1)/stride
		p := &ConvParams{Batch: 1, InH: inH, InW: inW, InC: c, OutH: outH, OutW: outW, OutC: c, KH: 3, KW: 3,
			StrideH: stride, StrideW: stride, DilationH: 1, DilationW: 1, DepthMultiplier: 1,
			PadH: max((outH-1)*stride+3-inH, 0) / 2, PadW: max((outW-1)*stride+3-inW, 0) / 2}
		filter := randBytes(r, 9*c)
		bias := make([]int32, c)
		p.Mult, p.Shift = make([]int32, c), make([]int, c)
		randomMultipliers(r, p.Mult, p.Shift, false)
		for ch := range c {
			bias[ch] = int32(r.IntN(1<<14) - 1<<13)
		}
		randZeroPoints(r, p, filter, true)
		p.ActMin, p.ActMax = p.OutZP, 127
		if i%3 == 0 { // MobileNet's ReLU6: the clamp spans the type
			p.OutZP, p.ActMin = -128, -128
		}
		if i%4 == 1 {
			p.OutZP, p.ActMin = 0, 0 // lets the deepest shifts fold the zero point
			unusualMultipliers(r, p.Mult, p.Shift, false)
		}
		in := randBytes(r, inH*inW*c)
		want := refDepthwise(p, in, filter, bias, true)
		d, err := NewDWConv(p, true, filter, bias, AVX512VNNI)
		if err != nil {
			t.Fatal(err)
		}
		if !d.Direct() {
			t.Fatalf("case %d: no direct kernel", i)
		}
		if d.vec.(*dwAVX512).offset {
			taken++
		} else if i%4 != 1 {
			t.Fatalf("case %d: the offset form not taken", i)
		}
		out := bytes.Repeat([]byte{0x5A}, len(want)+2*guard)
		d.RunDirect(append(in, make([]byte, guard)...), out[guard:], 0, outH)
		for j := range guard {
			if out[j] != 0x5A || out[len(out)-1-j] != 0x5A {
				t.Fatalf("case %d: wrote outside the output", i)
			}
		}
		if got := out[guard : guard+len(want)]; !bytes.Equal(got, want) {
			t.Fatalf("case %d c=%d stride=%d in %dx%d:\n got %v\nwant %v", i, c, stride, inH, inW, got, want)
		}
	}
	if taken < 250 {
		t.Fatalf("the offset form ran in %d cases of 300", taken)
	}
}

// TestGEMMVNNIOneRow runs products of 1 to 3 rows, which take the one-row
// kernels (gemvVNNI*), against the generic kernel and the reference: int8
// (xor and row sums) and uint8, channels past whole groups of panels and
// vectors, K not a multiple of 4, left and right shifts and unusual
// multipliers, every epilogue.
func TestGEMMVNNIOneRow(t *testing.T) {
	if !slices.Contains(Available(), AVX512VNNI) {
		t.Skip("no AVX-512 VNNI")
	}
	r := testkit.SeededRand(t)
	seen := map[int32]int{}
	var xors, sums int
	for i := range 400 {
		m := 1 + i%3
		n := []int{1, 15, 17, 64, 100, 257, 300, 321, 1001}[i/3%9]
		k := []int{1, 3, 6, 159, 161, 322, 1281}[i%7]
		signed := i%2 == 0
		c := randomGEMM(r, m, n, k, signed)
		c.spec.Rows = 1 + r.IntN(3)
		switch i % 4 {
		case 0:
			unusualMultipliers(r, c.spec.Mult, c.spec.Shift, true)
		case 1:
			randomMultipliers(r, c.spec.Mult, c.spec.Shift, true)
		case 2:
			unusualMultipliers(r, c.spec.Mult, c.spec.Shift, false)
		}
		lo, hi := int32(0), int32(255)
		if signed {
			lo, hi = -128, 127
		}
		switch i / 4 % 4 { // besides randomGEMM's clamps, each epilogue's
		case 0:
			c.spec.ActMin, c.spec.ActMax = lo, hi
		case 1:
			c.spec.OutZP, c.spec.ActMin, c.spec.ActMax = lo, lo, hi
		case 2:
			c.spec.OutZP = lo + 2 + int32(r.IntN(200))
			c.spec.ActMin, c.spec.ActMax = lo+1, hi-1
		}
		c.reference()
		g, err := NewGEMM(c.spec, AVX512VNNI)
		if err != nil {
			t.Fatal(err)
		}
		v := g.vec.(*gemmVNNI)
		if !v.gemv {
			t.Fatalf("case %d (m=%d, Rows %d): not the one-row path", i, m, c.spec.Rows)
		}
		seen[v.mode]++
		if signed && k < gemmXorMaxK {
			xors++
		} else if signed {
			sums++
		}
		gen, err := NewGEMM(c.spec, Generic)
		if err != nil {
			t.Fatal(err)
		}
		want := make([]byte, len(c.want))
		gen.Run(c.a, c.lda, 0, c.m, want, c.ldc)
		out := bytes.Repeat([]byte{0xA5}, len(c.want)+2*guard)
		g.Run(c.a, c.lda, 0, c.m, out[guard:], c.ldc)
		for j := range guard {
			if out[j] != 0xA5 || out[len(out)-1-j] != 0xA5 {
				t.Fatalf("case %d: wrote outside the output", i)
			}
		}
		for row := range c.m {
			got := out[guard+row*c.ldc:][:n]
			if w := want[row*c.ldc:][:n]; !bytes.Equal(got, w) || !bytes.Equal(w, c.want[row*c.ldc:][:n]) {
				t.Fatalf("case %d (m=%d n=%d k=%d signed=%v epilogue %d lshift %d) row %d:\n got %v\nwant %v", i, m, n, k, signed, v.mode, v.lshift, row, got, w)
			}
		}
	}
	if xors == 0 || sums == 0 || len(seen) != int(gemmEpiSignClamp)+1 {
		t.Errorf("formulations and epilogues run: xor %d, row sums %d, epilogues %v", xors, sums, seen)
	}
}
