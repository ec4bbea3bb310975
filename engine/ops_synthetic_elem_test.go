package engine

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/classifly/classifly/internal/testkit"
	"github.com/classifly/classifly/internal/tflitetest"
	"github.com/classifly/classifly/tflite"
)

// poolCase is one MAX_POOL_2D or AVERAGE_POOL_2D (input and output share
// their quantization, as TFLite requires).
type poolCase struct {
	typ              tflite.TensorType
	max              bool
	batch, h, w, c   int
	fh, fw           int
	strideH, strideW int
	pad              tflite.Padding
	act              tflite.Activation
	q                qparam
	input            []int32
}

func (p *poolCase) String() string {
	return fmt.Sprintf("max=%v %v in %dx%dx%dx%d window %dx%d stride %dx%d pad %d %v",
		p.max, p.typ, p.batch, p.h, p.w, p.c, p.fh, p.fw, p.strideH, p.strideW, p.pad, p.act)
}

func (p *poolCase) outHW() (int, int) {
	return tfOut(p.pad, p.h, p.fh, p.strideH, 1), tfOut(p.pad, p.w, p.fw, p.strideW, 1)
}

func (p *poolCase) run(t *testing.T) []int32 {
	t.Helper()
	oh, ow := p.outHW()
	code := tflite.OpAveragePool2D
	if p.max {
		code = tflite.OpMaxPool2D
	}
	m := tflitetest.Model{
		Tensors: []tflitetest.Tensor{
			qTensor("input", p.typ, []int{p.batch, p.h, p.w, p.c}, p.q, nil),
			qTensor("output", p.typ, []int{p.batch, oh, ow, p.c}, p.q, nil),
		},
		Ops: []tflitetest.Op{{Code: code, Inputs: []int32{0}, Outputs: []int32{1},
			Options: &tflite.Pool2DOptions{Padding: p.pad, StrideW: int32(p.strideW), StrideH: int32(p.strideH),
				FilterWidth: int32(p.fw), FilterHeight: int32(p.fh), Activation: p.act}}},
		Inputs: []int32{0}, Outputs: []int32{1},
	}
	return runSynth8(t, p.typ, m, p.input)
}

// expected pools the real values over the part of each window inside the
// input (padding is not counted: TFLite clips windows), then applies the
// activation and quantizes.
func (p *poolCase) expected() []int32 {
	oh, ow := p.outHW()
	padH, padW := tfPad(p.pad, p.h, p.fh, p.strideH, 1), tfPad(p.pad, p.w, p.fw, p.strideW, 1)
	var out []int32
	for b := range p.batch {
		for oy := range oh {
			for ox := range ow {
				for ch := range p.c {
					sum, n, best := 0.0, 0, math.Inf(-1)
					for ky := range p.fh {
						for kx := range p.fw {
							y, x := oy*p.strideH-padH+ky, ox*p.strideW-padW+kx
							if y < 0 || y >= p.h || x < 0 || x >= p.w {
								continue
							}
							v := p.q.real(p.input[((b*p.h+y)*p.w+x)*p.c+ch])
							sum, n, best = sum+v, n+1, max(best, v)
						}
					}
					r := sum / float64(n)
					if p.max {
						r = best
					}
					out = append(out, p.q.quantize(applyAct(r, p.act), p.typ))
				}
			}
		}
	}
	return out
}

func TestSynthPoolRandom(t *testing.T) {
	r := testkit.SeededRand(t)
	for i := 0; i < 600; {
		p := &poolCase{typ: randType(r), max: i%2 == 0, batch: 1 + r.IntN(2), h: 1 + r.IntN(7), w: 1 + r.IntN(7), c: 1 + r.IntN(3),
			fh: 1 + r.IntN(3), fw: 1 + r.IntN(3), strideH: 1 + r.IntN(3), strideW: 1 + r.IntN(3),
			pad: tflite.Padding(r.IntN(2)), act: fusedActs[r.IntN(len(fusedActs))]}
		if oh, ow := p.outHW(); oh < 1 || ow < 1 {
			continue
		}
		p.q = randQ(r, p.typ, 0.01, 0.1)
		p.input = randVals(r, p.typ, p.batch*p.h*p.w*p.c)
		tol := int32(1)
		if p.max {
			tol = 0 // the maximum is exact
		}
		checkClose(t, fmt.Sprintf("case %d (%v)", i, p), p.run(t), p.expected(), tol)
		i++
	}
}

