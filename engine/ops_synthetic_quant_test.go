package engine

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/classifly/classifly/internal/testkit"
	"github.com/classifly/classifly/internal/tflitetest"
	"github.com/classifly/classifly/tflite"
)

func quantizeModel(typ tflite.TensorType, n int, q qparam) tflitetest.Model {
	return tflitetest.Model{
		Tensors: []tflitetest.Tensor{
			{Name: "in", Type: tflite.Float32, Shape: []int32{int32(n)}},
			qTensor("out", typ, []int{n}, q, nil),
		},
		Ops:    []tflitetest.Op{{Code: tflite.OpQuantize, Inputs: []int32{0}, Outputs: []int32{1}}},
		Inputs: []int32{0}, Outputs: []int32{1},
	}
}

func TestSynthQuantizeRandom(t *testing.T) {
	r := testkit.SeededRand(t)
	for i := range 200 {
		typ := randType(r)
		q := randQ(r, typ, 0.001, 1)
		if r.IntN(2) == 0 {
			q.scale = float32(math.Ldexp(1, -r.IntN(8))) // exact ties x/scale = k + 0.5
		}
		x := make([]float32, 64)
		for k := range x {
			switch k % 4 {
			case 0: // a half-way point
				x[k] = (float32(r.IntN(600)-300) + 0.5) * q.scale
			case 1: // far outside the range
				x[k] = float32(r.NormFloat64() * 1000 * float64(q.scale))
			default:
				x[k] = float32(r.NormFloat64() * 80 * float64(q.scale))
			}
		}
		got := decode8(typ, runSynth(t, quantizeModel(typ, len(x), q), tflitetest.Float32Bytes(x...)))
		want := make([]int32, len(x))
		for k, v := range x {
			want[k] = q.quantize(float64(v), typ)
		}
		checkClose(t, fmt.Sprintf("case %d (%v scale %v zp %d)", i, typ, q.scale, q.zp), got, want, 1)
	}
}

// TestSynthQuantizeExact: x/0.5 rounded half away from zero (TFLite's
// round, not round-half-even, not truncation), plus the zero point, clamped.
//
//	x:      1.25 -1.25 0.75 0.24 -1.75 1000 -1000 126
//	x/0.5:  2.5  -2.5  1.5  0.48 -3.5  2000 -2000 252
//	round:  3    -3    2    0    -4
//	uint8, zp 3:  6 0 5 3 0(-1) 255 0 255
//	int8, zp -3:  0 -6 -1 -3 -7 127 -128 127(249)
func TestSynthQuantizeExact(t *testing.T) {
	x := tflitetest.Float32Bytes(1.25, -1.25, 0.75, 0.24, -1.75, 1000, -1000, 126)
	got := decode8(tflite.UInt8, runSynth(t, quantizeModel(tflite.UInt8, 8, qparam{0.5, 3}), x))
	checkClose(t, "float32 to uint8", got, []int32{6, 0, 5, 3, 0, 255, 0, 255}, 0)
	got = decode8(tflite.Int8, runSynth(t, quantizeModel(tflite.Int8, 8, qparam{0.5, -3}), x))
	checkClose(t, "float32 to int8", got, []int32{0, -6, -1, -3, -7, 127, -128, 127}, 0)
}

func dequantize(t *testing.T, typ tflite.TensorType, q qparam, in []int32) []float32 {
	t.Helper()
	m := tflitetest.Model{
		Tensors: []tflitetest.Tensor{
			qTensor("in", typ, []int{1, len(in)}, q, nil),
			{Name: "out", Type: tflite.Float32, Shape: []int32{1, int32(len(in))}},
		},
		Ops:    []tflitetest.Op{{Code: tflite.OpDequantize, Inputs: []int32{0}, Outputs: []int32{1}}},
		Inputs: []int32{0}, Outputs: []int32{1},
	}
	raw := runSynth(t, m, encode8(typ, in))
	out := make([]float32, len(in))
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	return out
}

