package engine

import (
	"github.com/classifly/classifly/internal/kernels"
	"github.com/classifly/classifly/tflite"
)

// floatWeighted checks and returns the tensors of a float CONV_2D,
// DEPTHWISE_CONV_2D or FULLY_CONNECTED: float32 input and output, a
// constant filter that is float32 (float16 weights arrive here already
// widened) or int8 (dynamic range), an optional constant float32 bias.
func (c *opContext) floatWeighted() (in, filter, bias, out *tensorView, err error) {
	if err = c.arity(2, 3, 1); err != nil {
		return
	}
	in, filter, out = c.ins[0], c.ins[1], c.outs[0]
	if len(c.ins) == 3 {
		bias = c.ins[2]
	}
	if err = c.allFloat(in, out); err != nil {
		return
	}
	if !filter.isConst() {
		err = c.unsupported("filter tensor %d is not constant", filter.idx)
		return
	}
	if t := filter.t.Type; t != tflite.Float32 && t != tflite.Int8 {
		err = c.unsupported("%v filter with float input (float32, float16 through DEQUANTIZE, or int8 weights run)", t)
		return
	}
	if bias != nil && (!bias.isConst() || bias.t.Type != tflite.Float32) {
		err = c.unsupported("bias tensor %d must be a constant float32 vector, is %v", bias.idx, bias.t.Type)
	}
	return
}

// biasF32 decodes an optional bias of n entries.
func (c *opContext) biasF32(bias *tensorView, n int) ([]float32, error) {
	if bias == nil {
		return nil, nil
	}
	if bias.n != int64(n) {
		return nil, c.errorf("bias has %d entries for %d output channels", bias.n, n)
	}
	return floats(bias), nil
}

// floatConv fetches a float CONV_2D or DEPTHWISE_CONV_2D as
// floatConvOperands does, and counts its multiply-adds.
func (c *opContext) floatConv(depthwise bool) (co *convOp, clamp kernels.ClampF32, bias []float32, err error) {
	if co, clamp, bias, err = c.floatConvOperands(depthwise); err != nil {
		return
	}
	err = c.addConvMACs(co.p, depthwise)
	return
}

// floatConvOperands fetches a float CONV_2D or DEPTHWISE_CONV_2D: its
// operands, the clamp of its activation and its bias decoded.
func (c *opContext) floatConvOperands(depthwise bool) (co *convOp, clamp kernels.ClampF32, bias []float32, err error) {
	if co, err = c.convOperands(depthwise, c.floatWeighted); err != nil {
		return
	}
	if clamp, err = c.clampF32(co.act); err != nil {
		return
	}
	bias, err = c.biasF32(co.bias, co.p.OutC)
	return
}

