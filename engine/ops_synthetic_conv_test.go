package engine

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/classifly/classifly/internal/testkit"
	"github.com/classifly/classifly/internal/tflitetest"
	"github.com/classifly/classifly/tflite"
)

// convCase is one CONV_2D or DEPTHWISE_CONV_2D. Filters are OHWI for
// CONV_2D and [1][KH][KW][OutC] for DEPTHWISE_CONV_2D (output channel
// oc = ic*multiplier + m reads input channel ic), as in schema.fbs.
type convCase struct {
	typ                  tflite.TensorType
	depthwise            bool
	batch, inH, inW, inC int
	outC                 int
	kH, kW               int
	strideH, strideW     int
	dilH, dilW           int
	pad                  tflite.Padding
	act                  tflite.Activation
	in, out              qparam
	w                    []qparam // one, or one per output channel
	input, filter, bias  []int32  // bias nil: no bias input
}

func (c *convCase) String() string {
	kind := "conv"
	if c.depthwise {
		kind = "depthwise"
	}
	return fmt.Sprintf("%s %v in %dx%dx%dx%d out %d k %dx%d stride %dx%d dilation %dx%d pad %d %v, %d filter scales, bias %v",
		kind, c.typ, c.batch, c.inH, c.inW, c.inC, c.outC, c.kH, c.kW, c.strideH, c.strideW, c.dilH, c.dilW, c.pad, c.act, len(c.w), c.bias != nil)
}

func (c *convCase) geom() convGeom {
	return convGeom{c.inH, c.inW, c.inC, c.kH, c.kW, c.strideH, c.strideW, c.dilH, c.dilW, c.pad}
}

func (c *convCase) outHW() (int, int) { return c.geom().outHW() }

func (c *convCase) wq(oc int) qparam {
	if len(c.w) == 1 {
		return c.w[0]
	}
	return c.w[oc]
}

func (c *convCase) model() tflitetest.Model {
	oh, ow := c.outHW()
	shape, quantDim := []int{c.outC, c.kH, c.kW, c.inC}, int32(0)
	if c.depthwise {
		shape, quantDim = []int{1, c.kH, c.kW, c.outC}, 3
	}
	filter := tflitetest.Tensor{Name: "filter", Type: c.typ, Shape: shape32(shape), Data: encode8(c.typ, c.filter), QuantDim: quantDim}
	for _, q := range c.w {
		filter.Scale = append(filter.Scale, q.scale)
		filter.ZeroPoint = append(filter.ZeroPoint, int64(q.zp))
	}
	ts := []tflitetest.Tensor{
		qTensor("input", c.typ, []int{c.batch, c.inH, c.inW, c.inC}, c.in, nil),
		qTensor("output", c.typ, []int{c.batch, oh, ow, c.outC}, c.out, nil),
		filter,
	}
	inputs := []int32{0, 2}
	if c.bias != nil {
		ts = append(ts, int32Tensor("bias", []int{c.outC}, c.bias))
		inputs = append(inputs, 3)
	}
	op := tflitetest.Op{Code: tflite.OpConv2D, Inputs: inputs, Outputs: []int32{1},
		Options: &tflite.Conv2DOptions{Padding: c.pad, StrideW: int32(c.strideW), StrideH: int32(c.strideH),
			Activation: c.act, DilationW: int32(c.dilW), DilationH: int32(c.dilH)}}
	if c.depthwise {
		op.Code = tflite.OpDepthwiseConv
		op.Options = &tflite.DepthwiseConv2DOptions{Padding: c.pad, StrideW: int32(c.strideW), StrideH: int32(c.strideH),
			DepthMultiplier: int32(c.outC / c.inC), Activation: c.act, DilationW: int32(c.dilW), DilationH: int32(c.dilH)}
	}
	return tflitetest.Model{Tensors: ts, Ops: []tflitetest.Op{op}, Inputs: []int32{0}, Outputs: []int32{1}}
}

