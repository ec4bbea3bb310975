package kernels

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/classifly/classifly/internal/testkit"
)

// TestDWConvAllBackends proves every backend's depthwise convolution equal
// to the reference DepthwiseConv on random shapes: channel counts around
// the 16-lane groups, strides, dilations, SAME-style padding, both types.
func TestDWConvAllBackends(t *testing.T) {
	r := testkit.SeededRand(t)
	for _, b := range Available() {
		for i := range 600 {
			signed := i%2 == 1
			// Around the 16-lane groups and the 16-, 32- and 64-channel
			// blocks of the VNNI kernels; 32 twice, for the AVX-512 kernel
			// of 32-channel layers at stride 1, which takes only int8 3×3
			// layers without dilation or left shifts.
			c := []int{1, 3, 15, 16, 17, 32, 32, 33, 48, 63, 64, 65, 96, 100, 144}[r.IntN(15)]
			k := []int{1, 3, 3, 5}[r.IntN(4)]
			stride, dil := 1+r.IntN(2), 1+r.IntN(3)/2
			inH, inW := 1+r.IntN(9), 1+r.IntN(9)
			if i%7 == 0 { // rows longer than the kernels' unrolled steps
				inW = 10 + r.IntN(30)
			}
			eff := (k-1)*dil + 1
			outH, outW := (inH+stride-1)/stride, (inW+stride-1)/stride
			p := &ConvParams{Batch: 1 + r.IntN(2), InH: inH, InW: inW, InC: c, OutH: outH, OutW: outW, OutC: c, KH: k, KW: k,
				StrideH: stride, StrideW: stride, DilationH: dil, DilationW: dil, DepthMultiplier: 1,
				PadH: max((outH-1)*stride+eff-inH, 0) / 2, PadW: max((outW-1)*stride+eff-inW, 0) / 2}
			filter := randBytes(r, k*k*c)
			bias := make([]int32, c)
			p.Mult, p.Shift = make([]int32, c), make([]int, c)
			// A quarter of the cases with left shifts, which take other
			// kernels (see randomMultipliers).
			lshift := r.IntN(4) == 0
			randomMultipliers(r, p.Mult, p.Shift, lshift)
			for ch := range c {
				bias[ch] = int32(r.IntN(1<<14) - 1<<13)
			}
			randZeroPoints(r, p, filter, signed)
			if r.IntN(2) == 0 {
				p.ActMin = p.OutZP
			}
			if i%5 == 0 {
				unusualMultipliers(r, p.Mult, p.Shift, lshift)
			}
			in := randBytes(r, p.Batch*inH*inW*c)
			want := refDepthwise(p, in, filter, bias, signed)
			d, err := NewDWConv(p, signed, filter, bias, b)
			if err != nil {
				t.Fatal(err)
			}
			padded := make([]byte, d.PaddedSize()+guard)
			d.Pad(in, padded, 0, d.PaddedRows())
			const sentinel = 0x5A
			out := bytes.Repeat([]byte{sentinel}, len(want)+2*guard)
			d.Run(padded, out[guard:], 0, p.Batch*outH)
			for j := range guard {
				if out[j] != sentinel || out[len(out)-1-j] != sentinel {
					t.Fatalf("%s: wrote outside the output (%+v)", b, *p)
				}
			}
			if got := out[guard : guard+len(want)]; !bytes.Equal(got, want) {
				t.Fatalf("%s signed=%v c=%d k=%d stride=%d dil=%d in %dx%d:\n got %v\nwant %v", b, signed, c, k, stride, dil, inH, inW, got, want)
			}
			if !d.Direct() {
				continue
			}
			out = bytes.Repeat([]byte{sentinel}, len(want)+2*guard)
			// In two calls, as threads split the rows.
			rows, split := p.Batch*outH, r.IntN(p.Batch*outH+1)
			d.RunDirect(append(in, make([]byte, guard)...), out[guard:], 0, split)
			d.RunDirect(append(in, make([]byte, guard)...), out[guard:], split, rows)
			for j := range guard {
				if out[j] != sentinel || out[len(out)-1-j] != sentinel {
					t.Fatalf("%s direct: wrote outside the output (%+v)", b, *p)
				}
			}
			if got := out[guard : guard+len(want)]; !bytes.Equal(got, want) {
				t.Fatalf("%s direct signed=%v c=%d k=%d stride=%d dil=%d in %dx%d:\n got %v\nwant %v", b, signed, c, k, stride, dil, inH, inW, got, want)
			}
		}
	}
}

