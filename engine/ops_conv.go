package engine

import (
	"errors"

	"github.com/classifly/classifly/internal/kernels"
	"github.com/classifly/classifly/tflite"
)

// outSize and padding follow TFLite's ComputeOutSize and
// ComputePaddingHeightWidth (kernels/padding.h): SAME gives ceil(in/stride)
// outputs with the padding split evenly, extra at the end; VALID none.
func outSize(p tflite.Padding, in, filter, stride, dilation int) int {
	eff := (filter-1)*dilation + 1
	if p == tflite.PaddingSame {
		return (in + stride - 1) / stride
	}
	return (in + stride - eff) / stride
}

func padding(stride, dilation, in, filter, out int) int {
	eff := (filter-1)*dilation + 1
	return max((out-1)*stride+eff-in, 0) / 2
}

// convGeometry validates shapes and options shared by CONV_2D and
// DEPTHWISE_CONV_2D and fills the geometry part of the parameters.
func (c *opContext) convGeometry(p *kernels.ConvParams, pad tflite.Padding, sw, sh, dw, dh int32, in, filter, out *tensorView) error {
	if len(in.shape) != 4 || len(filter.shape) != 4 || len(out.shape) != 4 {
		return c.errorf("input %v, filter %v and output %v must be 4-D", in.shape, filter.shape, out.shape)
	}
	if sw < 1 || sh < 1 || dw < 1 || dh < 1 || sw > 1<<16 || sh > 1<<16 || dw > 1<<16 || dh > 1<<16 {
		return c.errorf("strides %dx%d and dilations %dx%d must be positive", sw, sh, dw, dh)
	}
	if pad != tflite.PaddingSame && pad != tflite.PaddingValid {
		return c.errorf("unknown padding %d", pad)
	}
	*p = kernels.ConvParams{
		Batch: in.shape[0], InH: in.shape[1], InW: in.shape[2], InC: in.shape[3],
		KH: filter.shape[1], KW: filter.shape[2],
		StrideH: int(sh), StrideW: int(sw), DilationH: int(dh), DilationW: int(dw),
		OutH: out.shape[1], OutW: out.shape[2], OutC: out.shape[3],
	}
	wantH := outSize(pad, p.InH, p.KH, p.StrideH, p.DilationH)
	wantW := outSize(pad, p.InW, p.KW, p.StrideW, p.DilationW)
	if out.shape[0] != p.Batch || p.OutH != wantH || p.OutW != wantW || wantH < 1 || wantW < 1 || p.KH < 1 || p.KW < 1 {
		return c.errorf("output shape %v does not follow from input %v, filter %v, stride %dx%d", out.shape, in.shape, filter.shape, sh, sw)
	}
	p.PadH = padding(p.StrideH, p.DilationH, p.InH, p.KH, p.OutH)
	p.PadW = padding(p.StrideW, p.DilationW, p.InW, p.KW, p.OutW)
	return nil
}

// convQuant validates quantization and returns the requantization: zero
// points, multipliers and the clamp. quantDim is the filter's
// output-channel dimension (0 for conv, 3 for depthwise); filters are
// per-tensor (uint8 or int8) or per-channel (int8).
func convQuant[T kernels.Q8](c *opContext, in, filter, bias, out *tensorView, quantDim, outC int, act tflite.Activation) (kernels.Requantization, error) {
	var q kernels.Requantization
	for _, v := range []*tensorView{in, filter, out} {
		if err := c.quantized(v, "an 8-bit"); err != nil {
			return q, err
		}
	}
	if !filter.isConst() {
		return q, c.unsupported("filter tensor %d is not constant", filter.idx)
	}
	fq := filter.t.Quantization
	if n := len(fq.Scale); n != 1 && (n != outC || fq.Dimension != quantDim) {
		return q, c.errorf("filter has %d scales along dimension %d for %d output channels", n, fq.Dimension, outC)
	}
	q.FilterZP = filter.zp()
	for _, z := range fq.ZeroPoint {
		if int32(z) != q.FilterZP || (signed[T]() && z != 0) {
			return q, c.unsupported("filter zero points %v (int8 filters must be symmetric, per-channel zero points equal)", fq.ZeroPoint)
		}
	}
	if bias != nil {
		if !bias.isConst() || bias.t.Type != tflite.Int32 || bias.n != int64(outC) {
			return q, c.unsupported("bias tensor %d must be a constant int32 vector of %d, is %v %v", bias.idx, outC, bias.t.Type, bias.shape)
		}
	}
	var err error
	if q.ActMin, q.ActMax, err = actRange[T](c, act, out); err != nil {
		return q, err
	}
	q.Mult, q.Shift = kernels.ConvMultipliers(!signed[T](), in.scale(), fq.Scale, out.scale(), outC)
	q.InZP, q.OutZP = in.zp(), out.zp()
	return q, nil
}

