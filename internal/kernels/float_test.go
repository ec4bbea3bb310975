package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/classifly/classifly/internal/testkit"
)

// Float kernels are held to a float64 reference within a tolerance scaled
// to the magnitudes summed (no two float runtimes sum in the same order),
// on every backend, with NaN guards around and between the output rows.

func randF32(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.Float64()*4 - 2)
	}
	return v
}

// TestGemmF32AllBackends checks GemmF32 on sizes around the 6- and 7-row
// blocks and the 16- and 32-channel panels, row strides wider than K and N,
// every clamp, and row ranges that start inside the matrix.
func TestGemmF32AllBackends(t *testing.T) {
	r := testkit.SeededRand(t)
	nan := float32(math.NaN())
	for _, backend := range Available() {
		for _, n := range []int{1, 7, 8, 15, 16, 17, 24, 32, 33, 48} {
			for _, k := range []int{1, 3, 16, 27, 65} {
				for _, m := range []int{1, 5, 6, 7, 8, 12, 13, 14, 15, 22} {
					lda, ldc := k+r.IntN(3), n+r.IntN(3)
					w, bias, a := randF32(r, n*k), randF32(r, n), randF32(r, m*lda)
					clamp := []ClampF32{ActivationRangeF32(ActNone), ActivationRangeF32(ActRelu6), {-0.5, 0.5}}[r.IntN(3)]
					if r.IntN(4) == 0 {
						bias = nil
					}
					g := NewGemmF32(n, k, w, bias, clamp, backend)
					out := make([]float32, m*ldc+8)
					for i := range out {
						out[i] = nan
					}
					m0 := r.IntN(m)
					g.Run(a, lda, m0, m, out, ldc)
					for i := range m {
						for j := range ldc {
							got := out[i*ldc+j]
							if i < m0 || j >= n {
								if !math.IsNaN(float64(got)) {
									t.Fatalf("%v n%d k%d m%d: wrote outside the result at row %d column %d", backend, n, k, m, i, j)
								}
								continue
							}
							want, mag := 0.0, 0.0
							if bias != nil {
								want, mag = float64(bias[j]), math.Abs(float64(bias[j]))
							}
							for kk := range k {
								p := float64(a[i*lda+kk]) * float64(w[j*k+kk])
								want += p
								mag += math.Abs(p)
							}
							want = min(max(want, float64(clamp.Lo)), float64(clamp.Hi))
							if math.Abs(float64(got)-want) > 1e-6*(1+mag) {
								t.Fatalf("%v n%d k%d m%d: [%d][%d] = %v, want %v", backend, n, k, m, i, j, got, want)
							}
						}
					}
					for _, v := range out[m*ldc:] {
						if !math.IsNaN(float64(v)) {
							t.Fatalf("%v n%d k%d m%d: wrote past the output", backend, n, k, m)
						}
					}
				}
			}
		}
	}
}

// TestGemmF32Panels checks that RunPanels computes exactly Run's values
// for its panels' channels and writes no others, on every backend, for
// every panel range.
func TestGemmF32Panels(t *testing.T) {
	r := testkit.SeededRand(t)
	nan := float32(math.NaN())
	for _, backend := range Available() {
		for _, n := range []int{1, 16, 17, 33, 70, 100} {
			k, m := 1+r.IntN(40), 1+r.IntN(8)
			g := NewGemmF32(n, k, randF32(r, n*k), randF32(r, n), ActivationRangeF32(ActNone), backend)
			a := randF32(r, m*k)
			want := make([]float32, m*n)
			g.Run(a, k, 0, m, want, n)
			for p0 := range g.Panels() {
				for p1 := p0 + 1; p1 <= g.Panels(); p1++ {
					got := make([]float32, m*n)
					for i := range got {
						got[i] = nan
					}
					g.RunPanels(a, k, 0, m, got, n, p0, p1)
					c0, c1 := p0*g.nr, min(p1*g.nr, n)
					for i, v := range got {
						if c := i % n; c < c0 || c >= c1 {
							if !math.IsNaN(float64(v)) {
								t.Fatalf("%v n%d: panels %d..%d wrote channel %d", backend, n, p0, p1, c)
							}
						} else if math.Float32bits(v) != math.Float32bits(want[i]) {
							t.Fatalf("%v n%d: panels %d..%d: element %d = %v, Run %v", backend, n, p0, p1, i, v, want[i])
						}
					}
				}
			}
		}
	}
}

