package engine

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/classifly/classifly/internal/tflitetest"
	"github.com/classifly/classifly/tflite"
)

// FuzzLoadFloat is FuzzLoad started from float models: every float
// operator, float16 weights through DEQUANTIZE and int8 dynamic-range
// weights, so that mutations reach the float builders and kernels.
// Whatever loads must run, within the limits, without a panic.
func FuzzLoadFloat(f *testing.F) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, op := range []tflite.BuiltinOperator{tflite.OpConv2D, tflite.OpDepthwiseConv, tflite.OpFullyConnected} {
		for kind := weightsF32; kind <= weightsInt8Deq; kind++ {
			m, _ := randomFConvCase(r, op, kind).build()
			f.Add(m.Bytes())
		}
	}
	for _, op := range []tflitetest.Op{
		{Code: tflite.OpLogistic}, {Code: tflite.OpHardSwish}, {Code: tflite.OpLeakyRelu, Options: &tflite.LeakyReluOptions{Alpha: 0.1}},
		{Code: tflite.OpSoftmax, Options: &tflite.SoftmaxOptions{Beta: 1}}, {Code: tflite.OpL2Norm, Options: &tflite.L2NormOptions{}},
		{Code: tflite.OpAveragePool2D, Options: &tflite.Pool2DOptions{StrideW: 1, StrideH: 1, FilterWidth: 2, FilterHeight: 2, Padding: tflite.PaddingSame}},
	} {
		shape := []int{1, 3, 4, 5}
		if op.Code == tflite.OpSoftmax || op.Code == tflite.OpL2Norm {
			shape = []int{3, 5}
		}
		f.Add(unaryModel(op, shape, shape).Bytes())
	}
	f.Add(unaryModel(tflitetest.Op{Code: tflite.OpPad, Inputs: []int32{2}, Options: &tflite.PadOptions{}}, []int{2, 3}, []int{3, 5},
		int32Tensor("pads", []int{2, 2}, []int32{0, 1, 1, 1})).Bytes())
	f.Add(unaryModel(tflitetest.Op{Code: tflite.OpResizeBilinear, Inputs: []int32{2}, Options: &tflite.ResizeBilinearOptions{HalfPixelCenters: true}},
		[]int{1, 2, 3, 1}, []int{1, 4, 5, 1}, int32Tensor("size", []int{2}, []int32{4, 5})).Bytes())
	f.Add(unaryModel(tflitetest.Op{Code: tflite.OpMean, Inputs: []int32{2}, Options: &tflite.ReducerOptions{}}, []int{2, 3, 4}, []int{2},
		int32Tensor("axes", []int{2}, []int32{1, 2})).Bytes())
	f.Add(unaryModel(tflitetest.Op{Code: tflite.OpMul, Inputs: []int32{2}, Options: &tflite.MulOptions{Activation: tflite.ActRelu}}, []int{2, 3}, []int{2, 3},
		fTensor("k", []int{3}, []float32{1, -2, 3})).Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		// Lower limits than FuzzLoad's: the instrumented float loops are slow.
		opts := Options{MaxArenaBytes: 4 << 20, MaxMACs: 2_000_000, Threads: 1}
		m, err := Load(data, opts)
		if err != nil {
			if !typedLoadError(err) {
				t.Fatalf("Load: untyped error %T: %v", err, err)
			}
			return
		}
		defer m.Close()
		in, out := make([]byte, m.Input().Bytes()), make([]byte, m.Output().Bytes())
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := m.Run(ctx, in, out); err != nil {
			t.Fatalf("Run of a model within the limits failed: %v", err)
		}
	})
}
