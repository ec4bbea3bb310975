package engine

import (
	"fmt"
	"math"
	"testing"

	"github.com/classifly/classifly/internal/testkit"
	"github.com/classifly/classifly/internal/tflitetest"
	"github.com/classifly/classifly/tflite"
)

// unaryModel is one operator from input tensor 0 to output tensor 1, with
// extra constant tensors after them.
func unaryModel(op tflitetest.Op, inShape, outShape []int, extra ...tflitetest.Tensor) tflitetest.Model {
	op.Inputs = append([]int32{0}, op.Inputs...)
	op.Outputs = []int32{1}
	return tflitetest.Model{Inputs: []int32{0}, Outputs: []int32{1}, Ops: []tflitetest.Op{op},
		Tensors: append([]tflitetest.Tensor{fTensor("in", inShape, nil), fTensor("out", outShape, nil)}, extra...)}
}

func relTol(want []float64, rel float64) []float64 {
	tol := make([]float64, len(want))
	for i, w := range want {
		tol[i] = rel * (1 + math.Abs(w))
	}
	return tol
}

// TestSynthFloatUnary checks the element-wise operators.
func TestSynthFloatUnary(t *testing.T) {
	r := testkit.SeededRand(t)
	in := randFloats(r, 2*3*5, 8)
	in[0], in[1], in[2] = -3, 3, 0 // HARD_SWISH's corners
	for _, tc := range []struct {
		op tflitetest.Op
		f  func(x float64) float64
	}{
		{tflitetest.Op{Code: tflite.OpLogistic}, func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }},
		{tflitetest.Op{Code: tflite.OpTanh}, math.Tanh},
		{tflitetest.Op{Code: tflite.OpHardSwish}, func(x float64) float64 { return x * min(max(x+3, 0), 6) / 6 }},
		{tflitetest.Op{Code: tflite.OpRelu}, func(x float64) float64 { return max(x, 0) }},
		{tflitetest.Op{Code: tflite.OpRelu6}, func(x float64) float64 { return min(max(x, 0), 6) }},
		{tflitetest.Op{Code: tflite.OpReluN1To1}, func(x float64) float64 { return min(max(x, -1), 1) }},
		{tflitetest.Op{Code: tflite.OpLeakyRelu, Options: &tflite.LeakyReluOptions{Alpha: 0.2}}, func(x float64) float64 {
			if x < 0 {
				return float64(float32(0.2)) * x
			}
			return x
		}},
	} {
		t.Run(tc.op.Code.String(), func(t *testing.T) {
			want := make([]float64, len(in))
			for i, x := range in {
				want[i] = tc.f(float64(x))
			}
			got := runFloat(t, unaryModel(tc.op, []int{2, 3, 5}, []int{2, 3, 5}), in)
			checkFloats(t, tc.op.Code.String(), got, want, relTol(want, 1e-6))
		})
	}
}

