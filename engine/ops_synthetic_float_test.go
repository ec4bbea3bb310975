package engine

// Tests of the float32 path on tiny models written by internal/tflitetest:
// each operator, with its fused activation, against a float64 reference
// computed here from the model's own numbers, within a tolerance scaled to
// the magnitudes summed. Weights come as float32, as float16 through
// DEQUANTIZE, or as int8 (dynamic range), whose reference uses the real
// (dequantized) weights and the unquantized input, with a tolerance
// derived from the run-time input quantization's half-step error.

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/classifly/classifly/internal/testkit"
	"github.com/classifly/classifly/internal/tflitetest"
	"github.com/classifly/classifly/tflite"
)

// weightKind is how a float layer's weights are stored in the file.
type weightKind int

const (
	weightsF32     weightKind = iota
	weightsF16                // FLOAT16 constant → DEQUANTIZE
	weightsInt8PC             // int8, one scale per output channel (dynamic range)
	weightsInt8PT             // int8, one scale (dynamic range)
	weightsInt8Deq            // int8 per channel → DEQUANTIZE (folded at load)
)

func (k weightKind) String() string {
	return [...]string{"float32", "float16", "int8-per-channel", "int8-per-tensor", "int8-dequantize"}[k]
}

func (k weightKind) hybrid() bool { return k == weightsInt8PC || k == weightsInt8PT }

func fTensor(name string, shape []int, vals []float32) tflitetest.Tensor {
	t := tflitetest.Tensor{Name: name, Type: tflite.Float32, Shape: shape32(shape)}
	if vals != nil {
		t.Data = tflitetest.Float32Bytes(vals...)
	}
	return t
}

func randFloats(r *rand.Rand, n int, scale float64) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32((r.Float64()*2 - 1) * scale)
	}
	return v
}

// weights stores w (shape, output channels along quantDim) as kind, appends
// the tensors and operators that produce a float-usable filter, and
// returns its tensor index and the real values the engine will see.
func weights(m *tflitetest.Model, kind weightKind, shape []int, quantDim int, w []float32) (int32, []float64) {
	real := make([]float64, len(w))
	idx := int32(len(m.Tensors))
	switch kind {
	case weightsF32:
		m.Tensors = append(m.Tensors, fTensor("filter", shape, w))
		for i, v := range w {
			real[i] = float64(v)
		}
		return idx, real
	case weightsF16:
		h := tflitetest.Float16Bytes(w...)
		m.Tensors = append(m.Tensors, tflitetest.Tensor{Name: "filter16", Type: tflite.Float16, Shape: shape32(shape), Data: h},
			fTensor("filter", shape, nil))
		m.Ops = append(m.Ops, tflitetest.Op{Code: tflite.OpDequantize, Version: 3, Inputs: []int32{idx}, Outputs: []int32{idx + 1}})
		for i := range w {
			real[i] = float64(float16to32(uint16(h[2*i]) | uint16(h[2*i+1])<<8))
		}
		return idx + 1, real
	}
	// int8, symmetric: scale = max|w|/127 per channel or per tensor.
	channels, inner := shape[quantDim], 1
	for _, d := range shape[quantDim+1:] {
		inner *= d
	}
	perChannel := kind != weightsInt8PT
	scales := make([]float32, channels)
	for i, v := range w {
		ch := (i / inner) % channels
		if !perChannel {
			ch = 0
		}
		scales[ch] = max(scales[ch], float32(math.Abs(float64(v)))/127)
	}
	if !perChannel {
		scales = scales[:1]
	}
	q := make([]int8, len(w))
	for i, v := range w {
		s := scales[min((i/inner)%channels, len(scales)-1)]
		q[i] = int8(math.Round(float64(v / s)))
		real[i] = float64(s) * float64(q[i])
	}
	t := tflitetest.Tensor{Name: "filter8", Type: tflite.Int8, Shape: shape32(shape), Data: tflitetest.Int8Bytes(q...), Scale: scales,
		ZeroPoint: make([]int64, len(scales)), QuantDim: int32(quantDim)}
	if kind != weightsInt8Deq {
		m.Tensors = append(m.Tensors, t)
		return idx, real
	}
	m.Tensors = append(m.Tensors, t, fTensor("filter", shape, nil))
	m.Ops = append(m.Ops, tflitetest.Op{Code: tflite.OpDequantize, Version: 2, Inputs: []int32{idx}, Outputs: []int32{idx + 1}})
	return idx + 1, real
}

