package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/classifly/classifly/internal/kernels"
	"github.com/classifly/classifly/tflite"
)

// Default limits; see Options.
const (
	DefaultMaxArenaBytes = 512 << 20
	DefaultMaxMACs       = 50_000_000_000
	maxOperators         = 10_000
)

// EnvBackend names the environment variable that chooses the kernels when
// Options.Backend is empty: for tests, and to rule a kernel out in the field.
const EnvBackend = "CLASSIFLY_KERNELS"

// Options bound what a model may ask for. Zero values mean the defaults.
type Options struct {
	// MaxArenaBytes caps the activation memory of one run.
	MaxArenaBytes int64
	// MaxMACs caps the multiply-accumulates of one run, so that a hostile
	// model cannot make Run take hours.
	MaxMACs int64
	// Threads is how many goroutines one Run may use; 0 means GOMAXPROCS.
	// Concurrent Runs on one model share them: when they are busy, a Run
	// works alone, so a loaded server parallelises across requests instead.
	Threads int
	// Reference runs every operator with the reference kernels only: the
	// readable oracle, for tests and for doubt in the field.
	Reference bool
	// Backend names the kernels to run with ("generic", "avx2",
	// "avxvnni", "avx512vnni", "neon"); empty means the environment variable
	// EnvBackend, and when that is empty too the best this CPU has. A
	// backend that is unknown or that this CPU cannot run fails Load.
	Backend string
	// Keep lists tensors (by subgraph index) that stay readable after a
	// run, for Trace: debugging and tests that compare intermediate results.
	Keep []int
}

// TensorInfo describes a model input or output.
type TensorInfo struct {
	Name      string
	Type      tflite.TensorType
	Shape     []int
	Scale     float32 // 0 when not quantized
	ZeroPoint int32
}

// Elements is the number of elements.
func (t TensorInfo) Elements() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// Bytes is the size of the raw tensor data.
func (t TensorInfo) Bytes() int { return t.Elements() * t.Type.Size() }

// Model is a loaded, planned model, safe for concurrent use.
type Model struct {
	input, output TensorInfo
	inLoc, outLoc loc
	ops           []op
	layers        []Layer // one per op, for Profile's readers
	arenaSize     int64
	macs          int64
	arenas        sync.Pool
	kept          map[int]loc
	pool          *pool
	backend       string
	format        string // ModelFormat
	// life is held for reading by every run and for writing by Close, so
	// that Close waits for runs in flight, as sql.DB.Close does.
	life   sync.RWMutex
	closed bool
}

// op is one planned operator: run executes it on an arena.
type op struct {
	name  string
	index int
	run   func(mem []byte)
	// par, when set, is the same work split into phases that run on all
	// workers (w of n), with a barrier after each.
	par []func(mem []byte, w, n int)
	// fused is set when the operator before computes this one too (run
	// does nothing): see fuse_float.go.
	fused bool
}