// TestSynthFloatBinary checks ADD, SUB and MUL with broadcasting, constant
// operands and every fused activation.
func TestSynthFloatBinary(t *testing.T) {
	r := testkit.SeededRand(t)
	shapes := [][2][]int{
		{{2, 3, 4}, {2, 3, 4}}, {{2, 3, 4}, {4}}, {{2, 1, 4}, {1, 3, 1}}, {{1}, {2, 3}}, {{3, 1}, {3, 5}}, {{2, 2, 3, 4}, {2, 1, 3, 1}},
	}
	for _, code := range []tflite.BuiltinOperator{tflite.OpAdd, tflite.OpSub, tflite.OpMul} {
		for _, act := range fusedActs {
			for si, sh := range shapes {
				for _, constB := range []bool{false, true} {
					name := fmt.Sprintf("%v/%v/%d/const=%v", code, act, si, constB)
					t.Run(name, func(t *testing.T) {
						out := broadcastShape(sh[0], sh[1])
						a, b := randFloats(r, elemCount(sh[0]), 4), randFloats(r, elemCount(sh[1]), 4)
						op := tflitetest.Op{Code: code}
						switch code {
						case tflite.OpAdd:
							op.Options = &tflite.AddOptions{Activation: act}
						case tflite.OpSub:
							op.Options = &tflite.SubOptions{Activation: act}
						default:
							op.Options = &tflite.MulOptions{Activation: act}
						}
						m := unaryModel(op, sh[0], out, fTensor("b", sh[1], nil))
						m.Ops[0].Inputs = []int32{0, 2}
						in := a
						if constB {
							m.Tensors[2] = fTensor("b", sh[1], b)
						} else {
							// The model has one input: make a the
							// constant and b the input instead.
							m.Tensors[0], m.Tensors[2] = fTensor("b", sh[1], nil), fTensor("a", sh[0], a)
							m.Ops[0].Inputs = []int32{2, 0}
							in = b
						}
						want := make([]float64, elemCount(out))
						for i := range want {
							x, y := float64(a[bcIndex(i, out, sh[0])]), float64(b[bcIndex(i, out, sh[1])])
							var v float64
							switch code {
							case tflite.OpAdd:
								v = x + y
							case tflite.OpSub:
								v = x - y
							default:
								v = float64(float32(x * y))
							}
							want[i] = applyAct(v, act)
						}
						checkFloats(t, name, runFloat(t, m, in), want, relTol(want, 1e-6))
					})
				}
			}
		}
	}
}

func broadcastShape(a, b []int) []int {
	r := max(len(a), len(b))
	out := make([]int, r)
	for d := range r {
		da, db := 1, 1
		if k := d - (r - len(a)); k >= 0 {
			da = a[k]
		}
		if k := d - (r - len(b)); k >= 0 {
			db = b[k]
		}
		out[d] = max(da, db)
	}
	return out
}

// bcIndex maps output element i to the index of an input broadcast to out.
func bcIndex(i int, out, in []int) int {
	idx, stride := 0, 1
	for d := len(out) - 1; d >= 0; d-- {
		c := i % out[d]
		i /= out[d]
		if k := d - (len(out) - len(in)); k >= 0 {
			if in[k] != 1 {
				idx += c * stride
			}
			stride *= in[k]
		}
	}
	return idx
}

// TestSynthFloatPool checks AVERAGE_POOL_2D and MAX_POOL_2D against
// float64 windows that skip taps outside the input.
func TestSynthFloatPool(t *testing.T) {
	r := testkit.SeededRand(t)
	for _, code := range []tflite.BuiltinOperator{tflite.OpAveragePool2D, tflite.OpMaxPool2D} {
		for n := range 20 {
			b, h, w, ch := 1+r.IntN(2), 1+r.IntN(8), 1+r.IntN(8), 1+r.IntN(6)
			fh, fw, sh, sw := 1+r.IntN(3), 1+r.IntN(3), 1+r.IntN(2), 1+r.IntN(2)
			pad := tflite.Padding(r.IntN(2))
			if tfOut(pad, h, fh, sh, 1) < 1 || tfOut(pad, w, fw, sw, 1) < 1 {
				pad = tflite.PaddingSame
			}
			act := fusedActs[r.IntN(len(fusedActs))]
			oh, ow := tfOut(pad, h, fh, sh, 1), tfOut(pad, w, fw, sw, 1)
			ph, pw := tfPad(pad, h, fh, sh, 1), tfPad(pad, w, fw, sw, 1)
			in := randFloats(r, b*h*w*ch, 3)
			var want []float64
			for bi := range b {
				for oy := range oh {
					for ox := range ow {
						for c := range ch {
							sum, mx, cnt := 0.0, math.Inf(-1), 0
							for ky := range fh {
								for kx := range fw {
									y, x := oy*sh-ph+ky, ox*sw-pw+kx
									if y < 0 || y >= h || x < 0 || x >= w {
										continue
									}
									v := float64(in[((bi*h+y)*w+x)*ch+c])
									sum, mx, cnt = sum+v, max(mx, v), cnt+1
								}
							}
							v := mx
							if code == tflite.OpAveragePool2D {
								v = sum / float64(cnt)
							}
							want = append(want, applyAct(v, act))
						}
					}
				}
			}
			op := tflitetest.Op{Code: code, Options: &tflite.Pool2DOptions{Padding: pad, StrideW: int32(sw), StrideH: int32(sh),
				FilterWidth: int32(fw), FilterHeight: int32(fh), Activation: act}}
			name := fmt.Sprintf("%v case %d", code, n)
			checkFloats(t, name, runFloat(t, unaryModel(op, []int{b, h, w, ch}, []int{b, oh, ow, ch}), in), want, relTol(want, 1e-5))
		}
	}
}

