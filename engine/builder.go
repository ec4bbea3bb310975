package engine

import (
	"fmt"
	"math"
	"runtime"

	"github.com/classifly/classifly/internal/kernels"
	"github.com/classifly/classifly/tflite"
)

// loc says where a tensor's bytes are during a run: constant data from the
// file, or a range of the arena.
type loc struct {
	konst []byte
	off   int64
	n     int64
}

func (l loc) bytes(mem []byte) []byte {
	if l.konst != nil {
		return l.konst
	}
	return mem[l.off : l.off+l.n : l.off+l.n]
}

// tensorView is what op builders know of a tensor.
type tensorView struct {
	idx   int
	t     *tflite.Tensor
	shape []int
	n     int64 // elements
	span  int64 // elements, counting each empty dimension as 1: how far loops over the tensor run
	loc   *loc  // filled for activations once the arena is planned
	konst []byte
}

func (v *tensorView) isConst() bool { return v.konst != nil }

// scale and zp return per-tensor quantization (the first entry).
func (v *tensorView) scale() float32 {
	if q := v.t.Quantization; q != nil && len(q.Scale) > 0 {
		return q.Scale[0]
	}
	return 0
}

func (v *tensorView) zp() int32 {
	if q := v.t.Quantization; q != nil && len(q.ZeroPoint) > 0 {
		return int32(q.ZeroPoint[0])
	}
	return 0
}

type builder struct {
	file    *tflite.Model
	sg      *tflite.Subgraph
	opts    Options
	views   []*tensorView
	locs    []*loc // per tensor, activation locations
	first   []int  // first step a tensor is live
	last    []int  // last step a tensor is live
	ops     []op
	temps   []*loc // scratch buffers, each live during one operator
	tempAt  []int
	macs    int64
	opMACs  []int64 // per operator, a convolution's or fully connected layer's MACs (Layer.MACs)
	bytes   int64   // activation bytes before planning, to fail early
	inIdx   int
	outIdx  int
	backend kernels.Backend
	fused   map[int]bool // operators that run in the epilogue of the one before (fuse_float.go)
	folds   []bool       // per operator, a constant fold, built before the others (Load)
	readers []int        // per tensor, how many operator inputs name it
}

func newBuilder(f *tflite.Model, sg *tflite.Subgraph, opts Options, backend kernels.Backend) (*builder, error) {
	// Fixed once: per-worker buffers and the pool must agree on the count
	// even if GOMAXPROCS changes while the model loads.
	if opts.Threads <= 0 {
		opts.Threads = max(runtime.GOMAXPROCS(0), 1)
	}
	n := len(sg.Tensors)
	b := &builder{file: f, sg: sg, opts: opts, views: make([]*tensorView, n), locs: make([]*loc, n),
		first: make([]int, n), last: make([]int, n), opMACs: make([]int64, len(sg.Operators)),
		inIdx: int(sg.Inputs[0]), outIdx: int(sg.Outputs[0]), backend: backend}
	for i := range b.first {
		b.first[i], b.last[i] = math.MaxInt, -1
	}
	b.folds, b.readers = make([]bool, len(sg.Operators)), make([]int, n)
	for i := range sg.Operators {
		op := &sg.Operators[i]
		for _, t := range op.Inputs {
			if t >= 0 && int(t) < n {
				b.readers[t]++
			}
		}
		b.folds[i] = b.isFold(op)
	}
	// The input is live from before the first operator, the output to after the last.
	b.first[b.inIdx], b.last[b.inIdx] = -1, -1
	if _, err := b.view(b.inIdx, "model input"); err != nil {
		return nil, err
	}
	return b, nil
}

// view validates tensor i once: its shape's size fits the limits, and a
// constant's data length matches its shape and type.
func (b *builder) view(i int, what string) (*tensorView, error) {
	if v := b.views[i]; v != nil {
		return v, nil
	}
	t := &b.sg.Tensors[i]
	v := &tensorView{idx: i, t: t, n: 1, span: 1}
	for _, d := range t.Shape {
		v.shape = append(v.shape, int(d))
		if d != 0 && v.span > b.opts.MaxArenaBytes/int64(d) {
			return nil, &ResourceError{What: fmt.Sprintf("bytes for tensor %d (%s, shape %v)", i, t.Name, t.Shape), Need: math.MaxInt64, Limit: b.opts.MaxArenaBytes}
		}
		v.n *= int64(d)
		v.span *= int64(max(d, 1))
	}
	size := int64(t.Type.Size())
	if size == 0 {
		return nil, &UnsupportedError{Index: -1, What: fmt.Sprintf("%s tensor %d (%s) has type %v", what, i, t.Name, t.Type)}
	}
	if data := b.file.TensorData(t); len(data) > 0 {
		if int64(len(data)) != v.n*size {
			return nil, &tflite.FormatError{Offset: -1, What: fmt.Sprintf("tensor %d (%s)", i, t.Name), Msg: fmt.Sprintf("constant data has %d bytes, shape %v of %v needs %d", len(data), t.Shape, t.Type, v.n*size)}
		}
		v.konst = data
	} else if t.IsVariable {
		return nil, &UnsupportedError{Index: -1, What: fmt.Sprintf("variable tensor %d (%s)", i, t.Name)}
	}
	b.views[i] = v
	return v, nil
}

