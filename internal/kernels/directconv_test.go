package kernels

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/classifly/classifly/internal/testkit"
)

// directConvCase is a random convolution of the shapes DirectConv takes:
// few input channels, filters up to 3×3, any stride, SAME or VALID.
type directConvCase struct {
	p      *ConvParams
	signed bool
	filter []byte
	bias   []int32
	in     []byte // followed by guard readable bytes
	want   []byte
}

// randomDirectConv draws a case with c input channels, a kh×kw filter,
// stride s, an input h×w, and SAME padding or VALID. Its uint8 weights lie
// within a signed byte of their zero point, as the direct kernels need,
// unless wide.
func randomDirectConv(r *rand.Rand, c, kh, kw, s, h, w int, same, signed, wide bool) *directConvCase {
	const outC = 32
	p := &ConvParams{Batch: 1 + r.IntN(2), InH: h, InW: w, InC: c, OutC: outC, KH: kh, KW: kw,
		StrideH: s, StrideW: s, DilationH: 1, DilationW: 1}
	if same {
		p.OutH, p.OutW = (h+s-1)/s, (w+s-1)/s
		p.PadH, p.PadW = max((p.OutH-1)*s+kh-h, 0)/2, max((p.OutW-1)*s+kw-w, 0)/2
	} else {
		p.OutH, p.OutW = max((h-kh)/s+1, 1), max((w-kw)/s+1, 1)
	}
	filter := randBytes(r, outC*kh*kw*c)
	bias := make([]int32, outC)
	p.Mult, p.Shift = make([]int32, outC), make([]int, outC)
	for ch := range outC {
		bias[ch] = int32(r.IntN(1<<16) - 1<<15)
		p.Mult[ch], p.Shift[ch] = quantizeMultiplier(float64(r.Float32()+0.01) * float64(uint(1)<<r.IntN(12)) / 8192)
	}
	randZeroPoints(r, p, filter, signed)
	if !signed && !wide {
		for i := range filter {
			filter[i] = byte(min(max(int(p.FilterZP)+r.IntN(256)-128, 0), 255))
		}
	}
	if r.IntN(2) == 0 {
		p.ActMin = p.OutZP
	}
	if r.IntN(4) == 0 {
		unusualMultipliers(r, p.Mult, p.Shift, r.IntN(2) == 0)
	}
	in := randBytes(r, p.Batch*h*w*c+guard)
	dc := &directConvCase{p: p, signed: signed, filter: filter, bias: bias, in: in[:len(in)-guard]}
	dc.reference()
	return dc
}

// reference computes the case's expected output with Conv.
func (dc *directConvCase) reference() {
	p := dc.p
	dc.want = make([]byte, p.Batch*p.OutH*p.OutW*p.OutC)
	if dc.signed {
		Conv(p, View[int8](dc.in), View[int8](dc.filter), dc.bias, View[int8](dc.want))
	} else {
		Conv(p, dc.in, dc.filter, dc.bias, dc.want)
	}
}

// extreme moves the zero points, and some weights and inputs, to the ends
// of their ranges (int8 weights to ±127, as TFLite's), where the sums and
// the folded bias are largest.
func (dc *directConvCase) extreme(r *rand.Rand) {
	p := dc.p
	lo, hi := byte(0), byte(255)
	if dc.signed {
		lo, hi = 0x80, 0x7F
	} else {
		p.FilterZP = int32(r.IntN(2)) * 255
	}
	p.InZP = int32(int8(lo))
	if !dc.signed {
		p.InZP = 0
	}
	if r.IntN(2) == 0 {
		p.InZP = int32(int8(hi))
		if !dc.signed {
			p.InZP = 255
		}
	}
	for i := range dc.filter {
		if r.IntN(2) == 0 {
			dc.filter[i] = [2]byte{lo, hi}[r.IntN(2)]
			if dc.signed && dc.filter[i] == 0x80 {
				dc.filter[i] = 0x81
			}
		}
	}
	for i := range dc.in {
		if r.IntN(2) == 0 {
			dc.in[i] = [2]byte{lo, hi}[r.IntN(2)]
		}
	}
	dc.reference()
}

func (dc *directConvCase) String() string {
	p := dc.p
	return fmt.Sprintf("signed=%v batch %d in %dx%dx%d filter %dx%d stride %d pad %d,%d out %dx%d",
		dc.signed, p.Batch, p.InH, p.InW, p.InC, p.KH, p.KW, p.StrideH, p.PadH, p.PadW, p.OutH, p.OutW)
}

