package engine

import (
	"github.com/classifly/classifly/internal/kernels"
	"github.com/classifly/classifly/tflite"
)

// actRange returns the clamp of a fused activation on an output of type T.
func actRange[T kernels.Q8](c *opContext, act tflite.Activation, out *tensorView) (int32, int32, error) {
	ka, err := activation(act, c.name, c.index)
	if err != nil {
		return 0, 0, err
	}
	lo, hi := kernels.ActivationRange[T](ka, out.scale(), out.zp())
	return lo, hi, nil
}

// quantized8 checks that all tensors are 8-bit of one type with quantization.
func (c *opContext) quantized8(vs ...*tensorView) error {
	typ := vs[0].t.Type
	if !is8bit(typ) {
		return c.unsupported("%v tensors; only quantized 8-bit models run", typ)
	}
	if err := c.sameType(typ, vs...); err != nil {
		return err
	}
	for _, v := range vs {
		if err := c.quantized(v, "an 8-bit"); err != nil {
			return err
		}
	}
	return nil
}

// shape4 right-aligns a shape of rank ≤ 4 into 4-D, as TFLite's ExtendedShape.
func shape4(s []int) ([4]int, bool) {
	out := [4]int{1, 1, 1, 1}
	if len(s) > 4 {
		return out, false
	}
	copy(out[4-len(s):], s)
	return out, true
}

func buildAdd[T kernels.Q8](c *opContext) error {
	if err := c.arity(2, 2, 1); err != nil {
		return err
	}
	a, b, out := c.ins[0], c.ins[1], c.outs[0]
	if err := c.quantized8(a, b, out); err != nil {
		return err
	}
	var act tflite.Activation
	if o, ok := c.op.Options.(*tflite.AddOptions); ok {
		act = o.Activation
	}
	lo, hi, err := actRange[T](c, act, out)
	if err != nil {
		return err
	}
	p := kernels.NewAddParams(a.scale(), a.zp(), b.scale(), b.zp(), out.scale(), out.zp(), lo, hi)
	as4, okA := shape4(a.shape)
	bs4, okB := shape4(b.shape)
	os4, okO := shape4(out.shape)
	if !okA || !okB || !okO {
		return c.unsupported("ADD of rank above 4 (%v + %v)", a.shape, b.shape)
	}
	for d := range 4 {
		if want := max(as4[d], bs4[d]); (as4[d] != want && as4[d] != 1) || (bs4[d] != want && bs4[d] != 1) || os4[d] != want {
			return c.errorf("shapes %v + %v do not broadcast to %v", a.shape, b.shape, out.shape)
		}
	}
	aL, bL, oL := c.loc(a), c.loc(b), c.loc(out)
	same := a.n == out.n && b.n == out.n
	if same && !c.b.opts.Reference {
		ad := kernels.NewAdder(p, signed[T](), c.b.backend)
		n := int(out.n)
		c.emitPar(func(mem []byte) { ad.Run(aL.bytes(mem), bL.bytes(mem), oL.bytes(mem)) }, func(mem []byte, w, workers int) {
			lo, hi := share(n, 64, w, workers)
			if lo < hi {
				ad.Run(aL.bytes(mem)[lo:hi], bL.bytes(mem)[lo:hi], oL.bytes(mem)[lo:hi])
			}
		})
		return nil
	}
	if same {
		c.emit(func(mem []byte) { kernels.Add(p, at[T](aL, mem), at[T](bL, mem), at[T](oL, mem)) })
		return nil
	}
	c.emit(func(mem []byte) {
		kernels.AddBroadcast(p, as4, bs4, os4, at[T](aL, mem), at[T](bL, mem), at[T](oL, mem))
	})
	return nil
}

// poolParams validates a pooling operator on tensors of type T.
func poolParams[T kernels.Q8](c *opContext) (*kernels.PoolParams, *loc, *loc, error) {
	o, ok := c.op.Options.(*tflite.Pool2DOptions)
	if !ok {
		return nil, nil, nil, c.errorf("missing Pool2DOptions")
	}
	if err := c.arity(1, 1, 1); err != nil {
		return nil, nil, nil, err
	}
	in, out := c.ins[0], c.outs[0]
	if err := c.quantized8(in, out); err != nil {
		return nil, nil, nil, err
	}
	if in.scale() != out.scale() || in.zp() != out.zp() {
		return nil, nil, nil, c.unsupported("pooling with different input and output quantization")
	}
	if len(in.shape) != 4 || len(out.shape) != 4 {
		return nil, nil, nil, c.errorf("input %v and output %v must be 4-D", in.shape, out.shape)
	}
	if o.StrideW < 1 || o.StrideH < 1 || o.FilterWidth < 1 || o.FilterHeight < 1 || o.StrideW > 1<<16 || o.StrideH > 1<<16 || o.FilterWidth > 1<<16 || o.FilterHeight > 1<<16 {
		return nil, nil, nil, c.errorf("stride %dx%d and filter %dx%d must be positive", o.StrideH, o.StrideW, o.FilterHeight, o.FilterWidth)
	}
	p := &kernels.PoolParams{Batch: in.shape[0], InH: in.shape[1], InW: in.shape[2], C: in.shape[3],
		OutH: out.shape[1], OutW: out.shape[2], FH: int(o.FilterHeight), FW: int(o.FilterWidth),
		StrideH: int(o.StrideH), StrideW: int(o.StrideW)}
	if o.Padding != tflite.PaddingSame && o.Padding != tflite.PaddingValid {
		return nil, nil, nil, c.errorf("unknown padding %d", o.Padding)
	}
	wantH, wantW := outSize(o.Padding, p.InH, p.FH, p.StrideH, 1), outSize(o.Padding, p.InW, p.FW, p.StrideW, 1)
	if out.shape[0] != p.Batch || out.shape[3] != p.C || p.OutH != wantH || p.OutW != wantW || wantH < 1 || wantW < 1 {
		return nil, nil, nil, c.errorf("output %v does not follow from input %v and a %dx%d window", out.shape, in.shape, p.FH, p.FW)
	}
	p.PadH, p.PadW = padding(p.StrideH, 1, p.InH, p.FH, p.OutH), padding(p.StrideW, 1, p.InW, p.FW, p.OutW)
	var err error
	if p.ActMin, p.ActMax, err = actRange[T](c, o.Activation, out); err != nil {
		return nil, nil, nil, err
	}
	if err := c.b.addMACs(int64(p.Batch)*int64(p.OutH*p.OutW)*int64(p.C)*int64(p.FH*p.FW), c.name, c.index); err != nil {
		return nil, nil, nil, err
	}
	return p, c.loc(in), c.loc(out), nil
}