func TestSynthPoolExact(t *testing.T) {
	// MAX_POOL_2D, uint8, 3x3 input, 2x2 window, stride 2, SAME: 2x2
	// outputs, padding (2-1)*2+2-3 = 1 all after the input, so the windows
	// are {1 9 4 2}, {3 8}, {7 5}, {6}.
	p := &poolCase{typ: tflite.UInt8, max: true, batch: 1, h: 3, w: 3, c: 1, fh: 2, fw: 2, strideH: 2, strideW: 2,
		pad: tflite.PaddingSame, q: qparam{0.5, 10}, input: []int32{1, 9, 3, 4, 2, 8, 7, 5, 6}}
	checkClose(t, "max pool SAME", p.run(t), []int32{9, 8, 7, 6}, 0)
	// The same with RELU6: clamp to [10 + round(0/0.5), 10 + round(6/0.5)]
	// = [10, 22].
	p.act, p.input = tflite.ActRelu6, []int32{1, 30, 3, 4, 2, 8, 7, 5, 16}
	checkClose(t, "max pool RELU6", p.run(t), []int32{22, 10, 10, 16}, 0)
	// int8 with RELU: the window maximum -6 is below the clamp -5 + 0.
	p = &poolCase{typ: tflite.Int8, max: true, batch: 1, h: 2, w: 2, c: 2, fh: 2, fw: 2, strideH: 1, strideW: 1,
		pad: tflite.PaddingValid, act: tflite.ActRelu, q: qparam{0.5, -5}, input: []int32{-8, 3, -6, -128, -7, 0, -9, 2}}
	checkClose(t, "max pool int8 RELU", p.run(t), []int32{-5, 3}, 0)

	// AVERAGE_POOL_2D, uint8, the same SAME geometry: windows clipped to
	// the input count only their taps, and TFLite divides the raw sum with
	// (sum + n/2) / n.
	//	{1 2 4 6}: 13/4 -> (13+2)/4 = 3    {4 7}: (11+1)/2 = 6
	//	{9 8}: (17+1)/2 = 9                {2}: 2
	p = &poolCase{typ: tflite.UInt8, batch: 1, h: 3, w: 3, c: 1, fh: 2, fw: 2, strideH: 2, strideW: 2,
		pad: tflite.PaddingSame, q: qparam{0.5, 0}, input: []int32{1, 2, 4, 4, 6, 7, 9, 8, 2}}
	checkClose(t, "average pool SAME", p.run(t), []int32{3, 6, 9, 2}, 0)
	// int8 rounds a negative half away from zero: {-3 -2} -> (-5-1)/2 = -3;
	// the clipped window {5} -> 5.
	p = &poolCase{typ: tflite.Int8, batch: 1, h: 1, w: 3, c: 1, fh: 1, fw: 2, strideH: 1, strideW: 2,
		pad: tflite.PaddingSame, q: qparam{1, 0}, input: []int32{-3, -2, 5}}
	checkClose(t, "average pool int8", p.run(t), []int32{-3, 5}, 0)
	// 3x3 window, stride 1, SAME on 4x4: padding 1 before and after; corner
	// windows have 4 taps, edge windows 6, inner 9. Input 0..15:
	//	(0,0): 0+1+4+5 = 10 -> (10+2)/4 = 3      (0,1): 0+1+2+4+5+6 = 18 -> (18+3)/6 = 3
	//	(1,1): 0+1+2+4+5+6+8+9+10 = 45 -> (45+4)/9 = 5
	p = &poolCase{typ: tflite.UInt8, batch: 1, h: 4, w: 4, c: 1, fh: 3, fw: 3, strideH: 1, strideW: 1,
		pad: tflite.PaddingSame, q: qparam{1, 0}, input: []int32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}}
	got := p.run(t)
	checkClose(t, "average pool 3x3 SAME corners", []int32{got[0], got[1], got[5]}, []int32{3, 3, 5}, 0)
}

