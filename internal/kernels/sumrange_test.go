package kernels

import (
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/classifly/classifly/internal/testkit"
)

// TestSumRangeBoundary puts a channel's biased sum exactly at accLimit, in
// both directions, and checks every backend against the reference there
// (the closed forms must hold up to the limit), then one past it, where
// NewGEMM must refuse with ErrSumRange.
func TestSumRangeBoundary(t *testing.T) {
	r := testkit.SeededRand(t)
	const k, m = 24, 5
	for _, signed := range []bool{true, false} {
		for _, ms := range []struct {
			mult  int32
			shift int
		}{{math.MaxInt32, -12}, {math.MaxInt32, 0}, {math.MaxInt32, 1}, {1 << 30, -1}, {1<<31 - 1<<7, -12}, {1 << 30, 3}} {
			name := fmt.Sprintf("signed=%v mult=%d shift=%d", signed, ms.mult, ms.shift)
			s := GEMMSpec{N: 2, K: k, Signed: signed, W: make([]byte, 2*k), Bias: make([]int32, 2),
				Requantization: Requantization{Mult: []int32{ms.mult, ms.mult}, Shift: []int{ms.shift, ms.shift}}}
			// The input at its far end from the zero point, and weights
			// of opposite signs: channel 0's sum climbs to +limit and
			// channel 1's falls to -limit.
			var xFar byte
			var wHi, wLo byte
			if signed {
				s.InZP, xFar, wHi, wLo = 127, 0x80, 0x81, 0x7f // x - zp = -255; w = ∓127
			} else {
				s.InZP, s.FilterZP, xFar, wHi, wLo = 255, 128, 0, 1, 255 // x - zp = -255; w - wz = ∓127
				s.OutZP, s.ActMax = 128, 255
			}
			if signed {
				s.ActMin, s.ActMax = -128, 127
			}
			for i := range k {
				s.W[i], s.W[k+i] = wHi, wLo
			}
			q := newRequant(nil, s.Mult, s.Shift, s.OutZP, s.ActMin, s.ActMax, 2, 1)
			limit := q.accLimit(0)
			reach := int64(255 * 127 * k)
			s.Bias[0], s.Bias[1] = int32(limit-reach), -int32(limit-reach)
			c := gemmCase{m: m, lda: k, ldc: 2, spec: s, a: make([]byte, m*k+guard)}
			for i := range c.a {
				c.a[i] = byte(r.IntN(256))
			}
			for i := range k {
				c.a[i] = xFar // row 0 reaches the limit exactly
			}
			c.reference()
			for _, b := range Available() {
				g, err := NewGEMM(c.spec, b)
				if err != nil {
					t.Fatalf("%s at the limit on %s: %v", name, b, err)
				}
				out := make([]byte, len(c.want))
				g.Run(c.a, c.lda, 0, c.m, out, c.ldc)
				if string(out) != string(c.want) {
					t.Errorf("%s at the limit on %s:\n got %v\nwant %v", name, b, out, c.want)
				}
			}
			s.Bias[0]++
			if _, err := NewGEMM(s, Generic); !errors.Is(err, ErrSumRange) {
				t.Errorf("%s one past the limit: NewGEMM gave %v, want ErrSumRange", name, err)
			}
		}
	}
}

// TestSumRangeBoundaryDepthwise is TestSumRangeBoundary for the 3×3
// depthwise kernels: 64 channels, alternately climbing to +limit and
// falling to -limit at the output pixels whose window lies inside the input.
func TestSumRangeBoundaryDepthwise(t *testing.T) {
	const c, side = 64, 5
	for _, signed := range []bool{true, false} {
		for _, ms := range []struct {
			mult  int32
			shift int
		}{{math.MaxInt32, -12}, {math.MaxInt32, 0}, {math.MaxInt32, 1}, {1 << 30, -1}, {1<<31 - 1<<7, -12}} {
			name := fmt.Sprintf("signed=%v mult=%d shift=%d", signed, ms.mult, ms.shift)
			p := &ConvParams{Batch: 1, InH: side, InW: side, InC: c, OutH: side, OutW: side, OutC: c, KH: 3, KW: 3,
				StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1, DepthMultiplier: 1, PadH: 1, PadW: 1}
			p.Mult, p.Shift = make([]int32, c), make([]int, c)
			var xFar, wHi, wLo byte
			if signed {
				p.InZP, p.ActMin, p.ActMax, xFar, wHi, wLo = 127, -128, 127, 0x80, 0x81, 0x7f
			} else {
				p.InZP, p.FilterZP, p.OutZP, p.ActMax, xFar, wHi, wLo = 255, 128, 128, 255, 0, 1, 255
			}
			filter := make([]byte, 9*c)
			for i := range filter {
				filter[i] = []byte{wHi, wLo}[i%c%2]
			}
			for ch := range c {
				p.Mult[ch], p.Shift[ch] = ms.mult, ms.shift
			}
			q := newRequant(nil, p.Mult, p.Shift, p.OutZP, p.ActMin, p.ActMax, c, 1)
			bias := make([]int32, c)
			for ch := range c {
				bias[ch] = int32(q.accLimit(ch) - 255*127*9)
				if ch%2 == 1 {
					bias[ch] = -bias[ch]
				}
			}
			in := make([]byte, side*side*c+guard)
			for i := range side * side * c {
				in[i] = xFar
			}
			want := refDepthwise(p, in[:side*side*c], filter, bias, signed)
			for _, b := range Available() {
				d, err := NewDWConv(p, signed, filter, bias, b)
				if err != nil {
					t.Fatalf("%s at the limit on %s: %v", name, b, err)
				}
				padded := make([]byte, d.PaddedSize()+guard)
				d.Pad(in, padded, 0, d.PaddedRows())
				out := make([]byte, len(want))
				d.Run(padded, out, 0, side)
				if string(out) != string(want) {
					t.Errorf("%s at the limit on %s:\n got %v\nwant %v", name, b, out, want)
				}
				if d.Direct() {
					clear(out)
					d.RunDirect(in, out, 0, side)
					if string(out) != string(want) {
						t.Errorf("%s at the limit on %s, direct:\n got %v\nwant %v", name, b, out, want)
					}
				}
			}
			bias[0]++
			if _, err := NewDWConv(p, signed, filter, bias, Generic); !errors.Is(err, ErrSumRange) {
				t.Errorf("%s one past the limit: NewDWConv gave %v, want ErrSumRange", name, err)
			}
		}
	}
}