// runFloat runs a float model with the best kernels on 3 threads and the
// generic ones on 1, checks that they agree closely, and returns the
// first's output.
func runFloat(t *testing.T, m tflitetest.Model, in []float32) []float32 {
	t.Helper()
	data := m.Bytes()
	var outs [2][]float32
	for i, opts := range []Options{{Threads: 3}, {Backend: "generic", Threads: 1}} {
		model, err := Load(data, opts)
		if err != nil {
			t.Fatalf("Load (%+v): %v", opts, err)
		}
		out := make([]byte, model.Output().Bytes())
		if err := model.Run(context.Background(), floatBytes(in), out); err != nil {
			t.Fatalf("Run (%+v): %v", opts, err)
		}
		outs[i] = decodeFloats(out)
		model.Close()
	}
	for i := range outs[0] {
		if d := math.Abs(float64(outs[0][i] - outs[1][i])); d > 1e-4*(1+math.Abs(float64(outs[1][i]))) {
			t.Fatalf("element %d: best kernels %v, generic %v", i, outs[0][i], outs[1][i])
		}
	}
	return outs[0]
}

// checkFloats compares got with want element by element within tol[i] (or
// tol[0] for all when it has one entry).
func checkFloats(t *testing.T, what string, got []float32, want, tol []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d elements, want %d", what, len(got), len(want))
	}
	bad := 0
	for i := range want {
		tl := tol[min(i, len(tol)-1)]
		if d := math.Abs(float64(got[i]) - want[i]); !(d <= tl) {
			if bad < 4 {
				t.Errorf("%s: element %d is %v, want %v (±%.3g)", what, i, got[i], want[i], tl)
			}
			bad++
		}
	}
	if bad >= 4 {
		t.Errorf("%s: %d of %d elements off", what, bad, len(want))
	}
}

// fconvCase is a float CONV_2D, DEPTHWISE_CONV_2D or FULLY_CONNECTED
// (kH = kW = 1 over a 1×1 image).
type fconvCase struct {
	op                   tflite.BuiltinOperator
	kind                 weightKind
	batch, inH, inW, inC int
	outC, kH, kW         int
	strideH, strideW     int
	dilH, dilW           int
	pad                  tflite.Padding
	act                  tflite.Activation
	asym                 bool // FULLY_CONNECTED's asymmetric_quantize_inputs
	version              int32
	input, filter, bias  []float32
}

func (c *fconvCase) String() string {
	return fmt.Sprintf("%v %v in %dx%dx%dx%d out %d k %dx%d stride %dx%d dilation %dx%d pad %d %v asym %v bias %v",
		c.op, c.kind, c.batch, c.inH, c.inW, c.inC, c.outC, c.kH, c.kW, c.strideH, c.strideW, c.dilH, c.dilW, c.pad, c.act, c.asym, c.bias != nil)
}

func (c *fconvCase) geom() convGeom {
	return convGeom{c.inH, c.inW, c.inC, c.kH, c.kW, c.strideH, c.strideW, c.dilH, c.dilW, c.pad}
}

func (c *fconvCase) outHW() (int, int) { return c.geom().outHW() }

func (c *fconvCase) filterShape() ([]int, int) {
	switch c.op {
	case tflite.OpDepthwiseConv:
		return []int{1, c.kH, c.kW, c.outC}, 3
	case tflite.OpFullyConnected:
		return []int{c.outC, c.inC}, 0
	}
	return []int{c.outC, c.kH, c.kW, c.inC}, 0
}