// addCase is an ADD of the model input and a constant, either first.
type addCase struct {
	typ                 tflite.TensorType
	act                 tflite.Activation
	aShape, bShape, out []int
	aQ, bQ, outQ        qparam
	a, b                []int32
	constFirst          bool
}

func (c *addCase) run(t *testing.T) []int32 {
	t.Helper()
	ts := []tflitetest.Tensor{
		qTensor("a", c.typ, c.aShape, c.aQ, nil),
		qTensor("out", c.typ, c.out, c.outQ, nil),
		qTensor("b", c.typ, c.bShape, c.bQ, c.b),
	}
	inputs := []int32{0, 2}
	if c.constFirst {
		inputs = []int32{2, 0}
	}
	m := tflitetest.Model{Tensors: ts, Inputs: []int32{0}, Outputs: []int32{1},
		Ops: []tflitetest.Op{{Code: tflite.OpAdd, Inputs: inputs, Outputs: []int32{1}, Options: &tflite.AddOptions{Activation: c.act}}}}
	return runSynth8(t, c.typ, m, c.a)
}

// broadcastIndex maps an output index to the index of an input whose shape
// broadcasts to out (NumPy rules: shapes right-aligned, size-1 dimensions
// repeat).
func broadcastIndex(i int, out, in []int) int {
	idx, stride := 0, 1
	for d := 1; d <= len(out); d++ {
		coord := i % out[len(out)-d]
		i /= out[len(out)-d]
		if d <= len(in) {
			if in[len(in)-d] != 1 {
				idx += coord * stride
			}
			stride *= in[len(in)-d]
		}
	}
	return idx
}

func (c *addCase) reals() []float64 {
	out := make([]float64, elemCount(c.out))
	for i := range out {
		out[i] = c.aQ.real(c.a[broadcastIndex(i, c.out, c.aShape)]) + c.bQ.real(c.b[broadcastIndex(i, c.out, c.bShape)])
	}
	return out
}

func (c *addCase) expected() []int32 {
	var out []int32
	for _, x := range c.reals() {
		out = append(out, c.outQ.quantize(applyAct(x, c.act), c.typ))
	}
	return out
}

// TestSynthAddBroadcastRandom adds tensors whose shapes broadcast, of ranks
// 1 to 4, with different scales and zero points.
func TestSynthAddBroadcastRandom(t *testing.T) {
	r := testkit.SeededRand(t)
	for i := range 400 {
		c := &addCase{typ: randType(r), act: fusedActs[r.IntN(len(fusedActs))], constFirst: r.IntN(2) == 0}
		for range 4 {
			d := 1 + r.IntN(3)
			c.out = append(c.out, d)
			switch r.IntN(3) {
			case 0:
				c.aShape, c.bShape = append(c.aShape, d), append(c.bShape, 1)
			case 1:
				c.aShape, c.bShape = append(c.aShape, 1), append(c.bShape, d)
			default:
				c.aShape, c.bShape = append(c.aShape, d), append(c.bShape, d)
			}
		}
		// Drop leading size-1 dimensions at random: lower ranks broadcast too.
		for len(c.aShape) > 1 && c.aShape[0] == 1 && r.IntN(2) == 0 {
			c.aShape = c.aShape[1:]
		}
		for len(c.bShape) > 1 && c.bShape[0] == 1 && r.IntN(2) == 0 {
			c.bShape = c.bShape[1:]
		}
		c.aQ, c.bQ = randQ(r, c.typ, 0.01, 0.1), randQ(r, c.typ, 0.01, 0.1)
		c.a, c.b = randVals(r, c.typ, elemCount(c.aShape)), randVals(r, c.typ, elemCount(c.bShape))
		c.outQ = outQ(r, c.typ, c.reals())
		what := fmt.Sprintf("case %d (%v %v + %v -> %v, const first %v, %v)", i, c.typ, c.aShape, c.bShape, c.out, c.constFirst, c.act)
		checkClose(t, what, c.run(t), c.expected(), 1)
	}
}

