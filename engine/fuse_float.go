package engine

import (
	"slices"

	"github.com/classifly/classifly/internal/kernels"
	"github.com/classifly/classifly/tflite"
)

// Fusions of float operators with the one after them, which then plans
// nothing (builder.fused) and whose output the first writes. The bytes are
// the unfused ones.
//
//   - A 1×1 convolution whose output only an ADD of a tensor of the same
//     shape reads (MobileNet V2's projection and its residual connection)
//     runs the ADD in its GEMM's epilogue: one pass over the output instead
//     of two, and one phase less for the worker pool. The sum rounds once
//     either way.
//   - A convolution whose large output only a 3×3 depthwise convolution
//     reads (MobileNet V2's expansions of 112×112 and 56×56 images) computes
//     that output row by row into a ring of three rows, each just before
//     the depthwise rows that need it: the expanded tensor, up to 4.8 MB,
//     never goes through memory, only through the L2 cache.

// next returns the operator that runs after the one being built: the
// next in the subgraph that is not a constant fold (folds run first, see
// Load, so a float16 model's DEQUANTIZE of the depthwise filter between an
// expansion and its depthwise convolution does not stop their fusion), or
// -1.
func (c *opContext) next() int {
	for j := c.index + 1; j < len(c.b.sg.Operators); j++ {
		if !c.b.folds[j] {
			return j
		}
	}
	return -1
}

// fusedOutput reports whether the output of the operator being built can
// be left to the fused operator j after it: only j reads it, once, and it
// is neither the model's output nor kept for Trace.
func (c *opContext) fusedOutput(out *tensorView, j int) bool {
	b := c.b
	if b.opts.Reference || j < 0 || out.idx == b.outIdx || slices.Contains(b.opts.Keep, out.idx) {
		return false
	}
	return b.readers[out.idx] == 1 && slices.Contains(b.sg.Operators[j].Inputs, int32(out.idx))
}

// markFused records that operator j runs within the one before.
func (b *builder) markFused(j int) {
	if b.fused == nil {
		b.fused = map[int]bool{}
	}
	b.fused[j] = true
}

// residualAdd returns the ADD after the operator being built that can be
// fused into it, given the operator's output: the ADD's other input, its
// output and its clamp. The ADD's own builder then plans nothing
// (builder.fused).
func (c *opContext) residualAdd(out *tensorView) (res, sum *tensorView, clamp kernels.ClampF32, ok bool) {
	b, j := c.b, c.next()
	if !c.fusedOutput(out, j) {
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
	if other < 0 || next.Outputs[0] < 0 {
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
	b.markFused(j)
	return res, sum, clamp, true
}

// planFused plans an operator fused into the one before it (which has
// checked it): nothing runs, but the tensors stored stay live through its
// step.
func (c *opContext) planFused() error {
	for _, vs := range [][]*tensorView{c.ins, c.outs} {
		for _, v := range vs {
			if v != nil && c.b.locs[v.idx] != nil {
				c.loc(v)
			}
		}
	}
	c.b.ops = append(c.b.ops, op{name: c.name, index: c.index, run: func([]byte) {}, fused: true})
	return nil
}

// streamMinBytes is the smallest output worth streaming into a depthwise
// convolution: smaller ones stay in the L2 cache anyway, and each worker
// recomputes the rows on either side of its share.
const streamMinBytes = 1 << 20

// streamedDepthwise returns the depthwise convolution after the operator
// being built that can take its output row by row (see above), prepared,
// and that convolution's output.
func (c *opContext) streamedDepthwise(out *tensorView) (*kernels.DWConvF32, *tensorView, bool) {
	b, j := c.b, c.next()
	if out.n*4 < streamMinBytes || !c.fusedOutput(out, j) {
		return nil, nil, false
	}
	code := b.file.OperatorCodes[b.sg.Operators[j].OpcodeIndex].Builtin
	if code != tflite.OpDepthwiseConv || len(b.sg.Operators[j].Inputs) == 0 || int(b.sg.Operators[j].Inputs[0]) != out.idx {
		return nil, nil, false
	}
	next, err := b.newOpContext(j, code.String())
	if err != nil || len(next.outs) != 1 || next.outs[0].isConst() || b.locs[next.outs[0].idx] != nil {
		return nil, nil, false
	}
	co, clamp, bias, err := next.floatConvOperands(true)
	if err != nil || co.filter.t.Type != tflite.Float32 {
		return nil, nil, false
	}
	d := kernels.NewDWConvF32(co.p, floats(co.filter), bias, clamp, next.floatBackend())
	// The depthwise convolution's MACs count here; its own planning counts
	// none. Past the limit, it is planned unfused and fails there.
	if !d.Streams() || next.addConvMACs(co.p, true) != nil {
		return nil, nil, false
	}
	b.markFused(j)
	return d, co.out, true
}

// emitStreamed plans a convolution computing rows of the input of the
// depthwise convolution d, produce(mem, w, r, dst) writing row r (of batch
// × InH of d) into dst for worker w (whose scratch it may use), and d
// computing its output rows (dwOut) from them: each worker keeps a ring of
// the last three input rows, computing each just before the first output
// row that needs it.
func (c *opContext) emitStreamed(d *kernels.DWConvF32, p *kernels.ConvParams, dwOut *loc, produce func(mem []byte, w, r int, dst []float32)) error {
	rowLen, workers := p.InW*p.InC, c.b.workers()
	ring, err := c.b.temp(int64(workers)*int64(3*rowLen)*4, c.index)
	if err != nil {
		return err
	}
	rows := p.Batch * p.OutH
	run := func(mem []byte, w, r0, r1 int) {
		slots := f32(ring, mem)[w*3*rowLen:][:3*rowLen]
		out := f32(dwOut, mem)
		have := -1 // the last input row computed, of batch × InH
		for r := r0; r < r1; r++ {
			b, oy := r/p.OutH, r%p.OutH
			var taps [3][]float32
			for k := range taps {
				y := oy*p.StrideH - p.PadH + k
				if y < 0 || y >= p.InH {
					continue
				}
				gy := b*p.InH + y
				// Rows between the last computed and the first needed are
				// no tap of any output row left (stride 2).
				if have < gy-1 {
					have = gy - 1
				}
				for ; have < gy; have++ {
					produce(mem, w, have+1, slots[(have+1)%3*rowLen:][:rowLen])
				}
				taps[k] = slots[gy%3*rowLen:][:rowLen]
			}
			d.RunRow(&taps, out, r)
		}
	}
	c.emitPar(func(mem []byte) { run(mem, 0, 0, rows) }, func(mem []byte, w, n int) {
		lo, hi := share(rows, 1, w, n)
		run(mem, w, lo, hi)
	})
	return nil
}