// TestDWConvLeftShifts runs 3×3 layers whose channels all shift left by
// 0 to 9 bits, with weights at the ends of their range: the AVX2 direct
// kernel carries the shift in its int16 weights, and must leave the
// layers where they would not fit to the padded kernel.
func TestDWConvLeftShifts(t *testing.T) {
	r := testkit.SeededRand(t)
	for _, b := range Available() {
		for l := range 10 {
			for _, signed := range []bool{false, true} {
				c, stride := 16+r.IntN(24), 1+r.IntN(2)
				inH, inW := 1+r.IntN(6), 1+r.IntN(12)
				outH, outW := (inH+stride-1)/stride, (inW+stride-1)/stride
				p := &ConvParams{Batch: 1, InH: inH, InW: inW, InC: c, OutH: outH, OutW: outW, OutC: c, KH: 3, KW: 3,
					StrideH: stride, StrideW: stride, DilationH: 1, DilationW: 1, DepthMultiplier: 1,
					PadH: max((outH-1)*stride+3-inH, 0) / 2, PadW: max((outW-1)*stride+3-inW, 0) / 2}
				filter := randBytes(r, 9*c)
				for j := range filter {
					if r.IntN(2) == 0 {
						filter[j] = []byte{0, 0x81, 0x7F, 0xFF}[r.IntN(4)]
					}
				}
				bias := make([]int32, c)
				p.Mult, p.Shift = make([]int32, c), make([]int, c)
				for ch := range c {
					bias[ch] = int32(r.IntN(1<<10) - 1<<9)
					p.Mult[ch], p.Shift[ch] = int32(1<<30+r.IntN(1<<30)), l
				}
				randZeroPoints(r, p, filter, signed)
				if !signed {
					p.FilterZP = 0 // weights up to 255
				}
				in := randBytes(r, inH*inW*c)
				want := refDepthwise(p, in, filter, bias, signed)
				d, err := NewDWConv(p, signed, filter, bias, b)
				if err != nil {
					t.Fatal(err)
				}
				padded := make([]byte, d.PaddedSize()+guard)
				d.Pad(in, padded, 0, d.PaddedRows())
				out := make([]byte, len(want))
				d.Run(padded, out, 0, outH)
				if !bytes.Equal(out, want) {
					t.Fatalf("%s signed=%v left shift %d:\n got %v\nwant %v", b, signed, l, out, want)
				}
				if !d.Direct() {
					continue
				}
				clear(out)
				d.RunDirect(append(in, make([]byte, guard)...), out, 0, outH)
				if !bytes.Equal(out, want) {
					t.Fatalf("%s direct signed=%v left shift %d:\n got %v\nwant %v", b, signed, l, out, want)
				}
			}
		}
	}
}

