package engine

import (
	"github.com/classifly/classifly/internal/kernels"
	"github.com/classifly/classifly/tflite"
)

// buildBinaryF32 serves ADD, SUB and MUL on float32 with NumPy broadcasting
// and a fused activation.
func buildBinaryF32(c *opContext) error {
	if err := c.arity(2, 2, 1); err != nil {
		return err
	}
	a, b, out := c.ins[0], c.ins[1], c.outs[0]
	if err := c.allFloat(a, b, out); err != nil {
		return err
	}
	op, act := kernels.BinaryAdd, tflite.ActNone
	switch o := c.op.Options.(type) {
	case *tflite.AddOptions:
		act = o.Activation
	case *tflite.SubOptions:
		op, act = kernels.BinarySub, o.Activation
	case *tflite.MulOptions:
		op, act = kernels.BinaryMul, o.Activation
	}
	switch c.code() {
	case tflite.OpSub:
		op = kernels.BinarySub
	case tflite.OpMul:
		op = kernels.BinaryMul
	}
	clamp, err := c.clampF32(act)
	if err != nil {
		return err
	}
	bc, err := c.broadcast(a, b, out)
	if err != nil {
		return err
	}
	al, bl, outL := c.loc(a), c.loc(b), c.loc(out)
	if a.isConst() {
		ac := floats(a)
		c.emit(func(mem []byte) { kernels.BinaryOpF32(op, bc, clamp, ac, f32(bl, mem), f32(outL, mem)) })
		return nil
	}
	if b.isConst() {
		bv := floats(b)
		c.emit(func(mem []byte) { kernels.BinaryOpF32(op, bc, clamp, f32(al, mem), bv, f32(outL, mem)) })
		return nil
	}
	c.emit(func(mem []byte) { kernels.BinaryOpF32(op, bc, clamp, f32(al, mem), f32(bl, mem), f32(outL, mem)) })
	return nil
}

// broadcast checks that a and b broadcast to out's shape (right-aligned,
// each dimension equal or 1) and returns the strides.
func (c *opContext) broadcast(a, b, out *tensorView) (*kernels.Broadcast, error) {
	r := len(out.shape)
	if len(a.shape) > r || len(b.shape) > r || r > kernels.MaxRankF32 {
		return nil, c.errorf("shapes %v and %v cannot broadcast to %v", a.shape, b.shape, out.shape)
	}
	bc := &kernels.Broadcast{Shape: append([]int(nil), out.shape...), StrideA: make([]int, r), StrideB: make([]int, r)}
	for _, x := range []struct {
		v      *tensorView
		stride []int
	}{{a, bc.StrideA}, {b, bc.StrideB}} {
		s := 1
		for d := r - 1; d >= 0; d-- {
			k := d - (r - len(x.v.shape))
			dim := 1
			if k >= 0 {
				dim = x.v.shape[k]
			}
			switch dim {
			case out.shape[d]:
				if dim != 1 {
					x.stride[d] = s
				}
			case 1:
			default:
				return nil, c.errorf("shapes %v and %v cannot broadcast to %v", a.shape, b.shape, out.shape)
			}
			s *= dim
		}
	}
	return bc, nil
}

// buildUnaryF32 serves LOGISTIC, TANH, HARD_SWISH, LEAKY_RELU and the RELUs
// as operators.
func buildUnaryF32(c *opContext) error {
	in, out, err := c.floatInOut(1, 1)
	if err != nil {
		return err
	}
	if in.n != out.n {
		return c.errorf("input %v and output %v differ in size", in.shape, out.shape)
	}
	// An operator missing from a table takes its zero value: UnaryClamp
	// (the RELUs) or ActNone (the others).
	code := c.code()
	op := map[tflite.BuiltinOperator]kernels.UnaryF32{
		tflite.OpLogistic:  kernels.UnaryLogistic,
		tflite.OpTanh:      kernels.UnaryTanh,
		tflite.OpHardSwish: kernels.UnaryHardSwish,
		tflite.OpLeakyRelu: kernels.UnaryLeakyRelu,
	}[code]
	act := map[tflite.BuiltinOperator]kernels.Activation{
		tflite.OpRelu:      kernels.ActRelu,
		tflite.OpRelu6:     kernels.ActRelu6,
		tflite.OpReluN1To1: kernels.ActReluN1To1,
	}[code]
	alpha := float32(0)
	if o, ok := c.op.Options.(*tflite.LeakyReluOptions); ok && code == tflite.OpLeakyRelu {
		alpha = o.Alpha
	}
	clamp := kernels.ActivationRangeF32(act)
	inL, outL := c.loc(in), c.loc(out)
	c.emit(func(mem []byte) { kernels.UnaryOpF32(op, clamp, alpha, f32(inL, mem), f32(outL, mem)) })
	return nil
}

