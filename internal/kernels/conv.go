package kernels

// ConvParams describes a 2-D convolution over NHWC tensors with an OHWI filter
// ([OutC][KH][KW][InC]) or, for depthwise convolution, a [1][KH][KW][OutC] one.
type ConvParams struct {
	Batch, InH, InW, InC int
	OutH, OutW, OutC     int
	KH, KW               int
	StrideH, StrideW     int
	DilationH, DilationW int
	PadH, PadW           int // rows above and columns left of the input
	DepthMultiplier      int // depthwise only: OutC = InC * DepthMultiplier
	Requantization
}

// Requantization is what turns a weighted operator's int32 sums into 8-bit
// outputs: the zero points of its input, filter and output, a multiplier
// and shift per output channel (per-tensor models repeat one), and the clamp
// of the fused activation. CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED and
// the GEMM that runs them share it.
type Requantization struct {
	InZP, FilterZP, OutZP int32
	Mult                  []int32
	Shift                 []int
	ActMin, ActMax        int32
}

// Conv computes a quantized 2-D convolution as TFLite's reference kernels
// (reference/conv.h for uint8, reference/integer_ops/conv.h for per-channel
// int8):
//
//	acc = bias[oc] + Σ_{ky,kx,ic} (in[y,x,ic] - InZP) * (w[oc,ky,kx,ic] - FilterZP)
//	out = clamp(OutZP + MultiplyByQuantizedMultiplier(acc, Mult[oc], Shift[oc]))
//
// where y = oy*StrideH - PadH + ky*DilationH (likewise x) and taps outside the
// input are skipped. bias may be nil.
func Conv[T Q8](p *ConvParams, in, filter []T, bias []int32, out []T) {
	p.pixels(func(at int, win *window) {
		outPix := out[at:][:p.OutC]
		for oc := range outPix {
			var acc int32
			for ky := win.ky0; ky < win.ky1; ky++ {
				row := win.row(ky)
				for kx := win.kx0; kx < win.kx1; kx++ {
					inPix := in[(row+kx*win.dx)*p.InC:][:p.InC]
					w := filter[((oc*p.KH+ky)*p.KW+kx)*p.InC:][:p.InC]
					for ic, v := range inPix {
						acc += (int32(v) - p.InZP) * (int32(w[ic]) - p.FilterZP)
					}
				}
			}
			outPix[oc] = T(requantize(acc, bias, oc, &p.Requantization))
		}
	})
}

// DepthwiseConv computes a quantized depthwise convolution as TFLite's
// reference kernels (reference/depthwiseconv_uint8.h and
// reference/integer_ops/depthwise_conv.h): output channel oc = ic*M + m reads
// only input channel ic, with filter [1][KH][KW][OutC]:
//
//	acc = bias[oc] + Σ_{ky,kx} (in[y,x,ic] - InZP) * (w[ky,kx,oc] - FilterZP)
//
// then requantized and clamped as in Conv.
func DepthwiseConv[T Q8](p *ConvParams, in, filter []T, bias []int32, out []T) {
	m := p.DepthMultiplier
	p.pixels(func(at int, win *window) {
		outPix := out[at:][:p.OutC]
		for oc := range outPix {
			ic := oc / m
			var acc int32
			for ky := win.ky0; ky < win.ky1; ky++ {
				row := win.row(ky)
				for kx := win.kx0; kx < win.kx1; kx++ {
					v := int32(in[(row+kx*win.dx)*p.InC+ic])
					w := int32(filter[(ky*p.KW+kx)*p.OutC+oc])
					acc += (v - p.InZP) * (w - p.FilterZP)
				}
			}
			outPix[oc] = T(requantize(acc, bias, oc, &p.Requantization))
		}
	})
}

// pixels calls f for every output pixel of p, in order, with the offset of
// its outputs in the output tensor and its window.
func (p *ConvParams) pixels(f func(at int, win *window)) {
	for b := 0; b < p.Batch; b++ {
		for oy := 0; oy < p.OutH; oy++ {
			for ox := 0; ox < p.OutW; ox++ {
				win := p.window(b, oy, ox)
				f(((b*p.OutH+oy)*p.OutW+ox)*p.OutC, &win)
			}
		}
	}
}

// window is the part of a convolution's filter that one output pixel reads
// inside the input: the taps [ky0, ky1) × [kx0, kx1). Tap (ky, kx) reads
// input pixel row(ky) + kx·dx, counted over the whole batch, row-major.
type window struct {
	ky0, ky1, kx0, kx1 int
	origin, dy, dx     int // the pixel tap (0, 0) would read; one tap's steps
}

// window returns the window of output pixel (oy, ox) of batch item b.
func (p *ConvParams) window(b, oy, ox int) window {
	y0, ky0, ky1 := taps(oy, p.StrideH, p.PadH, p.DilationH, p.KH, p.InH)
	x0, kx0, kx1 := taps(ox, p.StrideW, p.PadW, p.DilationW, p.KW, p.InW)
	return window{ky0: ky0, ky1: ky1, kx0: kx0, kx1: kx1,
		origin: (b*p.InH+y0)*p.InW + x0, dy: p.DilationH * p.InW, dx: p.DilationW}
}

// row is the pixel that tap (ky, 0) would read.
func (w *window) row(ky int) int { return w.origin + ky*w.dy }

// taps walks one axis of a convolution window: output coordinate o reads
// input first + t*dilation for filter taps t in [lo, hi), the taps of the k
// that fall inside an input of size n (the others read padding, which adds
// nothing, as TFLite's reference kernels skip them).
func taps(o, stride, pad, dilation, k, n int) (first, lo, hi int) {
	first = o*stride - pad
	if first < 0 {
		lo = (-first + dilation - 1) / dilation
	}
	if last := n - 1 - first; last < 0 {
		hi = 0
	} else {
		hi = min(k, last/dilation+1)
	}
	return first, lo, hi
}

func requantize(acc int32, bias []int32, oc int, p *Requantization) int32 {
	if bias != nil {
		acc += bias[oc]
	}
	acc = multiplyByQuantizedMultiplier(acc, p.Mult[oc], p.Shift[oc]) + p.OutZP
	return clamp(acc, p.ActMin, p.ActMax)
}

// FCParams describes a fully connected layer: Batch rows of K inputs times an
// [N][K] weight matrix.
type FCParams struct {
	Batch, K, N int
	Requantization
}

// FullyConnected computes reference/fully_connected.h (uint8) and
// reference/integer_ops/fully_connected.h (int8):
// out[b,n] = clamp(OutZP + MBQM(bias[n] + Σ_k (in[b,k]-InZP)*(w[n,k]-FilterZP))).
func FullyConnected[T Q8](p *FCParams, in, filter []T, bias []int32, out []T) {
	for b := 0; b < p.Batch; b++ {
		row := in[b*p.K:][:p.K]
		for n := 0; n < p.N; n++ {
			w := filter[n*p.K:][:p.K]
			var acc int32
			for k, v := range row {
				acc += (int32(v) - p.InZP) * (int32(w[k]) - p.FilterZP)
			}
			out[b*p.N+n] = T(requantize(acc, bias, n, &p.Requantization))
		}
	}
}
