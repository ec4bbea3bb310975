//go:build unix

package kernels

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime/debug"
	"syscall"
	"testing"

	"github.com/classifly/classifly/internal/testkit"
)

// fenced returns n bytes followed, after slack more, by an inaccessible
// page, so that a kernel reading or writing further faults. The test
// process is set to panic on faults, which the callers report.
func fenced(t *testing.T, n, slack int) []byte {
	t.Helper()
	page := os.Getpagesize()
	size := (n+slack+page-1)/page*page + page
	mem, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Skipf("mmap: %v", err)
	}
	t.Cleanup(func() { syscall.Munmap(mem) })
	if err := syscall.Mprotect(mem[size-page:], syscall.PROT_NONE); err != nil {
		t.Skipf("mprotect: %v", err)
	}
	end := size - page - slack
	return mem[end-n : end : end]
}

// noFault runs f, turning a memory fault into a test failure named by what.
func noFault(t *testing.T, what func() string, f func()) {
	t.Helper()
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if e := recover(); e != nil {
			t.Fatalf("%s: %v", what(), e)
		}
	}()
	f()
}

// dwconvSlack is how far past the padded input each depthwise backend
// reads (see MaxOverread).
var dwconvSlack = map[Backend]int{AVX512VNNI: dwconvOverread}

// TestKernelsStayInBounds runs every backend on data that ends at an
// inaccessible page: GEMM may read gemmOverread bytes past its last row,
// depthwise dwconvSlack past its padded input, nothing else reads past
// its slices, and nothing writes past them. Sizes step through every
// residue of the vector widths (K mod 8 and 16, channels mod 8 and 16).
func TestKernelsStayInBounds(t *testing.T) {
	r := testkit.SeededRand(t)
	for _, b := range Available() {
		t.Run(b.String(), func(t *testing.T) {
			for _, m := range []int{1, 3, 5} {
				for _, n := range []int{1, 9, 17, 40} {
					for k := 1; k <= 34; k++ {
						c := randomGEMM(r, m, n, k, (m+n+k)%2 == 1)
						a := fenced(t, m*k, gemmOverread)
						for row := range m {
							copy(a[row*k:], c.a[row*c.lda:row*c.lda+k])
						}
						out := fenced(t, (m-1)*c.ldc+n, 0)
						g, err := NewGEMM(c.spec, b)
						if err != nil {
							t.Fatal(err)
						}
						what := func() string { return fmt.Sprintf("GEMM m=%d n=%d k=%d", m, n, k) }
						noFault(t, what, func() { g.Run(a, k, 0, m, out, c.ldc) })
						for row := range m {
							if got, want := out[row*c.ldc:row*c.ldc+n], c.want[row*c.ldc:row*c.ldc+n]; !bytes.Equal(got, want) {
								t.Fatalf("%s row %d:\n got %v\nwant %v", what(), row, got, want)
							}
						}
					}
				}
			}
			for c := 1; c <= 40; c++ {
				p, in, filter, bias, want, signed := randomDWConv(r, c)
				d, err := NewDWConv(p, signed, filter, bias, b)
				if err != nil {
					t.Fatal(err)
				}
				padded := fenced(t, d.PaddedSize(), dwconvSlack[b])
				d.Pad(in, padded, 0, d.PaddedRows())
				out := fenced(t, len(want), 0)
				what := func() string { return fmt.Sprintf("DWConv c=%d %+v", c, *p) }
				noFault(t, what, func() { d.Run(padded, out, 0, p.Batch*p.OutH) })
				if !bytes.Equal(out, want) {
					t.Fatalf("%s:\n got %v\nwant %v", what(), out, want)
				}
				if d.Direct() {
					fin := fenced(t, len(in), dwconvSlack[b])
					copy(fin, in)
					out := fenced(t, len(want), 0)
					noFault(t, what, func() { d.RunDirect(fin, out, 0, p.Batch*p.OutH) })
					if !bytes.Equal(out, want) {
						t.Fatalf("%s direct:\n got %v\nwant %v", what(), out, want)
					}
				}
			}
			for n := 1; n <= 50; n++ {
				signed := n%2 == 0
				lo := int32(0)
				if signed {
					lo = -128
				}
				p := NewAddParams(0.01+r.Float32()/10, lo+int32(r.IntN(256)), 0.01+r.Float32()/10, lo+int32(r.IntN(256)), 0.01+r.Float32()/5, lo+int32(r.IntN(256)), lo, lo+255)
				x, y := fenced(t, n, 0), fenced(t, n, 0)
				copy(x, randBytes(r, n))
				copy(y, randBytes(r, n))
				want := refAdd(p, x, y, signed)
				out := fenced(t, n, 0)
				what := func() string { return fmt.Sprintf("Adder n=%d", n) }
				noFault(t, what, func() { NewAdder(p, signed, b).Run(x, y, out) })
				if !bytes.Equal(out, want) {
					t.Fatalf("%s:\n got %v\nwant %v", what(), out, want)
				}
			}
		})
	}
}

