// Package kernels holds the quantized arithmetic of the engine's operators.
//
// The kernels here are the reference ones: plain Go loops that follow TensorFlow
// Lite's reference kernels (tensorflow/lite/kernels/internal/reference/ and
// reference/integer_ops/) operation for operation, so that their outputs are
// bit-identical to TFLite's builtin kernels. They are written to be read and to
// serve as the oracle that faster kernels are tested against.
//
// Tensors are NHWC. Kernels are generic over the 8-bit element type (uint8 for
// asymmetric per-tensor models, int8 for symmetric per-channel ones): the
// arithmetic is the same once zero points are applied.
package kernels

// Q8 is an 8-bit quantized element type.
type Q8 interface{ ~uint8 | ~int8 }

// Range returns the representable range of T.
func Range[T Q8]() (lo, hi int32) {
	var z T
	if ^z < 0 { // int8: all-ones is negative
		return -128, 127
	}
	return 0, 255
}

func clamp(v, lo, hi int32) int32 {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}