// build returns the model and the real filter values.
func (c *fconvCase) build() (tflitetest.Model, []float64) {
	oh, ow := c.outHW()
	m := tflitetest.Model{Inputs: []int32{0}, Outputs: []int32{1}}
	inShape, outShape := []int{c.batch, c.inH, c.inW, c.inC}, []int{c.batch, oh, ow, c.outC}
	if c.op == tflite.OpFullyConnected {
		inShape, outShape = []int{c.batch, c.inC}, []int{c.batch, c.outC}
	}
	m.Tensors = append(m.Tensors, fTensor("input", inShape, nil), fTensor("output", outShape, nil))
	shape, qd := c.filterShape()
	fi, real := weights(&m, c.kind, shape, qd, c.filter)
	inputs := []int32{0, fi}
	if c.bias != nil {
		inputs = append(inputs, int32(len(m.Tensors)))
		m.Tensors = append(m.Tensors, fTensor("bias", []int{c.outC}, c.bias))
	}
	op := tflitetest.Op{Code: c.op, Version: c.version, Inputs: inputs, Outputs: []int32{1}}
	switch c.op {
	case tflite.OpConv2D:
		op.Options = &tflite.Conv2DOptions{Padding: c.pad, StrideW: int32(c.strideW), StrideH: int32(c.strideH),
			Activation: c.act, DilationW: int32(c.dilW), DilationH: int32(c.dilH)}
	case tflite.OpDepthwiseConv:
		op.Options = &tflite.DepthwiseConv2DOptions{Padding: c.pad, StrideW: int32(c.strideW), StrideH: int32(c.strideH),
			DepthMultiplier: int32(c.outC / c.inC), Activation: c.act, DilationW: int32(c.dilW), DilationH: int32(c.dilH)}
	default:
		op.Options = &tflite.FullyConnectedOptions{Activation: c.act, AsymmetricQuantizeInputs: c.asym}
	}
	m.Ops = append(m.Ops, op)
	return m, real
}

// expected computes the layer in float64, with the tolerance of each
// output: float rounding relative to the sum of |products|, plus, for
// dynamic-range weights, the input quantization's error bound: half a step
// (the batch item's range / 254) times Σ|w| over the taps.
func (c *fconvCase) expected(w []float64) (want, tol []float64) {
	g := c.geom()
	oh, ow := g.outHW()
	per := c.inH * c.inW * c.inC
	for b := range c.batch {
		step := 0.0
		if c.kind.hybrid() {
			lo, hi := 0.0, 0.0
			for _, v := range c.input[b*per : (b+1)*per] {
				lo, hi = min(lo, float64(v)), max(hi, float64(v))
			}
			// The larger of the asymmetric step and the symmetric one.
			step = max((hi-lo)/255, max(-lo, hi)/127)
		}
		for oy := range oh {
			for ox := range ow {
				for oc := range c.outC {
					sum, mag, wabs := 0.0, 0.0, 0.0
					tap := func(in, wt float64) {
						sum += in * wt
						mag += math.Abs(in * wt)
						wabs += math.Abs(wt)
					}
					g.taps(b, oy, ox, func(pix, ky, kx int) {
						if c.op == tflite.OpDepthwiseConv {
							ic := oc / (c.outC / c.inC)
							tap(float64(c.input[pix+ic]), w[(ky*c.kW+kx)*c.outC+oc])
							return
						}
						for ic := range c.inC {
							tap(float64(c.input[pix+ic]), w[((oc*c.kH+ky)*c.kW+kx)*c.inC+ic])
						}
					})
					if c.bias != nil {
						sum += float64(c.bias[oc])
						mag += math.Abs(float64(c.bias[oc]))
					}
					want = append(want, applyAct(sum, c.act))
					tol = append(tol, 1e-5*(1+mag)+0.5*step*wabs*1.0001)
				}
			}
		}
	}
	return want, tol
}