// TestSynthAddExact: int8 [2,1] + [3] -> [2,3]. Both input scales 0.5,
// output scale 1, so TFLite's recipe is exact up to the last step: inputs
// (q - zp) << 20 times 0.5/(2*0.5) = 2^30*2^-31 are exact, the output
// multiplier 2*0.5/(2^20*1) = 2^30 * 2^(-19-31) leaves
// RoundingDivideByPOT((a+b)*2^18, 19), which rounds (a+b)/2 half away from
// zero.
//
//	a - 1 = [1 -1]; b + 1 = [2 -2 0]
//	row 0: 3 -1 1 -> 1.5 -0.5 0.5 -> 2 -1 1
//	row 1: 1 -3 -1 -> 0.5 -1.5 -0.5 -> 1 -2 -1;  plus 5
func TestSynthAddExact(t *testing.T) {
	for _, constFirst := range []bool{false, true} {
		c := &addCase{typ: tflite.Int8, aShape: []int{2, 1}, bShape: []int{3}, out: []int{2, 3},
			aQ: qparam{0.5, 1}, bQ: qparam{0.5, -1}, outQ: qparam{1, 5},
			a: []int32{2, 0}, b: []int32{1, -3, -1}, constFirst: constFirst}
		checkClose(t, fmt.Sprintf("int8 broadcast, constant first %v", constFirst), c.run(t), []int32{7, 4, 6, 6, 3, 4}, 0)
	}
}

// concatCase joins the model input and constants along an axis.
type concatCase struct {
	typ    tflite.TensorType
	axis   int // as written in the options, maybe negative
	shapes [][]int
	qs     []qparam
	vals   [][]int32
	out    []int
	outQ   qparam
}

func (c *concatCase) run(t *testing.T) []int32 {
	t.Helper()
	ts := []tflitetest.Tensor{qTensor("in0", c.typ, c.shapes[0], c.qs[0], nil), qTensor("out", c.typ, c.out, c.outQ, nil)}
	inputs := []int32{0}
	for k := 1; k < len(c.shapes); k++ {
		ts = append(ts, qTensor(fmt.Sprintf("in%d", k), c.typ, c.shapes[k], c.qs[k], c.vals[k]))
		inputs = append(inputs, int32(len(ts)-1))
	}
	m := tflitetest.Model{Tensors: ts, Inputs: []int32{0}, Outputs: []int32{1},
		Ops: []tflitetest.Op{{Code: tflite.OpConcatenation, Inputs: inputs, Outputs: []int32{1},
			Options: &tflite.ConcatenationOptions{Axis: int32(c.axis)}}}}
	return runSynth8(t, c.typ, m, c.vals[0])
}

// expected walks the output in order: for each index before the axis, each
// input's slab in turn, each value rescaled to the output quantization.
func (c *concatCase) expected() []int32 {
	axis := c.axis
	if axis < 0 {
		axis += len(c.out)
	}
	outer := elemCount(c.out[:axis])
	var out []int32
	for o := range outer {
		for k, s := range c.shapes {
			slab := elemCount(s[axis:])
			for _, v := range c.vals[k][o*slab : (o+1)*slab] {
				out = append(out, c.outQ.quantize(c.qs[k].real(v), c.typ))
			}
		}
	}
	return out
}

