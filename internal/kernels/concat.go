package kernels

// ConcatInput is one input of a concatenation: its data, the size of its
// slice along the axis times the inner size, and its quantization.
type ConcatInput[T Q8] struct {
	Data      []T
	Inner     int // elements per outer index: axis size × inner size
	Scale     float32
	ZeroPoint int32
}

// Concat joins inputs along an axis (reference ConcatenationWithScaling):
// an input quantized as the output is copied; any other is rescaled in float32
// with round(x*scale + bias) + outZP, scale = inScale/outScale, bias =
// -inZP*scale. outer is the product of the dimensions before the axis.
func Concat[T Q8](outer int, inputs []ConcatInput[T], outScale float32, outZP int32, out []T) {
	lo, hi := Range[T]()
	inv := 1 / outScale
	pos := 0
	for o := 0; o < outer; o++ {
		for _, in := range inputs {
			src := in.Data[o*in.Inner:][:in.Inner]
			dst := out[pos:][:in.Inner]
			if in.Scale == outScale && in.ZeroPoint == outZP {
				copy(dst, src)
			} else {
				scale := in.Scale * inv
				bias := -float32(in.ZeroPoint) * scale
				for i, v := range src {
					q := int32(roundf(float32(v)*scale+bias)) + outZP
					dst[i] = T(clamp(q, lo, hi))
				}
			}
			pos += in.Inner
		}
	}
}

// ConvMultipliers computes per-output-channel requantization for a
// convolution or fully connected layer (kernels/kernel_util.cc). TFLite
// computes it two ways, and the difference shows in the last bit:
// per-tensor uint8 layers (GetQuantizedConvolutionMultipler) multiply the
// input and filter scales in float32 before dividing by the output scale in
// double; per-channel layers (PopulateConvolutionQuantizationParams) do all
// of it in double. A single filter scale is broadcast to all n channels.
func ConvMultipliers(perTensorFloatProduct bool, inScale float32, filterScales []float32, outScale float32, n int) ([]int32, []int) {
	mult, shift := make([]int32, n), make([]int, n)
	for i := range n {
		fs := filterScales[0]
		if len(filterScales) > 1 {
			fs = filterScales[i]
		}
		var real float64
		if perTensorFloatProduct {
			real = float64(inScale*fs) / float64(outScale)
		} else {
			real = float64(inScale) * float64(fs) / float64(outScale)
		}
		mult[i], shift[i] = quantizeMultiplier(real)
	}
	return mult, shift
}
