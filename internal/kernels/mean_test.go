package kernels

import (
	"testing"

	"github.com/classifly/classifly/internal/testkit"
)

// TestSumPixels checks the word-lane sums against a plain per-channel loop,
// both types, with pixel counts past the 256-pixel blocks, channel counts
// past the 256 groups of eight and not a multiple of eight, and extreme
// values (every byte 0x00 or 0xFF carries furthest in a lane).
func TestSumPixels(t *testing.T) {
	r := testkit.SeededRand(t)
	for i := range 120 {
		pixels := []int{0, 1, 3, 4, 5, 49, 255, 256, 257, 600}[r.IntN(10)]
		c := []int{1, 7, 8, 9, 16, 100, 1280, 2047, 2048, 2049, 2100}[r.IntN(11)]
		in := randBytes(r, pixels*c)
		switch i % 4 {
		case 1:
			Fill(in, 0xFF)
		case 2:
			Fill(in, 0x00)
		}
		check := func(got []int32, value func(j int) int32, kind string) {
			for ch := range c {
				var want int32
				for px := range pixels {
					want += value(px*c + ch)
				}
				if got[ch] != want {
					t.Fatalf("%s pixels=%d c=%d: channel %d sums to %d, want %d", kind, pixels, c, ch, got[ch], want)
				}
			}
		}
		acc := make([]int32, c)
		for j := range acc {
			acc[j] = 12345 // overwritten, not added to
		}
		sumPixels(in, pixels, c, c, acc)
		check(acc, func(j int) int32 { return int32(in[j]) }, "uint8")
		signed := View[int8](in)
		sumPixels(signed, pixels, c, c, acc)
		check(acc, func(j int) int32 { return int32(signed[j]) }, "int8")
	}
}

// TestMeanHWFast proves the memory-order mean equal to MeanHW, both types,
// whole and as MeanHWChannels over random pieces of the channels (as
// workers share them).
func TestMeanHWFast(t *testing.T) {
	r := testkit.SeededRand(t)
	for range 100 {
		batch, h, w, c := 1+r.IntN(2), 1+r.IntN(20), 1+r.IntN(20), 1+r.IntN(300)
		inScale, outScale := 0.01+r.Float32(), 0.01+r.Float32()
		inZP, outZP := int32(r.IntN(256)), int32(r.IntN(256))
		in := randBytes(r, batch*h*w*c)
		acc := make([]int32, c)
		for _, signed := range []bool{false, true} {
			zi, zo := inZP, outZP
			if signed {
				zi, zo = zi-128, zo-128
			}
			p := NewMeanHWParams(signed, batch, h, w, c, inScale, zi, outScale, zo)
			want, got, pieces := make([]byte, batch*c), make([]byte, batch*c), make([]byte, batch*c)
			var cuts []int
			for c0 := 0; c0 < c; {
				c1 := min(c, c0+1+r.IntN(c))
				cuts = append(cuts, c0, c1)
				c0 = c1
			}
			if signed {
				MeanHW(p, View[int8](in), View[int8](want))
				MeanHWFast(p, View[int8](in), View[int8](got), acc)
				for i := 0; i < len(cuts); i += 2 {
					MeanHWChannels(p, View[int8](in), View[int8](pieces), acc, cuts[i], cuts[i+1])
				}
			} else {
				MeanHW(p, in, want)
				MeanHWFast(p, in, got, acc)
				for i := 0; i < len(cuts); i += 2 {
					MeanHWChannels(p, in, pieces, acc, cuts[i], cuts[i+1])
				}
			}
			for j := range want {
				if got[j] != want[j] || pieces[j] != want[j] {
					t.Fatalf("signed=%v %dx%dx%dx%d: output %d is %d (in pieces %v: %d), want %d", signed, batch, h, w, c, j, got[j], cuts, pieces[j], want[j])
				}
			}
		}
	}
}
