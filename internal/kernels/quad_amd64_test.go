//go:build !purego

package kernels

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/classifly/classifly/internal/testkit"
)

// TestQuadPathChoice checks which GEMM kernel the AVX2 and AVX-VNNI
// backends pick, and that the AVX2 VPMADDUBSW kernel is refused exactly
// where it would saturate: a layer with a pair of large same-sign weights
// against activations at the top of the range gives wrong bytes when
// forced through it, and the right ones through the backend's choice.
func TestQuadPathChoice(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 9))
	for _, signed := range []bool{false, true} {
		safe := randomGEMM(r, 9, 40, 37, signed).narrowed(r, 64)
		wide := randomGEMM(r, 9, 40, 37, signed).narrowed(r, 127)
		// Saturating: channel 3 has weights +127,+127 (wz+127 for uint8)
		// at K 4 and 5, and every activation is at its largest byte.
		sat := randomGEMM(r, 9, 40, 37, signed)
		if !signed {
			sat.spec.FilterZP = 100 // room for wz+127
		}
		sat = sat.narrowed(r, 20)
		top := byte(255)
		if signed {
			top = 127
		}
		for i := range sat.a {
			sat.a[i] = top
		}
		// x - xz = 0: the true sums are the biases, a saturated one is off
		// by over 30000.
		sat.spec.InZP = int32(int8(top))
		if !signed {
			sat.spec.InZP = 255
		}
		sat.spec.Bias[3] = 0
		sat.spec.OutZP, sat.spec.ActMin, sat.spec.ActMax = 128, 0, 255
		if signed {
			sat.spec.OutZP, sat.spec.ActMin, sat.spec.ActMax = 0, -128, 127
		}
		for _, k := range []int{4, 5} {
			sat.spec.W[3*sat.spec.K+k] = byte(sat.spec.FilterZP + 127)
		}
		for i := range sat.spec.Mult { // a gentle scale so a wrong sum shows
			sat.spec.Mult[i], sat.spec.Shift[i] = quantizeMultiplier(1.0 / 256)
		}
		sat.reference()

		for _, tc := range []struct {
			name    string
			c       gemmCase
			b       Backend
			wantVec any
		}{
			{"small weights avx2", safe, AVX2, (*gemmQuad)(nil)},
			{"full int8 weights avx2", wide, AVX2, (*gemmAVX2)(nil)},
			{"saturating avx2", sat, AVX2, (*gemmAVX2)(nil)},
			{"full int8 weights avxvnni", wide, AVXVNNI, (*gemmQuad)(nil)},
			{"saturating avxvnni", sat, AVXVNNI, (*gemmQuad)(nil)},
		} {
			if !slices.Contains(Available(), tc.b) {
				t.Logf("%s: %s not available here", tc.name, tc.b)
				continue
			}
			g, err := NewGEMM(tc.c.spec, tc.b)
			if err != nil {
				t.Fatal(err)
			}
			switch tc.wantVec.(type) {
			case *gemmQuad:
				if qd, ok := g.vec.(*gemmQuad); !ok || qd.vnni != (tc.b == AVXVNNI) {
					t.Errorf("signed=%v %s: took %T, want the quad kernel", signed, tc.name, g.vec)
				}
			case *gemmAVX2:
				if _, ok := g.vec.(*gemmAVX2); !ok {
					t.Errorf("signed=%v %s: took %T, want the int16 kernel", signed, tc.name, g.vec)
				}
			}
			if got := runGEMMCase(g, tc.c); !bytes.Equal(got, tc.c.want) {
				t.Errorf("signed=%v %s: wrong bytes", signed, tc.name)
			}
		}

		// The refused kernel, forced, saturates: the bound is not slack.
		if slices.Contains(Available(), AVX2) {
			g, _ := NewGEMM(sat.spec, AVX2)
			v := make([]int32, len(sat.spec.W))
			for i, w := range sat.spec.W {
				v[i], _ = g.quadWeight(w)
			}
			zp := sat.spec.InZP
			if signed {
				zp += 128
			}
			g.vec = g.packQuad(v, v, zp, 0, false)
			if got := runGEMMCase(g, sat); bytes.Equal(got, sat.want) {
				t.Errorf("signed=%v: the saturating layer forced through VPMADDUBSW gave the right bytes; the test proves nothing", signed)
			}
		}
	}
}

