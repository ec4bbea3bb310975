package engine

import (
	"encoding/binary"
	"math"

	"github.com/classifly/classifly/internal/kernels"
	"github.com/classifly/classifly/tflite"
)

// buildQuantize serves QUANTIZE to type T, from float32 or from either
// 8-bit type.
func buildQuantize[T kernels.Q8](c *opContext) error {
	in, out, err := c.convertOperands(func(_, out tflite.TensorType) bool { return is8bit(out) }, "quantizing to %[2]v")
	if err != nil {
		return err
	}
	inL, outL := c.loc(in), c.loc(out)
	s, z := out.scale(), out.zp()
	switch {
	case in.t.Type == tflite.Float32:
		if in.isConst() {
			// File data may be unaligned for float32: decode it once.
			vals := make([]float32, in.n)
			for i := range vals {
				vals[i] = math.Float32frombits(binary.LittleEndian.Uint32(in.konst[4*i:]))
			}
			c.emit(func(mem []byte) { kernels.Quantize(s, z, vals, at[T](outL, mem)) })
			return nil
		}
		c.emit(func(mem []byte) { kernels.Quantize(s, z, kernels.View[float32](inL.bytes(mem)), at[T](outL, mem)) })
	case is8bit(in.t.Type):
		if err := c.quantized(in, "input"); err != nil {
			return err
		}
		// A uint8 tensor and an int8 one with the same scale and zero points
		// 128 apart hold the same values: requantizing between them is
		// exactly flipping each byte's top bit (TFLite's own fast path).
		if in.t.Type != out.t.Type && in.scale() == s && ((in.t.Type == tflite.UInt8 && z == in.zp()-128) || (in.t.Type == tflite.Int8 && z == in.zp()+128)) {
			c.emitPar(func(mem []byte) { flipTopBits(inL.bytes(mem), outL.bytes(mem)) }, func(mem []byte, w, n int) {
				lo, hi := share(int(in.n), 64, w, n)
				flipTopBits(inL.bytes(mem)[lo:hi], outL.bytes(mem)[lo:hi])
			})
			return nil
		}
		p := kernels.NewRequantizeParams(in.scale(), in.zp(), s, z)
		if in.t.Type == tflite.UInt8 {
			emitRequantize[uint8, T](c, p, inL, outL)
		} else {
			emitRequantize[int8, T](c, p, inL, outL)
		}
	default:
		return c.unsupported("quantizing from %v", in.t.Type)
	}
	return nil
}

// emitRequantize plans a requantization from I to O values.
func emitRequantize[I, O kernels.Q8](c *opContext, p *kernels.RequantizeParams, inL, outL *loc) {
	c.emit(func(mem []byte) { kernels.Requantize(p, at[I](inL, mem), at[O](outL, mem)) })
}

// convertOperands checks the one input and one output of QUANTIZE or
// DEQUANTIZE: served says whether their types are, else the error is
// unsupported formatted with both types; the 8-bit side, the output if
// there is one, must be quantized; both must hold as many values.
func (c *opContext) convertOperands(served func(in, out tflite.TensorType) bool, unsupported string) (in, out *tensorView, err error) {
	if err := c.arity(1, 1, 1); err != nil {
		return nil, nil, err
	}
	in, out = c.ins[0], c.outs[0]
	if !served(in.t.Type, out.t.Type) {
		return nil, nil, c.unsupported(unsupported, in.t.Type, out.t.Type)
	}
	q, role := out, "output"
	if !is8bit(out.t.Type) {
		q, role = in, "input"
	}
	if err := c.quantized(q, role); err != nil {
		return nil, nil, err
	}
	if in.n != out.n {
		return nil, nil, c.errorf("input %v and output %v differ in size", in.shape, out.shape)
	}
	return in, out, nil
}

// buildDequantize serves DEQUANTIZE from type T to float32.
func buildDequantize[T kernels.Q8](c *opContext) error {
	in, out, err := c.convertOperands(func(in, out tflite.TensorType) bool { return is8bit(in) && out == tflite.Float32 }, "dequantizing %v to %v")
	if err != nil {
		return err
	}
	inL, outL := c.loc(in), c.loc(out)
	s, z := in.scale(), in.zp()
	c.emit(func(mem []byte) { kernels.Dequantize(s, z, at[T](inL, mem), kernels.View[float32](outL.bytes(mem))) })
	return nil
}