// LoadFile reads and loads a model file.
func LoadFile(path string, opts Options) (*Model, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("engine: reading model: %w", err)
	}
	m, err := Load(data, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// Load parses and plans a model from the bytes of a .tflite file. The model
// keeps references into data.
func Load(data []byte, opts Options) (*Model, error) {
	if opts.MaxArenaBytes <= 0 {
		opts.MaxArenaBytes = DefaultMaxArenaBytes
	}
	if opts.MaxMACs <= 0 {
		opts.MaxMACs = DefaultMaxMACs
	}
	f, err := tflite.Parse(data)
	if err != nil {
		return nil, err
	}
	if len(f.Subgraphs) != 1 {
		return nil, &UnsupportedError{Index: -1, What: fmt.Sprintf("%d subgraphs (control flow); only single-graph models run", len(f.Subgraphs))}
	}
	sg := &f.Subgraphs[0]
	if len(sg.Inputs) != 1 || len(sg.Outputs) != 1 {
		return nil, &UnsupportedError{Index: -1, What: fmt.Sprintf("%d inputs and %d outputs; classifiers have one of each", len(sg.Inputs), len(sg.Outputs))}
	}
	if len(sg.Operators) > maxOperators {
		return nil, &ResourceError{What: "operators", Need: int64(len(sg.Operators)), Limit: maxOperators}
	}
	backend, err := chooseBackend(opts.Backend)
	if err != nil {
		return nil, err
	}
	b, err := newBuilder(f, sg, opts, backend)
	if err != nil {
		return nil, err
	}
	// Constant folds first: a fusion may need the folded weights of an
	// operator after the next (fuse_float.go).
	for _, folds := range []bool{true, false} {
		for i := range sg.Operators {
			if b.folds[i] != folds {
				continue
			}
			if err := b.addOp(i); err != nil {
				return nil, err
			}
		}
	}
	m, err := b.finish()
	if err == nil {
		m.format = ModelFormat(f)
	}
	return m, err
}

// chooseBackend resolves Options.Backend, defaulting to EnvBackend.
func chooseBackend(name string) (kernels.Backend, error) {
	from := "Options.Backend"
	if name == "" {
		name, from = os.Getenv(EnvBackend), EnvBackend
	}
	b, err := kernels.ChooseBackend(name)
	if err != nil {
		return 0, fmt.Errorf("engine: %s: %w", from, err)
	}
	return b, nil
}

// Input describes the model's input tensor.
func (m *Model) Input() TensorInfo { return m.input }

// Output describes the model's output tensor.
func (m *Model) Output() TensorInfo { return m.output }

// ArenaBytes is the activation memory one run uses.
func (m *Model) ArenaBytes() int64 { return m.arenaSize }

// MACs is the number of multiply-accumulates of one run.
func (m *Model) MACs() int64 { return m.macs }

// Run computes the output tensor from the input tensor, both raw bytes in the
// model's layout and types (see Input and Output). It checks ctx between
// operators.
func (m *Model) Run(ctx context.Context, in, out []byte) error {
	if err := m.checkSizes(-1, in, out); err != nil {
		return err
	}
	if !m.enter() {
		return ErrClosed
	}
	defer m.life.RUnlock()
	return m.runOn(ctx, in, out, true)
}

// enter admits a run: it holds m.life for reading until the caller
// releases it, or reports false, holding nothing, once Close has begun.
func (m *Model) enter() bool {
	m.life.RLock()
	if m.closed {
		m.life.RUnlock()
		return false
	}
	return true
}

// checkSizes checks an input and, unless out is nil, an output buffer
// against the model; item is the position in a batch, or -1.
func (m *Model) checkSizes(item int, in, out []byte) error {
	where := ""
	if item >= 0 {
		where = fmt.Sprintf("item %d: ", item)
	}
	if len(in) != m.input.Bytes() {
		return fmt.Errorf("%w: %sgot %d bytes, want %d", ErrInputSize, where, len(in), m.input.Bytes())
	}
	if out != nil && len(out) != m.output.Bytes() {
		return fmt.Errorf("%w: %sgot %d bytes, want %d", ErrOutputSize, where, len(out), m.output.Bytes())
	}
	return nil
}

// runOn runs one checked input on an arena from the pool; parallel lets it
// use the worker pool.
func (m *Model) runOn(ctx context.Context, in, out []byte, parallel bool) error {
	mem := m.arena()
	defer m.arenas.Put(mem)
	copy(m.inLoc.bytes(*mem), in)
	if err := m.exec(ctx, *mem, parallel, nil); err != nil {
		return err
	}
	copy(out, m.outLoc.bytes(*mem))
	return nil
}

// exec runs the operators on an arena, in parallel when asked and the pool
// is free. When times is not nil it records each operator's wall time
// there (Profile).
func (m *Model) exec(ctx context.Context, mem []byte, parallel bool, times []time.Duration) error {
	p := m.pool
	if parallel && p != nil && p.mu.TryLock() {
		defer p.mu.Unlock()
		p.start()
	} else {
		p = nil
	}
	var start time.Time
	for i := range m.ops {
		o := &m.ops[i]
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("engine: run stopped before operator %d (%s): %w", o.index, o.name, err)
		}
		if times != nil {
			start = time.Now()
		}
		if p == nil || o.par == nil {
			o.run(mem)
		} else {
			for _, phase := range o.par {
				p.run(phase, mem)
			}
		}
		if times != nil {
			times[i] = time.Since(start)
		}
	}
	return nil
}

