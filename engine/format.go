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
// when a CONV_2D, DEPTHWISE_CONV_2D or FULLY_CONNECTED takes int8 weights
// with a float32 input, float16 when float16 constants feed it through
// DEQUANTIZE, float32 when it computes in float, else int8 or uint8 by its
// quantized activations. Only the first subgraph counts.
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
		switch code {
		case tflite.OpConv2D, tflite.OpDepthwiseConv, tflite.OpFullyConnected:
			if out.Type == tflite.Float32 {
				float = true
				if w := tensor(op.Inputs[min(1, len(op.Inputs)-1)]); w != nil && w.Type == tflite.Int8 {
					dynamic = true
				}
			}
			if out.Type == tflite.Int8 {
				int8Act = true
			}
		case tflite.OpDequantize:
			if in.Type == tflite.Float16 {
				half = true
			}
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
