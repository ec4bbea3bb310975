package engine

import (
	"encoding/binary"
	"math"

	"github.com/classifly/classifly/internal/kernels"
	"github.com/classifly/classifly/tflite"
)

// floatBuilders plan operators that compute in float32: float32 models,
// float16 ones (their weights widened at load), and the float side of
// dynamic-range ones. An operator goes to them when its output is float32;
// QUANTIZE and the run-time DEQUANTIZE of 8-bit activations stay with the
// quantized builders, which handle both sides of a mixed graph.
var floatBuilders = map[tflite.BuiltinOperator]opBuilder{
	tflite.OpConv2D:         buildConvF32,
	tflite.OpDepthwiseConv:  buildDepthwiseF32,
	tflite.OpFullyConnected: buildFullyConnectedF32,
	tflite.OpAdd:            buildBinaryF32,
	tflite.OpSub:            buildBinaryF32,
	tflite.OpMul:            buildBinaryF32,
	tflite.OpAveragePool2D:  buildPoolF32,
	tflite.OpMaxPool2D:      buildPoolF32,
	tflite.OpMean:           buildMeanF32,
	tflite.OpSoftmax:        buildSoftmaxF32,
	tflite.OpReshape:        buildReshape,
	tflite.OpSqueeze:        buildReshape,
	tflite.OpConcatenation:  buildConcatF32,
	tflite.OpPad:            buildPadF32,
	tflite.OpLogistic:       buildUnaryF32,
	tflite.OpTanh:           buildUnaryF32,
	tflite.OpHardSwish:      buildUnaryF32,
	tflite.OpRelu:           buildUnaryF32,
	tflite.OpRelu6:          buildUnaryF32,
	tflite.OpReluN1To1:      buildUnaryF32,
	tflite.OpLeakyRelu:      buildUnaryF32,
	tflite.OpResizeBilinear: buildResizeBilinearF32,
	tflite.OpL2Norm:         buildL2NormF32,
}

// floatBuilder returns the builder of operator op when it computes in
// float: a float one when it writes float32, the constant fold for a
// DEQUANTIZE of constant weights (float16, or 8-bit weights dequantized
// once); false otherwise, for the quantized builders.
func (b *builder) floatBuilder(code tflite.BuiltinOperator, op *tflite.Operator) (opBuilder, bool) {
	if len(op.Outputs) != 1 || b.sg.Tensors[op.Outputs[0]].Type != tflite.Float32 {
		return nil, false
	}
	if code == tflite.OpDequantize {
		if b.isFold(op) {
			return foldDequantize, true
		}
		return nil, false
	}
	build, ok := floatBuilders[code]
	return build, ok
}

// isFold reports whether op is a DEQUANTIZE of a constant to float32,
// folded at load into a constant (foldDequantize).
func (b *builder) isFold(op *tflite.Operator) bool {
	return b.file.OperatorCodes[op.OpcodeIndex].Builtin == tflite.OpDequantize &&
		len(op.Inputs) == 1 && op.Inputs[0] >= 0 && len(b.file.TensorData(&b.sg.Tensors[op.Inputs[0]])) > 0 &&
		len(op.Outputs) == 1 && b.sg.Tensors[op.Outputs[0]].Type == tflite.Float32
}

// foldDequantize turns DEQUANTIZE of a constant into a float32 constant at
// load, as TFLite's converter intends for float16 weights: no operator runs.
func foldDequantize(c *opContext) error {
	if err := c.arity(1, 1, 1); err != nil {
		return err
	}
	in, out := c.ins[0], c.outs[0]
	if in.n != out.n {
		return c.errorf("input %v and output %v differ in size", in.shape, out.shape)
	}
	vals := make([]float32, in.n)
	switch in.t.Type {
	case tflite.Float16:
		for i := range vals {
			vals[i] = float16to32(binary.LittleEndian.Uint16(in.konst[2*i:]))
		}
	case tflite.Float32:
		copy(vals, floats(in))
	case tflite.Int8, tflite.UInt8:
		if err := c.quantized(in, "a dequantized"); err != nil {
			return err
		}
		q := in.t.Quantization
		inner, n := 1, len(q.Scale)
		if n > 1 {
			for _, d := range in.shape[q.Dimension+1:] {
				inner *= d
			}
		}
		for i := range vals {
			ch := (i / inner) % n
			var zp int64
			if len(q.ZeroPoint) > 0 {
				zp = q.ZeroPoint[min(ch, len(q.ZeroPoint)-1)]
			}
			raw := int64(in.konst[i])
			if in.t.Type == tflite.Int8 {
				raw = int64(int8(in.konst[i]))
			}
			vals[i] = q.Scale[ch] * float32(raw-zp)
		}
	default:
		return c.unsupported("DEQUANTIZE of a %v constant", in.t.Type)
	}
	out.konst = floatBytes(vals)
	return nil
}

// float16to32 widens an IEEE 754 half-precision value exactly.
func float16to32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // Inf or NaN
		return math.Float32frombits(sign | 0xff<<23 | frac<<13)
	case exp == 0 && frac == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal: frac·2^-24
		v := float32(frac) / (1 << 24)
		if sign != 0 {
			v = -v
		}
		return v
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | frac<<13)
}