func randomFConvCase(r *rand.Rand, op tflite.BuiltinOperator, kind weightKind) *fconvCase {
	c := &fconvCase{op: op, kind: kind, batch: 1 + r.IntN(2), act: fusedActs[r.IntN(len(fusedActs))],
		strideH: 1, strideW: 1, dilH: 1, dilW: 1, kH: 1, kW: 1, inH: 1, inW: 1}
	switch op {
	case tflite.OpFullyConnected:
		c.inC, c.outC, c.asym = 1+r.IntN(40), 1+r.IntN(40), r.IntN(2) == 0
	default:
		c.inH, c.inW = 1+r.IntN(9), 1+r.IntN(9)
		c.kH, c.kW = 1+r.IntN(3), 1+r.IntN(3)
		c.strideH, c.strideW = 1+r.IntN(2), 1+r.IntN(2)
		if r.IntN(4) == 0 {
			c.dilH, c.dilW = 1+r.IntN(2), 1+r.IntN(2)
		}
		c.pad = tflite.Padding(r.IntN(2))
		c.inC = 1 + r.IntN(20)
		c.outC = 1 + r.IntN(40)
		if op == tflite.OpDepthwiseConv {
			c.outC = c.inC * (1 + r.IntN(2))
			if r.IntN(2) == 0 { // what the vector kernels and the padded path take
				c.kH, c.kW, c.outC = 3, 3, c.inC
			}
		}
		if r.IntN(3) == 0 {
			c.kH, c.kW, c.strideH, c.strideW, c.pad = 1, 1, 1, 1, tflite.PaddingValid // a pure GEMM
		}
		if oh, ow := c.outHW(); oh < 1 || ow < 1 {
			c.pad = tflite.PaddingSame
		}
	}
	shape, _ := c.filterShape()
	c.input = randFloats(r, c.batch*c.inH*c.inW*c.inC, 2)
	c.filter = randFloats(r, elemCount(shape), 1)
	if r.IntN(4) != 0 {
		c.bias = randFloats(r, c.outC, 1)
	}
	return c
}

// TestSynthFloatWeighted runs random float convolutions, depthwise
// convolutions and fully connected layers with every weight storage and
// fused activation.
func TestSynthFloatWeighted(t *testing.T) {
	r := testkit.SeededRand(t)
	for _, op := range []tflite.BuiltinOperator{tflite.OpConv2D, tflite.OpDepthwiseConv, tflite.OpFullyConnected} {
		for kind := weightsF32; kind <= weightsInt8Deq; kind++ {
			t.Run(fmt.Sprintf("%v/%v", op, kind), func(t *testing.T) {
				for range 25 {
					c := randomFConvCase(r, op, kind)
					m, w := c.build()
					want, tol := c.expected(w)
					got := runFloat(t, m, c.input)
					checkFloats(t, c.String(), got, want, tol)
					if t.Failed() {
						return
					}
				}
			})
		}
	}
}

// TestSynthHybridVersions loads the operator versions converters write for
// dynamic-range layers (hybrid per-channel CONV_2D is version 5,
// FULLY_CONNECTED with asymmetric inputs version 9, hybrid depthwise 6).
func TestSynthHybridVersions(t *testing.T) {
	r := testkit.SeededRand(t)
	for _, v := range []struct {
		op      tflite.BuiltinOperator
		version int32
	}{{tflite.OpConv2D, 5}, {tflite.OpConv2D, 2}, {tflite.OpFullyConnected, 9}, {tflite.OpDepthwiseConv, 6}} {
		c := randomFConvCase(r, v.op, weightsInt8PC)
		c.version = v.version
		m, w := c.build()
		want, tol := c.expected(w)
		checkFloats(t, fmt.Sprintf("version %d %v", v.version, c), runFloat(t, m, c.input), want, tol)
	}
}