func buildAvgPool[T kernels.Q8](c *opContext) error {
	p, inL, outL, err := poolParams[T](c)
	if err != nil {
		return err
	}
	// A window over the whole input (the classifier's global pool) sums in
	// memory order.
	if !c.b.opts.Reference && p.OutH == 1 && p.OutW == 1 && p.FH >= p.InH && p.FW >= p.InW && p.PadH == 0 && p.PadW == 0 {
		return emitWithSums(c, kernels.GlobalAveragePool[T], p, p.C, inL, outL)
	}
	c.emit(func(mem []byte) { kernels.AveragePool(p, at[T](inL, mem), at[T](outL, mem)) })
	return nil
}

// emitWithSums plans kern, a spatial mean's fast kernel, which sums each of
// the channels in a scratch of int32 that the plan provides.
func emitWithSums[T kernels.Q8, P any](c *opContext, kern func(P, []T, []T, []int32), p P, channels int, inL, outL *loc) error {
	scratch, err := c.b.temp(int64(4*channels), c.index)
	if err != nil {
		return err
	}
	c.emit(func(mem []byte) { kern(p, at[T](inL, mem), at[T](outL, mem), kernels.View[int32](scratch.bytes(mem))) })
	return nil
}

func buildMaxPool[T kernels.Q8](c *opContext) error {
	p, inL, outL, err := poolParams[T](c)
	if err != nil {
		return err
	}
	c.emit(func(mem []byte) { kernels.MaxPool(p, at[T](inL, mem), at[T](outL, mem)) })
	return nil
}

func buildSoftmax[T kernels.Q8](c *opContext) error {
	in, out, beta, rows, depth, err := c.softmaxOperands(c.quantized8)
	if err != nil {
		return err
	}
	t := kernels.NewSoftmaxTable(in.scale(), beta, out.scale(), out.zp())
	inL, outL := c.loc(in), c.loc(out)
	c.emit(func(mem []byte) { kernels.Softmax(t, rows, depth, at[T](inL, mem), at[T](outL, mem)) })
	return nil
}

// buildReshape serves RESHAPE and SQUEEZE: the bytes stay as they are, so the
// operator copies them (the second input of RESHAPE, a shape, is not needed:
// the output tensor's shape is already known).
func buildReshape(c *opContext) error {
	if err := c.arity(1, 2, 1); err != nil {
		return err
	}
	in, out := c.ins[0], c.outs[0]
	if in.t.Type != out.t.Type || in.n != out.n {
		return c.errorf("%v %v cannot become %v %v", in.t.Type, in.shape, out.t.Type, out.shape)
	}
	if is8bit(in.t.Type) && (in.scale() != out.scale() || in.zp() != out.zp()) {
		return c.errorf("changes quantization")
	}
	inL, outL := c.loc(in), c.loc(out)
	c.emit(func(mem []byte) { copy(outL.bytes(mem), inL.bytes(mem)) })
	return nil
}

// softmaxOperands checks a SOFTMAX's tensors, their types with check, and
// returns them with beta and the rows × depth the last axis makes.
func (c *opContext) softmaxOperands(check func(...*tensorView) error) (in, out *tensorView, beta float32, rows, depth int, err error) {
	if err = c.arity(1, 1, 1); err != nil {
		return
	}
	in, out = c.ins[0], c.outs[0]
	if err = check(in, out); err != nil {
		return
	}
	beta = 1
	if o, ok := c.op.Options.(*tflite.SoftmaxOptions); ok {
		beta = o.Beta
	}
	if len(in.shape) == 0 || in.n != out.n || in.shape[len(in.shape)-1] < 1 {
		err = c.errorf("input %v and output %v", in.shape, out.shape)
		return
	}
	depth = in.shape[len(in.shape)-1]
	return in, out, beta, int(in.n) / depth, depth, nil
}