// TestSynthFloatMean checks MEAN over adjacent and non-adjacent axes, with
// and without keep_dims.
func TestSynthFloatMean(t *testing.T) {
	r := testkit.SeededRand(t)
	shape := []int{2, 3, 4, 5}
	in := randFloats(r, elemCount(shape), 5)
	for _, axes := range [][]int32{{1, 2}, {3}, {0, 2}, {-1, 1}, {0, 1, 2, 3}} {
		for _, keep := range []bool{false, true} {
			reduce := make([]bool, 4)
			for _, a := range axes {
				reduce[(int(a)+4)%4] = true
			}
			var outShape []int
			for d, s := range shape {
				if !reduce[d] {
					outShape = append(outShape, s)
				} else if keep {
					outShape = append(outShape, 1)
				}
			}
			want := make([]float64, elemCount(outShape))
			cnt := make([]int, len(want))
			for i, v := range in {
				o, rest := 0, i
				coords := make([]int, 4)
				for d := 3; d >= 0; d-- {
					coords[d], rest = rest%shape[d], rest/shape[d]
				}
				for d := range 4 {
					if !reduce[d] {
						o = o*shape[d] + coords[d]
					}
				}
				want[o] += float64(v)
				cnt[o]++
			}
			for i := range want {
				want[i] /= float64(cnt[i])
			}
			op := tflitetest.Op{Code: tflite.OpMean, Inputs: []int32{2}, Options: &tflite.ReducerOptions{KeepDims: keep}}
			m := unaryModel(op, shape, outShape, int32Tensor("axes", []int{len(axes)}, axes))
			checkFloats(t, fmt.Sprintf("axes %v keep %v", axes, keep), runFloat(t, m, in), want, relTol(want, 1e-5))
		}
	}
}

// TestSynthFloatSoftmaxL2 checks SOFTMAX (with beta) and L2_NORMALIZATION
// row by row.
func TestSynthFloatSoftmaxL2(t *testing.T) {
	r := testkit.SeededRand(t)
	in := randFloats(r, 3*7, 6)
	for _, beta := range []float32{1, 0.5} {
		want := make([]float64, len(in))
		for row := range 3 {
			x := in[row*7 : row*7+7]
			m, sum := math.Inf(-1), 0.0
			for _, v := range x {
				m = max(m, float64(v))
			}
			for i, v := range x {
				want[row*7+i] = math.Exp((float64(v) - m) * float64(beta))
				sum += want[row*7+i]
			}
			for i := range x {
				want[row*7+i] /= sum
			}
		}
		op := tflitetest.Op{Code: tflite.OpSoftmax, Options: &tflite.SoftmaxOptions{Beta: beta}}
		checkFloats(t, fmt.Sprintf("softmax beta %v", beta), runFloat(t, unaryModel(op, []int{3, 7}, []int{3, 7}), in), want, []float64{1e-6})
	}
	for _, act := range []tflite.Activation{tflite.ActNone, tflite.ActRelu} {
		want := make([]float64, len(in))
		for row := range 3 {
			n := 0.0
			for _, v := range in[row*7 : row*7+7] {
				n += float64(v) * float64(v)
			}
			for i, v := range in[row*7 : row*7+7] {
				want[row*7+i] = applyAct(float64(v)/math.Sqrt(n), act)
			}
		}
		op := tflitetest.Op{Code: tflite.OpL2Norm, Options: &tflite.L2NormOptions{Activation: act}}
		checkFloats(t, fmt.Sprintf("l2 %v", act), runFloat(t, unaryModel(op, []int{3, 7}, []int{3, 7}), in), want, []float64{1e-6})
	}
}

