package kernels

// PoolParams describes a 2-D pooling window over an NHWC tensor.
type PoolParams struct {
	Batch, InH, InW, C int
	OutH, OutW         int
	FH, FW             int
	StrideH, StrideW   int
	PadH, PadW         int
	ActMin, ActMax     int32
}

// window returns the part of the filter window at (oy, ox) that lies inside
// the input, as TFLite's pooling kernels clip it.
func (p *PoolParams) window(oy, ox int) (y0, y1, x0, x1 int) {
	inY, inX := oy*p.StrideH-p.PadH, ox*p.StrideW-p.PadW
	y0, y1 = max(0, -inY), min(p.FH, p.InH-inY)
	x0, x1 = max(0, -inX), min(p.FW, p.InW-inX)
	return inY + y0, inY + y1, inX + x0, inX + x1
}

// AveragePool computes reference/pooling.h's quantized AveragePool: the sum
// over the clipped window, divided by the number of taps rounding half up
// ((sum + n/2) / n; TFLite uses this for both uint8 and int8), then clamped.
func AveragePool[T Q8](p *PoolParams, in, out []T) {
	for b := 0; b < p.Batch; b++ {
		for oy := 0; oy < p.OutH; oy++ {
			for ox := 0; ox < p.OutW; ox++ {
				y0, y1, x0, x1 := p.window(oy, ox)
				n := int32((y1 - y0) * (x1 - x0))
				for c := 0; c < p.C; c++ {
					var sum int32
					for y := y0; y < y1; y++ {
						for x := x0; x < x1; x++ {
							sum += int32(in[((b*p.InH+y)*p.InW+x)*p.C+c])
						}
					}
					var avg int32
					if n > 0 {
						// C++ division truncates toward zero, as Go's does.
						if sum >= 0 {
							avg = (sum + n/2) / n
						} else {
							avg = (sum - n/2) / n
						}
					}
					out[((b*p.OutH+oy)*p.OutW+ox)*p.C+c] = T(clamp(avg, p.ActMin, p.ActMax))
				}
			}
		}
	}
}

// MaxPool computes reference/pooling.h's quantized MaxPool over the clipped
// window, then clamps.
func MaxPool[T Q8](p *PoolParams, in, out []T) {
	lo, _ := Range[T]()
	for b := 0; b < p.Batch; b++ {
		for oy := 0; oy < p.OutH; oy++ {
			for ox := 0; ox < p.OutW; ox++ {
				y0, y1, x0, x1 := p.window(oy, ox)
				for c := 0; c < p.C; c++ {
					m := lo
					for y := y0; y < y1; y++ {
						for x := x0; x < x1; x++ {
							m = max(m, int32(in[((b*p.InH+y)*p.InW+x)*p.C+c]))
						}
					}
					out[((b*p.OutH+oy)*p.OutW+ox)*p.C+c] = T(clamp(m, p.ActMin, p.ActMax))
				}
			}
		}
	}
}