// floats decodes a float32 constant (file data may be unaligned).
func floats(v *tensorView) []float32 {
	out := make([]float32, len(v.konst)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(v.konst[4*i:]))
	}
	return out
}

func floatBytes(v []float32) []byte {
	out := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(out[4*i:], math.Float32bits(f))
	}
	return out
}

// f32 views a float32 tensor's bytes in an arena.
func f32(l *loc, mem []byte) []float32 { return kernels.View[float32](l.bytes(mem)) }

// code is the operator's builtin code (opcode indices are validated at parse).
func (c *opContext) code() tflite.BuiltinOperator {
	return c.b.file.OperatorCodes[c.op.OpcodeIndex].Builtin
}

// floatInOut checks that a float operator has minIn..maxIn inputs and one
// output, its first input and its output float32, and returns those two.
func (c *opContext) floatInOut(minIn, maxIn int) (in, out *tensorView, err error) {
	if err = c.arity(minIn, maxIn, 1); err != nil {
		return nil, nil, err
	}
	in, out = c.ins[0], c.outs[0]
	return in, out, c.allFloat(in, out)
}

// allFloat checks that every given tensor is float32.
func (c *opContext) allFloat(vs ...*tensorView) error {
	return c.sameType(tflite.Float32, vs...)
}

// floatBackend is the backend of the float kernels: the generic ones with
// Options.Reference.
func (c *opContext) floatBackend() kernels.Backend {
	if c.b.opts.Reference {
		return kernels.Generic
	}
	return c.b.backend
}

// clampF32 maps a fused activation to a float clamp.
func (c *opContext) clampF32(a tflite.Activation) (kernels.ClampF32, error) {
	ka, err := activation(a, c.name, c.index)
	if err != nil {
		return kernels.ClampF32{}, err
	}
	return kernels.ActivationRangeF32(ka), nil
}

func buildPoolF32(c *opContext) error {
	o, ok := c.op.Options.(*tflite.Pool2DOptions)
	if !ok {
		return c.errorf("missing Pool2DOptions")
	}
	in, out, err := c.floatInOut(1, 1)
	if err != nil {
		return err
	}
	if len(in.shape) != 4 || len(out.shape) != 4 || in.shape[3] != out.shape[3] {
		return c.errorf("input %v and output %v must be 4-D with equal channels", in.shape, out.shape)
	}
	if o.FilterWidth < 1 || o.FilterHeight < 1 || o.FilterWidth > 1<<16 || o.FilterHeight > 1<<16 {
		return c.errorf("filter %dx%d", o.FilterWidth, o.FilterHeight)
	}
	filter := &tensorView{shape: []int{1, int(o.FilterHeight), int(o.FilterWidth), in.shape[3]}}
	p := &kernels.ConvParams{}
	if err := c.convGeometry(p, o.Padding, o.StrideW, o.StrideH, 1, 1, in, filter, out); err != nil {
		return err
	}
	clamp, err := c.clampF32(o.Activation)
	if err != nil {
		return err
	}
	if err := c.b.addMACs(int64(out.n)*int64(p.KH*p.KW), c.name, c.index); err != nil {
		return err
	}
	avg := c.code() == tflite.OpAveragePool2D
	inL, outL := c.loc(in), c.loc(out)
	c.emit(func(mem []byte) { kernels.PoolF32(p, avg, clamp, f32(inL, mem), f32(outL, mem)) })
	return nil
}

func buildMeanF32(c *opContext) error {
	in, axis, out, err := c.meanOperands(c.allFloat)
	if err != nil {
		return err
	}
	rank := len(in.shape)
	if rank > kernels.MaxRankF32 {
		return c.unsupported("rank %d", rank)
	}
	reduce, err := c.reducedAxes(axis, rank)
	if err != nil {
		return err
	}
	// The output keeps the other dimensions in order, with or without the
	// reduced ones as 1s (keep_dims): either way its strides follow them.
	stride := make([]int, rank)
	count, kept := 1, int64(1)
	for d := rank - 1; d >= 0; d-- {
		if reduce[d] {
			count *= in.shape[d]
			continue
		}
		stride[d] = int(kept)
		kept *= int64(in.shape[d])
	}
	if kept != out.n || count == 0 {
		return c.errorf("output %v does not follow from input %v and the axes", out.shape, in.shape)
	}
	inL, outL, shape := c.loc(in), c.loc(out), in.shape
	c.emit(func(mem []byte) { kernels.MeanF32(shape, stride, count, f32(inL, mem), f32(outL, mem)) })
	return nil
}

func buildSoftmaxF32(c *opContext) error {
	in, out, beta, rows, depth, err := c.softmaxOperands(c.allFloat)
	if err != nil {
		return err
	}
	inL, outL := c.loc(in), c.loc(out)
	c.emit(func(mem []byte) { kernels.SoftmaxF32(rows, depth, beta, f32(inL, mem), f32(outL, mem)) })
	return nil
}