// TestSynthHybridSemantics pins TFLite's run-time quantization on a hand
// case: input [-1, 0.5, 2] quantizes asymmetrically with scale 3/255 and
// zero point -43 (from min: -128 + 1/(3/255) = -43); the int8 weights
// [127, 127, 127] with scale 1/127 then give Σ w·(q - zp) · s_in · s_w.
func TestSynthHybridSemantics(t *testing.T) {
	in := []float32{-1, 0.5, 2}
	m := tflitetest.Model{Inputs: []int32{0}, Outputs: []int32{1}, Tensors: []tflitetest.Tensor{
		fTensor("in", []int{1, 3}, nil), fTensor("out", []int{1, 1}, nil),
		{Name: "w", Type: tflite.Int8, Shape: []int32{1, 3}, Data: tflitetest.Int8Bytes(127, 127, 127), Scale: []float32{1.0 / 127}, ZeroPoint: []int64{0}},
	}, Ops: []tflitetest.Op{{Code: tflite.OpFullyConnected, Inputs: []int32{0, 2}, Outputs: []int32{1},
		Options: &tflite.FullyConnectedOptions{AsymmetricQuantizeInputs: true}}}}
	s := float32(3.0 / 255)
	// q = round(-43 + x/s): -1 → -128, 0.5 → round(-0.5) = -1 (half away
	// from zero), 2 → 127.
	acc := 127 * ((-128 + 43) + (-1 + 43) + (127 + 43))
	want := float64(float32(acc) * (s * (1.0 / 127)))
	checkFloats(t, "asymmetric", runFloat(t, m, in), []float64{want}, []float64{1e-6})

	// Symmetric (the option off): scale 2/127, q = round(x·127/2):
	// -64 (−63.5 rounds away), 32 (31.75), 127.
	m.Ops[0].Options = &tflite.FullyConnectedOptions{}
	acc = 127 * (-64 + 32 + 127)
	want = float64(float32(acc) * (float32(2.0/127) * (1.0 / 127)))
	checkFloats(t, "symmetric", runFloat(t, m, in), []float64{want}, []float64{1e-6})
}

