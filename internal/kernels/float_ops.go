package kernels

import "math"

// MaxRankF32 is the largest tensor rank the shape-generic float kernels
// (mean, pad, broadcast) take; TFLite's own limit for these is 4 to 6.
const MaxRankF32 = 8

// PoolF32 is AVERAGE_POOL_2D or MAX_POOL_2D on float32 NHWC tensors, as
// reference/pooling.h: the average divides by the number of taps inside the
// input, the maximum ignores taps outside it. Geometry comes from p (KH, KW,
// strides, padding; InC = OutC).
func PoolF32(p *ConvParams, average bool, clamp ClampF32, in, out []float32) {
	for b := 0; b < p.Batch; b++ {
		for oy := 0; oy < p.OutH; oy++ {
			y0 := oy*p.StrideH - p.PadH
			ky0, ky1 := max(0, -y0), min(p.KH, p.InH-y0)
			for ox := 0; ox < p.OutW; ox++ {
				x0 := ox*p.StrideW - p.PadW
				kx0, kx1 := max(0, -x0), min(p.KW, p.InW-x0)
				dst := out[((b*p.OutH+oy)*p.OutW+ox)*p.OutC:][:p.OutC]
				for c := range dst {
					if average {
						dst[c] = 0
					} else {
						dst[c] = float32(math.Inf(-1))
					}
				}
				for ky := ky0; ky < ky1; ky++ {
					for kx := kx0; kx < kx1; kx++ {
						src := in[((b*p.InH+y0+ky)*p.InW+x0+kx)*p.InC:][:len(dst)]
						for c, v := range src {
							if average {
								dst[c] += v
							} else {
								dst[c] = max(dst[c], v)
							}
						}
					}
				}
				n := float32((ky1 - ky0) * (kx1 - kx0))
				for c, v := range dst {
					if average {
						v /= n
					}
					dst[c] = clamp.apply(v)
				}
			}
		}
	}
}

// MeanF32 averages over the dimensions whose outStride entry is 0:
// outStride gives, per input dimension, the stride of the output index (0
// for a reduced dimension); at most MaxRankF32 dimensions. As
// reference_ops::Mean, it sums in float32 and divides by the count.
func MeanF32(shape, outStride []int, count int, in, out []float32) {
	clear(out)
	var idx [MaxRankF32]int
	o := 0
	for _, v := range in {
		out[o] += v
		for d := len(shape) - 1; d >= 0; d-- {
			idx[d]++
			o += outStride[d]
			if idx[d] < shape[d] {
				break
			}
			o -= outStride[d] * idx[d]
			idx[d] = 0
		}
	}
	inv := float32(count)
	for i := range out {
		out[i] /= inv
	}
}

// SoftmaxF32 computes softmax(beta·x) over rows of depth values, as
// reference_ops::Softmax (float): subtract the row maximum, exponentiate,
// normalize.
func SoftmaxF32(rows, depth int, beta float32, in, out []float32) {
	for r := 0; r < rows; r++ {
		x, y := in[r*depth:][:depth], out[r*depth:][:depth]
		m := x[0]
		for _, v := range x {
			m = max(m, v)
		}
		var sum float32
		for i, v := range x {
			e := float32(math.Exp(float64((v - m) * beta)))
			y[i] = e
			sum += e
		}
		for i := range y {
			y[i] /= sum
		}
	}
}

// UnaryF32 names an element-wise float operator.
type UnaryF32 int

// The element-wise operators.
const (
	UnaryClamp     UnaryF32 = iota // RELU, RELU6, RELU_N1_TO_1 as operators
	UnaryLogistic                  // 1 / (1 + e^-x)
	UnaryTanh                      // tanh x
	UnaryHardSwish                 // x · relu6(x + 3) / 6
	UnaryLeakyRelu                 // x ≥ 0 ? x : alpha·x
)

// UnaryOpF32 applies op to every element; clamp is UnaryClamp's range and
// alpha LEAKY_RELU's slope.
func UnaryOpF32(op UnaryF32, clamp ClampF32, alpha float32, in, out []float32) {
	out = out[:len(in)]
	switch op {
	case UnaryClamp:
		for i, v := range in {
			out[i] = clamp.apply(v)
		}
	case UnaryLogistic:
		for i, v := range in {
			out[i] = float32(1 / (1 + math.Exp(-float64(v))))
		}
	case UnaryTanh:
		for i, v := range in {
			out[i] = float32(math.Tanh(float64(v)))
		}
	case UnaryHardSwish:
		for i, v := range in {
			out[i] = v * min(max(v+3, 0), 6) / 6
		}
	case UnaryLeakyRelu:
		for i, v := range in {
			if v < 0 {
				v *= alpha
			}
			out[i] = v
		}
	}
}

// BinaryF32 names an element-wise operator of two tensors.
type BinaryF32 int

// The binary operators.
const (
	BinaryAdd BinaryF32 = iota
	BinarySub
	BinaryMul
)

// Broadcast describes a binary operator's broadcast over the output's shape:
// per dimension, the output size and each input's stride (0 where that
// input's dimension is 1 and is repeated).
type Broadcast struct {
	Shape            []int
	StrideA, StrideB []int
}