// TestSynthDequantize checks every 8-bit value against the real value
// scale*(q - zp), rounded once to float32: the product of a float32 scale
// and an integer below 2^9 is exact in float64, so this is the correctly
// rounded result and nothing less is acceptable.
func TestSynthDequantize(t *testing.T) {
	r := testkit.SeededRand(t)
	for i := range 50 {
		typ := randType(r)
		q := randQ(r, typ, 1e-4, 10)
		lo, hi := typeRange(typ)
		var in []int32
		for v := lo; v <= hi; v++ {
			in = append(in, v)
		}
		got := dequantize(t, typ, q, in)
		for k, v := range in {
			if want := float32(q.real(v)); got[k] != want {
				t.Errorf("case %d (%v scale %v zp %d): %d -> %v, want %v", i, typ, q.scale, q.zp, v, got[k], want)
				break
			}
		}
	}
	// By hand: uint8 scale 0.25 zp 128; int8 scale 0.5 zp -3.
	got := dequantize(t, tflite.UInt8, qparam{0.25, 128}, []int32{0, 127, 128, 129, 255})
	if want := []float32{-32, -0.25, 0, 0.25, 31.75}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("uint8: %v, want %v", got, want)
	}
	got = dequantize(t, tflite.Int8, qparam{0.5, -3}, []int32{-128, -3, 0, 127})
	if want := []float32{-62.5, 0, 1.5, 65}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("int8: %v, want %v", got, want)
	}
}

// meanCase is a MEAN over contiguous axes.
type meanCase struct {
	typ     tflite.TensorType
	shape   []int
	axes    []int32 // as written in the axis tensor, maybe negative
	keep    bool
	in, out qparam
	input   []int32
}

func (c *meanCase) reduced() []bool {
	red := make([]bool, len(c.shape))
	for _, a := range c.axes {
		if a < 0 {
			a += int32(len(c.shape))
		}
		red[a] = true
	}
	return red
}

func (c *meanCase) outShape() []int {
	var s []int
	for d, r := range c.reduced() {
		switch {
		case !r:
			s = append(s, c.shape[d])
		case c.keep:
			s = append(s, 1)
		}
	}
	return s
}

func (c *meanCase) run(t *testing.T) []int32 {
	t.Helper()
	m := tflitetest.Model{
		Tensors: []tflitetest.Tensor{
			qTensor("in", c.typ, c.shape, c.in, nil),
			qTensor("out", c.typ, c.outShape(), c.out, nil),
			int32Tensor("axes", []int{len(c.axes)}, c.axes),
		},
		Ops: []tflitetest.Op{{Code: tflite.OpMean, Inputs: []int32{0, 2}, Outputs: []int32{1},
			Options: &tflite.ReducerOptions{KeepDims: c.keep}}},
		Inputs: []int32{0}, Outputs: []int32{1},
	}
	return runSynth8(t, c.typ, m, c.input)
}

// reals averages the real values of each group of reduced elements.
func (c *meanCase) reals() []float64 {
	red := c.reduced()
	out := make([]float64, elemCount(c.outShape()))
	n := make([]int, len(out))
	for i, v := range c.input {
		// Output index: the coordinates of the kept dimensions, row-major.
		rest, o, stride := i, 0, 1
		for d := len(c.shape) - 1; d >= 0; d-- {
			coord := rest % c.shape[d]
			rest /= c.shape[d]
			if !red[d] {
				o += coord * stride
				stride *= c.shape[d]
			}
		}
		out[o] += c.in.real(v)
		n[o]++
	}
	for o := range out {
		out[o] /= float64(n[o])
	}
	return out
}

func (c *meanCase) expected() []int32 {
	reals := c.reals()
	if c.typ == tflite.UInt8 && c.keep && len(c.shape) == 4 && slices.Equal(c.reduced(), []bool{false, true, true, false}) {
		// TFLite's uint8 spatial mean (optimized_ops::Mean) folds the input
		// zero point into an integer bias truncated from float32,
		// outZP - int(inZP*inScale/outScale), which can be up to one step
		// above the real term (with equal quantization, 106*s/s may come to
		// 105.99999). That is TFLite's result, so the reference uses the
		// same term; the rest stays real arithmetic.
		k := float64(c.in.scale) / float64(c.out.scale)
		exact := float64(c.in.zp) * k
		folded := float64(int32(float32(c.in.zp) * c.in.scale / c.out.scale))
		for i := range reals {
			reals[i] += (exact - folded) * float64(c.out.scale)
		}
	}
	var out []int32
	for _, x := range reals {
		out = append(out, c.out.quantize(x, c.typ))
	}
	return out
}