// TestGemmF32Add checks RunAdd, a GEMM with a fused ADD, against Run and
// then the ADD, exactly (the sum of two float32 values rounds once either
// way), on every backend, over panel and row ranges, with NaN where
// nothing may be written.
func TestGemmF32Add(t *testing.T) {
	r := testkit.SeededRand(t)
	nan := float32(math.NaN())
	for _, backend := range Available() {
		for range 60 {
			n, k, m := 1+r.IntN(70), 1+r.IntN(40), 1+r.IntN(30)
			g := NewGemmF32(n, k, randF32(r, n*k), randF32(r, n), ActivationRangeF32(ActNone), backend)
			ldc := n + r.IntN(3)
			a, res := randF32(r, m*k), randF32(r, m*ldc)
			clamp := []ClampF32{ActivationRangeF32(ActNone), ActivationRangeF32(ActRelu6), {-0.5, 0.5}}[r.IntN(3)]
			p0 := r.IntN(g.Panels())
			p1 := p0 + 1 + r.IntN(g.Panels()-p0)
			m0 := r.IntN(m)
			want := make([]float32, m*ldc)
			g.Run(a, k, 0, m, want, ldc)
			got := make([]float32, m*ldc+8)
			for i := range got {
				got[i] = nan
			}
			g.RunAdd(a, k, m0, m, got, ldc, p0, p1, Residual{R: res, Clamp: clamp})
			c0, c1 := p0*g.nr, min(p1*g.nr, n)
			for i, v := range got {
				row, c := i/ldc, i%ldc
				if i >= m*ldc || row < m0 || c < c0 || c >= c1 {
					if !math.IsNaN(float64(v)) {
						t.Fatalf("%v n%d k%d m%d: wrote element %d outside rows %d.. panels %d..%d", backend, n, k, m, i, m0, p0, p1)
					}
					continue
				}
				if w := clamp.apply(want[i] + res[i]); math.Float32bits(v) != math.Float32bits(w) {
					t.Fatalf("%v n%d k%d m%d: element %d = %v, want %v", backend, n, k, m, i, v, w)
				}
			}
		}
	}
}

// TestGemmF32Segments checks RunRows on rows in segments (a convolution's
// interior pixels) against Run on the same values gathered into a matrix:
// the sums run in the same order, so exactly.
func TestGemmF32Segments(t *testing.T) {
	r := testkit.SeededRand(t)
	for _, backend := range Available() {
		for range 40 {
			n, segs, seg, m := 1+r.IntN(70), 1+r.IntN(4), 1+r.IntN(12), 1+r.IntN(14)
			stride, segStride := r.IntN(2*seg+1), seg+r.IntN(30)
			k := segs * seg
			src := randF32(r, (m-1)*stride+(segs-1)*segStride+seg)
			dense := make([]float32, m*k)
			for i := range m {
				for s := range segs {
					copy(dense[i*k+s*seg:][:seg], src[i*stride+s*segStride:])
				}
			}
			g := NewGemmF32(n, k, randF32(r, n*k), randF32(r, n), ActivationRangeF32(ActRelu6), backend)
			want, got := make([]float32, m*n), make([]float32, m*n)
			g.Run(dense, k, 0, m, want, n)
			g.RunRows(Rows{A: src, Stride: stride, Segs: segs, SegStride: segStride}, 0, m, got, n, 0, g.Panels())
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%v n%d segs%d×%d m%d: element %d = %v, want %v", backend, n, segs, seg, m, i, got[i], want[i])
				}
			}
		}
	}
}

