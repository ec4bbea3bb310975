package tflite_test

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/classifly/classifly/engine"
	"github.com/classifly/classifly/internal/shared"
	"github.com/classifly/classifly/internal/testkit"
	"github.com/classifly/classifly/tflite"
)

var corruptSeed = flag.Uint64("corrupt-seed", 1, "seed of the offsets and values TestCorruptedSharedModels tries")

// sharedModels reads every shared model, failing when there is none.
func sharedModels(t *testing.T) map[string][]byte {
	t.Helper()
	return testkit.ReadGlob(t, filepath.Join(shared.ModelDir(t), "*.tflite"))
}

// damageModels is sharedModels for the truncation and corruption tests, which
// parse and load each model thousands of times: every quantized model, and of
// the float, float16 and dynamic-range twins (same formats, same operators)
// only the smallest network's.
func damageModels(t *testing.T) map[string][]byte {
	t.Helper()
	models := sharedModels(t)
	for name := range models {
		twin := strings.HasSuffix(name, "_float32.tflite") || strings.HasSuffix(name, "_float16.tflite") ||
			strings.HasSuffix(name, "_dynamic.tflite")
		if twin && !strings.HasPrefix(name, "mobilenet_v1_0.25_128_") {
			delete(models, name)
		}
	}
	return models
}