// TestSynthFloatResidual checks a 1×1 convolution whose output only an ADD
// reads (MobileNet V2's projection and residual), which runs the ADD in
// its epilogue: the same bytes as unfused (the convolution's output kept
// for Trace, which leaves it unfused) on every backend, near a float64
// reference, with the ADD's operands either way round and every fused
// activation; and a convolution whose output something else reads too,
// which stays apart.
func TestSynthFloatResidual(t *testing.T) {
	r := testkit.SeededRand(t)
	const h, w, c, c2 = 3, 5, 20, 37
	in := randFloats(r, h*w*c, 2)
	w1, w2 := randFloats(r, c2*c, 0.5), randFloats(r, c*c2, 0.5)
	b1, b2 := randFloats(r, c2, 0.5), randFloats(r, c, 0.5)
	conv := func(x []float64, wt, bias []float32, n, k int, act tflite.Activation) []float64 {
		y := make([]float64, len(x)/k*n)
		for p := range len(x) / k {
			for o := range n {
				s := float64(bias[o])
				for i := range k {
					s += x[p*k+i] * float64(wt[o*k+i])
				}
				y[p*n+o] = applyAct(s, act)
			}
		}
		return y
	}
	x := make([]float64, len(in))
	for i, v := range in {
		x[i] = float64(v)
	}
	for _, act := range fusedActs {
		for _, swap := range []bool{false, true} {
			for _, shared := range []bool{false, true} {
				name := fmt.Sprintf("%v/swap=%v/shared=%v", act, swap, shared)
				m := tflitetest.Model{Inputs: []int32{0}, Outputs: []int32{5}, Tensors: []tflitetest.Tensor{
					fTensor("in", []int{1, h, w, c}, nil),
					fTensor("expand", []int{1, h, w, c2}, nil),
					fTensor("project", []int{1, h, w, c}, nil),
					fTensor("sum", []int{1, h, w, c}, nil),
					fTensor("sum2", []int{1, h, w, c}, nil),
					fTensor("out", []int{1, h, w, c}, nil),
					fTensor("w1", []int{c2, 1, 1, c}, w1), fTensor("b1", []int{c2}, b1),
					fTensor("w2", []int{c, 1, 1, c2}, w2), fTensor("b2", []int{c}, b2),
				}}
				addIn := []int32{0, 2}
				if swap {
					addIn = []int32{2, 0}
				}
				m.Ops = []tflitetest.Op{
					{Code: tflite.OpConv2D, Inputs: []int32{0, 6, 7}, Outputs: []int32{1}, Options: &tflite.Conv2DOptions{StrideW: 1, StrideH: 1, DilationW: 1, DilationH: 1, Activation: tflite.ActRelu6}},
					{Code: tflite.OpConv2D, Inputs: []int32{1, 8, 9}, Outputs: []int32{2}, Options: &tflite.Conv2DOptions{StrideW: 1, StrideH: 1, DilationW: 1, DilationH: 1}},
					{Code: tflite.OpAdd, Inputs: addIn, Outputs: []int32{3}, Options: &tflite.AddOptions{Activation: act}},
				}
				// The output: the sum, plus (shared) the projection again.
				second := int32(3)
				if shared {
					second = 2
				}
				m.Ops = append(m.Ops,
					tflitetest.Op{Code: tflite.OpAdd, Inputs: []int32{3, second}, Outputs: []int32{4}, Options: &tflite.AddOptions{}},
					tflitetest.Op{Code: tflite.OpRelu, Inputs: []int32{4}, Outputs: []int32{5}})
				proj := conv(conv(x, w1, b1, c2, c, tflite.ActRelu6), w2, b2, c, c2, tflite.ActNone)
				want := make([]float64, len(x))
				for i := range want {
					s := applyAct(x[i]+proj[i], act)
					if shared {
						want[i] = max(s+proj[i], 0)
					} else {
						want[i] = max(2*s, 0)
					}
				}
				t.Run(name, func(t *testing.T) {
					data := m.Bytes()
					checkFloats(t, name, runFloat(t, m, in), want, relTol(want, 1e-5))
					for _, backend := range Backends() {
						var outs [2][]byte
						for i, keep := range [][]int{nil, {2}} {
							model, err := Load(data, Options{Backend: backend, Keep: keep, Threads: 2})
							if err != nil {
								t.Fatal(err)
							}
							if fused := model.ops[2].fused; fused != (!shared && keep == nil) {
								t.Errorf("%s, keep %v: ADD fused %v", backend, keep, fused)
							}
							outs[i] = make([]byte, model.Output().Bytes())
							if err := model.Run(context.Background(), floatBytes(in), outs[i]); err != nil {
								t.Fatal(err)
							}
							model.Close()
						}
						if !bytes.Equal(outs[0], outs[1]) {
							t.Errorf("%s: fused and unfused outputs differ", backend)
						}
					}
				})
			}
		}
	}
}