// TestConvF32 checks ConvF32, which reads interior pixels straight from
// the input, against im2col of every pixel and one GEMM, exactly, over
// kernel sizes, strides, dilations and padding, on every backend.
func TestConvF32(t *testing.T) {
	r := testkit.SeededRand(t)
	for i := range 300 {
		backends := Available()
		backend := backends[i%len(backends)]
		p := ConvParams{Batch: 1 + r.IntN(2), InH: 1 + r.IntN(9), InW: 1 + r.IntN(12), InC: 1 + r.IntN(9), OutC: 1 + r.IntN(40),
			KH: 1 + r.IntN(3), KW: 1 + r.IntN(3), StrideH: 1 + r.IntN(2), StrideW: 1 + r.IntN(2),
			DilationH: 1 + r.IntN(2), DilationW: 1 + r.IntN(2), PadH: r.IntN(2), PadW: r.IntN(2), DepthMultiplier: 1}
		if r.IntN(2) == 0 {
			p.DilationW = 1 // the shape that reads the input directly
		}
		p.OutH = max((p.InH+2*p.PadH-(p.KH-1)*p.DilationH-1)/p.StrideH+1, 1)
		p.OutW = max((p.InW+2*p.PadW-(p.KW-1)*p.DilationW-1)/p.StrideW+1, 1)
		k, m := p.KH*p.KW*p.InC, p.Batch*p.OutH*p.OutW
		in := randF32(r, p.Batch*p.InH*p.InW*p.InC)
		g := NewGemmF32(p.OutC, k, randF32(r, p.OutC*k), randF32(r, p.OutC), ActivationRangeF32(ActRelu6), backend)
		cols := make([]float32, m*k)
		want, got := make([]float32, m*p.OutC), make([]float32, m*p.OutC)
		Im2colF32(&p, in, cols, 0, p.Batch*p.OutH)
		g.Run(cols, k, 0, m, want, p.OutC)
		ConvF32(&p, g, in, make([]float32, m*k), got, 0, p.Batch*p.OutH)
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%v %+v: element %d = %v, want %v", backend, p, i, got[i], want[i])
			}
		}
	}
}

// TestGemmF32Allocs holds a run at zero allocations.
func TestGemmF32Allocs(t *testing.T) {
	for _, backend := range Available() {
		g := NewGemmF32(40, 30, make([]float32, 1200), nil, ActivationRangeF32(ActRelu), backend)
		a, out := make([]float32, 20*30), make([]float32, 20*40)
		if n := testing.AllocsPerRun(10, func() { g.Run(a, 30, 0, 20, out, 40) }); n != 0 {
			t.Errorf("%v: %v allocations per run", backend, n)
		}
	}
}

// TestDWConvF32Allocs holds a depthwise run with border pixels at zero
// allocations.
func TestDWConvF32Allocs(t *testing.T) {
	p := &ConvParams{Batch: 1, InH: 9, InW: 9, InC: 40, OutH: 9, OutW: 9, OutC: 40, KH: 3, KW: 3, StrideH: 1, StrideW: 1,
		DilationH: 1, DilationW: 1, PadH: 1, PadW: 1, DepthMultiplier: 1}
	for _, backend := range Available() {
		d := NewDWConvF32(p, make([]float32, 9*40), nil, ActivationRangeF32(ActRelu), backend)
		in, out := make([]float32, 81*40), make([]float32, 81*40)
		if n := testing.AllocsPerRun(10, func() { d.Run(in, out, 0, 9) }); n != 0 {
			t.Errorf("%v: %v allocations per run", backend, n)
		}
	}
}