// randomDWConv is a random depthwise convolution with c channels, 3×3 or
// 5×5, stride 1 or 2, padded, of either type, and its reference output.
func randomDWConv(r *rand.Rand, c int) (p *ConvParams, in, filter []byte, bias []int32, want []byte, signed bool) {
	signed = r.IntN(2) == 1
	k := []int{1, 3, 5}[r.IntN(3)]
	stride := 1 + r.IntN(2)
	inH, inW := 1+r.IntN(6), 1+r.IntN(6)
	outH, outW := (inH+stride-1)/stride, (inW+stride-1)/stride
	p = &ConvParams{Batch: 1, InH: inH, InW: inW, InC: c, OutH: outH, OutW: outW, OutC: c, KH: k, KW: k,
		StrideH: stride, StrideW: stride, DilationH: 1, DilationW: 1, DepthMultiplier: 1,
		PadH: max((outH-1)*stride+k-inH, 0) / 2, PadW: max((outW-1)*stride+k-inW, 0) / 2}
	filter = randBytes(r, k*k*c)
	bias = make([]int32, c)
	p.Mult, p.Shift = make([]int32, c), make([]int, c)
	// A quarter with left shifts, which take other kernels (the AVX-512
	// 16-channel one, with its over-read).
	randomMultipliers(r, p.Mult, p.Shift, r.IntN(4) == 0)
	for ch := range c {
		bias[ch] = int32(r.IntN(1<<14) - 1<<13)
	}
	randZeroPoints(r, p, filter, signed)
	in = randBytes(r, inH*inW*c)
	return p, in, filter, bias, refDepthwise(p, in, filter, bias, signed), signed
}

// TestShortSlicesPanic: a slice shorter than the rows asked for panics on
// every backend instead of letting the assembly write or read past it.
func TestShortSlicesPanic(t *testing.T) {
	r := testkit.SeededRand(t)
	panics := func(f func()) (p bool) {
		defer func() { p = recover() != nil }()
		f()
		return false
	}
	for _, b := range Available() {
		t.Run(b.String(), func(t *testing.T) {
			for _, rows := range []int{0, 1} { // the block kernels and the one-row kernel
				c := randomGEMM(r, 1, 40, 64, true)
				c.spec.Rows = rows
				g, err := NewGEMM(c.spec, b)
				if err != nil {
					t.Fatal(err)
				}
				buf := make([]byte, 41)
				if !panics(func() { g.Run(c.a, c.lda, 0, 1, buf[:39:39], 40) }) {
					t.Errorf("GEMM (Rows %d): ran into a 39-byte output for 40 channels", rows)
				}
				if !panics(func() { g.Run(c.a[:63:63], c.lda, 0, 1, buf, 40) }) {
					t.Errorf("GEMM (Rows %d): ran on a 63-byte row for K 64", rows)
				}
			}
			for range 50 {
				p, in, filter, bias, want, signed := randomDWConv(r, 16*(1+r.IntN(3)))
				d, err := NewDWConv(p, signed, filter, bias, b)
				if err != nil {
					t.Fatal(err)
				}
				if !d.Direct() {
					continue
				}
				rows := p.Batch * p.OutH
				in = append(in, make([]byte, MaxOverread)...)
				short := make([]byte, len(want)-1)
				if !panics(func() { d.RunDirect(in, short, 0, rows) }) {
					t.Fatalf("DWConv.RunDirect: wrote %d bytes into a %d-byte slice", len(want), len(short))
				}
				if !panics(func() { d.RunDirect(in[:len(in)-MaxOverread-1], make([]byte, len(want)), 0, rows) }) {
					t.Fatalf("DWConv.RunDirect: read a short input")
				}
			}
		})
	}
}

