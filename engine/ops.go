package engine

import (
	"fmt"

	"github.com/classifly/classifly/internal/kernels"
	"github.com/classifly/classifly/tflite"
)

// opContext is what an operator builder gets: the operator, its validated
// input and output views, and where it stands in the run.
type opContext struct {
	b     *builder
	op    *tflite.Operator
	name  string
	index int
	ins   []*tensorView // nil for an omitted optional input
	outs  []*tensorView
}

// errorf reports a malformed operator.
func (c *opContext) errorf(format string, args ...any) error {
	return malformed(c.name, c.index, format, args...)
}

// unsupported reports a valid but unhandled operator configuration.
func (c *opContext) unsupported(format string, args ...any) error {
	return &UnsupportedError{Op: c.name, Index: c.index, What: fmt.Sprintf(format, args...)}
}

// loc returns the location of a tensor used by this operator.
func (c *opContext) loc(v *tensorView) *loc { return c.b.use(v.idx, c.index) }

// emit appends the planned operator.
func (c *opContext) emit(run func(mem []byte)) {
	c.b.ops = append(c.b.ops, op{name: c.name, index: c.index, run: run})
}

// emitPar appends an operator that can also run as phases split across
// workers; run must do the same work on one thread.
func (c *opContext) emitPar(run func(mem []byte), phases ...func(mem []byte, w, n int)) {
	c.b.ops = append(c.b.ops, op{name: c.name, index: c.index, run: run, par: phases})
}

// arity checks the number of inputs (at least min, at most max) and outputs.
func (c *opContext) arity(minIn, maxIn, outs int) error {
	if len(c.ins) < minIn || len(c.ins) > maxIn || len(c.outs) != outs {
		return c.errorf("has %d inputs and %d outputs, want %d..%d and %d", len(c.ins), len(c.outs), minIn, maxIn, outs)
	}
	for i := 0; i < minIn; i++ {
		if c.ins[i] == nil {
			return c.errorf("required input %d is omitted", i)
		}
	}
	return nil
}

type opBuilder func(c *opContext) error

// typed is an operator's builder for uint8 and for int8 tensors: one
// generic function instantiated twice, so that each kernel call is written
// once.
type typed struct{ u8, i8 opBuilder }

var builders = map[tflite.BuiltinOperator]typed{
	tflite.OpConv2D:         {buildConv[uint8], buildConv[int8]},
	tflite.OpDepthwiseConv:  {buildDepthwise[uint8], buildDepthwise[int8]},
	tflite.OpFullyConnected: {buildFullyConnected[uint8], buildFullyConnected[int8]},
	tflite.OpAdd:            {buildAdd[uint8], buildAdd[int8]},
	tflite.OpAveragePool2D:  {buildAvgPool[uint8], buildAvgPool[int8]},
	tflite.OpMaxPool2D:      {buildMaxPool[uint8], buildMaxPool[int8]},
	tflite.OpMean:           {buildMean[uint8], buildMean[int8]},
	tflite.OpSoftmax:        {buildSoftmax[uint8], buildSoftmax[int8]},
	tflite.OpReshape:        {buildReshape, buildReshape},
	tflite.OpSqueeze:        {buildReshape, buildReshape},
	tflite.OpQuantize:       {buildQuantize[uint8], buildQuantize[int8]},
	tflite.OpDequantize:     {buildDequantize[uint8], buildDequantize[int8]},
	tflite.OpConcatenation:  {buildConcat[uint8], buildConcat[int8]},
}

// elemType is the 8-bit type an operator computes in, which picks its
// builder: its output's, or its first input's when the output is not 8-bit
// (DEQUANTIZE). Builders check the rest.
func (c *opContext) elemType() tflite.TensorType {
	if len(c.outs) > 0 && is8bit(c.outs[0].t.Type) {
		return c.outs[0].t.Type
	}
	if len(c.ins) > 0 && c.ins[0] != nil {
		return c.ins[0].t.Type
	}
	return tflite.UInt8
}

// typeOf is the tensor type of T; signed reports whether it is int8.
func typeOf[T kernels.Q8]() tflite.TensorType {
	if signed[T]() {
		return tflite.Int8
	}
	return tflite.UInt8
}

func signed[T kernels.Q8]() bool {
	lo, _ := kernels.Range[T]()
	return lo < 0
}