// reals computes the convolution in float64 on dequantized values, before
// the fused activation; taps outside the input contribute nothing.
func (c *convCase) reals() []float64 {
	g := c.geom()
	oh, ow := g.outHW()
	var out []float64
	for b := range c.batch {
		for oy := range oh {
			for ox := range ow {
				for oc := range c.outC {
					wq := c.wq(oc)
					sum := 0.0
					g.taps(b, oy, ox, func(pix, ky, kx int) {
						if c.depthwise {
							ic := oc / (c.outC / c.inC)
							sum += c.in.real(c.input[pix+ic]) * wq.real(c.filter[(ky*c.kW+kx)*c.outC+oc])
							return
						}
						for ic := range c.inC {
							sum += c.in.real(c.input[pix+ic]) * wq.real(c.filter[((oc*c.kH+ky)*c.kW+kx)*c.inC+ic])
						}
					})
					if c.bias != nil {
						sum += float64(c.bias[oc]) * float64(c.in.scale) * float64(wq.scale)
					}
					out = append(out, sum)
				}
			}
		}
	}
	return out
}

func (c *convCase) expected() []int32 { return c.out.quantizeAll(c.reals(), c.act, c.typ) }

func (c *convCase) run(t *testing.T) []int32 {
	t.Helper()
	return runSynth8(t, c.typ, c.model(), c.input)
}

// randomConvCase draws a small convolution: uint8 with per-tensor
// quantization, or int8 with symmetric per-channel (or per-tensor) filters,
// as the two kinds of quantized models have them.
func randomConvCase(r *rand.Rand, depthwise bool) *convCase {
	for {
		c := &convCase{typ: randType(r), depthwise: depthwise,
			batch: 1 + r.IntN(2), inH: 1 + r.IntN(7), inW: 1 + r.IntN(7), inC: 1 + r.IntN(4),
			kH: 1 + r.IntN(3), kW: 1 + r.IntN(3), strideH: 1 + r.IntN(2), strideW: 1 + r.IntN(2),
			dilH: 1 + r.IntN(2), dilW: 1 + r.IntN(2), pad: tflite.Padding(r.IntN(2)), act: fusedActs[r.IntN(len(fusedActs))]}
		if depthwise {
			c.outC = c.inC * (1 + r.IntN(3))
		} else {
			c.outC = 1 + r.IntN(4)
		}
		if oh, ow := c.outHW(); oh < 1 || ow < 1 {
			continue
		}
		c.in = randQ(r, c.typ, 0.01, 0.1)
		switch {
		case c.typ == tflite.UInt8:
			c.w = []qparam{randQ(r, c.typ, 0.002, 0.05)}
		case r.IntN(4) == 0:
			c.w = []qparam{{randQ(r, c.typ, 0.002, 0.05).scale, 0}}
		default:
			for range c.outC {
				c.w = append(c.w, qparam{randQ(r, c.typ, 0.002, 0.05).scale, 0})
			}
		}
		c.input = randVals(r, c.typ, c.batch*c.inH*c.inW*c.inC)
		if depthwise {
			c.filter = randVals(r, c.typ, c.kH*c.kW*c.outC)
		} else {
			c.filter = randVals(r, c.typ, c.outC*c.kH*c.kW*c.inC)
		}
		if r.IntN(4) != 0 {
			for range c.outC {
				c.bias = append(c.bias, int32(r.IntN(6001))-3000)
			}
		}
		c.out = outQ(r, c.typ, c.reals())
		return c
	}
}

// TestSynthConvRandom compares CONV_2D with float64 arithmetic on random
// shapes, strides, dilations, paddings and fused activations.
func TestSynthConvRandom(t *testing.T) {
	r := testkit.SeededRand(t)
	for i := range 300 {
		c := randomConvCase(r, false)
		checkClose(t, fmt.Sprintf("case %d (%v)", i, c), c.run(t), c.expected(), 1)
	}
}

// TestSynthDepthwiseRandom does the same for DEPTHWISE_CONV_2D with depth
// multipliers 1 to 3.
func TestSynthDepthwiseRandom(t *testing.T) {
	r := testkit.SeededRand(t)
	for i := range 300 {
		c := randomConvCase(r, true)
		checkClose(t, fmt.Sprintf("case %d (%v)", i, c), c.run(t), c.expected(), 1)
	}
}