// TestDWConvRowEdges runs every backend's 3×3 depthwise convolution over
// 32 channels, and over wider layers whose last block is one of 32, which
// the AVX-512 VNNI backend computes two pixels a vector
// (dwconv3x3VNNIs1x32p, dwconv3x3VNNIs2x32p), on every row width to 20
// with each padding left and right that the direct kernels take, and rows
// one column longer than the windows use: even and odd widths, the last
// pixel alone, with and without the padding column. The input and the
// output end at an inaccessible page (the input after the depthwise
// kernels' over-read), and the rows are split between two calls as
// threads split them.
func TestDWConvRowEdges(t *testing.T) {
	r := testkit.SeededRand(t)
	for _, b := range Available() {
		for _, c := range []int{16, 32, 33, 96} {
			for stride := 1; stride <= 2; stride++ {
				for inW := 1; inW <= 20; inW++ {
					for padW := range 2 {
						// The last window's right edge one column short of
						// the input's (over -1), at it, or on the padding.
						for over := -1; over <= 1; over++ {
							if (inW+padW+over-3)%stride != 0 || inW+padW+over < 3 {
								continue
							}
							for _, signed := range []bool{true, false} {
								rowEdgesCase(t, r, b, signed, c, stride, inW, padW, (inW+padW+over-3)/stride+1)
							}
						}
					}
				}
			}
		}
	}
}

// rowEdgesCase is one case of TestDWConvRowEdges.
func rowEdgesCase(t *testing.T, r *rand.Rand, b Backend, signed bool, c, stride, inW, padW, outW int) {
	inH := 1 + r.IntN(4)
	p := &ConvParams{Batch: 1 + r.IntN(2), InH: inH, InW: inW, InC: c, OutH: (inH-1)/stride + 1, OutW: outW, OutC: c, KH: 3, KW: 3,
		StrideH: stride, StrideW: stride, DilationH: 1, DilationW: 1, DepthMultiplier: 1, PadH: 1, PadW: padW}
	filter := randBytes(r, 9*c)
	bias := make([]int32, c)
	p.Mult, p.Shift = make([]int32, c), make([]int, c)
	for ch := range c {
		bias[ch] = int32(r.IntN(1<<14) - 1<<13)
	}
	// Right shifts only: a left shift would take the 16-channel kernel.
	randomMultipliers(r, p.Mult, p.Shift, false)
	if r.IntN(3) == 0 {
		unusualMultipliers(r, p.Mult, p.Shift, false)
	}
	randZeroPoints(r, p, filter, signed)
	in := randBytes(r, p.Batch*inH*inW*c)
	want := refDepthwise(p, in, filter, bias, signed)
	d, err := NewDWConv(p, signed, filter, bias, b)
	if err != nil {
		t.Fatal(err)
	}
	what := func() string { return fmt.Sprintf("%s DWConv signed=%v %+v", b, signed, *p) }
	padded := fenced(t, d.PaddedSize(), dwconvSlack[b])
	d.Pad(in, padded, 0, d.PaddedRows())
	out := fenced(t, len(want), 0)
	noFault(t, what, func() { d.Run(padded, out, 0, p.Batch*p.OutH) })
	if !bytes.Equal(out, want) {
		t.Fatalf("%s:\n got %v\nwant %v", what(), out, want)
	}
	if !d.Direct() {
		return
	}
	// With a left shift the 16-channel kernel reads past the input; the
	// pair kernels read whole columns, 32 bytes or more, so any read past
	// faults.
	fin := fenced(t, len(in), dwconvSlack[b])
	copy(fin, in)
	out = fenced(t, len(want), 0)
	rows := p.Batch * p.OutH
	split := r.IntN(rows + 1)
	noFault(t, what, func() {
		d.RunDirect(fin, out, 0, split)
		d.RunDirect(fin, out, split, rows)
	})
	if !bytes.Equal(out, want) {
		t.Fatalf("%s direct:\n got %v\nwant %v", what(), out, want)
	}
}
