//go:build !purego

package kernels

import (
	"bytes"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/classifly/classifly/internal/testkit"
)

// TestDWConvAVXVNNI proves the 3×3 depthwise shapes that the AVX-VNNI
// backend runs with dwconv3x3AVXVNNIPair (and the AVX2 direct kernel at
// the edges) or, without a fused ReLU, dwconv3x3AVXVNNI (int8) equal to
// the reference on every backend, for int8 and uint8: channel counts
// around the 16-channel blocks, rows longer than the unrolled steps, both
// strides, padding on either side or none, rows split between calls, zero
// points, multipliers, weights and clamps at their extremes. Under
// AVX-VNNI it also checks that int8 layers take one of those kernels and
// that the pair kernel ran.
func TestDWConvAVXVNNI(t *testing.T) {
	r := testkit.SeededRand(t)
	pairs := 0
	for k := range 480 {
		i, signed := k%240, k < 240
		c := []int{16, 17, 24, 31, 32, 33, 48, 100, 144}[i%9]
		stride := 1 + i/9%2
		inH, inW := 1+r.IntN(6), 1+r.IntN(8)
		if i%3 == 0 {
			inW = 30 + r.IntN(90)
		}
		pad := i / 18 % 3 // SAME, VALID, SAME with the extra row/column first
		outH, outW := (inH+stride-1)/stride, (inW+stride-1)/stride
		p := &ConvParams{Batch: 1 + r.IntN(2), InH: inH, InW: inW, InC: c, OutC: c, KH: 3, KW: 3,
			StrideH: stride, StrideW: stride, DilationH: 1, DilationW: 1, DepthMultiplier: 1}
		switch pad {
		case 1:
			outH, outW = (inH-3)/stride+1, (inW-3)/stride+1
			if outH < 1 || outW < 1 {
				continue
			}
		default:
			p.PadH, p.PadW = max((outH-1)*stride+3-inH, 0)/2, max((outW-1)*stride+3-inW, 0)/2
			if pad == 2 {
				p.PadH, p.PadW = min(max((outH-1)*stride+3-inH, 0), 1), min(max((outW-1)*stride+3-inW, 0), 1)
			}
		}
		p.OutH, p.OutW = outH, outW
		filter := randBytes(r, 9*c)
		lo := int32(0)
		if signed {
			lo = -128
		}
		bias := make([]int32, c)
		p.Mult, p.Shift = make([]int32, c), make([]int, c)
		for ch := range c {
			bias[ch] = int32(r.IntN(1<<16) - 1<<15)
			p.Mult[ch], p.Shift[ch] = quantizeMultiplier(float64(r.Float32()+0.01) * float64(uint(1)<<r.IntN(12)) / 4096)
			p.Shift[ch] = min(p.Shift[ch], 0)
		}
		randZeroPoints(r, p, filter, signed)
		switch i % 4 {
		case 0:
			p.InZP, p.OutZP = lo, lo+255
		case 1:
			p.InZP, p.OutZP = lo+255, lo
		}
		if r.IntN(3) != 0 { // a fused ReLU, sometimes ReLU6-like
			p.ActMin = p.OutZP
			if r.IntN(2) == 0 {
				p.ActMax = min(p.OutZP+int32(r.IntN(200)), lo+255)
			}
		}
		lshift := i%10 == 5 // falls back to the AVX2 kernel
		if i%5 == 0 {
			unusualMultipliers(r, p.Mult, p.Shift, lshift)
		}
		if i%7 == 0 { // the largest products
			for j := range filter {
				filter[j] = []byte{0x81, 0x7F}[r.IntN(2)]
				if !signed {
					filter[j] = []byte{0, 0xFF}[r.IntN(2)]
				}
			}
			if !signed && i%14 == 0 { // 255 - 0 has no split in two int8
				p.FilterZP = []int32{0, 1, 255}[r.IntN(3)]
			}
		}
		in := randBytes(r, p.Batch*inH*inW*c)
		want := refDepthwise(p, in, filter, bias, signed)
		for _, b := range Available() {
			d, err := NewDWConv(p, signed, filter, bias, b)
			if err != nil {
				t.Fatal(err)
			}
			if !d.Direct() {
				continue
			}
			if b == AVXVNNI && !lshift {
				name := runtime.FuncForPC(reflect.ValueOf(d.direct).Pointer()).Name()
				pair := strings.Contains(name, "preparePairAVXVNNI")
				if pair {
					pairs++
				} else if signed && !strings.Contains(name, "directAVXVNNI") {
					t.Fatalf("c=%d stride=%d pad=%d: the AVX-VNNI backend runs %s", c, stride, pad, name)
				}
			}
			out := bytes.Repeat([]byte{0x5A}, len(want)+2*guard)
			rows := p.Batch * outH
			split := r.IntN(rows + 1)
			src := append(slices.Clone(in), make([]byte, guard)...)
			d.RunDirect(src, out[guard:], 0, split)
			d.RunDirect(src, out[guard:], split, rows)
			for j := range guard {
				if out[j] != 0x5A || out[len(out)-1-j] != 0x5A {
					t.Fatalf("%s: wrote outside the output (%+v)", b, *p)
				}
			}
			if got := out[guard : guard+len(want)]; !bytes.Equal(got, want) {
				t.Fatalf("%s signed=%v i=%d c=%d stride=%d pad=%d in %dx%d zp %d/%d:\n got %v\nwant %v", b, signed, i, c, stride, pad, inH, inW, p.InZP, p.OutZP, got, want)
			}
		}
	}
	if slices.Contains(Available(), AVXVNNI) && pairs < 100 {
		t.Fatalf("dwconv3x3AVXVNNIPair ran in %d cases only", pairs)
	}
}
