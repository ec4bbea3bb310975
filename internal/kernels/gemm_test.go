package kernels

import (
	"bytes"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/classifly/classifly/internal/testkit"
)

// gemmCase is a random quantized matrix product and its reference answer
// from FullyConnected, the readable kernel.
type gemmCase struct {
	m, lda, ldc int
	spec        GEMMSpec
	a           []byte
	want        []byte
}

func randomGEMM(r *rand.Rand, m, n, k int, signed bool) gemmCase {
	s := GEMMSpec{N: n, K: k, Signed: signed, W: make([]byte, n*k), Bias: make([]int32, n),
		Requantization: Requantization{Mult: make([]int32, n), Shift: make([]int, n)}}
	for i := range s.W {
		s.W[i] = byte(r.IntN(256))
		if signed && s.W[i] == 0x80 {
			s.W[i] = 0x81 // symmetric int8 weights avoid -128
		}
	}
	if signed {
		s.InZP = int32(r.IntN(256) - 128)
	} else {
		s.InZP, s.FilterZP = int32(r.IntN(256)), int32(r.IntN(256))
	}
	randomMultipliers(r, s.Mult, s.Shift, r.IntN(4) == 0)
	for i := range n {
		s.Bias[i] = int32(r.IntN(1<<16) - 1<<15)
	}
	lo, hi := int32(0), int32(255)
	if signed {
		lo, hi = -128, 127
	}
	s.OutZP = lo + int32(r.IntN(256))
	if r.IntN(2) == 0 { // a fused ReLU-like clamp
		s.ActMin, s.ActMax = s.OutZP, max(s.OutZP, hi-int32(r.IntN(20)))
	} else {
		s.ActMin, s.ActMax = lo, hi
	}
	// Some backends pack for the expected rows: sometimes as many as will
	// run, sometimes fewer.
	s.Rows = []int{0, m, 1 + r.IntN(3)}[r.IntN(3)]
	lda := k + r.IntN(3)*5 // row strides larger than K too
	ldc := n + r.IntN(3)*7
	c := gemmCase{m: m, lda: lda, ldc: ldc, spec: s, a: make([]byte, m*lda+guard)}
	for i := range c.a {
		c.a[i] = byte(r.IntN(256))
	}
	c.reference()
	return c
}

// reference computes c.want.
func (c *gemmCase) reference() {
	s, m, n, k, lda, ldc := &c.spec, c.m, c.spec.N, c.spec.K, c.lda, c.ldc
	c.want = make([]byte, m*ldc)
	p := &FCParams{Batch: 1, K: k, N: n, Requantization: s.Requantization}
	for row := range m {
		in, out := c.a[row*lda:row*lda+k], c.want[row*ldc:row*ldc+n]
		if s.Signed {
			FullyConnected(p, View[int8](in), View[int8](s.W), s.Bias, View[int8](out))
		} else {
			FullyConnected(p, in, s.W, s.Bias, out)
		}
	}
}

// narrowed is c with new weights within bound of the weight zero point,
// as trained layers have (the AVX2 VPMADDUBSW kernel takes them when
// bound ≤ 64, the AVX-VNNI one uint8 layers when bound ≤ 127).
func (c gemmCase) narrowed(r *rand.Rand, bound int) gemmCase {
	s := c.spec
	s.W = make([]byte, len(c.spec.W))
	for i := range s.W {
		s.W[i] = byte(clamp(s.FilterZP+int32(r.IntN(2*bound+1)-bound), 0, 255))
		if s.Signed {
			s.W[i] = byte(int8(r.IntN(2*bound+1) - bound))
		}
	}
	c.spec = s
	c.reference()
	return c
}

// randomMultipliers gives each channel the multiplier and shift that
// quantizeMultiplier makes of a random scale. Without leftShifts the scales
// are below 1/2, right shifts only, as in every real model: a layer with
// any left shift takes other code in several kernels (the AVX-512
// depthwise blocks take none, the GEMMs and the AVX2 kernels have a second
// epilogue), so a test whose scales reach 1 in a channel out of twenty
// would rarely run the code that models run. With leftShifts about a
// quarter of the channels' scales are in [1, 4): left shifts of 1 or 2.
func randomMultipliers(r *rand.Rand, mult []int32, shift []int, leftShifts bool) {
	for c := range mult {
		scale := float64(r.Float32()+0.01) / float64(uint(2)<<r.IntN(12)) // 2^-13 .. 0.505
		if leftShifts && r.IntN(4) == 0 {
			scale = 1 + 3*r.Float64()
		}
		mult[c], shift[c] = quantizeMultiplier(scale)
	}
}