// check runs the case's DirectConv for backend b, if it has one, in the
// row ranges split gives, and compares it with the reference, with guard
// bytes around the output that must stay untouched.
func (dc *directConvCase) check(t *testing.T, b Backend, split []int) {
	t.Helper()
	d, err := NewDirectConv(dc.p, dc.signed, dc.filter, dc.bias, b)
	if err != nil {
		t.Fatal(err)
	}
	if d == nil {
		return
	}
	const sentinel = 0x5A
	out := bytes.Repeat([]byte{sentinel}, len(dc.want)+2*guard)
	rows := dc.p.Batch * dc.p.OutH
	lo := 0
	for _, hi := range append(split, rows) {
		d.Run(dc.in[:len(dc.in):len(dc.in)+guard], out[guard:], lo, min(hi, rows))
		lo = min(hi, rows)
	}
	for j := range guard {
		if out[j] != sentinel || out[len(out)-1-j] != sentinel {
			t.Fatalf("%s %v: wrote outside the output", b, dc)
		}
	}
	if got := out[guard : guard+len(dc.want)]; !bytes.Equal(got, dc.want) {
		for i := range got {
			if got[i] != dc.want[i] {
				t.Fatalf("%s %v: output byte %d (pixel %d channel %d) is %d, want %d", b, dc, i, i/32, i%32, got[i], dc.want[i])
			}
		}
	}
}

// TestDirectConvAllBackends proves every backend's direct convolution equal
// to the reference Conv: 1 to 4 input channels, filters 1×1 to 3×3, strides
// 1 to 3, SAME and VALID, widths 1 to 40 (odd and even pixel counts for the
// kernels' pairs, windows on both borders) and some up to 1500 (rows in
// several calls of the pair kernels), uint8 weights within a signed byte
// of their zero point or not (the quad and the pair kernels), zero points
// and data at the ends of their ranges, rows split as threads split them.
func TestDirectConvAllBackends(t *testing.T) {
	r := testkit.SeededRand(t)
	for _, b := range Available() {
		for i := range 440 {
			c := 1 + r.IntN(4)
			kh, kw := 1+r.IntN(3), 1+r.IntN(3)
			for kw*c > 12 {
				kw--
			}
			s := 1 + r.IntN(3)
			h, w := 1+r.IntN(9), 1+r.IntN(40)
			if i >= 400 {
				h, w = 1+r.IntN(3), 300+r.IntN(1200)
			}
			dc := randomDirectConv(r, c, kh, kw, s, h, w, r.IntN(2) == 0, i%2 == 0, i%7 == 0)
			if i%5 == 0 {
				dc.extreme(r)
			}
			rows := dc.p.Batch * dc.p.OutH
			dc.check(t, b, []int{r.IntN(rows + 1)})
		}
	}
}

// directBackend says whether backend b has a direct convolution kernel.
func directBackend(b Backend) bool {
	return b == AVX2 || b == AVXVNNI || b == AVX512VNNI
}

// TestDirectConvMobileNet checks MobileNet's first layer, 224×224×3 to
// 112×112×32 by a 3×3 stride-2 SAME filter, and its odd-sized twin whose
// padding falls on both sides, on every backend, with uint8 weights near
// their zero point and anywhere (as in mobilenet_v2_1.0_224_quant). Every
// amd64 backend must take them all.
func TestDirectConvMobileNet(t *testing.T) {
	r := testkit.SeededRand(t)
	for _, mode := range []struct{ signed, wide bool }{{false, false}, {false, true}, {true, false}} {
		for _, hw := range []int{224, 225} {
			dc := randomDirectConv(r, 3, 3, 3, 2, hw, hw, true, mode.signed, mode.wide)
			for _, b := range Available() {
				d, err := NewDirectConv(dc.p, dc.signed, dc.filter, dc.bias, b)
				if err != nil {
					t.Fatal(err)
				}
				if d == nil && directBackend(b) {
					t.Errorf("%s did not take %v", b, dc)
				}
				dc.check(t, b, []int{dc.p.OutH / 2})
			}
		}
	}
}

// BenchmarkDirectConv runs MobileNet's first layer (224×224×3 to
// 112×112×32, 3×3 stride 2, SAME) on every backend with a direct kernel:
// uint8 with weights near their zero point (quads) and anywhere (pairs, as
// mobilenet_v2_1.0_224_quant), and int8.
func BenchmarkDirectConv(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, mode := range []struct{ signed, wide bool }{{false, false}, {false, true}, {true, false}} {
		signed := mode.signed
		dc := randomDirectConv(r, 3, 3, 3, 2, 224, 224, true, signed, mode.wide)
		dc.p.Batch = 1
		out := make([]byte, dc.p.OutH*dc.p.OutW*dc.p.OutC)
		in := make([]byte, 224*224*3+MaxOverread)[:224*224*3]
		for _, be := range Available() {
			d, err := NewDirectConv(dc.p, signed, dc.filter, dc.bias, be)
			if err != nil {
				b.Fatal(err)
			}
			if d == nil {
				continue
			}
			b.Run(fmt.Sprintf("%s/signed=%v/wide=%v", be, signed, mode.wide), func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(out)))
				for b.Loop() {
					d.Run(in, out, 0, dc.p.OutH)
				}
			})
		}
	}
}
