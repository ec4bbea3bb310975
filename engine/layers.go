package engine

import (
	"github.com/classifly/classifly/internal/kernels"
	"github.com/classifly/classifly/tflite"
)

// Layer describes one planned operator for profiling: its shapes and the
// arithmetic and memory traffic they imply. Model.Layers lists them in the
// order Profile times them.
type Layer struct {
	Index int    // operator index in the subgraph
	Op    string // operator name, as in OpTiming
	// In and Out are the shapes of the first input and of the output.
	In, Out []int
	// Kernel and Stride are height and width, for convolutions and pools;
	// zero otherwise.
	Kernel, Stride [2]int
	Depthwise      bool
	// Integer is set when the multiply-accumulates are on 8-bit weights
	// (quantized and hybrid operators), clear when on float32 ones.
	Integer bool
	// MACs counts multiply-accumulates (convolutions and fully connected
	// layers; zero for the rest).
	MACs int64
	// Bytes is the least memory traffic of the operator: every input read
	// once (weights and biases included) and the output written once.
	Bytes int64
	// Fused is set when the operator before computes this one too: its
	// time counts there.
	Fused bool
}

// Layers describes the model's planned operators, one per OpTiming of
// Profile. The descriptions are computed once at load, off the Run path.
func (m *Model) Layers() []Layer { return append([]Layer(nil), m.layers...) }

// Backends lists the kernel backends this CPU and build can run, best
// last: the names Options.Backend and EnvBackend accept, besides "".
func Backends() []string {
	avail := kernels.Available()
	names := make([]string, len(avail))
	for i, b := range avail {
		names[i] = b.String()
	}
	return names
}

// describeLayers describes the planned operators. An operator planned as
// several steps carries its MACs and bytes on the first.
func (b *builder) describeLayers() []Layer {
	layers := make([]Layer, len(b.ops))
	seen := map[int]bool{}
	for i, o := range b.ops {
		layers[i] = Layer{Index: o.index, Op: o.name, Fused: o.fused}
		if seen[o.index] {
			continue
		}
		seen[o.index] = true
		layers[i].MACs = b.opMACs[o.index]
		b.describe(&layers[i], &b.sg.Operators[o.index])
	}
	return layers
}

// describe fills in a layer from its operator's tensors and options, which
// Load has already validated.
func (b *builder) describe(l *Layer, op *tflite.Operator) {
	tensor := func(i int32) *tensorView {
		if i < 0 || int(i) >= len(b.views) {
			return nil
		}
		return b.views[i]
	}
	for _, i := range op.Inputs {
		if v := tensor(i); v != nil {
			l.Bytes += v.n * int64(v.t.Type.Size())
		}
	}
	var out *tensorView
	for _, i := range op.Outputs {
		if v := tensor(i); v != nil {
			l.Bytes += v.n * int64(v.t.Type.Size())
			out = v
		}
	}
	if len(op.Inputs) > 0 {
		if in := tensor(op.Inputs[0]); in != nil {
			l.In = append([]int(nil), in.shape...)
		}
	}
	if out == nil {
		return
	}
	l.Out = append([]int(nil), out.shape...)
	var filter *tensorView
	if len(op.Inputs) > 1 {
		filter = tensor(op.Inputs[1])
	}
	weights := func(rank int) bool {
		if filter == nil || len(filter.shape) != rank {
			return false
		}
		l.Integer = is8bit(filter.t.Type)
		return true
	}
	switch b.file.OperatorCodes[op.OpcodeIndex].Builtin {
	case tflite.OpConv2D:
		if weights(4) { // [out channels, height, width, in channels per group]
			l.Kernel = [2]int{filter.shape[1], filter.shape[2]}
		}
		if o, ok := op.Options.(*tflite.Conv2DOptions); ok {
			l.Stride = [2]int{int(o.StrideH), int(o.StrideW)}
		}
	case tflite.OpDepthwiseConv:
		if weights(4) { // [1, height, width, channels]
			l.Kernel = [2]int{filter.shape[1], filter.shape[2]}
			l.Depthwise = true
		}
		if o, ok := op.Options.(*tflite.DepthwiseConv2DOptions); ok {
			l.Stride = [2]int{int(o.StrideH), int(o.StrideW)}
		}
	case tflite.OpFullyConnected:
		weights(2) // [units, depth]
	case tflite.OpAveragePool2D, tflite.OpMaxPool2D:
		if o, ok := op.Options.(*tflite.Pool2DOptions); ok {
			l.Kernel = [2]int{int(o.FilterHeight), int(o.FilterWidth)}
			l.Stride = [2]int{int(o.StrideH), int(o.StrideW)}
		}
	}
}
