package kernels

// AddParams is TFLite's quantized ADD recipe (kernels/add.cc Prepare and
// reference/add.h): both inputs are offset by their zero points, shifted left
// by 20 bits for headroom, each rescaled to a common scale (twice the larger
// input scale), summed, and the sum rescaled to the output scale.
type AddParams struct {
	In1ZP, In2ZP, OutZP int32
	LeftShift           int
	In1Mult, In2Mult    int32
	In1Shift, In2Shift  int
	OutMult             int32
	OutShift            int
	ActMin, ActMax      int32
}

// NewAddParams computes the multipliers for inputs with scales s1, s2 and an
// output with scale so, in double precision as TFLite does.
func NewAddParams(s1 float32, z1 int32, s2 float32, z2 int32, so float32, zo int32, actMin, actMax int32) *AddParams {
	const leftShift = 20
	twiceMax := float64(2 * max(s1, s2))
	p := &AddParams{In1ZP: z1, In2ZP: z2, OutZP: zo, LeftShift: leftShift, ActMin: actMin, ActMax: actMax}
	p.In1Mult, p.In1Shift = quantizeMultiplier(float64(s1) / twiceMax)
	p.In2Mult, p.In2Shift = quantizeMultiplier(float64(s2) / twiceMax)
	p.OutMult, p.OutShift = quantizeMultiplier(twiceMax / float64(float32(1<<leftShift)*so))
	return p
}

// add1 adds one pair of quantized values.
func (p *AddParams) add1(a, b int32) int32 {
	x := (a - p.In1ZP) * (1 << p.LeftShift)
	y := (b - p.In2ZP) * (1 << p.LeftShift)
	x = multiplyByQuantizedMultiplier(x, p.In1Mult, p.In1Shift)
	y = multiplyByQuantizedMultiplier(y, p.In2Mult, p.In2Shift)
	sum := multiplyByQuantizedMultiplier(x+y, p.OutMult, p.OutShift) + p.OutZP
	return clamp(sum, p.ActMin, p.ActMax)
}

// Add adds two tensors of the same shape element by element.
func Add[T Q8](p *AddParams, a, b, out []T) {
	for i := range out {
		out[i] = T(p.add1(int32(a[i]), int32(b[i])))
	}
}

// AddBroadcast adds two tensors whose 4-D shapes broadcast to outShape
// (reference BroadcastAdd4DSlow): a dimension of size 1 repeats.
func AddBroadcast[T Q8](p *AddParams, aShape, bShape, outShape [4]int, a, b, out []T) {
	as, bs := broadcastStrides(aShape), broadcastStrides(bShape)
	i := 0
	for n := 0; n < outShape[0]; n++ {
		for h := 0; h < outShape[1]; h++ {
			for w := 0; w < outShape[2]; w++ {
				for c := 0; c < outShape[3]; c++ {
					ai := n*as[0] + h*as[1] + w*as[2] + c*as[3]
					bi := n*bs[0] + h*bs[1] + w*bs[2] + c*bs[3]
					out[i] = T(p.add1(int32(a[ai]), int32(b[bi])))
					i++
				}
			}
		}
	}
}

// broadcastStrides gives row-major strides with 0 for broadcast dimensions.
func broadcastStrides(s [4]int) [4]int {
	var st [4]int
	stride := 1
	for d := 3; d >= 0; d-- {
		if s[d] != 1 {
			st[d] = stride
		}
		stride *= s[d]
	}
	return st
}