// TestSynthMeanRandom averages over random runs of adjacent axes (the
// spatial axes of NHWC included), keeping dimensions or not, with the same
// or a different output quantization.
func TestSynthMeanRandom(t *testing.T) {
	r := testkit.SeededRand(t)
	for i := range 400 {
		c := &meanCase{typ: randType(r), keep: r.IntN(2) == 0}
		rank := 1 + r.IntN(4)
		for range rank {
			c.shape = append(c.shape, 1+r.IntN(4))
		}
		first := r.IntN(rank)
		last := first + r.IntN(rank-first)
		if i%4 == 0 && rank == 4 {
			first, last = 1, 2 // the spatial mean of classifiers
		}
		for a := first; a <= last; a++ {
			ax := int32(a)
			if r.IntN(2) == 0 {
				ax -= int32(rank)
			}
			c.axes = append(c.axes, ax)
		}
		r.Shuffle(len(c.axes), func(a, b int) { c.axes[a], c.axes[b] = c.axes[b], c.axes[a] })
		c.in = randQ(r, c.typ, 0.01, 0.1)
		c.out = c.in
		if r.IntN(2) == 0 {
			c.out = randQ(r, c.typ, 0.005, 0.1)
		}
		c.input = randVals(r, c.typ, elemCount(c.shape))
		what := fmt.Sprintf("case %d (%v %v axes %v keep %v, in %v out %v)", i, c.typ, c.shape, c.axes, c.keep, c.in, c.out)
		checkClose(t, what, c.run(t), c.expected(), 1)
	}
}

// TestSynthMeanExact pins each of TFLite's MEAN recipes
// (tensorflow/lite/kernels/reduce.cc EvalMean) with a case that tells it
// from the others.
func TestSynthMeanExact(t *testing.T) {
	// uint8, 4-D, axes {1, 2}, keep_dims: optimized_ops::Mean. The window
	// size goes into the multiplier, float32(0.5 / (4 * 0.3)) = 0.41666666,
	// and the input zero point into a bias truncated from float32,
	// 20 - int(10 * 0.5 / 0.3) = 20 - int(16.67) = 4, so the result is one
	// above the real mean (6.25 -> 26) in channel 0:
	//	channel 0: 12+13+14+16 = 55 -> 55 * 0.41666666 = 22.92 -> 23 -> 27
	//	channel 1: 11+11+11+12 = 45 -> 18.75 -> 19 -> 23
	c := &meanCase{typ: tflite.UInt8, shape: []int{1, 2, 2, 2}, axes: []int32{1, 2}, keep: true,
		in: qparam{0.5, 10}, out: qparam{0.3, 20}, input: []int32{12, 11, 13, 11, 14, 11, 16, 12}}
	checkClose(t, "uint8 spatial keep_dims", c.run(t), []int32{27, 23}, 0)

	// int8, 4-D, axes {1, 2}, keep_dims: reference_integer_ops::Mean.
	// Multiplier 0.5/1 (2^30, shift 0) on the sum of (q - zp), then the
	// window size divided out rounding half away from zero; both steps
	// round, so the results are 1 and -1 where the real means are 0.375
	// and -0.5:
	//	channel 0: 1+1+1+0 = 3 -> SRDHM(3, 2^30) = (3+1)/2 = 2 -> (2 + 4/2) / 4 = 1
	//	channel 1: -4 -> SRDHM(-4, 2^30) = floor(-3/2) = -2 -> (-2 - 4/2) / 4 = -1
	c = &meanCase{typ: tflite.Int8, shape: []int{1, 2, 2, 2}, axes: []int32{1, 2}, keep: true,
		in: qparam{0.5, 0}, out: qparam{1, 0}, input: spatialMeanInput}
	checkClose(t, "int8 spatial keep_dims", c.run(t), []int32{1, -1}, 0)

	// Other axes, quantization changes: QuantizedMeanOrSum in float32,
	// round(mean * 0.5 - 5) + 3 with scale 0.5/1 and bias -10*0.5:
	//	[11 12 14]: 37/3 = 12.333 -> 1.1667 -> 1 -> 4
	//	[7 7 7]:    7 -> -1.5 -> -2 (half away from zero) -> 1
	c = &meanCase{typ: tflite.UInt8, shape: []int{2, 3}, axes: []int32{-1},
		in: qparam{0.5, 10}, out: qparam{1, 3}, input: []int32{11, 12, 14, 7, 7, 7}}
	checkClose(t, "uint8 axis -1, rescaled", c.run(t), []int32{4, 1}, 0)
}

