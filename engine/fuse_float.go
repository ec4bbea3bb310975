package engine

import (
	"slices"

	"github.com/classifly/classifly/internal/kernels"
	"github.com/classifly/classifly/tflite"
)

// A float 1×1 convolution whose output only the next operator reads, an
// ADD of a tensor of the same shape (MobileNet V2's projection and its
// residual connection), runs the ADD in its GEMM's epilogue: one pass over
// the output instead of two, and one phase less for the worker pool. The
// sum rounds once either way, so the bytes are the ADD's.

// residualAdd returns the ADD after the operator being built that can be
// fused into it, given the operator's output: the ADD's other input, its
// output and its clamp. The ADD's own builder then plans nothing
// (builder.fused).
func (c *opContext) residualAdd(out *tensorView) (res, sum *tensorView, clamp kernels.ClampF32, ok bool) {
	b, j := c.b, c.index+1
	if b.opts.Reference || j >= len(b.sg.Operators) || out.idx == b.outIdx || slices.Contains(b.opts.Keep, out.idx) {
		return nil, nil, clamp, false
	}
	next := &b.sg.Operators[j]
	o, isAdd := next.Options.(*tflite.AddOptions)
	if b.file.OperatorCodes[next.OpcodeIndex].Builtin != tflite.OpAdd || !isAdd || len(next.Inputs) != 2 || len(next.Outputs) != 1 {
		return nil, nil, clamp, false
	}
	other := next.Inputs[0]
	if int(other) == out.idx {
		other = next.Inputs[1]
	} else if int(next.Inputs[1]) != out.idx {
		return nil, nil, clamp, false
	}
	// Only the ADD reads the output, once.
	readers := 0
	for k := range b.sg.Operators {
		for _, t := range b.sg.Operators[k].Inputs {
			if int(t) == out.idx {
				readers++
			}
		}
	}
	if readers != 1 || other < 0 || next.Outputs[0] < 0 {
		return nil, nil, clamp, false
	}
	var err error
	if res, err = b.view(int(other), "fused ADD input"); err != nil {
		return nil, nil, clamp, false
	}
	if sum, err = b.view(int(next.Outputs[0]), "fused ADD output"); err != nil {
		return nil, nil, clamp, false
	}
	// The other input is an activation already computed; the sum is
	// written by no one else.
	written := res.idx == b.inIdx || b.locs[res.idx] != nil
	if res.isConst() || !written || sum.isConst() || b.locs[sum.idx] != nil || sum.idx == b.inIdx ||
		res.t.Type != tflite.Float32 || sum.t.Type != tflite.Float32 ||
		!slices.Equal(res.shape, out.shape) || !slices.Equal(sum.shape, out.shape) {
		return nil, nil, clamp, false
	}
	if clamp, err = c.clampF32(o.Activation); err != nil {
		return nil, nil, clamp, false
	}
	if b.fused == nil {
		b.fused = map[int]bool{}
	}
	b.fused[j] = true
	return res, sum, clamp, true
}

// planFused plans an ADD fused into the operator before it: nothing runs,
// but its tensors stay live through its step.
func (c *opContext) planFused() {
	for _, vs := range [][]*tensorView{c.ins, c.outs} {
		for _, v := range vs {
			if v != nil {
				c.loc(v)
			}
		}
	}
	c.b.ops = append(c.b.ops, op{name: c.name, index: c.index, run: func([]byte) {}, fused: true})
}