// TestDWConvF32 checks the depthwise kernels of every backend and im2col
// against float64 loops over strides, dilations, padding, multipliers and
// channel counts around the 8- and 16-channel blocks, with a NaN guard after the
// output.
func TestDWConvF32(t *testing.T) {
	r := testkit.SeededRand(t)
	streamed := 0
	defer func() {
		if streamed == 0 && dwF32Vector(&ConvParams{KH: 3, KW: 3, DepthMultiplier: 1}, Available()[len(Available())-1]) {
			t.Error("no case ran RunRow")
		}
	}()
	for i := range 600 {
		backends := Available()
		backend := backends[i%len(backends)]
		p := ConvParams{Batch: 1 + r.IntN(2), InH: 1 + r.IntN(9), InW: 1 + r.IntN(12), InC: 1 + r.IntN(40), KH: 1 + r.IntN(3), KW: 1 + r.IntN(3),
			StrideH: 1 + r.IntN(2), StrideW: 1 + r.IntN(2), DilationH: 1 + r.IntN(2), DilationW: 1 + r.IntN(2), PadH: r.IntN(2), PadW: r.IntN(2)}
		p.DepthMultiplier = 1 + r.IntN(2)
		if r.IntN(2) == 0 { // the shape the vector kernels take
			p.KH, p.KW, p.DepthMultiplier = 3, 3, 1
		}
		p.OutC = p.InC * p.DepthMultiplier
		p.OutH = max((p.InH+2*p.PadH-(p.KH-1)*p.DilationH-1)/p.StrideH+1, 1)
		p.OutW = max((p.InW+2*p.PadW-(p.KW-1)*p.DilationW-1)/p.StrideW+1, 1)
		in, w, bias := randF32(r, p.Batch*p.InH*p.InW*p.InC), randF32(r, p.KH*p.KW*p.OutC), randF32(r, p.OutC)
		clamp := ActivationRangeF32(ActRelu6)
		d := NewDWConvF32(&p, w, bias, clamp, backend)
		out := make([]float32, p.Batch*p.OutH*p.OutW*p.OutC+8)
		for i := range out {
			out[i] = float32(math.NaN())
		}
		d.Run(in, out, 0, p.Batch*p.OutH)
		for _, v := range out[len(out)-8:] {
			if !math.IsNaN(float64(v)) {
				t.Fatalf("%v %+v: wrote past the output", backend, p)
			}
		}
		// Every backend rounds as the generic loop does (see dwF32AVX2).
		ref := make([]float32, len(out)-8)
		NewDWConvF32(&p, w, bias, clamp, Generic).Run(in, ref, 0, p.Batch*p.OutH)
		for i, v := range ref {
			if math.Float32bits(v) != math.Float32bits(out[i]) {
				t.Fatalf("%v %+v: output %d = %v, generic %v", backend, p, i, out[i], v)
			}
		}
		// Row by row from a ring of three input rows, as when the layer
		// before computes them just in time: the same bytes.
		if d.Streams() {
			rowLen := p.InW * p.InC
			ring := make([]float32, 3*rowLen)
			byRow := make([]float32, len(ref))
			for r := range p.Batch * p.OutH {
				b, oy := r/p.OutH, r%p.OutH
				var rows [3][]float32
				for k := range rows {
					if y := oy*p.StrideH - p.PadH + k; y >= 0 && y < p.InH {
						rows[k] = ring[y%3*rowLen:][:rowLen]
						copy(rows[k], in[(b*p.InH+y)*rowLen:])
					}
				}
				d.RunRow(&rows, byRow, r)
			}
			for i, v := range ref {
				if math.Float32bits(v) != math.Float32bits(byRow[i]) {
					t.Fatalf("%v %+v: RunRow output %d = %v, generic %v", backend, p, i, byRow[i], v)
				}
			}
			streamed++
		}
		// im2col of the same geometry, with InC channels per tap.
		cols := make([]float32, p.Batch*p.OutH*p.OutW*p.KH*p.KW*p.InC)
		Im2colF32(&p, in, cols, 0, p.Batch*p.OutH)
		i := 0
		for b := range p.Batch {
			for oy := range p.OutH {
				for ox := range p.OutW {
					col := cols[((b*p.OutH+oy)*p.OutW+ox)*p.KH*p.KW*p.InC:]
					for oc := range p.OutC {
						want, mag := float64(bias[oc]), math.Abs(float64(bias[oc]))
						for ky := range p.KH {
							for kx := range p.KW {
								y, x := oy*p.StrideH-p.PadH+ky*p.DilationH, ox*p.StrideW-p.PadW+kx*p.DilationW
								ic := oc / p.DepthMultiplier
								var v float64
								if y >= 0 && y < p.InH && x >= 0 && x < p.InW {
									v = float64(in[((b*p.InH+y)*p.InW+x)*p.InC+ic])
								}
								if got := col[(ky*p.KW+kx)*p.InC+ic]; float64(got) != v {
									t.Fatalf("%+v: im2col tap %d,%d channel %d = %v, want %v", p, ky, kx, ic, got, v)
								}
								pr := v * float64(w[(ky*p.KW+kx)*p.OutC+oc])
								want += pr
								mag += math.Abs(pr)
							}
						}
						want = min(max(want, 0), 6)
						if math.Abs(float64(out[i])-want) > 1e-6*(1+mag) {
							t.Fatalf("%v %+v: output %d = %v, want %v", backend, p, i, out[i], want)
						}
						i++
					}
				}
			}
		}
	}
}

