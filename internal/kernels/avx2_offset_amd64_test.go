//go:build !purego

package kernels

import (
	"bytes"
	"math"
	"slices"
	"testing"

	"github.com/classifly/classifly/internal/testkit"
)

// avx2OffsetLane is the offset epilogue (_asm's requantAVX2Offset, then
// the packs' saturation) on one accumulator of channel c of a block from
// avx2RequantOffset, up to the clamp: the bias and multipliers read where
// the channel's lane is (gemmReluLane), the rest in channel order.
func avx2OffsetLane(block []int32, width, c int, acc int32, sign bool) int32 {
	row := func(f int) []int32 { return block[f*width : (f+1)*width] }
	l := c/8*8 + gemmReluLane[c%8]
	a := uint32(row(avx2QBias)[l] + acc)
	m := row(avx2QMult)[l]
	if l%2 == 1 {
		m = row(avx2QMultOdd)[l-1]
	}
	z := int32(uint32(uint64(a)*uint64(uint32(m))>>32) + uint32(row(avx2QOffNudge)[c]))
	if sign && z > row(avx2QOffSign)[c] {
		z++
	}
	return z >> row(avx2QRShift)[c]
}

// TestAVX2RequantOffsetForm checks the offset form lane by lane against
// requant.apply, on sums at the ends of the bound that lets a layer take
// it, near zero and around every power of two, with the multipliers and
// shifts of real layers and unusual ones (0, 2^30, the largest, right
// shifts to 31), ReLU layers and others.
func TestAVX2RequantOffsetForm(t *testing.T) {
	r := testkit.SeededRand(t)
	const width = 24
	checked := 0
	for iter := range 400 {
		mult, shift := make([]int32, width), make([]int, width)
		randomMultipliers(r, mult, shift, false)
		if iter%2 == 1 {
			unusualMultipliers(r, mult, shift, false)
		}
		bias := make([]int32, width)
		for c := range bias {
			bias[c] = int32(r.IntN(1<<20) - 1<<19)
		}
		zp := int32(r.IntN(256) - 128)
		if iter%3 == 0 {
			zp = 0 // lets the deepest shifts fit
		}
		lo, hi := int32(-128), int32(127)
		relu := iter%4 < 2
		if relu {
			lo = zp
		}
		q := newRequant(bias, mult, shift, zp, lo, hi, width, 8)
		bound := make([]int64, width)
		top := int64(1) << (20 + r.IntN(10)) // sums up to 2^20 .. 2^29
		for c := range bound {
			bound[c] = top + abs64(int64(bias[c]))
		}
		if !avx2OffsetFits(q, bound) {
			continue
		}
		checked++
		block := avx2RequantOffset(nil, q, 0, width, !relu)
		for c := range width {
			b := top
			accs := []int64{-b, b, 0, 1, -1, 2, -2, -b + 1, b - 1}
			for range 64 {
				accs = append(accs, r.Int64N(2*b+1)-b)
			}
			for s := int64(1); s < b; s <<= 1 {
				accs = append(accs, s, s-1, s+1, -s, -s+1, -s-1)
			}
			for _, acc := range accs {
				want := q.apply(int32(acc), c)
				got := clamp(avx2OffsetLane(block, width, c, int32(acc), !relu), lo, hi)
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

// TestOffsetBeta checks β·2M ≡ 2^31 (mod 2^32), |β| ≤ 2^30 and k.
func TestOffsetBeta(t *testing.T) {
	r := testkit.SeededRand(t)
	ms := []int32{1, 2, 3, 1 << 30, math.MaxInt32, 1<<30 + 1, 6 << 20}
	for range 1000 {
		ms = append(ms, int32(r.IntN(math.MaxInt32))+1)
	}
	for _, m := range ms {
		beta, k := offsetBeta(m)
		p := beta * 2 * int64(m)
		if uint32(p) != 1<<31 || abs64(beta) > 1<<30 || k<<32 != p-1<<31 {
			t.Fatalf("M=%d: β=%d k=%d", m, beta, k)
		}
	}
}

// TestGEMMAVX2OffsetEpilogues runs the AVX2-family GEMM kernels (the int16
// ones on avx2, the VPMADDUBSW quad ones, and on avxvnni the quad ones for
// uint8 layers with w - wz in a byte and with row sums, and for int8) in
// the offset form and the plain one it falls back to (a left shift; a
// bias whose sum plus β could leave int32), ReLU layers and others, with
// and without a byte clamp, unusual multipliers, and last panels partial
// and whole; checks each took the form it should and wrote nothing
// outside its output.
func TestGEMMAVX2OffsetEpilogues(t *testing.T) {
	r := testkit.SeededRand(t)
	type form struct {
		name   string
		b      Backend
		signed bool
		bound  int  // weights within bound of wz; 0: any
		sums   bool // uint8 with a weight w - wz outside a byte
		quad   bool
	}
	forms := []form{
		{"avx2 int16 u8", AVX2, false, 0, false, false},
		{"avx2 int16 s8", AVX2, true, 0, false, false},
		{"maddubs u8", AVX2, false, 64, false, true},
		{"maddubs s8", AVX2, true, 64, false, true},
		{"vnni u8 w-wz", AVXVNNI, false, 127, false, true},
		{"vnni u8 sums", AVXVNNI, false, 0, true, true},
		{"vnni s8", AVXVNNI, true, 0, false, true},
	}
	for _, f := range forms {
		if !slices.Contains(Available(), f.b) {
			t.Logf("%s: %s not available here", f.name, f.b)
			continue
		}
		seen := map[[2]bool]int{} // [offset, relu]
		for i := range 160 {
			m := []int{1, 4, 5, 9, 17}[i%5]
			n := []int{8, 16, 20, 24, 40, 48, 52, 72}[i/5%8]
			k := []int{16, 19, 24, 32, 96}[i/40%4+i%2]
			c := randomGEMM(r, m, n, k, f.signed)
			c.spec.Rows = 0
			if f.bound > 0 {
				c = c.narrowed(r, f.bound)
			}
			if f.sums {
				c.spec.FilterZP = int32(r.IntN(255))
				if c.spec.FilterZP == 128 {
					c.spec.FilterZP = 0
				}
				c.spec.W[r.IntN(n*k)] = map[bool]byte{true: 255, false: 0}[c.spec.FilterZP < 128]
			}
			unusual := i%3 == 0
			if unusual { // deep right shifts, 0 and unusual multipliers
				if i%2 == 0 {
					c.spec.OutZP = 0
				}
				unusualMultipliers(r, c.spec.Mult, c.spec.Shift, false)
			} else {
				randomMultipliers(r, c.spec.Mult, c.spec.Shift, false)
			}
			lo, hi := int32(0), int32(255)
			if f.signed {
				lo, hi = -128, 127
			}
			relu, clamped := i%2 == 0, i/2%2 == 0
			c.spec.OutZP = clamp(c.spec.OutZP, lo, hi)
			c.spec.ActMin, c.spec.ActMax = lo, hi
			if relu {
				c.spec.ActMin = c.spec.OutZP
			} else if c.spec.OutZP == lo {
				c.spec.OutZP++ // a clamp below the zero point
			}
			if clamped {
				c.spec.ActMax = max(c.spec.ActMin, hi-1-int32(r.IntN(20)))
			}
			wantOffset := true
			switch {
			case i%7 == 3:
				// Odd M, β = 2^30: a bias near the limit lets a + β leave
				// int32.
				c.spec.Mult[0], c.spec.Shift[0] = quantizeMultiplier(0.0037)
				c.spec.Mult[0] |= 1
				c.spec.Bias[0] = math.MaxInt32 - 1<<28
				wantOffset = false
			case i%11 == 5: // a left shift
				c.spec.Mult[0], c.spec.Shift[0] = quantizeMultiplier(1.5)
				wantOffset = false
			}
			c.reference()
			g, err := NewGEMM(c.spec, f.b)
			if err != nil {
				t.Fatal(err)
			}
			var offset, gotRelu bool
			switch v := g.vec.(type) {
			case *gemmAVX2:
				if f.quad || v.wb != nil {
					t.Fatalf("%s case %d: took the int16 kernel", f.name, i)
				}
				offset, gotRelu = v.offset == 1, v.relu
			case *gemmQuad:
				if !f.quad || v.sums != f.sums || v.vnni != (f.b == AVXVNNI) {
					t.Fatalf("%s case %d: took the quad kernel vnni %v sums %v", f.name, i, v.vnni, v.sums)
				}
				offset, gotRelu = v.offset == 1, v.relu
			default:
				t.Fatalf("%s case %d: took %T", f.name, i, g.vec)
			}
			// Unusual multipliers may not fit (a deep shift of the zero
			// point): those may fall back.
			if gotRelu != relu || offset && !wantOffset || !unusual && offset != wantOffset {
				t.Fatalf("%s case %d: offset %v relu %v, want offset %v relu %v", f.name, i, offset, gotRelu, wantOffset, relu)
			}
			seen[[2]bool{offset, relu}]++
			out := bytes.Repeat([]byte{0xA5}, len(c.want)+2*guard)
			g.Run(c.a, c.lda, 0, c.m, out[guard:], c.ldc)
			for j := range guard {
				if out[j] != 0xA5 || out[len(out)-1-j] != 0xA5 {
					t.Fatalf("%s case %d: wrote outside the output", f.name, i)
				}
			}
			for row := range c.m {
				got, want := out[guard+row*c.ldc:][:n], c.want[row*c.ldc:][:n]
				if !bytes.Equal(got, want) {
					t.Fatalf("%s case %d (m=%d n=%d k=%d relu=%v offset=%v) row %d:\n got %v\nwant %v", f.name, i, m, n, k, relu, offset, row, got, want)
				}
			}
		}
		for _, o := range []bool{false, true} {
			for _, rl := range []bool{false, true} {
				if seen[[2]bool{o, rl}] < 5 {
					t.Errorf("%s: offset %v relu %v ran in %d cases", f.name, o, rl, seen[[2]bool{o, rl}])
				}
			}
		}
	}
}