// handConvUint8 is a uint8 3x3 input, 2x2 filter, stride 1, VALID. The
// requantization multiplier is float32(0.5*0.5)/1 = 0.25 = 2^30 * 2^(-1-31)
// (TFLite's QuantizeMultiplier gives M = 2^30, shift -1), so TFLite's double
// rounding, SaturatingRoundingDoublingHighMul (half up) then
// RoundingDivideByPOT by 1 (half away from zero), is visible:
//
//	input - 2:  1 -1  2    filter - 3:  1 -1
//	           -1  3  7                 0  2
//	            0  4  3
//	sums 8, 11, 4, 2; with bias -1: 7, 10, 3, 1
//	7:  SRDHM = (7+1)/2 = 4, /2 = 2    -> 12
//	10: SRDHM = 10/2 = 5,    /2 = 2.5 -> 3 -> 13
//	3:  SRDHM = (3+1)/2 = 2, /2 = 1    -> 11
//	1:  SRDHM = (1+1)/2 = 1, /2 = 0.5 -> 1 -> 11  (1*0.25 rounded once is 0)
func handConvUint8() *convCase {
	return &convCase{typ: tflite.UInt8, batch: 1, inH: 3, inW: 3, inC: 1, outC: 1, kH: 2, kW: 2,
		strideH: 1, strideW: 1, dilH: 1, dilW: 1, pad: tflite.PaddingValid,
		in: qparam{0.5, 2}, w: []qparam{{0.5, 3}}, out: qparam{1, 10},
		input:  []int32{3, 1, 4, 1, 5, 9, 2, 6, 5},
		filter: []int32{4, 2, 3, 5},
		bias:   []int32{-1},
	}
}

func TestSynthConvExact(t *testing.T) {
	c := handConvUint8()
	checkClose(t, "uint8 double rounding", c.run(t), []int32{12, 13, 11, 11}, 0)

	// int8, per-channel filter scales 0.5 and 0.25 (M = 2^30 with shift 0
	// and -1), input zero point -1, output zero point 3, 1x1 kernel over two
	// pixels of two channels:
	//	pixel 0, input - zp = [3 -3]; pixel 1: [1 7]
	//	oc0 = 3*x0 + 1*x1 - 9: -3 -> SRDHM(-3, 2^30) = (-3+1)/2 = -1 (half up, not -2) -> 2
	//	                        1 -> (1+1)/2 = 1                         -> 4
	//	oc1 = -2*x0 + 5*x1 - 3: -24 -> -12, /2 = -6                      -> -3
	//	                         30 -> 15, /2 = 7.5 -> 8 (away from zero) -> 11
	c = &convCase{typ: tflite.Int8, batch: 1, inH: 1, inW: 2, inC: 2, outC: 2, kH: 1, kW: 1,
		strideH: 1, strideW: 1, dilH: 1, dilW: 1, pad: tflite.PaddingValid,
		in: qparam{1, -1}, w: []qparam{{0.5, 0}, {0.25, 0}}, out: qparam{1, 3},
		input:  []int32{2, -4, 0, 6},
		filter: []int32{3, 1, -2, 5},
		bias:   []int32{-9, -3},
	}
	checkClose(t, "int8 per-channel", c.run(t), []int32{2, -3, 4, 11}, 0)

	// Geometry: 4x4 input holding 4y+x, 2x2 filter of ones, dilation 2
	// (a 3x3 window), stride 2, SAME: 2x2 outputs, total padding
	// (2-1)*2 + 3 - 4 = 1, all of it after the input. Taps (y, x) of output
	// (oy, ox) are (2oy + {0,2}, 2ox + {0,2}); M = 1.
	//	(0,0): 0+2+8+10 = 20   (0,1): 2+10 = 12   (1,0): 8+10 = 18   (1,1): 10
	c = &convCase{typ: tflite.UInt8, batch: 1, inH: 4, inW: 4, inC: 1, outC: 1, kH: 2, kW: 2,
		strideH: 2, strideW: 2, dilH: 2, dilW: 2, pad: tflite.PaddingSame,
		in: qparam{1, 0}, w: []qparam{{1, 0}}, out: qparam{1, 0},
		input:  []int32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
		filter: []int32{1, 1, 1, 1},
	}
	checkClose(t, "dilation 2, stride 2, SAME", c.run(t), []int32{20, 12, 18, 10}, 0)

	// Fused activations on an identity 1x1 convolution: input and output
	// scale 0.5, zero point 100, one weight of 2 at scale 0.5 (real 1), so
	// M = 0.5 and out = in before the clamp. The clamps are
	// 100 + round(0/0.5) = 100, 100 + round(6/0.5) = 112 and
	// 100 + round(±1/0.5) = 98, 102.
	in := []int32{90, 99, 100, 101, 103, 120}
	for _, tc := range []struct {
		act  tflite.Activation
		want []int32
	}{
		{tflite.ActNone, []int32{90, 99, 100, 101, 103, 120}},
		{tflite.ActRelu, []int32{100, 100, 100, 101, 103, 120}},
		{tflite.ActRelu6, []int32{100, 100, 100, 101, 103, 112}},
		{tflite.ActReluN1To1, []int32{98, 99, 100, 101, 102, 102}},
	} {
		c = &convCase{typ: tflite.UInt8, batch: 1, inH: 1, inW: 6, inC: 1, outC: 1, kH: 1, kW: 1,
			strideH: 1, strideW: 1, dilH: 1, dilW: 1, pad: tflite.PaddingSame, act: tc.act,
			in: qparam{0.5, 100}, w: []qparam{{0.5, 0}}, out: qparam{0.5, 100}, input: in, filter: []int32{2}}
		checkClose(t, "activation "+tc.act.String(), c.run(t), tc.want, 0)
	}
}