func buildConvF32(c *opContext) error {
	co, clamp, bs, err := c.floatConv(false)
	if err != nil {
		return err
	}
	in, filter, out, p := co.in, co.filter, co.out, co.p
	k := p.KH * p.KW * p.InC
	if filter.t.Type == tflite.Int8 {
		return c.emitHybrid(p, false, filter, bs, in, out, clamp, false, 0)
	}
	g := kernels.NewGemmF32(p.OutC, k, floats(filter), bs, clamp, c.floatBackend())
	inL := c.loc(in)
	rows, m := p.Batch*p.OutH, p.Batch*p.OutH*p.OutW
	pointwise := p.KH == 1 && p.KW == 1 && p.StrideH == 1 && p.StrideW == 1 && p.PadH == 0 && p.PadW == 0
	if d, dwOut, ok := c.streamedDepthwise(out); ok {
		if pointwise {
			return c.emitStreamed(d, d.Params(), c.loc(dwOut), func(mem []byte, _, r int, dst []float32) {
				g.RunAdd(f32(inL, mem)[r*p.InW*k:], k, 0, p.InW, dst, p.OutC, 0, g.Panels(), kernels.Residual{})
			})
		}
		// Each worker im2cols its border pixels into its own row of cols.
		cols, err := c.b.temp(int64(c.b.workers())*int64(p.OutW)*int64(k)*4, c.index)
		if err != nil {
			return err
		}
		return c.emitStreamed(d, d.Params(), c.loc(dwOut), func(mem []byte, w, r int, dst []float32) {
			kernels.ConvRowF32(p, g, f32(inL, mem), f32(cols, mem)[w*p.OutW*k:], dst, r)
		})
	}
	if pointwise {
		// A 1×1 convolution is a GEMM over the NHWC input as it is.
		if res, sum, clamp2, ok := c.residualAdd(out); ok {
			c.emitGemmF32(g, inL, c.loc(sum), m, c.loc(res), clamp2)
			return nil
		}
		c.emitGemmF32(g, inL, c.loc(out), m, nil, kernels.ClampF32{})
		return nil
	}
	cols, err := c.b.temp(int64(m)*int64(k)*4, c.index)
	if err != nil {
		return err
	}
	outL := c.loc(out)
	run := func(mem []byte, r0, r1 int) {
		kernels.ConvF32(p, g, f32(inL, mem), f32(cols, mem), f32(outL, mem), r0, r1)
	}
	c.emitPar(func(mem []byte) { run(mem, 0, rows) }, func(mem []byte, w, n int) {
		lo, hi := share(rows, 1, w, n)
		run(mem, lo, hi)
	})
	return nil
}

func buildDepthwiseF32(c *opContext) error {
	co, clamp, bs, err := c.floatConv(true)
	if err != nil {
		return err
	}
	in, filter, out, p := co.in, co.filter, co.out, co.p
	if filter.t.Type == tflite.Int8 {
		return c.emitHybrid(p, true, filter, bs, in, out, clamp, true, 3)
	}
	w := floats(filter)
	d := kernels.NewDWConvF32(p, w, bs, clamp, c.floatBackend())
	inL, outL := c.loc(in), c.loc(out)
	rows := p.Batch * p.OutH
	c.emitPar(func(mem []byte) { d.Run(f32(inL, mem), f32(outL, mem), 0, rows) }, func(mem []byte, w, n int) {
		lo, hi := share(rows, 1, w, n)
		d.Run(f32(inL, mem), f32(outL, mem), lo, hi)
	})
	return nil
}

func buildFullyConnectedF32(c *opContext) error {
	o, _ := c.op.Options.(*tflite.FullyConnectedOptions)
	if o == nil {
		o = &tflite.FullyConnectedOptions{}
	}
	if o.WeightsFormat != 0 {
		return c.unsupported("shuffled weights format %d", o.WeightsFormat)
	}
	in, filter, bias, out, err := c.floatWeighted()
	if err != nil {
		return err
	}
	if len(filter.shape) != 2 || filter.shape[1] < 1 {
		return c.errorf("weights shape %v must be [outputs, inputs]", filter.shape)
	}
	n, k := filter.shape[0], filter.shape[1]
	if in.n%int64(k) != 0 || out.n != in.n/int64(k)*int64(n) {
		return c.errorf("input %v, weights %v and output %v do not agree", in.shape, filter.shape, out.shape)
	}
	batch := int(in.n / int64(k))
	clamp, err := c.clampF32(o.Activation)
	if err != nil {
		return err
	}
	bs, err := c.biasF32(bias, n)
	if err != nil {
		return err
	}
	if err := c.addLayerMACs(int64(batch) * int64(n) * int64(k)); err != nil {
		return err
	}
	if filter.t.Type == tflite.Int8 {
		// A fully connected layer is a 1×1 convolution of [batch,1,1,K].
		p := &kernels.ConvParams{Batch: batch, InH: 1, InW: 1, InC: k, OutH: 1, OutW: 1, OutC: n, KH: 1, KW: 1,
			StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1}
		return c.emitHybrid(p, false, filter, bs, in, out, clamp, o.AsymmetricQuantizeInputs, 0)
	}
	g := kernels.NewGemmF32(n, k, floats(filter), bs, clamp, c.floatBackend())
	c.emitGemmF32(g, c.loc(in), c.loc(out), batch, nil, kernels.ClampF32{})
	return nil
}