func TestSynthConcatRandom(t *testing.T) {
	r := testkit.SeededRand(t)
	for i := range 400 {
		c := &concatCase{typ: randType(r)}
		rank := 1 + r.IntN(4)
		axis := r.IntN(rank)
		for range rank {
			c.out = append(c.out, 1+r.IntN(3))
		}
		c.out[axis] = 0
		c.outQ = randQ(r, c.typ, 0.01, 0.1)
		for range 2 + r.IntN(2) {
			s := slices.Clone(c.out)
			s[axis] = 1 + r.IntN(3)
			c.out[axis] += s[axis]
			q := c.outQ
			if r.IntN(2) == 0 {
				q = randQ(r, c.typ, 0.005, 0.2)
			}
			c.shapes, c.qs = append(c.shapes, s), append(c.qs, q)
			c.vals = append(c.vals, randVals(r, c.typ, elemCount(s)))
		}
		c.axis = axis
		if r.IntN(2) == 0 {
			c.axis -= rank
		}
		what := fmt.Sprintf("case %d (%v %v axis %d -> %v)", i, c.typ, c.shapes, c.axis, c.out)
		checkClose(t, what, c.run(t), c.expected(), 1)
	}
}

// TestSynthConcatExact: uint8 [1,2,2] and [1,2,1] along axis -1. The
// first input (scale 0.5, zero point 10) is rescaled as TFLite's
// ConcatenationWithScaling does, round(q*0.5 - 5) + 5 with round half away
// from zero; the second has the output's scale, zero point 0 against 5:
//
//	13 -> round(1.5) = 2 -> 7      11 -> round(0.5) = 1 -> 6
//	 7 -> round(-1.5) = -2 -> 3    10 -> 0 -> 5
//	 3 -> 3 + 5 = 8               250 -> 255 (clamped from 255)
func TestSynthConcatExact(t *testing.T) {
	c := &concatCase{typ: tflite.UInt8, axis: -1, shapes: [][]int{{1, 2, 2}, {1, 2, 1}}, out: []int{1, 2, 3},
		qs: []qparam{{0.5, 10}, {1, 0}}, outQ: qparam{1, 5}, vals: [][]int32{{13, 11, 7, 10}, {3, 250}}}
	checkClose(t, "uint8 rescaled, axis -1", c.run(t), []int32{7, 6, 8, 3, 5, 255}, 0)
	// Same quantization everywhere: a plain copy, here along axis 0 of int8
	// [1,3] and [2,3], the second given twice.
	c = &concatCase{typ: tflite.Int8, axis: 0, shapes: [][]int{{1, 3}, {2, 3}, {2, 3}}, out: []int{5, 3},
		qs: []qparam{{0.1, -3}, {0.1, -3}, {0.1, -3}}, outQ: qparam{0.1, -3},
		vals: [][]int32{{-128, 0, 127}, {1, 2, 3, 4, 5, 6}, {1, 2, 3, 4, 5, 6}}}
	checkClose(t, "int8 copy, axis 0", c.run(t), []int32{-128, 0, 127, 1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6}, 0)
}

// TestSynthSqueeze checks SQUEEZE keeps the bytes and takes the output
// shape from the model, with explicit, negative and no squeeze_dims.
func TestSynthSqueeze(t *testing.T) {
	in := []int32{1, 2, 3, 250, 0, 128}
	for _, opts := range []*tflite.SqueezeOptions{{SqueezeDims: []int32{0, 2}}, {SqueezeDims: []int32{-4, -2}}, {}} {
		q := qparam{0.25, 7}
		m := tflitetest.Model{
			Tensors: []tflitetest.Tensor{
				qTensor("in", tflite.UInt8, []int{1, 3, 1, 2}, q, nil),
				qTensor("out", tflite.UInt8, []int{3, 2}, q, nil),
			},
			Ops:    []tflitetest.Op{{Code: tflite.OpSqueeze, Inputs: []int32{0}, Outputs: []int32{1}, Options: opts}},
			Inputs: []int32{0}, Outputs: []int32{1},
		}
		model, err := Load(m.Bytes(), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got := model.Output().Shape; !slices.Equal(got, []int{3, 2}) {
			t.Errorf("squeeze %v: output shape %v, want [3 2]", opts.SqueezeDims, got)
		}
		checkClose(t, fmt.Sprintf("squeeze %v", opts.SqueezeDims), decode8(tflite.UInt8, runSynth(t, m, encode8(tflite.UInt8, in))), in, 0)
	}
}