// weightedTensors checks and returns the tensors of CONV_2D,
// DEPTHWISE_CONV_2D and FULLY_CONNECTED: input, filter, optional bias and
// output, all but the bias of type typ.
func (c *opContext) weightedTensors(typ tflite.TensorType) (in, filter, bias, out *tensorView, err error) {
	if err = c.arity(2, 3, 1); err != nil {
		return
	}
	in, filter, out = c.ins[0], c.ins[1], c.outs[0]
	if len(c.ins) == 3 {
		bias = c.ins[2]
	}
	if !is8bit(in.t.Type) {
		err = c.unsupported("%v input; only quantized 8-bit models run", in.t.Type)
		return
	}
	err = c.sameType(typ, in, filter, out)
	return
}

func biasData(bias *tensorView) []int32 {
	if bias == nil {
		return nil
	}
	return tflite.Int32s(bias.konst)
}

// convOp is what every convolution builder starts from: its tensors, its
// checked geometry and its fused activation.
type convOp struct {
	in, filter, bias, out *tensorView
	p                     *kernels.ConvParams
	act                   tflite.Activation
}

// convOperands reads a CONV_2D (depthwise false) or DEPTHWISE_CONV_2D
// operator: its options, its tensors through fetch (the quantized or the
// float reader) and its geometry, checking the filter's shape against it.
func (c *opContext) convOperands(depthwise bool, fetch func() (in, filter, bias, out *tensorView, err error)) (*convOp, error) {
	var (
		pad            tflite.Padding
		sw, sh, dw, dh int32
		mult           int32
		act            tflite.Activation
	)
	if depthwise {
		o, ok := c.op.Options.(*tflite.DepthwiseConv2DOptions)
		if !ok {
			return nil, c.errorf("missing DepthwiseConv2DOptions")
		}
		pad, sw, sh, dw, dh, mult, act = o.Padding, o.StrideW, o.StrideH, o.DilationW, o.DilationH, o.DepthMultiplier, o.Activation
	} else {
		o, ok := c.op.Options.(*tflite.Conv2DOptions)
		if !ok {
			return nil, c.errorf("missing Conv2DOptions")
		}
		pad, sw, sh, dw, dh, act = o.Padding, o.StrideW, o.StrideH, o.DilationW, o.DilationH, o.Activation
	}
	in, filter, bias, out, err := fetch()
	if err != nil {
		return nil, err
	}
	p := &kernels.ConvParams{}
	if err := c.convGeometry(p, pad, sw, sh, dw, dh, in, filter, out); err != nil {
		return nil, err
	}
	if !depthwise {
		if filter.shape[0] != p.OutC || filter.shape[3] != p.InC {
			return nil, c.unsupported("filter %v for input %v and output %v (grouped convolution)", filter.shape, in.shape, out.shape)
		}
	} else {
		if filter.shape[0] != 1 || filter.shape[3] != p.OutC || p.InC < 1 || p.OutC%p.InC != 0 {
			return nil, c.errorf("depthwise filter %v for input %v and output %v", filter.shape, in.shape, out.shape)
		}
		p.DepthMultiplier = p.OutC / p.InC
		if mult != 0 && int(mult) != p.DepthMultiplier {
			return nil, c.errorf("depth_multiplier %d but shapes give %d", mult, p.DepthMultiplier)
		}
	}
	return &convOp{in, filter, bias, out, p, act}, nil
}

