package kernels

import "math"

// SoftmaxTable is the exponential lookup table of TFLite's quantized softmax
// (optimized_ops::PopulateSoftmaxLookupTable): Table[k] = exp(-inScale*beta*k)
// in float32, for the distance k between a row's maximum and a value.
type SoftmaxTable struct {
	Table    [256]float32
	OutScale float32
	OutZP    int32
}

// NewSoftmaxTable builds the table for an input scale and beta.
func NewSoftmaxTable(inScale, beta, outScale float32, outZP int32) *SoftmaxTable {
	t := &SoftmaxTable{OutScale: outScale, OutZP: outZP}
	scale := -inScale * beta
	for k := range t.Table {
		t.Table[k] = float32(math.Exp(float64(scale * float32(k))))
	}
	return t
}

// Softmax computes TFLite's lookup-table softmax over each row of depth
// values, all in float32: sum = Σ Table[m-x] in element order, inv =
// 1/(sum*OutScale), out = trunc(Table[m-x]*inv + 0.5) for uint8 and
// round(Table[m-x]*inv) for int8, plus OutZP, clamped.
func Softmax[T Q8](t *SoftmaxTable, rows, depth int, in, out []T) {
	lo, hi := Range[T]()
	signed := lo < 0
	for r := 0; r < rows; r++ {
		row := in[r*depth:][:depth]
		m := lo
		for _, v := range row {
			m = max(m, int32(v))
		}
		var sum float32
		for _, v := range row {
			sum += t.Table[m-int32(v)]
		}
		inv := 1 / (sum * t.OutScale)
		o := out[r*depth:][:depth]
		for j, v := range row {
			p := t.Table[m-int32(v)] * inv
			var q int32
			if signed {
				q = int32(math.Round(float64(p)))
			} else {
				q = int32(p + 0.5)
			}
			o[j] = T(clamp(q+t.OutZP, lo, hi))
		}
	}
}
