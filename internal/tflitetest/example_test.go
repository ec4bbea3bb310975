package tflitetest_test

import (
	"fmt"

	"github.com/classifly/classifly/internal/tflitetest"
	"github.com/classifly/classifly/tflite"
)

// A one-operator model: a 2x2 max pool over a uint8 4x4 image.
func Example() {
	q := func(shape ...int32) tflitetest.Tensor {
		return tflitetest.Tensor{Type: tflite.UInt8, Shape: shape, Scale: []float32{0.5}, ZeroPoint: []int64{128}}
	}
	m := tflitetest.Model{
		Tensors: []tflitetest.Tensor{q(1, 4, 4, 1), q(1, 2, 2, 1)},
		Ops: []tflitetest.Op{{
			Code: tflite.OpMaxPool2D, Inputs: []int32{0}, Outputs: []int32{1},
			Options: &tflite.Pool2DOptions{Padding: tflite.PaddingValid, StrideW: 2, StrideH: 2, FilterWidth: 2, FilterHeight: 2},
		}},
		Inputs:  []int32{0},
		Outputs: []int32{1},
	}
	f, err := tflite.Parse(m.Bytes())
	if err != nil {
		panic(err)
	}
	op := f.Subgraphs[0].Operators[0]
	fmt.Println(f.OperatorCodes[op.OpcodeIndex].Builtin, op.Inputs, op.Outputs)
	fmt.Printf("%+v\n", *op.Options.(*tflite.Pool2DOptions))
	// Output:
	// MAX_POOL_2D [0] [1]
	// {Padding:1 StrideW:2 StrideH:2 FilterWidth:2 FilterHeight:2 Activation:NONE}
}