// unusualMultipliers gives about half the channels multipliers that
// quantizeMultiplier does not produce for MobileNet's scales but may for
// others: exactly 2^30 (a power-of-two scale), below 2^30, 0 (a scale too
// small to represent) and the largest, with right shifts and, with
// leftShifts, left shifts. Some kernels take a slower path for them (see
// kernels.avx2Epilogue).
func unusualMultipliers(r *rand.Rand, mult []int32, shift []int, leftShifts bool) {
	for c := range mult {
		s := r.IntN(16) - 12
		if !leftShifts {
			s = min(s, 0)
		}
		if r.IntN(4) == 0 { // the deepest right shifts, down to quantizeMultiplier's -31
			s = -31 + r.IntN(4)
		}
		switch r.IntN(8) {
		case 0:
			mult[c], shift[c] = 1<<30, s
		case 1:
			mult[c], shift[c] = int32(1+r.IntN(1<<30)), s
		case 2:
			mult[c], shift[c] = 0, 0
		case 3:
			mult[c], shift[c] = math.MaxInt32, s
		}
	}
}

// guard is how far past the end of its data a kernel may read.
const guard = 64

// TestGEMMAllBackends proves every backend equal to the reference, byte for
// byte, on shapes at and around every tile boundary, with guard bytes
// around the output that must stay untouched.
func TestGEMMAllBackends(t *testing.T) {
	r := testkit.SeededRand(t)
	var cases []gemmCase
	for _, m := range []int{1, 2, 3, 4, 5, 7, 8, 9, 17} {
		for _, n := range []int{1, 15, 16, 17, 24, 63, 64, 65, 96, 129} {
			for _, k := range []int{1, 3, 4, 5, 8, 27, 32, 33, 96, 159, 160, 161, 200} {
				c := randomGEMM(r, m, n, k, (m+n+k)%2 == 0)
				if (m+n+k)%3 == 0 {
					c = c.narrowed(r, 64)
				}
				if (m+n+k)%5 == 0 {
					unusualMultipliers(r, c.spec.Mult, c.spec.Shift, r.IntN(3) == 0)
					c.reference()
				}
				cases = append(cases, c)
			}
		}
	}
	eachGEMM(t, cases, func(t *testing.T, b Backend, c gemmCase, g *GEMM) {
		const sentinel = 0xA5
		out := bytes.Repeat([]byte{sentinel}, len(c.want)+2*guard)
		g.Run(c.a, c.lda, 0, c.m, out[guard:], c.ldc)
		for i := range guard {
			if out[i] != sentinel || out[len(out)-1-i] != sentinel {
				t.Fatalf("%s m=%d n=%d k=%d: wrote outside the output", b, c.m, c.spec.N, c.spec.K)
			}
		}
		got := out[guard : guard+len(c.want)]
		for row := range c.m {
			g, w := got[row*c.ldc:row*c.ldc+c.spec.N], c.want[row*c.ldc:row*c.ldc+c.spec.N]
			if !bytes.Equal(g, w) {
				t.Fatalf("%s m=%d n=%d k=%d signed=%v row %d:\n got %v\nwant %v", b, c.m, c.spec.N, c.spec.K, c.spec.Signed, row, g, w)
			}
		}
	})
}

// eachGEMM builds every case's GEMM on every backend, in a subtest per
// backend, and hands it to check.
func eachGEMM(t *testing.T, cases []gemmCase, check func(t *testing.T, b Backend, c gemmCase, g *GEMM)) {
	for _, b := range Available() {
		t.Run(b.String(), func(t *testing.T) {
			for _, c := range cases {
				g, err := NewGEMM(c.spec, b)
				if err != nil {
					t.Fatal(err)
				}
				check(t, b, c, g)
			}
		})
	}
}