// TestQuadSafeBound checks the pair bound at its edge.
func TestQuadSafeBound(t *testing.T) {
	for _, tc := range []struct {
		v    []int32
		umax int32
		want bool
	}{
		{[]int32{64, 64}, 255, true},    // 255·128 = 32640
		{[]int32{64, 65}, 255, false},   // 255·129 = 32895
		{[]int32{127, -127}, 255, true}, // opposite signs cancel
		{[]int32{-64, -64, 127, 1}, 255, true},
		{[]int32{-65, -64, 0, 0}, 255, false},
		{[]int32{127, 127}, 129, true}, // 129·254 = 32766
		{[]int32{127, 127}, 130, false},
		{[]int32{127, 100, 100}, 255, false}, // the odd last K pairs with nothing
		{[]int32{1, 1, 127}, 255, true},
	} {
		if got := quadSafe(tc.v, 1, len(tc.v), tc.umax); got != tc.want {
			t.Errorf("quadSafe(%v, umax %d) = %v, want %v", tc.v, tc.umax, got, tc.want)
		}
	}
}

// runGEMMCase runs all rows of c through g.
func runGEMMCase(g *GEMM, c gemmCase) []byte {
	out := make([]byte, len(c.want))
	g.Run(c.a, c.lda, 0, c.m, out, c.ldc)
	for row := range c.m { // compare only the channels, not the stride gap
		copy(out[row*c.ldc+c.spec.N:(row+1)*c.ldc], c.want[row*c.ldc+c.spec.N:(row+1)*c.ldc])
	}
	return out
}

// TestQuadForms checks every form of the quad kernels against the
// reference: the AVX-VNNI kernel's uint8 layers with w - wz in a signed
// byte and without (row sums), its int8 layers, and the AVX2 VPMADDUBSW
// kernel; each with the relu epilogue and
// the other, left shifts and unusual multipliers, last panels of whole
// vectors and partial ones, and every tail of the row sums (K mod 32).
func TestQuadForms(t *testing.T) {
	r := testkit.SeededRand(t)
	type form struct {
		name   string
		b      Backend
		signed bool
		bound  int  // weights within bound of wz; 0: any
		sums   bool // the form has row sums
	}
	forms := []form{
		{"vnni u8 w-wz", AVXVNNI, false, 127, false},
		{"vnni u8 sums", AVXVNNI, false, 0, true},
		{"vnni s8", AVXVNNI, true, 0, false},
		{"maddubs u8", AVX2, false, 64, false},
		{"maddubs s8", AVX2, true, 64, false},
	}
	for _, f := range forms {
		if !slices.Contains(Available(), f.b) {
			t.Logf("%s: %s not available here", f.name, f.b)
			continue
		}
		for _, n := range []int{8, 16, 20, 24, 40, 48, 52, 72} {
			for _, k := range []int{1, 2, 3, 4, 7, 12, 16, 19, 24, 31, 32, 35, 45, 64, 97} {
				for _, relu := range []bool{false, true} {
					c := randomGEMM(r, 1+r.IntN(9), n, k, f.signed)
					c.spec.Rows = 0
					if f.bound > 0 {
						c = c.narrowed(r, f.bound)
					}
					if f.sums && !f.signed { // a weight w - wz outside a signed byte
						c.spec.FilterZP = int32(r.IntN(255))
						if c.spec.FilterZP == 128 {
							c.spec.FilterZP = 0
						}
						c.spec.W[r.IntN(n*k)] = map[bool]byte{true: 255, false: 0}[c.spec.FilterZP < 128]
					}
					switch r.IntN(3) {
					case 0:
						randomMultipliers(r, c.spec.Mult, c.spec.Shift, true)
					case 1:
						unusualMultipliers(r, c.spec.Mult, c.spec.Shift, true)
					}
					lo, hi := int32(0), int32(255)
					if f.signed {
						lo, hi = -128, 127
					}
					c.spec.ActMin, c.spec.ActMax = lo, hi
					if relu {
						c.spec.ActMin = c.spec.OutZP
					} else if c.spec.OutZP == lo {
						c.spec.OutZP++ // a clamp below the zero point
					}
					c.reference()
					g, err := NewGEMM(c.spec, f.b)
					if err != nil {
						t.Fatal(err)
					}
					qd, ok := g.vec.(*gemmQuad)
					if !ok || qd.sums != f.sums || qd.relu != relu {
						t.Fatalf("%s n=%d k=%d: took %T, want the quad kernel with sums %v relu %v", f.name, n, k, g.vec, f.sums, relu)
					}
					if got := runGEMMCase(g, c); !bytes.Equal(got, c.want) {
						t.Fatalf("%s n=%d k=%d relu=%v m=%d: wrong bytes\n got %v\nwant %v", f.name, n, k, relu, c.m, got, c.want)
					}
				}
			}
		}
	}
}
