package kernels

import "fmt"

// DirectConv is a prepared convolution over an input of few channels, a
// network's first layer (MobileNet's 3×3 stride-2 convolution of the RGB
// image): each output pixel's window is KH rows of KW·InC contiguous input
// bytes, few enough that the kernel reads them straight from the input
// instead of an im2col copy, and the output channels few enough that every
// weight stays in a register. Only some backends have such a kernel;
// NewDirectConv says when.
type DirectConv struct {
	p     ConvParams
	run   func(in, out []byte, r0, r1 int)
	inLen int
}

// NewDirectConv prepares the convolution p (filter w as OHWI bytes, uint8
// or, when signed, int8; bias may be nil) for backend b. It returns nil when
// b has no direct kernel for p's shape or weights; the caller then takes the
// im2col GEMM.
func NewDirectConv(p *ConvParams, signed bool, w []byte, bias []int32, b Backend) (*DirectConv, error) {
	if len(w) != p.OutC*p.KH*p.KW*p.InC || len(p.Mult) != p.OutC || len(p.Shift) != p.OutC || (bias != nil && len(bias) != p.OutC) {
		return nil, fmt.Errorf("kernels: direct convolution of %d output channels with %d weights, %d multipliers", p.OutC, len(w), len(p.Mult))
	}
	// The check the GEMM makes, so a layer refused there is refused here
	// too instead of running on the direct kernel.
	per := len(w) / p.OutC
	sumAbsW := make([]int64, p.OutC)
	for oc := range p.OutC {
		for _, v := range w[oc*per : (oc+1)*per] {
			d := int32(v) - p.FilterZP
			if signed {
				d = int32(int8(v))
			}
			sumAbsW[oc] += abs64(int64(d))
		}
	}
	q := newRequant(nil, p.Mult, p.Shift, p.OutZP, p.ActMin, p.ActMax, p.OutC, 1)
	if err := q.checkRange(bias, sumAbsW, p.InZP, signed); err != nil {
		return nil, err
	}
	run := directConvKernel(p, signed, w, bias, b)
	if run == nil {
		return nil, nil
	}
	return &DirectConv{p: *p, run: run, inLen: p.Batch * p.InH * p.InW * p.InC}, nil
}

// Run computes output rows [r0, r1), counted across the batch (r = b·OutH +
// oy). in's storage must extend MaxOverread readable bytes past its end.
func (d *DirectConv) Run(in, out []byte, r0, r1 int) {
	if r1 <= r0 {
		return
	}
	// The assembly does not check bounds (see GEMM.Run).
	_ = in[d.inLen-1]
	_ = out[r1*d.p.OutW*d.p.OutC-1]
	d.run(in, out, r0, r1)
}