// use marks tensor i as read or written at step s and returns its location.
func (b *builder) use(i, s int) *loc {
	v := b.views[i]
	if v.isConst() {
		return &loc{konst: v.konst}
	}
	if b.locs[i] == nil {
		b.locs[i] = &loc{n: v.n * int64(v.t.Type.Size())}
	}
	b.first[i], b.last[i] = min(b.first[i], s), max(b.last[i], s)
	return b.locs[i]
}

// temp reserves a scratch buffer of n bytes for operator step s.
func (b *builder) temp(n int64, s int) (*loc, error) {
	if n > b.opts.MaxArenaBytes {
		return nil, &ResourceError{What: "bytes of scratch memory", Need: n, Limit: b.opts.MaxArenaBytes}
	}
	l := &loc{n: n}
	b.temps = append(b.temps, l)
	b.tempAt = append(b.tempAt, s)
	return l, nil
}

// finish plans the arena and returns the model.
func (b *builder) finish() (*Model, error) {
	in, out := b.views[b.inIdx], b.views[b.outIdx]
	if out == nil || (b.locs[b.outIdx] == nil && b.outIdx != b.inIdx) {
		return nil, &tflite.FormatError{Offset: -1, What: "SubGraph.outputs", Msg: "no operator produces the model output"}
	}
	if in.isConst() || out.isConst() {
		return nil, &tflite.FormatError{Offset: -1, What: "SubGraph", Msg: "model input or output is a constant tensor"}
	}
	inLoc := b.use(b.inIdx, -1)
	outLoc := b.use(b.outIdx, len(b.ops))
	kept := map[int]*loc{}
	for _, k := range b.opts.Keep {
		if k < 0 || k >= len(b.locs) || b.views[k] == nil {
			return nil, fmt.Errorf("engine: kept tensor %d is not used by the model", k)
		}
		kept[k] = b.use(k, len(b.ops))
	}
	var lives []interval
	var where []*loc
	for i, l := range b.locs {
		if l != nil {
			lives = append(lives, interval{tensor: i, first: b.first[i], last: b.last[i], size: l.n})
			where = append(where, l)
		}
	}
	for k, l := range b.temps {
		lives = append(lives, interval{tensor: -1, first: b.tempAt[k], last: b.tempAt[k], size: l.n})
		where = append(where, l)
	}
	offs, size := planArena(lives)
	if size > b.opts.MaxArenaBytes {
		return nil, &ResourceError{What: "bytes of activation memory", Need: size, Limit: b.opts.MaxArenaBytes}
	}
	for k, l := range where {
		l.off = offs[k]
	}
	m := &Model{input: info(in), output: info(out), inLoc: *inLoc, outLoc: *outLoc, ops: b.ops, layers: b.describeLayers(), arenaSize: size, macs: b.macs, kept: map[int]loc{}, backend: b.backend.String()}
	if b.opts.Reference {
		m.backend = "reference"
	}
	for k, l := range kept {
		m.kept[k] = *l
	}
	if threads := b.workers(); threads > 1 {
		m.pool = newPool(threads)
		runtime.AddCleanup(m, func(p *pool) { p.stop() }, m.pool)
	}
	return m, nil
}

// workers is the number of goroutines a run may use: the pool's size, or
// 1 without one.
func (b *builder) workers() int { return b.opts.Threads }

func info(v *tensorView) TensorInfo {
	return TensorInfo{Name: v.t.Name, Type: v.t.Type, Shape: append([]int(nil), v.shape...), Scale: v.scale(), ZeroPoint: v.zp()}
}

// addMACs counts arithmetic against the per-run limit.
func (b *builder) addMACs(n int64, name string, index int) error {
	if n < 0 || n > b.opts.MaxMACs-b.macs {
		return &ResourceError{What: fmt.Sprintf("multiply-accumulates (operator %d, %s)", index, name), Need: n, Limit: b.opts.MaxMACs}
	}
	b.macs += n
	return nil
}

// addLayerMACs counts the multiply-accumulates of a convolution or fully
// connected layer: against the per-run limit, and as its Layer.MACs.
func (c *opContext) addLayerMACs(n int64) error {
	if err := c.b.addMACs(n, c.name, c.index); err != nil {
		return err
	}
	c.b.opMACs[c.index] = n
	return nil
}

// activation maps a fused activation to a clamp, or reports it unsupported.
func activation(a tflite.Activation, name string, index int) (kernels.Activation, error) {
	switch a {
	case tflite.ActNone:
		return kernels.ActNone, nil
	case tflite.ActRelu:
		return kernels.ActRelu, nil
	case tflite.ActRelu6:
		return kernels.ActRelu6, nil
	case tflite.ActReluN1To1:
		return kernels.ActReluN1To1, nil
	}
	return 0, &UnsupportedError{Op: name, Index: index, What: fmt.Sprintf("fused activation %v", a)}
}
