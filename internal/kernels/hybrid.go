package kernels

import "math"

// Dynamic-range ("hybrid") kernels: int8 weights, float32 activations. As
// TFLite does, the float input is quantized to int8 at run time, one scale
// (and, asymmetric, one offset) per batch item; the int32 accumulators are
// then rescaled to float by input scale × weight scale.

// QuantizeSymmetricF32 is TFLite's SymmetricQuantizeFloats
// (tensor_utils, portable): scale = max|x|/127, q = round(x·127/max|x|)
// clamped to ±127, and scale 1 with all zeros when x is all zero.
func QuantizeSymmetricF32(x []float32, q []int8) float32 {
	var lo, hi float32
	for _, v := range x {
		lo, hi = min(lo, v), max(hi, v)
	}
	r := max(-lo, hi)
	q = q[:len(x)]
	if r == 0 {
		clear(q)
		return 1
	}
	inv := 127 / r
	for i, v := range x {
		q[i] = int8(min(max(roundAway(v*inv), -127), 127))
	}
	return r / 127
}

// QuantizeAsymmetricF32 is TFLite's AsymmetricQuantizeFloats: the range
// [min(x,0), max(x,0)] maps onto [-128, 127] with a nudged zero point,
// computed in float64 as TFLite does, the scale stored as float32; q =
// round(offset + x/scale) clamped. It returns the scale and the offset.
func QuantizeAsymmetricF32(x []float32, q []int8) (float32, int32) {
	var lo, hi float32
	for _, v := range x {
		lo, hi = min(lo, v), max(hi, v)
	}
	q = q[:len(x)]
	if lo == hi {
		clear(q)
		return 1, 0
	}
	const qmin, qmax = -128.0, 127.0
	rmin, rmax := float64(lo), float64(hi)
	scale := (rmax - rmin) / (qmax - qmin)
	zpMin, zpMax := qmin-rmin/scale, qmax-rmax/scale
	zp := zpMax
	if math.Abs(qmin)+math.Abs(rmin/scale) < math.Abs(qmax)+math.Abs(rmax/scale) {
		zp = zpMin
	}
	var offset int32
	switch {
	case zp <= qmin:
		offset = qmin
	case zp >= qmax:
		offset = qmax
	default:
		offset = int32(math.Round(zp))
	}
	s := float32(scale)
	inv := float32(1 / float64(s))
	for i, v := range x {
		q[i] = int8(min(max(roundAway(float32(offset)+v*inv), -128), 127))
	}
	return s, offset
}

// roundAway rounds half away from zero (std::round) to an int32, saturating.
func roundAway(v float32) int32 {
	r := math.Round(float64(v))
	return int32(min(max(r, math.MinInt32), math.MaxInt32))
}

// HybridConv is a CONV_2D, DEPTHWISE_CONV_2D or FULLY_CONNECTED (a 1×1
// convolution over a [batch,1,1,K] input) with int8 weights and float
// input, bias and output.
type HybridConv struct {
	P          ConvParams // geometry; InZP etc. unused
	Depthwise  bool
	W          []int8    // OHWI, or [1][KH][KW][OutC] for depthwise
	WScale     []float32 // per output channel (repeated when per tensor)
	Bias       []float32 // nil for none
	Asymmetric bool      // quantize the input asymmetrically (else symmetric)
	PerChannel bool      // rescale as acc·wscale[c]·inscale (else acc·(inscale·wscale))
	Clamp      ClampF32
}

// Run computes out from in; q holds the quantized input (in's length).
// TFLite's reference loops (reference/conv.h HybridConvPerChannel,
// integer_ops/depthwise_conv_hybrid.h, fully_connected EvalHybrid):
//
//	acc = Σ w·(q - offset[b])        over taps inside the input
//	out = clamp(bias + acc·scale)
func (h *HybridConv) Run(in []float32, q []int8, out []float32) {
	p := &h.P
	per := p.InH * p.InW * p.InC
	for b := 0; b < p.Batch; b++ {
		x, qx := in[b*per:][:per], q[b*per:][:per]
		var s float32
		var off int32
		if h.Asymmetric {
			s, off = QuantizeAsymmetricF32(x, qx)
		} else {
			s = QuantizeSymmetricF32(x, qx)
		}
		for oy := 0; oy < p.OutH; oy++ {
			for ox := 0; ox < p.OutW; ox++ {
				dst := out[((b*p.OutH+oy)*p.OutW+ox)*p.OutC:][:p.OutC]
				win := p.window(0, oy, ox) // qx is batch item b alone
				for oc := range dst {
					acc := h.acc(qx, off, &win, oc)
					var v float32
					if h.PerChannel {
						v = float32(acc) * h.WScale[oc] * s
					} else {
						v = float32(acc) * (s * h.WScale[oc])
					}
					if h.Bias != nil {
						v += h.Bias[oc]
					}
					dst[oc] = h.Clamp.apply(v)
				}
			}
		}
	}
}

// acc is one output's integer sum, output channel oc over window win.
func (h *HybridConv) acc(qx []int8, off int32, win *window, oc int) int32 {
	p := &h.P
	var acc int32
	for ky := win.ky0; ky < win.ky1; ky++ {
		row := win.row(ky)
		for kx := win.kx0; kx < win.kx1; kx++ {
			pix := qx[(row+kx*win.dx)*p.InC:][:p.InC]
			if h.Depthwise {
				ic := oc / p.DepthMultiplier
				acc += int32(h.W[(ky*p.KW+kx)*p.OutC+oc]) * (int32(pix[ic]) - off)
				continue
			}
			w := h.W[((oc*p.KH+ky)*p.KW+kx)*p.InC:][:len(pix)]
			for i, v := range pix {
				acc += int32(w[i]) * (int32(v) - off)
			}
		}
	}
	return acc
}