// TestAdderAllBackends proves every backend's ADD equal to the reference on
// lengths around the 16-lane vectors, with random scales.
func TestAdderAllBackends(t *testing.T) {
	r := testkit.SeededRand(t)
	for _, b := range Available() {
		for i := range 200 {
			signed := i%2 == 1
			n := []int{1, 5, 15, 16, 17, 31, 32, 33, 100, 1000}[r.IntN(10)]
			lo, hi := int32(0), int32(255)
			if signed {
				lo, hi = -128, 127
			}
			s1, s2, so := 0.01+r.Float32()/10, 0.01+r.Float32()/10, 0.01+r.Float32()/5
			if i%8 == 0 { // an input scale so small that its shift is -31, or flushes to 0
				s1 = s2 * float32(math.Ldexp(1+r.Float64(), -31-r.IntN(2)))
			}
			p := NewAddParams(s1, lo+int32(r.IntN(256)), s2, lo+int32(r.IntN(256)), so, lo+int32(r.IntN(256)), lo, hi)
			if r.IntN(2) == 0 {
				p.ActMin = p.OutZP
			}
			if i%8 == 4 { // parameters NewAddParams never gives: the general kernels
				unusualAddParams(r, p)
			}
			if i%8 == 6 && p.In1Mult == addHalf && p.In1Shift == 0 { // split form, multiplier in [1/2, 1)
				p.In2Mult, p.In2Shift = quantizeMultiplier(0.5 + r.Float64()/2)
			}
			x, y := randBytes(r, n), randBytes(r, n)
			want := refAdd(p, x, y, signed)
			out := make([]byte, n+guard)
			NewAdder(p, signed, b).Run(x, y, out[:n])
			if !bytes.Equal(out[:n], want) {
				t.Fatalf("%s signed=%v n=%d:\n got %v\nwant %v", b, signed, n, out[:n], want)
			}
			for _, v := range out[n:] {
				if v != 0 {
					t.Fatalf("%s: wrote past the output", b)
				}
			}
		}
	}
}

// unusualAddParams changes p to parameters outside the
// split form (addSplitParams) that TFLite's recipe never gives: an input
// multiplier above 1/2 (a left shift), neither input at 1/2, an output
// rescale that shifts left, or another headroom than 20 bits.
func unusualAddParams(r *rand.Rand, p *AddParams) {
	switch r.IntN(4) {
	case 0:
		p.In1Mult, p.In1Shift = quantizeMultiplier(1 + r.Float64())
	case 1:
		p.In2Mult, p.In2Shift = quantizeMultiplier(0.1 + r.Float64()/3)
		p.In1Mult, p.In1Shift = quantizeMultiplier(0.1 + r.Float64()/3)
	case 2:
		p.OutMult, p.OutShift = quantizeMultiplier(1 + 3*r.Float64())
	case 3:
		p.LeftShift = []int{18, 19, 21}[r.IntN(3)]
	}
	if _, _, ok := addSplitParams(p, false); ok && p.OutShift <= 0 {
		panic(fmt.Sprintf("%+v still in split form", p))
	}
}

// randZeroPoints draws the zero points of a random depthwise case and
// clamps it to its type's range. Signed, it moves filter values off -128,
// which symmetric int8 weights never take.
func randZeroPoints(r *rand.Rand, p *ConvParams, filter []byte, signed bool) {
	lo := int32(0)
	if signed {
		lo = -128
		for j := range filter {
			if filter[j] == 0x80 {
				filter[j] = 0x81
			}
		}
		p.InZP = int32(r.IntN(256) - 128)
	} else {
		p.InZP, p.FilterZP = int32(r.IntN(256)), int32(r.IntN(256))
	}
	p.OutZP = lo + int32(r.IntN(256))
	p.ActMin, p.ActMax = lo, lo+255
}

// refDepthwise is the reference DepthwiseConv's output, for either type.
func refDepthwise(p *ConvParams, in, filter []byte, bias []int32, signed bool) []byte {
	want := make([]byte, p.Batch*p.OutH*p.OutW*p.OutC)
	if signed {
		DepthwiseConv(p, View[int8](in), View[int8](filter), bias, View[int8](want))
	} else {
		DepthwiseConv(p, in, filter, bias, want)
	}
	return want
}

// refAdd is the reference Add's output, for either type.
func refAdd(p *AddParams, x, y []byte, signed bool) []byte {
	want := make([]byte, len(x))
	if signed {
		Add(p, View[int8](x), View[int8](y), View[int8](want))
	} else {
		Add(p, x, y, want)
	}
	return want
}

func randBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.IntN(256))
	}
	return b
}