// TestQuantizeF32 checks the run-time quantization of dynamic-range
// kernels against TFLite's formulas in float64, and their corner cases.
func TestQuantizeF32(t *testing.T) {
	r := testkit.SeededRand(t)
	q := make([]int8, 64)
	for range 500 {
		x := randF32(r, 1+r.IntN(64))
		if r.IntN(3) == 0 {
			for i := range x {
				x[i] = float32(math.Abs(float64(x[i]))) // all non-negative: zero point at -128
			}
		}
		s := QuantizeSymmetricF32(x, q)
		var m float64
		for _, v := range x {
			m = max(m, math.Abs(float64(v)))
		}
		if math.Abs(float64(s)-m/127) > 1e-7*m {
			t.Fatalf("symmetric scale %v, want %v", s, m/127)
		}
		for i, v := range x {
			if d := float64(q[i]) - float64(v)*127/m; d > 0.5001 || d < -0.5001 {
				t.Fatalf("symmetric %v → %d (scale %v)", v, q[i], s)
			}
		}
		s, off := QuantizeAsymmetricF32(x, q)
		for i, v := range x {
			if d := float64(s)*float64(int32(q[i])-off) - float64(v); math.Abs(d) > 0.5001*float64(s) {
				t.Fatalf("asymmetric %v → %d (scale %v offset %d): off by %v", v, q[i], s, off, d)
			}
		}
	}
	if s := QuantizeSymmetricF32([]float32{0, 0}, q); s != 1 || q[0] != 0 {
		t.Errorf("all zero: scale %v", s)
	}
	if s, off := QuantizeAsymmetricF32([]float32{0, 0}, q); s != 1 || off != 0 {
		t.Errorf("all zero: scale %v offset %d", s, off)
	}
}

// FuzzGemmF32 compares every backend's GEMM with the generic one.
func FuzzGemmF32(f *testing.F) {
	f.Add(uint8(5), uint8(17), uint8(9), uint64(1))
	f.Add(uint8(1), uint8(1), uint8(1), uint64(2))
	f.Add(uint8(13), uint8(33), uint8(64), uint64(3))
	f.Fuzz(func(t *testing.T, m, n, k uint8, seed uint64) {
		if m == 0 || n == 0 || k == 0 {
			return
		}
		r := rand.New(rand.NewPCG(seed, 8))
		w, bias, a := randF32(r, int(n)*int(k)), randF32(r, int(n)), randF32(r, int(m)*int(k))
		var ref []float32
		for _, backend := range Available() {
			g := NewGemmF32(int(n), int(k), w, bias, ActivationRangeF32(ActNone), backend)
			out := make([]float32, int(m)*int(n))
			g.Run(a, int(k), 0, int(m), out, int(n))
			if ref == nil {
				ref = out
				continue
			}
			for i := range out {
				if d := math.Abs(float64(out[i] - ref[i])); d > 1e-5*float64(k) {
					t.Fatalf("%v: element %d = %v, generic %v", backend, i, out[i], ref[i])
				}
			}
		}
	})
}

// TestPadF32 checks PAD against an element-by-element loop on random
// shapes and paddings up to rank 4, with a NaN-filled output.
func TestPadF32(t *testing.T) {
	r := testkit.SeededRand(t)
	for range 300 {
		rank := 1 + r.IntN(4)
		in, out, before := make([]int, rank), make([]int, rank), make([]int, rank)
		n, m := 1, 1
		for d := range rank {
			in[d] = r.IntN(4)
			if r.IntN(3) > 0 {
				before[d] = r.IntN(3)
				out[d] = in[d] + before[d] + r.IntN(3)
			} else {
				out[d] = in[d]
			}
			n, m = n*in[d], m*out[d]
		}
		src := randF32(r, n)
		dst := make([]float32, m)
		for i := range dst {
			dst[i] = float32(math.NaN())
		}
		PadF32(in, out, before, src, dst)
		want := make([]float32, m)
		for i, v := range src {
			o, rest := 0, i
			for d := rank - 1; d >= 0; d-- {
				pos := rest%in[d] + before[d]
				rest /= in[d]
				s := 1
				for e := d + 1; e < rank; e++ {
					s *= out[e]
				}
				o += pos * s
			}
			want[o] = v
		}
		for i := range want {
			if math.Float32bits(want[i]) != math.Float32bits(dst[i]) {
				t.Fatalf("in %v out %v before %v: element %d = %v, want %v", in, out, before, i, dst[i], want[i])
			}
		}
	}
}