// TestSynthFloatShapes checks PAD, CONCATENATION (with a fused activation
// and a constant part), RESHAPE and SQUEEZE.
func TestSynthFloatShapes(t *testing.T) {
	r := testkit.SeededRand(t)
	in := randFloats(r, 2*3*4, 5)
	// PAD [2,3,4] by ((0,1),(2,0),(1,1)) to [3,5,6].
	pads := []int32{0, 1, 2, 0, 1, 1}
	want := make([]float64, 3*5*6)
	for i, v := range in {
		a, b, c := i/12, i/4%3, i%4
		want[((a+0)*5+b+2)*6+c+1] = float64(v)
	}
	pad := tflitetest.Op{Code: tflite.OpPad, Inputs: []int32{2}, Options: &tflite.PadOptions{}}
	checkFloats(t, "pad", runFloat(t, unaryModel(pad, []int{2, 3, 4}, []int{3, 5, 6}, int32Tensor("pads", []int{3, 2}, pads)), in), want, []float64{0})

	// CONCATENATION on axis 1 of the input [2,3,4] and a constant [2,2,4], RELU6.
	k := randFloats(r, 2*2*4, 8)
	want = nil
	for a := range 2 {
		for _, v := range in[a*12 : a*12+12] {
			want = append(want, min(max(float64(v), 0), 6))
		}
		for _, v := range k[a*8 : a*8+8] {
			want = append(want, min(max(float64(v), 0), 6))
		}
	}
	cat := tflitetest.Op{Code: tflite.OpConcatenation, Inputs: []int32{2}, Options: &tflite.ConcatenationOptions{Axis: 1, Activation: tflite.ActRelu6}}
	checkFloats(t, "concatenation", runFloat(t, unaryModel(cat, []int{2, 3, 4}, []int{2, 5, 4}, fTensor("k", []int{2, 2, 4}, k)), in), want, []float64{0})

	want = make([]float64, len(in))
	for i, v := range in {
		want[i] = float64(v)
	}
	rs := tflitetest.Op{Code: tflite.OpReshape, Options: &tflite.ReshapeOptions{NewShape: []int32{6, 4}}}
	checkFloats(t, "reshape", runFloat(t, unaryModel(rs, []int{2, 3, 4}, []int{6, 4}), in), want, []float64{0})
	sq := tflitetest.Op{Code: tflite.OpSqueeze, Options: &tflite.SqueezeOptions{SqueezeDims: []int32{0}}}
	checkFloats(t, "squeeze", runFloat(t, unaryModel(sq, []int{1, 2, 3, 4}, []int{2, 3, 4}), in), want, []float64{0})
}

// TestSynthFloatResizeBilinear checks the three coordinate conventions
// against a float64 transcription of TFLite's formula.
func TestSynthFloatResizeBilinear(t *testing.T) {
	r := testkit.SeededRand(t)
	const ih, iw, ch, oh, ow = 3, 4, 2, 5, 7
	in := randFloats(r, ih*iw*ch, 4)
	for _, o := range []tflite.ResizeBilinearOptions{{}, {AlignCorners: true}, {HalfPixelCenters: true}} {
		scale := func(i, out int) float64 {
			if o.AlignCorners {
				return float64(i-1) / float64(out-1)
			}
			return float64(i) / float64(out)
		}
		src := func(v int, s float64, size int) (float64, int, int) {
			f := float64(v) * s
			if o.HalfPixelCenters {
				f = (float64(v)+0.5)*s - 0.5
			}
			return f, max(int(math.Floor(f)), 0), min(int(math.Ceil(f)), size-1)
		}
		var want []float64
		for y := range oh {
			fy, y0, y1 := src(y, scale(ih, oh), ih)
			for x := range ow {
				fx, x0, x1 := src(x, scale(iw, ow), iw)
				dy, dx := fy-float64(y0), fx-float64(x0)
				for c := range ch {
					at := func(y, x int) float64 { return float64(in[(y*iw+x)*ch+c]) }
					want = append(want, at(y0, x0)*(1-dy)*(1-dx)+at(y1, x0)*dy*(1-dx)+at(y0, x1)*(1-dy)*dx+at(y1, x1)*dy*dx)
				}
			}
		}
		op := tflitetest.Op{Code: tflite.OpResizeBilinear, Inputs: []int32{2}, Options: &o}
		m := unaryModel(op, []int{1, ih, iw, ch}, []int{1, oh, ow, ch}, int32Tensor("size", []int{2}, []int32{oh, ow}))
		checkFloats(t, fmt.Sprintf("%+v", o), runFloat(t, m, in), want, relTol(want, 1e-5))
	}
}