// TestSynthDepthwiseExact: int8, 3x3x2 input, depth multiplier 2 (four
// output channels, oc reads input channel oc/2), 2x2 filter with dilation 2,
// VALID: one output whose taps are the four corners. Off-corner inputs are
// 50, so a wrong tap shows. Per-channel scales 1, 0.5, 1, 0.25.
//
//	corners ch0: 1 3 7 9; ch1: -5 2 4 -3
//	oc0 w 1 2 3 4:     1+6+21+36 = 64                      -> 64
//	oc1 w -2 0 -1 -2:  -2-7-18 = -27, *0.5: SRDHM half up  -> -13 (not -14)
//	oc2 w 1 1 1 1:     -5+2+4-3 = -2                       -> -2
//	oc3 w 3 -1 2 2:    -15-2+8-6 = -15, SRDHM -> -7, /2 = -3.5 -> -4
func TestSynthDepthwiseExact(t *testing.T) {
	ch0 := []int32{1, 50, 3, 50, 50, 50, 7, 50, 9}
	ch1 := []int32{-5, 50, 2, 50, 50, 50, 4, 50, -3}
	var input []int32
	for p := range ch0 {
		input = append(input, ch0[p], ch1[p])
	}
	c := &convCase{typ: tflite.Int8, depthwise: true, batch: 1, inH: 3, inW: 3, inC: 2, outC: 4, kH: 2, kW: 2,
		strideH: 1, strideW: 1, dilH: 2, dilW: 2, pad: tflite.PaddingValid,
		in: qparam{1, 0}, w: []qparam{{1, 0}, {0.5, 0}, {1, 0}, {0.25, 0}}, out: qparam{1, 0},
		input: input,
		// [1][ky][kx][oc]: tap (0,0), (0,1), (1,0), (1,1), four channels each.
		filter: []int32{1, -2, 1, 3, 2, 0, 1, -1, 3, -1, 1, 2, 4, -2, 1, 2},
	}
	checkClose(t, "depthwise multiplier 2, dilation 2", c.run(t), []int32{64, -13, -2, -4}, 0)
}

// fcCase is one FULLY_CONNECTED: batch rows of k inputs, weights [n][k].
type fcCase struct {
	typ                 tflite.TensorType
	batch, k, n         int
	act                 tflite.Activation
	in, out             qparam
	w                   []qparam
	input, filter, bias []int32
	inShape             []int
}

func (c *fcCase) model() tflitetest.Model {
	filter := tflitetest.Tensor{Name: "weights", Type: c.typ, Shape: shape32([]int{c.n, c.k}), Data: encode8(c.typ, c.filter)}
	for _, q := range c.w {
		filter.Scale = append(filter.Scale, q.scale)
		filter.ZeroPoint = append(filter.ZeroPoint, int64(q.zp))
	}
	ts := []tflitetest.Tensor{
		qTensor("input", c.typ, c.inShape, c.in, nil),
		qTensor("output", c.typ, []int{c.batch, c.n}, c.out, nil),
		filter,
	}
	inputs := []int32{0, 2}
	if c.bias != nil {
		ts = append(ts, int32Tensor("bias", []int{c.n}, c.bias))
		inputs = append(inputs, 3)
	}
	return tflitetest.Model{Tensors: ts, Inputs: []int32{0}, Outputs: []int32{1},
		Ops: []tflitetest.Op{{Code: tflite.OpFullyConnected, Inputs: inputs, Outputs: []int32{1},
			Options: &tflite.FullyConnectedOptions{Activation: c.act}}}}
}

