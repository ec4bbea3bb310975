package kernels

import "math"

// RequantizeParams maps one quantization onto another (QUANTIZE between 8-bit
// types, kernels/quantize.cc): out = OutZP + MBQM(in - InZP, Mult, Shift),
// with Mult/Shift from inScale/outScale in double precision.
type RequantizeParams struct {
	InZP, OutZP int32
	Mult        int32
	Shift       int
}

// NewRequantizeParams prepares a requantization between two scales.
func NewRequantizeParams(inScale float32, inZP int32, outScale float32, outZP int32) *RequantizeParams {
	p := &RequantizeParams{InZP: inZP, OutZP: outZP}
	p.Mult, p.Shift = quantizeMultiplier(float64(inScale) / float64(outScale))
	return p
}

// Requantize converts every element of in (type I) to out (type O).
func Requantize[I, O Q8](p *RequantizeParams, in []I, out []O) {
	lo, hi := Range[O]()
	for i, v := range in {
		q := multiplyByQuantizedMultiplier(int32(v)-p.InZP, p.Mult, p.Shift) + p.OutZP
		out[i] = O(clamp(q, lo, hi))
	}
}

// Quantize converts float32 values: out = clamp(round(x/scale) + zp), with the
// division in float32 and round half away from zero (optimized AffineQuantize).
func Quantize[T Q8](scale float32, zp int32, in []float32, out []T) {
	lo, hi := Range[T]()
	for i, x := range in {
		v := roundf(x / scale)
		var q int32
		switch {
		case v != v: // NaN: TFLite's cast is undefined; zero point is the sane answer
			q = zp
		case v >= float32(hi-zp):
			q = hi
		case v <= float32(lo-zp):
			q = lo
		default:
			q = clamp(int32(v)+zp, lo, hi)
		}
		out[i] = T(q)
	}
}

// Dequantize converts to float32: scale*(q - zp) in double precision, then
// rounded to float32 (reference Dequantize keeps the scale as a double).
func Dequantize[T Q8](scale float32, zp int32, in []T, out []float32) {
	for i, v := range in {
		out[i] = float32(float64(scale) * float64(int32(v)-zp))
	}
}

func roundf(x float32) float32 { return float32(math.Round(float64(x))) }