func buildMean[T kernels.Q8](c *opContext) error {
	in, axis, out, err := c.meanOperands(c.quantized8)
	if err != nil {
		return err
	}
	keep := false
	if o, ok := c.op.Options.(*tflite.ReducerOptions); ok {
		keep = o.KeepDims
	}
	rank := len(in.shape)
	reduce, err := c.reducedAxes(axis, rank)
	if err != nil {
		return err
	}
	// Reduced axes must be contiguous for the outer × n × inner layout.
	firstR, lastR := -1, -1
	for d, r := range reduce {
		if r {
			if firstR < 0 {
				firstR = d
			} else if lastR != d-1 {
				return c.unsupported("MEAN over non-adjacent axes")
			}
			lastR = d
		}
	}
	if firstR < 0 {
		return c.unsupported("MEAN over no axis")
	}
	outer, n, inner := 1, 1, 1
	for d, s := range in.shape {
		switch {
		case d < firstR:
			outer *= s
		case d <= lastR:
			n *= s
		default:
			inner *= s
		}
	}
	if int64(outer*inner) != out.n || n < 1 {
		return c.errorf("output %v does not follow from input %v", out.shape, in.shape)
	}
	if err := c.b.addMACs(in.n, c.name, c.index); err != nil {
		return err
	}
	inL, outL := c.loc(in), c.loc(out)
	// TFLite has a dedicated kernel, with its own rounding, for the spatial
	// mean of a 4-D tensor (kernels/reduce.cc EvalMean): the global pool of
	// classifiers.
	if rank == 4 && firstR == 1 && lastR == 2 && keep {
		p := kernels.NewMeanHWParams(signed[T](), in.shape[0], in.shape[1], in.shape[2], in.shape[3], in.scale(), in.zp(), out.scale(), out.zp())
		if !c.b.opts.Reference {
			return emitMeanHW[T](c, p, inL, outL)
		}
		c.emit(func(mem []byte) { kernels.MeanHW(p, at[T](inL, mem), at[T](outL, mem)) })
		return nil
	}
	is, iz, os, oz := in.scale(), in.zp(), out.scale(), out.zp()
	c.emit(func(mem []byte) {
		kernels.MeanGeneric(outer, n, inner, is, iz, os, oz, at[T](inL, mem), at[T](outL, mem))
	})
	return nil
}

func buildConcat[T kernels.Q8](c *opContext) error {
	o, out, err := c.concatOperands(c.quantized8)
	if err != nil {
		return err
	}
	if o.Activation != tflite.ActNone {
		return c.unsupported("fused activation %v on a quantized concatenation", o.Activation)
	}
	outer, err := c.concatShapes(o.Axis, out)
	if err != nil {
		return err
	}
	type part struct {
		l     *loc
		inner int
		scale float32
		zp    int32
	}
	parts := make([]part, len(c.ins))
	for i, v := range c.ins {
		parts[i] = part{l: c.loc(v), inner: int(v.n) / max(outer, 1), scale: v.scale(), zp: v.zp()}
	}
	outL, os, oz := c.loc(out), out.scale(), out.zp()
	c.emit(func(mem []byte) {
		// Built per run, on the stack for up to 8 inputs: concurrent runs of
		// one model share this closure.
		var buf [8]kernels.ConcatInput[T]
		in := buf[:0]
		for _, p := range parts {
			in = append(in, kernels.ConcatInput[T]{Data: at[T](p.l, mem), Inner: p.inner, Scale: p.scale, ZeroPoint: p.zp})
		}
		kernels.Concat(outer, in, os, oz, at[T](outL, mem))
	})
	return nil
}

// flipTopBits writes in with every byte's top bit flipped, 32 bytes an
// iteration: one bounds check for four 8-byte words runs about 4.5 times
// as fast as a check per word (a 224×224×3 input: 20 → 4.3 µs).
func flipTopBits(in, out []byte) {
	const mask = 0x8080808080808080
	n := min(len(in), len(out))
	i := 0
	for ; i+32 <= n; i += 32 {
		s, d := in[i:i+32:i+32], out[i:i+32:i+32]
		binary.LittleEndian.PutUint64(d[0:], binary.LittleEndian.Uint64(s[0:])^mask)
		binary.LittleEndian.PutUint64(d[8:], binary.LittleEndian.Uint64(s[8:])^mask)
		binary.LittleEndian.PutUint64(d[16:], binary.LittleEndian.Uint64(s[16:])^mask)
		binary.LittleEndian.PutUint64(d[24:], binary.LittleEndian.Uint64(s[24:])^mask)
	}
	for ; i < n; i++ {
		out[i] = in[i] ^ 0x80
	}
}