func buildConcatF32(c *opContext) error {
	o, out, err := c.concatOperands(c.allFloat)
	if err != nil {
		return err
	}
	clamp, err := c.clampF32(o.Activation)
	if err != nil {
		return err
	}
	outer, err := c.concatShapes(o.Axis, out)
	if err != nil {
		return err
	}
	type part struct {
		l     *loc
		konst []float32
		inner int
	}
	parts := make([]part, len(c.ins))
	for i, v := range c.ins {
		parts[i] = part{l: c.loc(v), inner: int(v.n) / max(outer, 1)}
		if v.isConst() {
			parts[i].konst = floats(v)
		}
	}
	outL := c.loc(out)
	c.emit(func(mem []byte) {
		dst := f32(outL, mem)
		pos := 0
		for o := 0; o < outer; o++ {
			for _, p := range parts {
				src := p.konst
				if src == nil {
					src = f32(p.l, mem)
				}
				copy(dst[pos:pos+p.inner], src[o*p.inner:])
				pos += p.inner
			}
		}
		kernels.UnaryOpF32(kernels.UnaryClamp, clamp, 0, dst, dst)
	})
	return nil
}

func buildPadF32(c *opContext) error {
	if err := c.arity(2, 2, 1); err != nil {
		return err
	}
	in, pads, out := c.ins[0], c.ins[1], c.outs[0]
	if err := c.allFloat(in, out); err != nil {
		return err
	}
	r := len(in.shape)
	if !pads.isConst() || pads.t.Type != tflite.Int32 || pads.n != int64(2*r) {
		return c.unsupported("paddings must be a constant int32 [%d, 2] tensor", r)
	}
	if r > kernels.MaxRankF32 || len(out.shape) != r {
		return c.errorf("input %v and output %v", in.shape, out.shape)
	}
	pv := tflite.Int32s(pads.konst)
	before := make([]int, r)
	for d := range r {
		lo, hi := pv[2*d], pv[2*d+1]
		if lo < 0 || hi < 0 || int64(in.shape[d])+int64(lo)+int64(hi) != int64(out.shape[d]) {
			return c.errorf("paddings %v take %v to %v", pv, in.shape, out.shape)
		}
		before[d] = int(lo)
	}
	inL, outL, is, os := c.loc(in), c.loc(out), in.shape, out.shape
	c.emit(func(mem []byte) { kernels.PadF32(is, os, before, f32(inL, mem), f32(outL, mem)) })
	return nil
}

func buildResizeBilinearF32(c *opContext) error {
	in, out, err := c.floatInOut(1, 2)
	if err != nil {
		return err
	}
	if len(in.shape) != 4 || len(out.shape) != 4 || in.shape[0] != out.shape[0] || in.shape[3] != out.shape[3] || in.n == 0 {
		return c.errorf("input %v and output %v must be 4-D images of one batch and depth", in.shape, out.shape)
	}
	if len(c.ins) == 2 && c.ins[1] != nil {
		size := c.ins[1]
		if !size.isConst() || size.t.Type != tflite.Int32 || size.n != 2 {
			return c.unsupported("size must be a constant int32 pair")
		}
		if s := tflite.Int32s(size.konst); int(s[0]) != out.shape[1] || int(s[1]) != out.shape[2] {
			return c.errorf("size %v but output %v", s, out.shape)
		}
	}
	var o tflite.ResizeBilinearOptions
	if p, ok := c.op.Options.(*tflite.ResizeBilinearOptions); ok {
		o = *p
	}
	if o.AlignCorners && o.HalfPixelCenters {
		return c.errorf("align_corners and half_pixel_centers together")
	}
	inL, outL, is, os := c.loc(in), c.loc(out), in.shape, out.shape
	c.emit(func(mem []byte) {
		kernels.ResizeBilinearF32(is[0], is[1], is[2], is[3], os[1], os[2], o.AlignCorners, o.HalfPixelCenters, f32(inL, mem), f32(outL, mem))
	})
	return nil
}

func buildL2NormF32(c *opContext) error {
	in, out, err := c.floatInOut(1, 1)
	if err != nil {
		return err
	}
	if len(in.shape) == 0 || in.n != out.n || in.shape[len(in.shape)-1] < 1 {
		return c.errorf("input %v and output %v", in.shape, out.shape)
	}
	act := tflite.ActNone
	if o, ok := c.op.Options.(*tflite.L2NormOptions); ok {
		act = o.Activation
	}
	clamp, err := c.clampF32(act)
	if err != nil {
		return err
	}
	depth := in.shape[len(in.shape)-1]
	rows := int(in.n) / depth
	inL, outL := c.loc(in), c.loc(out)
	c.emit(func(mem []byte) { kernels.L2NormF32(rows, depth, clamp, f32(inL, mem), f32(outL, mem)) })
	return nil
}