// quantConvOp is a quantized convolution ready to run: its geometry and
// requantization, where its input and output are, its filter's bytes and
// its bias.
type quantConvOp struct {
	p       *kernels.ConvParams
	in, out *loc
	w       []byte
	bias    []int32
}

// quantConv fetches a quantized CONV_2D or DEPTHWISE_CONV_2D: its operands
// and its requantization (per channel along the filter's dimension 0, or 3
// for a depthwise one), and counts its multiply-adds.
func quantConv[T kernels.Q8](c *opContext, depthwise bool) (*quantConvOp, error) {
	co, err := c.convOperands(depthwise, func() (in, filter, bias, out *tensorView, err error) { return c.weightedTensors(typeOf[T]()) })
	if err != nil {
		return nil, err
	}
	quantDim := 0
	if depthwise {
		quantDim = 3
	}
	if co.p.Requantization, err = convQuant[T](c, co.in, co.filter, co.bias, co.out, quantDim, co.p.OutC, co.act); err != nil {
		return nil, err
	}
	if err := c.addConvMACs(co.p, depthwise); err != nil {
		return nil, err
	}
	return &quantConvOp{p: co.p, in: c.loc(co.in), out: c.loc(co.out), w: co.filter.konst, bias: biasData(co.bias)}, nil
}

// addConvMACs counts a convolution's multiply-adds: KH·KW·InC taps an
// output, KH·KW for a depthwise one.
func (c *opContext) addConvMACs(p *kernels.ConvParams, depthwise bool) error {
	taps := p.KH * p.KW
	if !depthwise {
		taps *= p.InC
	}
	return c.addLayerMACs(int64(p.Batch) * int64(p.OutH*p.OutW) * int64(p.OutC) * int64(taps))
}

func buildConv[T kernels.Q8](c *opContext) error {
	q, err := quantConv[T](c, false)
	if err != nil {
		return err
	}
	p, inL, outL, w, bs := q.p, q.in, q.out, q.w, q.bias
	if !c.b.opts.Reference {
		// NewDirectConv makes the GEMM's range check too, so a layer it
		// leaves to the reference kernel never reaches emitConvGEMM.
		d, err := kernels.NewDirectConv(p, signed[T](), w, bs, c.b.backend)
		switch {
		case errors.Is(err, kernels.ErrSumRange): // the reference kernel below
		case err != nil:
			return c.errorf("%v", err)
		case d == nil:
			return c.emitConvGEMM(p, signed[T](), w, bs, inL, outL)
		default:
			// The kernel reads the input itself: no im2col copy, no barrier.
			rows := p.Batch * p.OutH
			c.emitPar(func(mem []byte) { d.Run(inL.bytes(mem), outL.bytes(mem), 0, rows) }, func(mem []byte, w, n int) {
				lo, hi := share(rows, 1, w, n)
				d.Run(inL.bytes(mem), outL.bytes(mem), lo, hi)
			})
			return nil
		}
	}
	wt := kernels.View[T](w)
	c.emit(func(mem []byte) { kernels.Conv(p, at[T](inL, mem), wt, bs, at[T](outL, mem)) })
	return nil
}

func buildDepthwise[T kernels.Q8](c *opContext) error {
	q, err := quantConv[T](c, true)
	if err != nil {
		return err
	}
	p, inL, outL, w, bs := q.p, q.in, q.out, q.w, q.bias
	if !c.b.opts.Reference && p.DepthMultiplier == 1 {
		d, err := kernels.NewDWConv(p, signed[T](), w, bs, c.b.backend)
		switch {
		case errors.Is(err, kernels.ErrSumRange): // the reference kernel below
		case err != nil:
			return c.errorf("%v", err)
		default:
			return c.emitDWConv(d, p.Batch*p.OutH, inL, outL)
		}
	}
	wt := kernels.View[T](w)
	c.emit(func(mem []byte) { kernels.DepthwiseConv(p, at[T](inL, mem), wt, bs, at[T](outL, mem)) })
	return nil
}