// TestSynthFloatMixed runs a mixed graph: float input, QUANTIZE to uint8,
// a quantized ADD, DEQUANTIZE back to float, then a float LOGISTIC.
func TestSynthFloatMixed(t *testing.T) {
	q := qparam{1.0 / 32, 128}
	in := []float32{-3, -1.5, 0, 0.03, 1, 3.96}
	m := tflitetest.Model{Inputs: []int32{0}, Outputs: []int32{4}, Tensors: []tflitetest.Tensor{
		fTensor("in", []int{6}, nil),
		qTensor("q", tflite.UInt8, []int{6}, q, nil),
		qTensor("sum", tflite.UInt8, []int{6}, q, nil),
		fTensor("deq", []int{6}, nil),
		fTensor("out", []int{6}, nil),
	}, Ops: []tflitetest.Op{
		{Code: tflite.OpQuantize, Inputs: []int32{0}, Outputs: []int32{1}},
		{Code: tflite.OpAdd, Inputs: []int32{1, 1}, Outputs: []int32{2}, Options: &tflite.AddOptions{}},
		{Code: tflite.OpDequantize, Inputs: []int32{2}, Outputs: []int32{3}},
		{Code: tflite.OpLogistic, Inputs: []int32{3}, Outputs: []int32{4}},
	}}
	want := make([]float64, len(in))
	for i, x := range in {
		v := q.real(q.quantize(float64(x), tflite.UInt8))
		s := q.real(q.quantize(2*v, tflite.UInt8))
		want[i] = 1 / (1 + math.Exp(-s))
	}
	checkFloats(t, "mixed", runFloat(t, m, in), want, []float64{1e-6})
}

// TestSynthFloatRandomShapes fuzzes the broadcast index arithmetic with
// random shapes of rank 1 to 5.
func TestSynthFloatRandomShapes(t *testing.T) {
	r := testkit.SeededRand(t)
	for range 30 {
		rank := 1 + r.IntN(5)
		out := make([]int, rank)
		a, b := make([]int, rank), make([]int, rank)
		for d := range out {
			out[d] = 1 + r.IntN(4)
			a[d], b[d] = out[d], out[d]
			if r.IntN(3) == 0 {
				a[d] = 1
			} else if r.IntN(3) == 0 {
				b[d] = 1
			}
		}
		b = b[r.IntN(rank):]
		av, bv := randFloats(r, elemCount(a), 2), randFloats(r, elemCount(b), 2)
		m := unaryModel(tflitetest.Op{Code: tflite.OpAdd, Inputs: []int32{2}, Options: &tflite.AddOptions{}}, a, out, fTensor("b", b, bv))
		want := make([]float64, elemCount(out))
		for i := range want {
			want[i] = float64(av[bcIndex(i, out, a)]) + float64(bv[bcIndex(i, out, b)])
		}
		checkFloats(t, fmt.Sprintf("%v + %v", a, b), runFloat(t, m, av), want, relTol(want, 1e-6))
	}
}