// emitGemmF32 plans g over m rows of input and output stored densely
// (row strides K and N), with the ADD of res fused when it is not nil.
// Workers share the rows, or the panels of output channels when that
// balances better (ties too: each worker then reads only its panels'
// weights), as for the logits' single row, whose 5 MB of weights take the
// time.
func (c *opContext) emitGemmF32(g *kernels.GemmF32, inL, outL *loc, m int, resL *loc, clamp2 kernels.ClampF32) {
	mr := g.RowBlock()
	k, ldc := g.K, g.N
	blocks, panels := (m+mr-1)/mr, g.Panels()
	run := func(mem []byte, m0, m1, p0, p1 int) {
		var res kernels.Residual
		if resL != nil {
			res = kernels.Residual{R: f32(resL, mem), Clamp: clamp2}
		}
		g.RunAdd(f32(inL, mem), k, m0, m1, f32(outL, mem), ldc, p0, p1, res)
	}
	c.emitPar(func(mem []byte) { run(mem, 0, m, 0, panels) },
		func(mem []byte, w, n int) {
			if (panels+n-1)/n*blocks <= (blocks+n-1)/n*panels {
				lo, hi := share(panels, 1, w, n)
				run(mem, 0, m, lo, hi)
				return
			}
			lo, hi := share(m, mr, w, n)
			run(mem, lo, hi, 0, panels)
		})
}

// emitHybrid plans a dynamic-range operator: int8 weights, symmetric
// (zero point 0), per tensor or per output channel along quantDim. As
// TFLite 2.2, CONV_2D with differing per-channel scales quantizes its input
// asymmetrically and rescales per channel, otherwise symmetrically with one
// scale; DEPTHWISE_CONV_2D is always per channel (asym true), and
// FULLY_CONNECTED follows its asymmetric_quantize_inputs option.
func (c *opContext) emitHybrid(p *kernels.ConvParams, depthwise bool, filter *tensorView, bias []float32, in, out *tensorView, clamp kernels.ClampF32, asym bool, quantDim int) error {
	q := filter.t.Quantization
	if q == nil || len(q.Scale) == 0 {
		return c.errorf("int8 filter tensor %d has no quantization", filter.idx)
	}
	if n := len(q.Scale); n != 1 && (n != p.OutC || q.Dimension != quantDim) {
		return c.errorf("filter has %d scales along dimension %d for %d output channels", n, q.Dimension, p.OutC)
	}
	for _, z := range q.ZeroPoint {
		if z != 0 {
			return c.unsupported("int8 filter zero points %v (dynamic-range weights are symmetric)", q.ZeroPoint)
		}
	}
	scales := make([]float32, p.OutC)
	perChannel := false
	for i := range scales {
		scales[i] = q.Scale[min(i, len(q.Scale)-1)]
		if !(scales[i] > 0) || scales[i] > 1e30 {
			return c.errorf("filter scale %v", scales[i])
		}
		perChannel = perChannel || scales[i] != scales[0]
	}
	if depthwise {
		perChannel = true
	} else if perChannel && c.code() == tflite.OpConv2D {
		asym = true
	}
	h := &kernels.HybridConv{P: *p, Depthwise: depthwise, W: kernels.View[int8](filter.konst), WScale: scales, Bias: bias,
		Asymmetric: asym, PerChannel: perChannel, Clamp: clamp}
	qbuf, err := c.b.temp(in.n, c.index)
	if err != nil {
		return err
	}
	inL, outL := c.loc(in), c.loc(out)
	c.emit(func(mem []byte) { h.Run(f32(inL, mem), kernels.View[int8](qbuf.bytes(mem)), f32(outL, mem)) })
	return nil
}