func parseShared(t *testing.T, name string) *tflite.Model {
	t.Helper()
	m, err := tflite.Parse(shared.ReadModel(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSharedModelsParse(t *testing.T) {
	for name, data := range sharedModels(t) {
		m, err := tflite.Parse(data)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if m.Version != 3 || len(m.Subgraphs) != 1 {
			t.Errorf("%s: schema version %d, %d subgraphs; want 3 and 1", name, m.Version, len(m.Subgraphs))
		}
	}
}

func TestMobilenetV2Facts(t *testing.T) {
	m := parseShared(t, "mobilenet_v2_1.0_224_quant.tflite")
	sg := m.Subgraphs[0]
	if len(sg.Tensors) != 174 || len(sg.Operators) != 66 {
		t.Errorf("%d tensors and %d operators, want 174 and 66", len(sg.Tensors), len(sg.Operators))
	}
	if !slices.Equal(sg.Inputs, []int32{0}) || !slices.Equal(sg.Outputs, []int32{173}) {
		t.Fatalf("inputs %v and outputs %v, want [0] and [173]", sg.Inputs, sg.Outputs)
	}
	in := sg.Tensors[0]
	if !slices.Equal(in.Shape, []int32{1, 224, 224, 3}) || in.Type != tflite.UInt8 {
		t.Errorf("input is %v %v, want uint8 [1 224 224 3]", in.Type, in.Shape)
	}
	if q := in.Quantization; q == nil || !slices.Equal(q.Scale, []float32{0.0078125}) || !slices.Equal(q.ZeroPoint, []int64{128}) {
		t.Errorf("input quantization %+v, want scale 0.0078125 and zero point 128", q)
	}
	if out := sg.Tensors[173]; !slices.Equal(out.Shape, []int32{1, 1001}) || out.Type != tflite.UInt8 {
		t.Errorf("output is %v %v, want uint8 [1 1001]", out.Type, out.Shape)
	}
	if op := sg.Operators[0]; m.OperatorCodes[op.OpcodeIndex].Builtin != tflite.OpConv2D {
		t.Errorf("first operator is %v, want CONV_2D", m.OperatorCodes[op.OpcodeIndex].Builtin)
	} else if o, ok := op.Options.(*tflite.Conv2DOptions); !ok || o.StrideW != 2 || o.StrideH != 2 || o.Activation != tflite.ActRelu6 {
		t.Errorf("first convolution options %+v, want stride 2 and RELU6", op.Options)
	}
}

// TestPerChannelFilters checks the TF2 post-training model: every CONV_2D
// filter is int8 with one symmetric scale per output channel, along
// dimension 0.
func TestPerChannelFilters(t *testing.T) {
	m := parseShared(t, "tf2_mobilenet_v2_1.0_224_ptq.tflite")
	sg := m.Subgraphs[0]
	convs := 0
	for i, op := range sg.Operators {
		if m.OperatorCodes[op.OpcodeIndex].Builtin != tflite.OpConv2D {
			continue
		}
		convs++
		f := sg.Tensors[op.Inputs[1]]
		q := f.Quantization
		if f.Type != tflite.Int8 || q == nil || q.Dimension != 0 || len(q.Scale) != int(f.Shape[0]) || len(q.Scale) < 2 {
			t.Errorf("operator %d: filter %s is %v %v with quantization %+v; want int8, one scale per output channel along dimension 0", i, f.Name, f.Type, f.Shape, q)
			continue
		}
		for _, z := range q.ZeroPoint {
			if z != 0 {
				t.Errorf("operator %d: filter %s has zero point %d", i, f.Name, z)
				break
			}
		}
	}
	if convs != 36 {
		t.Errorf("%d CONV_2D operators, want 36", convs)
	}
}

// Damaged copies of the shared models. Each trial parses and loads; neither
// may panic, hang, allocate out of proportion to the file or return
// anything but the documented errors.

const (
	maxLoadTime = 2 * time.Second
	// A trial still running after this long is a hang: crash with its name.
	hangTime = 60 * time.Second
	// One corruption in weightsEvery lands anywhere, most likely in weights.
	weightsEvery = 10
)

// allocLimit is what one trial may allocate.
func allocLimit(size int) uint64 { return 4*uint64(size) + 64<<20 }

// measuring lets trials in parallel subtests measure allocation together
// (read lock) and re-measure a suspect one alone (write lock): TotalAlloc
// counts every goroutine's allocations.
var measuring sync.RWMutex

// trials runs damaged copies of one model and records failures.
type trials struct {
	t        *testing.T
	name     string
	intact   *tflite.Model // the model as it parses undamaged
	failures int
	loads    int // trials that reached Load
	hang     *time.Timer
	current  atomic.Value // description of the running trial, for hang
}

func newTrials(t *testing.T, name string, data []byte) *trials {
	m, err := tflite.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	tr := &trials{t: t, name: name, intact: m}
	tr.hang = time.AfterFunc(time.Hour, func() {
		panic(fmt.Sprintf("%s, %v: still parsing or loading after %v", tr.name, tr.current.Load(), hangTime))
	})
	tr.hang.Stop()
	t.Cleanup(func() { tr.hang.Stop() })
	return tr
}

func (tr *trials) fail(format string, args ...any) {
	tr.t.Helper()
	tr.t.Errorf("%s: "+format, append([]any{tr.name}, args...)...)
	if tr.failures++; tr.failures >= 20 {
		tr.t.Fatalf("%s: too many failures, stopping", tr.name)
	}
}

// outcome is what one trial did.
type outcome struct {
	parseErr, loadErr error
	loaded            bool
	alloc             uint64
	took              time.Duration // of Load
	panicked          string
}

// try parses data and loads it, unless it parsed to a model that differs
// from the intact one only in names: Load sees nothing but the parsed model,
// so it would do what it does with the intact file, and it costs
// milliseconds.
func (tr *trials) try(data []byte) (o outcome) {
	defer func() {
		if p := recover(); p != nil {
			o.panicked = fmt.Sprintf("%v\n%s", p, debug.Stack())
		}
	}()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	var m *tflite.Model
	m, o.parseErr = tflite.Parse(data)
	if o.parseErr != nil || !sameButNames(m, tr.intact) {
		start := time.Now()
		_, o.loadErr = engine.Load(data, engine.Options{})
		o.took, o.loaded = time.Since(start), true
	}
	runtime.ReadMemStats(&after)
	o.alloc = after.TotalAlloc - before.TotalAlloc
	return o
}

// check runs one trial on data, described by what.
func (tr *trials) check(data []byte, what string) {
	tr.t.Helper()
	tr.current.Store(what)
	tr.hang.Reset(hangTime)
	measuring.RLock()
	o := tr.try(data)
	measuring.RUnlock()
	if o.alloc > allocLimit(len(data)) {
		// Others were allocating too: measure again, alone.
		measuring.Lock()
		o = tr.try(data)
		measuring.Unlock()
	}
	tr.hang.Stop()
	if o.loaded {
		tr.loads++
	}
	switch {
	case o.panicked != "":
		tr.fail("%s: panic: %s", what, o.panicked)
	case o.parseErr != nil && !isFormatError(o.parseErr):
		tr.fail("%s: Parse returned %T: %v", what, o.parseErr, o.parseErr)
	case o.loaded && o.loadErr != nil && !isLoadError(o.loadErr):
		tr.fail("%s: Load returned %T: %v", what, o.loadErr, o.loadErr)
	case o.took > maxLoadTime:
		tr.fail("%s: Load took %v", what, o.took)
	case o.alloc > allocLimit(len(data)):
		tr.fail("%s: allocated %d bytes for a %d-byte file", what, o.alloc, len(data))
	}
}

// sameButNames reports whether a and b are the same model but for the names
// of tensors and subgraphs and the description.
func sameButNames(a, b *tflite.Model) bool {
	if a.Version != b.Version || !slices.Equal(a.OperatorCodes, b.OperatorCodes) ||
		!slices.EqualFunc(a.Buffers, b.Buffers, bytes.Equal) || len(a.Subgraphs) != len(b.Subgraphs) {
		return false
	}
	for i := range a.Subgraphs {
		sa, sb := a.Subgraphs[i], b.Subgraphs[i]
		if !slices.Equal(sa.Inputs, sb.Inputs) || !slices.Equal(sa.Outputs, sb.Outputs) ||
			!reflect.DeepEqual(sa.Operators, sb.Operators) || len(sa.Tensors) != len(sb.Tensors) {
			return false
		}
		for k := range sa.Tensors {
			ta, tb := sa.Tensors[k], sb.Tensors[k]
			ta.Name, tb.Name = "", ""
			if !reflect.DeepEqual(ta, tb) {
				return false
			}
		}
	}
	return true
}

func isFormatError(err error) bool {
	var e *tflite.FormatError
	return errors.As(err, &e)
}

func isLoadError(err error) bool {
	var ue *engine.UnsupportedError
	var re *engine.ResourceError
	return isFormatError(err) || errors.As(err, &ue) || errors.As(err, &re)
}

// TestTruncatedSharedModels cuts the shared models (damageModels) at every offset of its
// first and last 4 KiB and at about 2000 offsets between. A cut file must
// fail to parse, or parse because the cut only removed bytes the reader does
// not use (such as metadata at the end); then it must load or fail cleanly.
func TestTruncatedSharedModels(t *testing.T) {
	for name, data := range damageModels(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			tr := newTrials(t, name, data)
			cuts := truncations(len(data), testing.Short())
			for _, n := range cuts {
				tr.check(data[:n:n], fmt.Sprintf("cut to %d bytes", n))
			}
			t.Logf("%d cuts, %d loaded", len(cuts), tr.loads)
		})
	}
}

// truncations returns the lengths to cut a file of size bytes to.
func truncations(size int, short bool) []int {
	edge, between := 4096, 2000
	if short {
		edge, between = 512, 200
	}
	var ns []int
	for n := range min(edge, size) {
		ns = append(ns, n)
	}
	for k := range between {
		ns = append(ns, edge+k*(size-2*edge)/between)
	}
	for n := max(size-edge, 0); n < size; n++ {
		ns = append(ns, n)
	}
	slices.Sort(ns)
	return slices.Compact(ns)
}

// mutation overwrites the bytes at off (aligned to its width).
type mutation struct {
	name  string
	width int
	value func(rng *rand.Rand, old []byte) []byte
}

var mutations = []mutation{
	{"random byte", 1, func(rng *rand.Rand, _ []byte) []byte { return []byte{byte(rng.Uint32())} }},
	{"0x00", 1, func(*rand.Rand, []byte) []byte { return []byte{0} }},
	{"0xff", 1, func(*rand.Rand, []byte) []byte { return []byte{0xff} }},
	{"bit flip", 1, func(rng *rand.Rand, old []byte) []byte { return []byte{old[0] ^ 1<<rng.IntN(8)} }},
	{"uint32 0x7fffffff", 4, func(*rand.Rand, []byte) []byte { return []byte{0xff, 0xff, 0xff, 0x7f} }},
	{"uint32 0xffffffff", 4, func(*rand.Rand, []byte) []byte { return []byte{0xff, 0xff, 0xff, 0xff} }},
	{"uint32 0x80000000", 4, func(*rand.Rand, []byte) []byte { return []byte{0, 0, 0, 0x80} }},
	{"uint32 0", 4, func(*rand.Rand, []byte) []byte { return []byte{0, 0, 0, 0} }},
	{"random uint32", 4, func(rng *rand.Rand, _ []byte) []byte {
		v := rng.Uint32()
		return []byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)}
	}},
}

