package kernels

// DWConvF32 is a float32 depthwise convolution with its weights
// ([1][KH][KW][OutC]) and bias decoded once.
type DWConvF32 struct {
	p      ConvParams
	w      []float32
	bias   []float32 // OutC entries, zeros when the model has none
	clamp  ClampF32
	vector bool      // 3×3 layers on AVX2 with FMA
	z      bool      // and blocks of 16 channels on AVX-512
	cols   dwF32Cols // the vector kernels' column geometry
}

// NewDWConvF32 prepares a depthwise convolution for a backend; bias may be
// nil.
func NewDWConvF32(p *ConvParams, w, bias []float32, clamp ClampF32, backend Backend) *DWConvF32 {
	d := &DWConvF32{p: *p, w: w, bias: make([]float32, p.OutC), clamp: clamp, vector: dwF32Vector(p, backend), z: backend == AVX512VNNI}
	copy(d.bias, bias)
	if d.vector {
		d.cols = dwF32Geometry(p)
	}
	return d
}

// Params returns the layer's geometry.
func (d *DWConvF32) Params() *ConvParams {
	p := d.p
	return &p
}

// Run computes output rows r0..r1 (batch × OutH) directly, as TFLite's
// reference float depthwise convolution
// (reference/depthwise_conv.h, float):
//
//	out[b,oy,ox,ic·M+m] = clamp(bias + Σ_{ky,kx} in[b,y,x,ic]·w[ky,kx,ic·M+m])
//
// with taps outside the input skipped. The channel loop is innermost, so
// each tap is a multiply-add of two contiguous channel vectors.
func (d *DWConvF32) Run(in, out []float32, r0, r1 int) {
	if d.vector {
		d.runVector(in, out, r0, r1)
		return
	}
	for r := r0; r < r1; r++ {
		d.runPixels(in, out, r, 0, d.p.OutW)
	}
}

// runPixels computes pixels ox0..ox1 of output row r with the generic loop.
func (d *DWConvF32) runPixels(in, out []float32, r, ox0, ox1 int) {
	p := &d.p
	{
		b, oy := r/p.OutH, r%p.OutH
		for ox := ox0; ox < ox1; ox++ {
			dst := out[((b*p.OutH+oy)*p.OutW+ox)*p.OutC:][:p.OutC]
			copy(dst, d.bias)
			for ky := 0; ky < p.KH; ky++ {
				y := oy*p.StrideH - p.PadH + ky*p.DilationH
				if y < 0 || y >= p.InH {
					continue
				}
				for kx := 0; kx < p.KW; kx++ {
					x := ox*p.StrideW - p.PadW + kx*p.DilationW
					if x < 0 || x >= p.InW {
						continue
					}
					src := in[((b*p.InH+y)*p.InW+x)*p.InC:][:p.InC]
					w := d.w[(ky*p.KW+kx)*p.OutC:][:p.OutC]
					if p.DepthMultiplier == 1 {
						w = w[:len(src)]
						dst := dst[:len(src)]
						for c, v := range src {
							dst[c] += v * w[c]
						}
						continue
					}
					for ic, v := range src {
						for m := 0; m < p.DepthMultiplier; m++ {
							oc := ic*p.DepthMultiplier + m
							dst[oc] += v * w[oc]
						}
					}
				}
			}
			for c, v := range dst {
				dst[c] = d.clamp.apply(v)
			}
		}
	}
}