// BinaryOpF32 computes out = clamp(a op b) with NumPy broadcasting, as
// reference_ops::BroadcastAdd/Sub/Mul (float). The innermost dimension runs
// as a plain loop.
func BinaryOpF32(op BinaryF32, bc *Broadcast, clamp ClampF32, a, b, out []float32) {
	r := len(bc.Shape)
	if r == 0 {
		out[0] = clamp.apply(binaryF32(op, a[0], b[0]))
		return
	}
	inner := bc.Shape[r-1]
	sa, sb := bc.StrideA[r-1], bc.StrideB[r-1]
	var idx [MaxRankF32]int
	ia, ib := 0, 0
	for o := 0; o < len(out); o += inner {
		dst := out[o : o+inner]
		if sa == 1 && sb == 1 {
			binaryRowF32(op, clamp, a[ia:ia+inner], b[ib:ib+inner], dst)
		} else {
			for i := range dst {
				dst[i] = clamp.apply(binaryF32(op, a[ia+i*sa], b[ib+i*sb]))
			}
		}
		for d := r - 2; d >= 0; d-- {
			idx[d]++
			ia += bc.StrideA[d]
			ib += bc.StrideB[d]
			if idx[d] < bc.Shape[d] {
				break
			}
			ia -= bc.StrideA[d] * idx[d]
			ib -= bc.StrideB[d] * idx[d]
			idx[d] = 0
		}
	}
}

// binaryRowF32 is the contiguous case, one loop per operator.
func binaryRowF32(op BinaryF32, clamp ClampF32, a, b, dst []float32) {
	b, dst = b[:len(a)], dst[:len(a)]
	switch op {
	case BinaryAdd:
		for i, x := range a {
			dst[i] = x + b[i]
		}
	case BinarySub:
		for i, x := range a {
			dst[i] = x - b[i]
		}
	case BinaryMul:
		for i, x := range a {
			dst[i] = x * b[i]
		}
	}
	if !math.IsInf(float64(clamp.Lo), -1) || !math.IsInf(float64(clamp.Hi), 1) {
		for i, v := range dst {
			dst[i] = clamp.apply(v)
		}
	}
}

func binaryF32(op BinaryF32, x, y float32) float32 {
	switch op {
	case BinarySub:
		return x - y
	case BinaryMul:
		return x * y
	}
	return x + y
}

// PadF32 writes in (shape inShape) into out (shape outShape) at offset
// before[d] in each dimension, zero elsewhere: PAD on float32. The
// innermost dimensions that are not padded join the run copied at once (a
// whole image row of an NHWC tensor padded in height and width), and only
// the gaps between runs are cleared.
func PadF32(inShape, outShape, before []int, in, out []float32) {
	r := len(inShape)
	if len(in) == 0 || r == 0 {
		clear(out)
		if r == 0 && len(in) > 0 {
			out[0] = in[0]
		}
		return
	}
	var outStride [MaxRankF32]int
	s := 1
	for d := r - 1; d >= 0; d-- {
		outStride[d] = s
		s *= outShape[d]
	}
	// Dimensions j.. form one contiguous run in both tensors.
	j := r - 1
	for j > 0 && inShape[j] == outShape[j] {
		j--
	}
	inner := 1
	for _, n := range inShape[j:] {
		inner *= n
	}
	var idx [MaxRankF32]int
	end := 0 // out is written up to here
	for i := 0; i < len(in); i += inner {
		o := 0
		for d := range r {
			o += (idx[d] + before[d]) * outStride[d]
		}
		clear(out[end:o])
		copy(out[o:o+inner], in[i:i+inner])
		end = o + inner
		for d := j - 1; d >= 0; d-- {
			idx[d]++
			if idx[d] < inShape[d] {
				break
			}
			idx[d] = 0
		}
	}
	clear(out[end:])
}

// ResizeBilinearF32 resizes NHWC images as reference_ops::ResizeBilinear
// (TFLite 2.x): scale = in/out, or (in-1)/(out-1) with align corners; a
// source coordinate is y·scale, or (y+0.5)·scale-0.5 with half-pixel centers,
// its neighbours clamped to the image.
func ResizeBilinearF32(batch, inH, inW, c, outH, outW int, alignCorners, halfPixel bool, in, out []float32) {
	scale := func(i, o int) float32 {
		if alignCorners && o > 1 {
			return float32(i-1) / float32(o-1)
		}
		return float32(i) / float32(o)
	}
	sh, sw := scale(inH, outH), scale(inW, outW)
	coord := func(v int, s float32, size int) (float32, int, int) {
		f := float32(v) * s
		if halfPixel {
			f = (float32(v)+0.5)*s - 0.5
		}
		lo := max(int(math.Floor(float64(f))), 0)
		hi := min(int(math.Ceil(float64(f))), size-1)
		return f, lo, hi
	}
	for b := 0; b < batch; b++ {
		for y := 0; y < outH; y++ {
			fy, y0, y1 := coord(y, sh, inH)
			dy := fy - float32(y0)
			for x := 0; x < outW; x++ {
				fx, x0, x1 := coord(x, sw, inW)
				dx := fx - float32(x0)
				p00 := in[((b*inH+y0)*inW+x0)*c:][:c]
				p10 := in[((b*inH+y1)*inW+x0)*c:][:c]
				p01 := in[((b*inH+y0)*inW+x1)*c:][:c]
				p11 := in[((b*inH+y1)*inW+x1)*c:][:c]
				dst := out[((b*outH+y)*outW+x)*c:][:c]
				for i := range dst {
					dst[i] = p00[i]*(1-dy)*(1-dx) + p10[i]*dy*(1-dx) + p01[i]*(1-dy)*dx + p11[i]*dy*dx
				}
			}
		}
	}
}

// L2NormF32 divides each row of depth values by its L2 norm, at least 1e-6
// (reference_ops::L2Normalization, float), then clamps.
func L2NormF32(rows, depth int, clamp ClampF32, in, out []float32) {
	for r := 0; r < rows; r++ {
		x, y := in[r*depth:][:depth], out[r*depth:][:depth]
		var sq float32
		for _, v := range x {
			sq += v * v
		}
		norm := max(float32(math.Sqrt(float64(sq))), 1e-6)
		for i, v := range x {
			y[i] = clamp.apply(v / norm)
		}
	}
}