// TestSynthMeanSameQuantization: when input and output quantization are
// equal, EvalMean calls reference_ops::Mean, which divides the integer sum
// by the count with C++ integer division (truncation toward zero):
// [1 2 2 2] -> 7/4 = 1, [3 3 3 4] -> 13/4 = 3; int8 [-1 -1 -1 0] ->
// -3/4 = 0, [-2 -2 -2 -1] -> -7/4 = -1.
func TestSynthMeanSameQuantization(t *testing.T) {
	c := &meanCase{typ: tflite.UInt8, shape: []int{2, 4}, axes: []int32{1},
		in: qparam{0.5, 0}, out: qparam{0.5, 0}, input: []int32{1, 2, 2, 2, 3, 3, 3, 4}}
	checkClose(t, "uint8", c.run(t), []int32{1, 3}, 0)
	c = &meanCase{typ: tflite.Int8, shape: []int{2, 4}, axes: []int32{1},
		in: qparam{0.5, 0}, out: qparam{0.5, 0}, input: []int32{-1, -1, -1, 0, -2, -2, -2, -1}}
	checkClose(t, "int8", c.run(t), []int32{0, -1}, 0)
}

// spatialMeanInput is NHWC [1 2 2 2]: channel 0 holds 1 1 1 0, channel 1
// holds -1 -1 -1 -1.
var spatialMeanInput = []int32{1, -1, 1, -1, 1, -1, 0, -1}

// TestSynthMeanInt8SpatialNoKeepDims: TFLite takes the specialised int8
// kernel only with keep_dims (reduce.cc EvalMean: both the optimized and
// the reference branch test params->keep_dims). Without it the general
// QuantizedMeanOrSum runs, in float32 round(mean * 0.5/1 + 0) + 0:
// channel 0: 0.75 * 0.5 = 0.375 -> 0; channel 1: -1 * 0.5 = -0.5 -> -1,
// where the specialised kernel gives 1 and -1 (see TestSynthMeanExact).
func TestSynthMeanInt8SpatialNoKeepDims(t *testing.T) {
	c := &meanCase{typ: tflite.Int8, shape: []int{1, 2, 2, 2}, axes: []int32{1, 2}, keep: false,
		in: qparam{0.5, 0}, out: qparam{1, 0}, input: spatialMeanInput}
	checkClose(t, "int8 spatial, keep_dims false", c.run(t), []int32{0, -1}, 0)
}

// flipTopBits flips every byte, whatever the length's remainder modulo its
// 32-byte step, and writes nothing past the input's length.
func TestFlipTopBits(t *testing.T) {
	for n := range 100 {
		in := make([]byte, n)
		for i := range in {
			in[i] = byte(i*37 + n)
		}
		out := make([]byte, n+1)
		out[n] = 0x5a
		flipTopBits(in, out[:n])
		for i, v := range in {
			if out[i] != v^0x80 {
				t.Fatalf("n=%d: byte %d = %#x, want %#x", n, i, out[i], v^0x80)
			}
		}
		if out[n] != 0x5a {
			t.Fatalf("n=%d: wrote past the end", n)
		}
	}
}