func (c *fcCase) reals() []float64 {
	var out []float64
	for b := range c.batch {
		for n := range c.n {
			wq := c.w[0]
			if len(c.w) > 1 {
				wq = c.w[n]
			}
			sum := 0.0
			for k := range c.k {
				sum += c.in.real(c.input[b*c.k+k]) * wq.real(c.filter[n*c.k+k])
			}
			if c.bias != nil {
				sum += float64(c.bias[n]) * float64(c.in.scale) * float64(wq.scale)
			}
			out = append(out, sum)
		}
	}
	return out
}

// TestSynthFullyConnectedRandom covers batches of 1 to 3 rows, given as
// [batch, k] or [batch, 1, 1, k].
func TestSynthFullyConnectedRandom(t *testing.T) {
	r := testkit.SeededRand(t)
	for i := range 300 {
		c := &fcCase{typ: randType(r), batch: 1 + r.IntN(3), k: 1 + r.IntN(16), n: 1 + r.IntN(8), act: fusedActs[r.IntN(len(fusedActs))]}
		c.inShape = []int{c.batch, c.k}
		if r.IntN(3) == 0 {
			c.inShape = []int{c.batch, 1, 1, c.k}
		}
		c.in = randQ(r, c.typ, 0.01, 0.1)
		if c.typ == tflite.UInt8 {
			c.w = []qparam{randQ(r, c.typ, 0.002, 0.05)}
		} else {
			for range c.n {
				c.w = append(c.w, qparam{randQ(r, c.typ, 0.002, 0.05).scale, 0})
			}
		}
		c.input = randVals(r, c.typ, c.batch*c.k)
		c.filter = randVals(r, c.typ, c.n*c.k)
		if r.IntN(4) != 0 {
			for range c.n {
				c.bias = append(c.bias, int32(r.IntN(6001))-3000)
			}
		}
		c.out = outQ(r, c.typ, c.reals())
		got, want := runSynth8(t, c.typ, c.model(), c.input), c.out.quantizeAll(c.reals(), c.act, c.typ)
		checkClose(t, fmt.Sprintf("case %d (%v batch %d k %d n %d %v)", i, c.typ, c.batch, c.k, c.n, c.act), got, want, 1)
	}
}

// TestSynthFullyConnectedExact: uint8, batch 2, k 3, n 2; scales 0.5, 0.5
// and 1 give M = 0.25 (2^30, shift -1).
//
//	input - 4:   row0 [1 -1 4]   row1 [0 2 -2]
//	weights - 2: n0 [1 0 2]      n1 [-2 3 0]      bias [1 -2]
//	row0 n0: 9+1 = 10  -> SRDHM 5, /2 = 2.5 -> 3   -> 6
//	row0 n1: -5-2 = -7 -> SRDHM (-7+1)/2 = -3, /2 = -1.5 -> -2 -> 1
//	row1 n0: -4+1 = -3 -> SRDHM (-3+1)/2 = -1, /2 = -0.5 -> -1 -> 2
//	row1 n1: 6-2 = 4   -> 2, /2 = 1                -> 4
func TestSynthFullyConnectedExact(t *testing.T) {
	c := &fcCase{typ: tflite.UInt8, batch: 2, k: 3, n: 2, in: qparam{0.5, 4}, w: []qparam{{0.5, 2}}, out: qparam{1, 3},
		input: []int32{5, 3, 8, 4, 6, 2}, filter: []int32{3, 2, 4, 0, 5, 2}, bias: []int32{1, -2}, inShape: []int{2, 3}}
	checkClose(t, "uint8 batch 2", runSynth8(t, c.typ, c.model(), c.input), []int32{6, 1, 2, 4}, 0)
}