// meanOperands checks a MEAN's tensors, the types of its input and output
// with check; its axis tensor must be a constant int32 vector.
func (c *opContext) meanOperands(check func(...*tensorView) error) (in, axis, out *tensorView, err error) {
	if err = c.arity(2, 2, 1); err != nil {
		return
	}
	in, axis, out = c.ins[0], c.ins[1], c.outs[0]
	if err = check(in, out); err != nil {
		return
	}
	if !axis.isConst() || axis.t.Type != tflite.Int32 {
		err = c.unsupported("axis tensor must be a constant int32")
	}
	return
}

// reducedAxes marks the axes a MEAN reduces (negative ones count from the end).
func (c *opContext) reducedAxes(axis *tensorView, rank int) ([]bool, error) {
	reduce := make([]bool, rank)
	for _, a := range tflite.Int32s(axis.konst) {
		if a < 0 {
			a += int32(rank)
		}
		if a < 0 || int(a) >= rank {
			return nil, c.errorf("axis %d out of range for rank %d", a, rank)
		}
		reduce[a] = true
	}
	return reduce, nil
}

// concatOperands reads a CONCATENATION's options and its tensors, all of
// which check accepts (the quantized or the float test).
func (c *opContext) concatOperands(check func(...*tensorView) error) (*tflite.ConcatenationOptions, *tensorView, error) {
	o, ok := c.op.Options.(*tflite.ConcatenationOptions)
	if !ok {
		return nil, nil, c.errorf("missing ConcatenationOptions")
	}
	if len(c.ins) < 1 || len(c.outs) != 1 {
		return nil, nil, c.errorf("needs inputs and one output")
	}
	for i, v := range c.ins {
		if v == nil {
			return nil, nil, c.errorf("input %d omitted", i)
		}
	}
	out := c.outs[0]
	if err := check(append([]*tensorView{out}, c.ins...)...); err != nil {
		return nil, nil, err
	}
	return o, out, nil
}

// concatShapes resolves a CONCATENATION's axis (negative counts from the
// end), checks that the inputs match the output but along it and add up to
// it there, and returns the product of the dimensions before it.
func (c *opContext) concatShapes(a int32, out *tensorView) (outer int, err error) {
	shape, rank := out.shape, len(out.shape)
	axis := int(a)
	if axis < 0 {
		axis += rank
	}
	if axis < 0 || axis >= rank {
		return 0, c.errorf("axis %d out of range for rank %d", a, rank)
	}
	outer = 1
	for _, s := range shape[:axis] {
		outer *= s
	}
	sum := 0
	for i, v := range c.ins {
		if len(v.shape) != rank {
			return 0, c.errorf("input %d has rank %d, output %d", i, len(v.shape), rank)
		}
		for d := range rank {
			if d != axis && v.shape[d] != shape[d] {
				return 0, c.errorf("input %d shape %v does not match output %v", i, v.shape, shape)
			}
		}
		sum += v.shape[axis]
	}
	if sum != shape[axis] {
		return 0, c.errorf("inputs add up to %d along axis %d, output has %d", sum, axis, shape[axis])
	}
	return outer, nil
}

// emitMeanHW plans the spatial mean with its sums in a scratch of a word per
// channel; workers share the channels (MobileNet's 1280 after the last
// layer), each summing its own.
func emitMeanHW[T kernels.Q8](c *opContext, p *kernels.MeanHWParams, inL, outL *loc) error {
	scratch, err := c.b.temp(int64(4*p.C), c.index)
	if err != nil {
		return err
	}
	run := func(mem []byte, c0, c1 int) {
		acc := kernels.View[int32](scratch.bytes(mem))
		kernels.MeanHWChannels(p, at[T](inL, mem), at[T](outL, mem), acc[c0:c1], c0, c1)
	}
	c.emitPar(func(mem []byte) { run(mem, 0, p.C) }, func(mem []byte, w, n int) {
		c0, c1 := share(p.C, 64, w, n)
		run(mem, c0, c1)
	})
	return nil
}
