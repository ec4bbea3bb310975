package engine

import (
	"fmt"
	"math"
	"testing"

	"github.com/classifly/classifly/tflite"
)

// TestSynthSumsNearInt32Limit: a bias within a few hundred of the int32
// limit, with a multiplier just under 1 and a right shift of 12, puts the
// requantization's rounding term past int32 in the fast kernels' closed
// form; the engine must see it at load and run such a layer on the
// reference kernels, which give TFLite's answer (runSynth compares both).
func TestSynthSumsNearInt32Limit(t *testing.T) {
	// Real multiplier (1 - 2^-24)·2^-12: Q31 multiplier 2^31 - 2^7, shift -12.
	ws := math.Nextafter32(1.0/4096, 0)
	bias := []int32{math.MaxInt32 - 500, -(math.MaxInt32 - 500)}
	ones := func(n int) []int32 {
		v := make([]int32, n)
		for i := range v {
			v[i] = 1
		}
		return v
	}
	for _, c := range []*convCase{
		{typ: tflite.Int8, batch: 1, inH: 3, inW: 3, inC: 1, outC: 2, kH: 3, kW: 3, strideH: 1, strideW: 1, dilH: 1, dilW: 1},
		{typ: tflite.Int8, batch: 1, inH: 5, inW: 5, inC: 3, outC: 2, kH: 3, kW: 3, strideH: 2, strideW: 2, dilH: 1, dilW: 1},
		{typ: tflite.Int8, depthwise: true, batch: 1, inH: 3, inW: 3, inC: 2, outC: 2, kH: 3, kW: 3, strideH: 1, strideW: 1, dilH: 1, dilW: 1},
		{typ: tflite.UInt8, depthwise: true, batch: 1, inH: 3, inW: 3, inC: 2, outC: 2, kH: 3, kW: 3, strideH: 1, strideW: 1, dilH: 1, dilW: 1},
	} {
		c.pad = tflite.PaddingSame
		c.in, c.out = qparam{1, 0}, qparam{1, 0}
		c.w = []qparam{{ws, 0}, {ws, 0}}
		if c.typ == tflite.UInt8 {
			c.in, c.out, c.w = qparam{1, 128}, qparam{1, 128}, []qparam{{ws, 128}}
		}
		c.input = ones(c.inH * c.inW * c.inC)
		taps := c.kH * c.kW * c.outC
		if !c.depthwise {
			taps *= c.inC
		}
		c.filter = ones(taps)
		if c.typ == tflite.UInt8 {
			for i := range c.input {
				c.input[i] += 128
			}
			for i := range c.filter {
				c.filter[i] += 128
			}
		}
		c.bias = bias
		checkClose(t, c.String(), c.run(t), c.expected(), 0)
	}
	for _, typ := range []tflite.TensorType{tflite.Int8, tflite.UInt8} {
		c := &fcCase{typ: typ, batch: 2, k: 4, n: 2, in: qparam{1, 0}, out: qparam{1, 0}, w: []qparam{{ws, 0}},
			input: ones(8), filter: ones(8), bias: bias, inShape: []int{2, 4}}
		if typ == tflite.UInt8 {
			c.in, c.out, c.w = qparam{1, 128}, qparam{1, 128}, []qparam{{ws, 128}}
			for i := range c.input {
				c.input[i] += 128
				c.filter[i] += 128
			}
		}
		got := runSynth8(t, c.typ, c.model(), c.input)
		checkClose(t, fmt.Sprintf("fully connected %v", typ), got, c.out.quantizeAll(c.reals(), c.act, c.typ), 0)
	}
}