// TestSynthFloatStreamed checks a convolution (1×1, or 3×3 with stride 2)
// whose output of over 1 MB only a 3×3 depthwise convolution reads, which
// it computes row by row for it: the same bytes as unfused (the output
// kept for Trace, which leaves it unfused) on every backend and thread
// count, over strides, paddings, odd and even sizes and two images; the
// best kernels near the generic ones.
func TestSynthFloatStreamed(t *testing.T) {
	r := testkit.SeededRand(t)
	for _, tc := range []struct {
		first          bool // the producer is a 3×3 stride-2 convolution
		h, w, stride   int
		pad            tflite.Padding
		inC, c, images int
	}{
		{false, 37, 41, 1, tflite.PaddingSame, 8, 96, 2},
		{false, 38, 36, 2, tflite.PaddingSame, 5, 200, 1},
		{false, 39, 35, 2, tflite.PaddingSame, 8, 112, 2},
		{false, 36, 37, 1, tflite.PaddingValid, 3, 200, 1},
		{true, 36, 40, 1, tflite.PaddingSame, 3, 96, 2},
		{true, 35, 37, 2, tflite.PaddingSame, 4, 104, 2},
	} {
		name := fmt.Sprintf("first=%v/%dx%d/s%d/%v/c%d", tc.first, tc.h, tc.w, tc.stride, tc.pad, tc.c)
		t.Run(name, func(t *testing.T) {
			inH, inW, k := tc.h, tc.w, 1
			if tc.first {
				inH, inW, k = 2*tc.h, 2*tc.w, 3
			}
			outH, outW := (tc.h+tc.stride-1)/tc.stride, (tc.w+tc.stride-1)/tc.stride
			if tc.pad == tflite.PaddingValid {
				outH, outW = (tc.h-3)/tc.stride+1, (tc.w-3)/tc.stride+1
			}
			in := randFloats(r, tc.images*inH*inW*tc.inC, 2)
			m := tflitetest.Model{Inputs: []int32{0}, Outputs: []int32{3}, Tensors: []tflitetest.Tensor{
				fTensor("in", []int{tc.images, inH, inW, tc.inC}, nil),
				fTensor("expanded", []int{tc.images, tc.h, tc.w, tc.c}, nil),
				fTensor("depthwise", []int{tc.images, outH, outW, tc.c}, nil),
				fTensor("out", []int{tc.images, outH, outW, tc.c}, nil),
				fTensor("w1", []int{tc.c, k, k, tc.inC}, randFloats(r, tc.c*k*k*tc.inC, 0.5)),
				fTensor("b1", []int{tc.c}, randFloats(r, tc.c, 0.5)),
				fTensor("w2", []int{1, 3, 3, tc.c}, randFloats(r, 9*tc.c, 0.5)),
				fTensor("b2", []int{tc.c}, randFloats(r, tc.c, 0.5)),
			}, Ops: []tflitetest.Op{
				{Code: tflite.OpConv2D, Inputs: []int32{0, 4, 5}, Outputs: []int32{1}, Options: &tflite.Conv2DOptions{
					StrideW: int32(k/2 + 1), StrideH: int32(k/2 + 1), DilationW: 1, DilationH: 1, Activation: tflite.ActRelu6}},
				{Code: tflite.OpDepthwiseConv, Inputs: []int32{1, 6, 7}, Outputs: []int32{2}, Options: &tflite.DepthwiseConv2DOptions{
					Padding: tc.pad, StrideW: int32(tc.stride), StrideH: int32(tc.stride), DepthMultiplier: 1, DilationW: 1, DilationH: 1,
					Activation: tflite.ActRelu6}},
				{Code: tflite.OpRelu, Inputs: []int32{2}, Outputs: []int32{3}},
			}}
			runFloat(t, m, in)
			data := m.Bytes()
			for _, backend := range Backends() {
				for _, threads := range []int{1, 2, 3} {
					var outs [2][]byte
					for i, keep := range [][]int{nil, {1}} {
						model, err := Load(data, Options{Backend: backend, Keep: keep, Threads: threads})
						if err != nil {
							t.Fatal(err)
						}
						if fused := model.ops[1].fused; keep == nil && backend != "generic" && !fused || keep != nil && fused {
							t.Errorf("%s, keep %v: depthwise fused %v", backend, keep, fused)
						}
						outs[i] = make([]byte, model.Output().Bytes())
						if err := model.Run(context.Background(), floatBytes(in), outs[i]); err != nil {
							t.Fatal(err)
						}
						model.Close()
					}
					if !bytes.Equal(outs[0], outs[1]) {
						t.Errorf("%s, %d threads: streamed and stored outputs differ", backend, threads)
					}
				}
			}
		})
	}
}