// emitDWConv plans a depthwise convolution of rows output rows on the fast
// kernel d.
func (c *opContext) emitDWConv(d *kernels.DWConv, rows int, inL, outL *loc) error {
	if d.Direct() { // the kernel pads by itself: no copy, no barrier
		c.emitPar(func(mem []byte) { d.RunDirect(inL.bytes(mem), outL.bytes(mem), 0, rows) }, func(mem []byte, w, n int) {
			lo, hi := share(rows, 1, w, n)
			d.RunDirect(inL.bytes(mem), outL.bytes(mem), lo, hi)
		})
		return nil
	}
	padded, err := c.b.temp(int64(d.PaddedSize()), c.index)
	if err != nil {
		return err
	}
	c.emitPar(func(mem []byte) {
		buf := padded.bytes(mem)
		d.Pad(inL.bytes(mem), buf, 0, d.PaddedRows())
		d.Run(buf, outL.bytes(mem), 0, rows)
	}, func(mem []byte, w, n int) {
		lo, hi := share(d.PaddedRows(), 1, w, n)
		d.Pad(inL.bytes(mem), padded.bytes(mem), lo, hi)
	}, func(mem []byte, w, n int) {
		lo, hi := share(rows, 1, w, n)
		d.Run(padded.bytes(mem), outL.bytes(mem), lo, hi)
	})
	return nil
}

func buildFullyConnected[T kernels.Q8](c *opContext) error {
	o, _ := c.op.Options.(*tflite.FullyConnectedOptions)
	if o == nil {
		o = &tflite.FullyConnectedOptions{}
	}
	if o.WeightsFormat != 0 {
		return c.unsupported("shuffled weights format %d", o.WeightsFormat)
	}
	in, filter, bias, out, err := c.weightedTensors(typeOf[T]())
	if err != nil {
		return err
	}
	if len(filter.shape) != 2 || filter.shape[1] < 1 {
		return c.errorf("weights shape %v must be [outputs, inputs]", filter.shape)
	}
	p := &kernels.FCParams{N: filter.shape[0], K: filter.shape[1]}
	if in.n%int64(p.K) != 0 || out.n != in.n/int64(p.K)*int64(p.N) {
		return c.errorf("input %v, weights %v and output %v do not agree", in.shape, filter.shape, out.shape)
	}
	p.Batch = int(in.n / int64(p.K))
	if p.Requantization, err = convQuant[T](c, in, filter, bias, out, 0, p.N, o.Activation); err != nil {
		return err
	}
	if err := c.addLayerMACs(int64(p.Batch) * int64(p.N) * int64(p.K)); err != nil {
		return err
	}
	inL, outL, w, bs := c.loc(in), c.loc(out), filter.konst, biasData(bias)
	if !c.b.opts.Reference {
		g, err := kernels.NewGEMM(kernels.GEMMSpec{N: p.N, K: p.K, Signed: signed[T](), W: w, Bias: bs, Rows: p.Batch, Requantization: p.Requantization}, c.b.backend)
		switch {
		case errors.Is(err, kernels.ErrSumRange): // the reference kernel below
		case err != nil:
			return c.errorf("%v", err)
		default:
			c.emit(func(mem []byte) { g.Run(inL.bytes(mem), p.K, 0, p.Batch, outL.bytes(mem), p.N) })
			return nil
		}
	}
	wt := kernels.View[T](w)
	c.emit(func(mem []byte) { kernels.FullyConnected(p, at[T](inL, mem), wt, bs, at[T](outL, mem)) })
	return nil
}
