package engine

import "github.com/classifly/classifly/tflite"

// Weight formats, as ModelFormat names them.
const (
	FormatUInt8   = "uint8"   // uint8 per-tensor quantization
	FormatInt8    = "int8"    // int8 per-channel quantization
	FormatFloat32 = "float32" // float32 weights and activations
	FormatFloat16 = "float16" // float16 weights through DEQUANTIZE, float32 activations
	FormatDynamic = "dynamic" // int8 weights, float32 activations (dynamic range)
)

// ModelFormat names how a model stores its weights and computes: dynamic
// when a CONV_2D, DEPTHWISE_CONV_2D or FULLY_CONNECTED computes float32
// from int8 weights, float16 when float16 constants go through DEQUANTIZE,
// float32 when any operator but DEQUANTIZE computes float32, else int8 or
// uint8 by its quantized activations (a quantized model with a float input
// or output, through QUANTIZE and DEQUANTIZE, stays quantized). Only the
// first subgraph counts.
func ModelFormat(f *tflite.Model) string {
	if len(f.Subgraphs) == 0 {
		return ""
	}
	sg := &f.Subgraphs[0]
	tensor := func(i int32) *tflite.Tensor {
		if i < 0 || int(i) >= len(sg.Tensors) {
			return nil
		}
		return &sg.Tensors[i]
	}
	float, half, dynamic, int8Act := false, false, false, false
	for _, op := range sg.Operators {
		code := f.OperatorCodes[op.OpcodeIndex].Builtin
		if len(op.Inputs) == 0 || len(op.Outputs) == 0 {
			continue
		}
		in, out := tensor(op.Inputs[0]), tensor(op.Outputs[0])
		if in == nil || out == nil {
			continue
		}
		switch {
		case code == tflite.OpDequantize:
			half = half || in.Type == tflite.Float16
		case out.Type == tflite.Float32:
			float = true
			weighted := code == tflite.OpConv2D || code == tflite.OpDepthwiseConv || code == tflite.OpFullyConnected
			if w := tensor(op.Inputs[min(1, len(op.Inputs)-1)]); weighted && w != nil && w.Type == tflite.Int8 {
				dynamic = true
			}
		case out.Type == tflite.Int8:
			int8Act = true
		}
	}
	switch {
	case dynamic:
		return FormatDynamic
	case half:
		return FormatFloat16
	case float:
		return FormatFloat32
	case int8Act:
		return FormatInt8
	}
	return FormatUInt8
}

// Format is ModelFormat of the loaded model.
func (m *Model) Format() string { return m.format }