// TestCorruptedSharedModels overwrites bytes of the shared models (damageModels) at a few
// thousand seeded offsets, most of them in the flatbuffer structure rather
// than in the weights (one in weightsEvery anywhere), and parses and loads
// each damaged copy.
func TestCorruptedSharedModels(t *testing.T) {
	trialsPerModel := 3000
	if testing.Short() {
		trialsPerModel = 300
	}
	for name, data := range damageModels(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			tr := newTrials(t, fmt.Sprintf("%s (-corrupt-seed %d)", name, *corruptSeed), data)
			structure := structureOffsets(data, tr.intact)
			h := fnv.New64a()
			h.Write([]byte(name))
			rng := rand.New(rand.NewPCG(*corruptSeed, h.Sum64()))
			buf := slices.Clone(data)
			for k := range trialsPerModel {
				off := structure[rng.IntN(len(structure))]
				if k%weightsEvery == 0 {
					off = rng.IntN(len(buf))
				}
				mu := mutations[rng.IntN(len(mutations))]
				off = min(off&^(mu.width-1), len(buf)-mu.width)
				old := slices.Clone(buf[off : off+mu.width])
				v := mu.value(rng, old)
				copy(buf[off:], v)
				tr.check(buf, fmt.Sprintf("trial %d, %s at offset %d (% x → % x)", k, mu.name, off, old, v))
				copy(buf[off:], old)
			}
			t.Logf("%d trials, %d loaded", trialsPerModel, tr.loads)
		})
	}
}

// structureOffsets returns the offsets of data that are not constant tensor
// data: the flatbuffer tables, vectors and strings that the reader checks.
func structureOffsets(data []byte, m *tflite.Model) []int {
	isData := make([]bool, len(data))
	base := uintptr(unsafe.Pointer(unsafe.SliceData(data)))
	for _, b := range m.Buffers {
		if len(b) > 0 {
			// Buffers are sub-slices of data; their position is the only
			// way to tell where they are.
			start := int(uintptr(unsafe.Pointer(unsafe.SliceData(b))) - base)
			for i := range b {
				isData[start+i] = true
			}
		}
	}
	var offs []int
	for i, d := range isData {
		if !d {
			offs = append(offs, i)
		}
	}
	return offs
}