// Threads is the number of goroutines a Run may use.
func (m *Model) Threads() int {
	if m.pool == nil {
		return 1
	}
	return m.pool.n
}

// Backend names the kernels the model runs with: a vector backend such as
// "avx2", "generic", or "reference" with Options.Reference.
func (m *Model) Backend() string { return m.backend }

// Close waits for the runs in flight to finish, then stops the model's
// worker goroutines. Runs that start after Close has begun return
// ErrClosed. Closing twice is harmless. A model that is dropped without
// Close stops its workers when collected.
func (m *Model) Close() {
	m.life.Lock()
	defer m.life.Unlock()
	if m.closed {
		return
	}
	m.closed = true
	if m.pool != nil {
		m.pool.stop()
	}
}

// Trace runs the model and returns copies of the tensors named in
// Options.Keep, by tensor index, along with the output.
func (m *Model) Trace(ctx context.Context, in []byte) (out []byte, tensors map[int][]byte, err error) {
	if err := m.checkSizes(-1, in, nil); err != nil {
		return nil, nil, err
	}
	if !m.enter() {
		return nil, nil, ErrClosed
	}
	defer m.life.RUnlock()
	out = make([]byte, m.output.Bytes())
	mem := m.arena()
	defer m.arenas.Put(mem)
	copy(m.inLoc.bytes(*mem), in)
	if err := m.exec(ctx, *mem, true, nil); err != nil {
		return nil, nil, err
	}
	copy(out, m.outLoc.bytes(*mem))
	tensors = make(map[int][]byte, len(m.kept))
	for i, l := range m.kept {
		tensors[i] = append([]byte(nil), l.bytes(*mem)...)
	}
	return out, tensors, nil
}

// arena returns a zeroed-once scratch arena; reuse across runs is safe
// because every operator writes all of its output before it is read.
func (m *Model) arena() *[]byte {
	if a, ok := m.arenas.Get().(*[]byte); ok {
		return a
	}
	a := make([]byte, m.arenaSize)
	return &a
}

// OpTiming is the time one operator took in Profile.
type OpTiming struct {
	Index int
	Op    string
	Time  time.Duration
}

// Profile runs the model once on in, as Run does (on the worker pool when
// the model has one and it is free), and times each operator. Layers
// describes the same operators, in the same order.
func (m *Model) Profile(ctx context.Context, in []byte) ([]OpTiming, error) {
	if err := m.checkSizes(-1, in, nil); err != nil {
		return nil, err
	}
	if !m.enter() {
		return nil, ErrClosed
	}
	defer m.life.RUnlock()
	mem := m.arena()
	defer m.arenas.Put(mem)
	copy(m.inLoc.bytes(*mem), in)
	durs := make([]time.Duration, len(m.ops))
	if err := m.exec(ctx, *mem, true, durs); err != nil {
		return nil, err
	}
	times := make([]OpTiming, len(m.ops))
	for i := range m.ops {
		times[i] = OpTiming{Index: m.ops[i].index, Op: m.ops[i].name, Time: durs[i]}
	}
	return times, nil
}

// RunBatch runs several inputs. With a worker pool it runs them side by
// side, one image per worker, which gives more images per second than
// splitting each image's operators.
func (m *Model) RunBatch(ctx context.Context, ins, outs [][]byte) error {
	if len(ins) != len(outs) {
		return fmt.Errorf("engine: %d inputs but %d outputs", len(ins), len(outs))
	}
	for i := range ins {
		if err := m.checkSizes(i, ins[i], outs[i]); err != nil {
			return err
		}
	}
	if !m.enter() {
		return ErrClosed
	}
	defer m.life.RUnlock()
	p := m.pool
	if p == nil || len(ins) < 2 || !p.mu.TryLock() {
		for i := range ins {
			if err := m.runOn(ctx, ins[i], outs[i], true); err != nil {
				return err
			}
		}
		return nil
	}
	defer p.mu.Unlock()
	p.start()
	errs := make([]error, p.n)
	p.run(func(_ []byte, w, n int) {
		for i := w; i < len(ins) && errs[w] == nil; i += n {
			errs[w] = m.runOn(ctx, ins[i], outs[i], false)
		}
	}, nil)
	return errors.Join(errs...)
}
