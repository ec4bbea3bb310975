package kernels

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// FuzzBackends is a differential fuzz test: the fuzzer picks the shapes,
// quantization and data (through a seed and a few size bytes), and every
// backend's GEMM, depthwise and direct convolution and ADD must give the reference
// kernels' bytes.
func FuzzBackends(f *testing.F) {
	f.Add(uint64(1), uint8(4), uint8(16), uint8(27), false)
	f.Add(uint64(2), uint8(5), uint8(65), uint8(161), true)
	f.Add(uint64(3), uint8(1), uint8(1), uint8(1), true)
	f.Add(uint64(4), uint8(9), uint8(24), uint8(96), false)
	f.Fuzz(func(t *testing.T, seed uint64, m, n, k uint8, signed bool) {
		r := rand.New(rand.NewPCG(seed, 5))
		mm, nn, kk := 1+int(m)%17, 1+int(n)%130, 1+int(k)%200
		c := randomGEMM(r, mm, nn, kk, signed)
		if m%2 == 1 { // weights as trained layers have them (see narrowed)
			c = c.narrowed(r, 1+int(seed%127))
		}
		if seed%3 == 0 {
			unusualMultipliers(r, c.spec.Mult, c.spec.Shift, seed%2 == 0)
			c.reference()
		}
		for _, b := range Available() {
			g, err := NewGEMM(c.spec, b)
			if err != nil {
				t.Fatal(err)
			}
			out := make([]byte, len(c.want)+guard)
			g.Run(c.a, c.lda, 0, c.m, out, c.ldc)
			for row := range c.m {
				if got, want := out[row*c.ldc:row*c.ldc+nn], c.want[row*c.ldc:row*c.ldc+nn]; !bytes.Equal(got, want) {
					t.Fatalf("%s GEMM m=%d n=%d k=%d signed=%v row %d:\n got %v\nwant %v", b, mm, nn, kk, signed, row, got, want)
				}
			}
		}

		// Depthwise: channels from n, spatial size from m, stride from k.
		ch, hw, stride := 1+int(n)%160, 1+int(m)%9, 1+int(k)%2
		p := &ConvParams{Batch: 1, InH: hw, InW: hw, InC: ch, OutC: ch, KH: 3, KW: 3, StrideH: stride, StrideW: stride,
			DilationH: 1, DilationW: 1, DepthMultiplier: 1}
		p.OutH, p.OutW = (hw+stride-1)/stride, (hw+stride-1)/stride
		p.PadH = max((p.OutH-1)*stride+3-hw, 0) / 2
		p.PadW = p.PadH
		p.Mult, p.Shift = make([]int32, ch), make([]int, ch)
		bias := make([]int32, ch)
		lshift := seed%4 == 1
		randomMultipliers(r, p.Mult, p.Shift, lshift)
		for i := range ch {
			bias[i] = int32(r.IntN(4096) - 2048)
		}
		if seed%3 == 0 {
			unusualMultipliers(r, p.Mult, p.Shift, lshift)
		}
		filter := randBytes(r, 9*ch)
		randZeroPoints(r, p, filter, signed)
		in := randBytes(r, hw*hw*ch)
		want := refDepthwise(p, in, filter, bias, signed)
		for _, b := range Available() {
			d, err := NewDWConv(p, signed, filter, bias, b)
			if err != nil {
				t.Fatal(err)
			}
			padded := make([]byte, d.PaddedSize()+guard)
			d.Pad(in, padded, 0, d.PaddedRows())
			out := make([]byte, len(want)+guard)
			d.Run(padded, out, 0, p.OutH)
			if !bytes.Equal(out[:len(want)], want) {
				t.Fatalf("%s depthwise c=%d hw=%d stride=%d signed=%v:\n got %v\nwant %v", b, ch, hw, stride, signed, out[:len(want)], want)
			}
			if d.Direct() {
				d.RunDirect(append(in, make([]byte, guard)...), out, 0, p.OutH)
				if !bytes.Equal(out[:len(want)], want) {
					t.Fatalf("%s direct depthwise c=%d hw=%d stride=%d signed=%v:\n got %v\nwant %v", b, ch, hw, stride, signed, out[:len(want)], want)
				}
			}
		}

		// Direct convolution (first layers): input channels, filter,
		// stride, size, padding and the row split from the size bytes.
		inC := 1 + int(k)%4
		kh, kw := 1+int(m)%3, 1+int(n)%3
		for kw*inC > 12 {
			kw--
		}
		dc := randomDirectConv(r, inC, kh, kw, 1+int(k/4)%3, 1+int(m)%11, 1+int(n)%50, seed%2 == 0, signed, m%5 == 0)
		for _, b := range Available() {
			dc.check(t, b, []int{int(k) % (dc.p.Batch*dc.p.OutH + 1)})
		}

		// ADD over n·m elements.
		cnt := 1 + int(n)*(1+int(m)%4)
		lo, hi := p.ActMin, p.ActMax // the type's range
		ap := NewAddParams(0.01+r.Float32()/8, lo+int32(r.IntN(256)), 0.01+r.Float32()/8, lo+int32(r.IntN(256)), 0.01+r.Float32()/4, lo+int32(r.IntN(256)), lo, hi)
		x, y := randBytes(r, cnt), randBytes(r, cnt)
		wantAdd := refAdd(ap, x, y, signed)
		for _, b := range Available() {
			got := make([]byte, cnt)
			NewAdder(ap, signed, b).Run(x, y, got)
			if !bytes.Equal(got, wantAdd) {
				t.Fatalf("%s ADD n=%d signed=%v:\n got %v\nwant %v", b, cnt, signed, got, wantAdd)
			}
		}
	})
}