// at views a tensor's bytes in the arena as T values.
func at[T kernels.Q8](l *loc, mem []byte) []T { return kernels.View[T](l.bytes(mem)) }

// newOpContext returns operator i's context with its tensors' views.
func (b *builder) newOpContext(i int, name string) (*opContext, error) {
	op := &b.sg.Operators[i]
	c := &opContext{b: b, op: op, name: name, index: i}
	for _, t := range op.Inputs {
		if t < 0 {
			c.ins = append(c.ins, nil)
			continue
		}
		v, err := b.view(int(t), fmt.Sprintf("operator %d (%s) input", i, name))
		if err != nil {
			return nil, err
		}
		c.ins = append(c.ins, v)
	}
	for _, t := range op.Outputs {
		v, err := b.view(int(t), fmt.Sprintf("operator %d (%s) output", i, name))
		if err != nil {
			return nil, err
		}
		c.outs = append(c.outs, v)
	}
	return c, nil
}

// addOp validates and plans operator i of the subgraph.
func (b *builder) addOp(i int) error {
	op := &b.sg.Operators[i]
	code := b.file.OperatorCodes[op.OpcodeIndex]
	name := code.Builtin.String()
	if code.Builtin == tflite.OpCustom {
		name = "CUSTOM(" + code.Custom + ")"
	}
	pair, ok := builders[code.Builtin]
	float, isFloat := b.floatBuilder(code.Builtin, op)
	if (!ok && !isFloat) || code.Builtin == tflite.OpCustom {
		return &UnsupportedError{Op: name, Index: i, What: "operator not implemented"}
	}
	c, err := b.newOpContext(i, name)
	if err != nil {
		return err
	}
	for _, v := range c.outs {
		t := v.idx
		if v.isConst() {
			return c.errorf("writes constant tensor %d", t)
		}
		// A fused operator's output is written by the operator before it.
		if b.locs[t] != nil && b.first[t] <= i && !b.fused[i] {
			return c.errorf("writes tensor %d (%s), already written or read earlier", t, v.t.Name)
		}
	}
	for _, v := range c.ins {
		// A fused operator's input may be computed within the operator
		// before and never stored.
		if v != nil && !v.isConst() && v.idx != b.inIdx && b.locs[v.idx] == nil && !b.fused[i] {
			return c.errorf("reads tensor %d (%s) before any operator writes it", v.idx, v.t.Name)
		}
	}
	build := pair.u8
	if c.elemType() == tflite.Int8 {
		build = pair.i8
	}
	if isFloat {
		build = float
	}
	if b.fused[i] {
		build = (*opContext).planFused
	}
	if err := build(c); err != nil {
		return err
	}
	// Every operator visits each element of its inputs and outputs at least
	// once, empty dimensions included: count that too, so that MaxMACs also
	// bounds chains of cheap operators over large tensors and loops over
	// empty ones.
	var work int64
	for _, vs := range [][]*tensorView{c.ins, c.outs} {
		for _, v := range vs {
			if v != nil {
				work += v.span
			}
		}
	}
	return b.addMACs(work, name, i)
}

// sameType checks that every given tensor has type t.
func (c *opContext) sameType(t tflite.TensorType, vs ...*tensorView) error {
	for _, v := range vs {
		if v != nil && v.t.Type != t {
			return c.unsupported("mixes %v and %v tensors", t, v.t.Type)
		}
	}
	return nil
}

// quantized checks that v has per-tensor quantization with a positive scale.
func (c *opContext) quantized(v *tensorView, role string) error {
	q := v.t.Quantization
	if q == nil || len(q.Scale) == 0 {
		return c.errorf("%s tensor %d (%s) has no quantization", role, v.idx, v.t.Name)
	}
	for _, s := range q.Scale {
		if !(s > 0) || s > 1e30 {
			return c.errorf("%s tensor %d (%s) has scale %v", role, v.idx, v.t.Name, s)
		}
	}
	for _, z := range q.ZeroPoint {
		if z < -128 || z > 255 {
			return c.errorf("%s tensor %d (%s) has zero point %d", role, v.idx, v.t.Name, z)
		}
	}
	return nil
}

// is8bit reports whether t is one of the 8-bit quantized types.
func is8bit(t tflite.TensorType) bool { return t == tflite.UInt8 || t == tflite.Int8 }
