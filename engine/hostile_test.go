package engine

import (
	"encoding/binary"
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/classifly/classifly/tflite"
)

// errKind is the documented error type a hostile file must produce.
type errKind int

const (
	formatErr errKind = iota
	unsupportedErr
	resourceErr
)

func (k errKind) String() string {
	return [...]string{"*tflite.FormatError", "*engine.UnsupportedError", "*engine.ResourceError"}[k]
}

func (k errKind) matches(err error) bool {
	switch k {
	case formatErr:
		var e *tflite.FormatError
		return errors.As(err, &e)
	case unsupportedErr:
		var e *UnsupportedError
		return errors.As(err, &e)
	}
	var e *ResourceError
	return errors.As(err, &e)
}

type hostileCase struct {
	name string
	file func() []byte
	want errKind
}

// base returns the tiny uint8 model's spec, for cases that change one thing.
func base() *modelSpec { return tinyModels()["tiny-uint8"] }

// edit returns a case file made by changing the base model's spec.
func edit(change func(m *modelSpec)) func() []byte {
	return func() []byte {
		m := base()
		change(m)
		return m.bytes()
	}
}

// patch returns a case file made by writing the base model with marks on
// some objects (set by mark on the Model table) and then overwriting bytes.
func patch(mark func(model fbTable), change func(b []byte, marks map[string]int)) func() []byte {
	return func() []byte {
		t := base().table()
		if mark != nil {
			mark(t)
		}
		b, marks := fbFile(t)
		change(b, marks)
		return b
	}
}

func subgraph(model fbTable) fbTable { return model[modelSubgraphs].([]fbTable)[0] }

func put32(b []byte, at int, v uint32) { binary.LittleEndian.PutUint32(b[at:], v) }

func root(b []byte) int { return int(binary.LittleEndian.Uint32(b)) }

// chain builds a model of n operators of kind op, each reading the previous
// tensor (the first reads the input) and writing the next, all of one shape.
func chain(op tflite.BuiltinOperator, n int, shape []int32) *modelSpec {
	m := &modelSpec{opcodes: []tflite.BuiltinOperator{op}, inputs: []int32{0}, outputs: []int32{int32(n)}}
	sc, zp := q(0.5, 1)
	for i := range n + 1 {
		m.tensors = append(m.tensors, tensorSpec{name: "t", typ: tflite.UInt8, shape: shape, scale: sc, zp: zp})
		if i > 0 {
			m.ops = append(m.ops, opSpec{opcode: 0, in: []int32{int32(i - 1)}, out: []int32{int32(i)}})
		}
	}
	return m
}

func hostileCases() []hostileCase {
	return []hostileCase{
		{"zero-bytes", func() []byte { return nil }, formatErr},
		{"tfl3-only", func() []byte { return []byte("TFL3") }, formatErr},
		{"header-only", func() []byte { return []byte("\x08\x00\x00\x00TFL3") }, formatErr},
		{"png", func() []byte {
			return []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x02\x00\x00\x00")
		}, formatErr},
		{"root-outside-file", patch(nil, func(b []byte, _ map[string]int) { put32(b, 0, 0xfffffff0) }), formatErr},
		{"vtable-after-end", patch(nil, func(b []byte, _ map[string]int) { put32(b, root(b), 0x80000001) }), formatErr},
		{"vtable-before-start", patch(nil, func(b []byte, _ map[string]int) { put32(b, root(b), uint32(root(b)+4)) }), formatErr},
		// Offsets to tables only point forward, so references cannot loop;
		// the nearest thing is a table that is its own vtable.
		{"vtable-is-table", patch(nil, func(b []byte, _ map[string]int) { put32(b, root(b), 0) }), formatErr},
		{"subgraph-vtable-outside", patch(
			func(m fbTable) { m[modelSubgraphs] = fbRepeat{1, fbMark{"sg", subgraph(m)}} },
			func(b []byte, at map[string]int) { put32(b, at["sg"], 0x7fffffff) }), formatErr},
		{"vector-of-4294967295", patch(
			func(m fbTable) { sg := subgraph(m); sg[sgTensors] = fbMark{"tensors", sg[sgTensors]} },
			func(b []byte, at map[string]int) { put32(b, at["tensors"], 0xffffffff) }), formatErr},
		{"string-past-end", patch(
			func(m fbTable) { m[modelDescription] = fbMark{"desc", "description"} },
			func(b []byte, at map[string]int) { put32(b, at["desc"], uint32(len(b))) }), formatErr},
		{"shape-past-end", patch(
			func(m fbTable) { subgraph(m)[sgInputs] = fbMark{"inputs", []int32{0}} },
			func(b []byte, at map[string]int) { put32(b, at["inputs"], 0x7fffffff) }), formatErr},
		{"negative-dimension", edit(func(m *modelSpec) { m.tensors[3].shape = []int32{1, -4, 4, 2} }), formatErr},
		{"huge-activation", edit(func(m *modelSpec) { m.tensors[0].shape = []int32{1, 100000, 100000, 3} }), resourceErr},
		{"tensor-index-9999", edit(func(m *modelSpec) { m.ops[2].in[1] = 9999 }), formatErr},
		{"output-index-minus-one", edit(func(m *modelSpec) { m.ops[2].out[0] = -1 }), formatErr},
		{"model-input-9999", edit(func(m *modelSpec) { m.inputs[0] = 9999 }), formatErr},
		{"opcode-out-of-range", edit(func(m *modelSpec) { m.ops[4].opcode = 42 }), formatErr},
		{"buffer-index-out-of-range", patch(
			func(m fbTable) { subgraph(m)[sgTensors].([]fbTable)[1][tensorBuffer] = uint32(500) }, func([]byte, map[string]int) {}), formatErr},
		{"buffer-offset-outside", patch(
			func(m fbTable) {
				m[modelBuffers] = append(m[modelBuffers].([]fbTable), fbTable{bufferOffset: int64(1 << 40), bufferSize: int64(16)})
			},
			func([]byte, map[string]int) {}), formatErr},
		{"quantized-dimension-out-of-range", edit(func(m *modelSpec) {
			m.tensors[1].scale, m.tensors[1].zp, m.tensors[1].dim = []float32{1, 1}, []int64{0, 0}, 7
		}), formatErr},
		{"read-before-write", edit(func(m *modelSpec) { m.ops[0], m.ops[1] = m.ops[1], m.ops[0] }), formatErr},
		{"reads-own-output", edit(func(m *modelSpec) { m.ops[2].in[0] = 7 }), formatErr},
		{"writes-twice", edit(func(m *modelSpec) { m.ops[3].out[0] = 7 }), formatErr},
		{"writes-constant", edit(func(m *modelSpec) { m.ops[2].out[0] = 1 }), formatErr},
		{"output-never-written", edit(func(m *modelSpec) { m.ops = m.ops[:5] }), formatErr},
		{"constant-length-mismatch", edit(func(m *modelSpec) { m.tensors[1].data = m.tensors[1].data[:5] }), formatErr},
		{"bias-length-mismatch", edit(func(m *modelSpec) { m.tensors[2].data = append(m.tensors[2].data, 1, 2, 3, 4) }), formatErr},
		{"conv-shape-mismatch", edit(func(m *modelSpec) { m.tensors[3].shape = []int32{1, 5, 4, 2} }), formatErr},
		{"string-tensor", edit(func(m *modelSpec) { m.tensors[0].typ = tflite.String }), unsupportedErr},
		{"custom-operator", edit(func(m *modelSpec) { m.opcodes[0] = tflite.OpCustom }), unsupportedErr},
		{"unknown-operator", edit(func(m *modelSpec) { m.opcodes[0] = 9000 }), unsupportedErr},
		{"two-subgraphs", patch(
			func(m fbTable) { sg := subgraph(m); m[modelSubgraphs] = []fbTable{sg, sg} }, func([]byte, map[string]int) {}), unsupportedErr},
		{"too-many-macs", func() []byte {
			// An 8-channel 15×15 convolution over 6144×6144: 7e10 MACs from 1800 bytes of weights.
			m := &modelSpec{opcodes: []tflite.BuiltinOperator{tflite.OpConv2D}, inputs: []int32{0}, outputs: []int32{2}}
			sc, zp := q(0.5, 1)
			m.tensors = []tensorSpec{
				{name: "in", typ: tflite.UInt8, shape: []int32{1, 6144, 6144, 1}, scale: sc, zp: zp},
				{name: "w", typ: tflite.UInt8, shape: []int32{8, 15, 15, 1}, data: make([]byte, 8*15*15), scale: sc, zp: zp},
				{name: "out", typ: tflite.UInt8, shape: []int32{1, 6144, 6144, 8}, scale: sc, zp: zp},
			}
			m.ops = []opSpec{{0, []int32{0, 1}, []int32{2}, optConv2D, fbTable{1: int32(1), 2: int32(1)}}}
			return m.bytes()
		}, resourceErr},
		{"100k-operators", func() []byte { return chain(tflite.OpReshape, 100_000, []int32{1}).bytes() }, resourceErr},
		// 1000 references to one subgraph holding 1000 references to one
		// tensor of rank 100: 8 KB that would decode to 100 million
		// dimensions if the reader followed every reference.
		{"aliased-tables", patch(func(m fbTable) {
			sg := subgraph(m)
			sg[sgTensors] = fbRepeat{1000, fbTable{tensorShape: make([]int32, 100), tensorType: int8(tflite.UInt8)}}
			m[modelSubgraphs] = fbRepeat{1000, sg}
		}, func([]byte, map[string]int) {}), formatErr},
	}
}

// TestHostileFiles loads each hand-made hostile file and checks that it fails
// with the documented error, quickly, without a large allocation.
func TestHostileFiles(t *testing.T) {
	for _, c := range hostileCases() {
		t.Run(c.name, func(t *testing.T) {
			data := c.file()
			var err error
			alloc, took := measure(func() { _, err = Load(data, Options{}) })
			if err == nil {
				t.Fatalf("Load succeeded, want %v", c.want)
			}
			if !c.want.matches(err) {
				t.Fatalf("Load: %T %v, want %v", err, err, c.want)
			}
			if took > time.Second {
				t.Errorf("Load took %v", took)
			}
			if limit := 4*uint64(len(data)) + 64<<20; alloc > limit {
				t.Errorf("Load allocated %d bytes for a %d-byte file", alloc, len(data))
			}
			if _, perr := tflite.Parse(data); perr != nil && !formatErr.matches(perr) {
				t.Errorf("Parse: untyped error %T %v", perr, perr)
			}
			t.Logf("%d bytes: %v (%v, %d bytes allocated)", len(data), err, took, alloc)
		})
	}
}

// measure runs f and returns what it allocated and how long it took.
func measure(f func()) (uint64, time.Duration) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	f()
	took := time.Since(start)
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc, took
}

// TestHostileWideGraph loads the widest graph the operator limit allows:
// 9999 tensors all alive at once, feeding one concatenation. The arena
// planner compares every pair of lifetimes; this keeps it inside the time and
// memory a load may take.
func TestHostileWideGraph(t *testing.T) {
	const n = maxOperators - 1
	m := chain(tflite.OpReshape, 0, []int32{1})
	m.opcodes = append(m.opcodes, tflite.OpConcatenation)
	var parts []int32
	for i := 1; i <= n; i++ {
		m.tensors = append(m.tensors, m.tensors[0])
		m.ops = append(m.ops, opSpec{opcode: 0, in: []int32{0}, out: []int32{int32(i)}})
		parts = append(parts, int32(i))
	}
	out := m.tensors[0]
	out.shape = []int32{n}
	m.tensors = append(m.tensors, out)
	m.ops = append(m.ops, opSpec{1, parts, []int32{n + 1}, optConcatenation, fbTable{0: int32(0)}})
	m.outputs = []int32{n + 1}
	data := m.bytes()
	var err error
	alloc, took := measure(func() { _, err = Load(data, Options{}) })
	if err != nil {
		t.Fatal(err)
	}
	// A guard against a blow-up (a cubic planner takes minutes), not a
	// benchmark: loose enough for a loaded CI machine or -race (~0.5 s alone).
	if took > 10*time.Second {
		t.Errorf("Load of %d operators took %v", n+1, took)
	}
	if limit := 4*uint64(len(data)) + 64<<20; alloc > limit {
		t.Errorf("Load allocated %d bytes for a %d-byte file, more than %d", alloc, len(data), limit)
	}
	t.Logf("%d bytes, %d operators: loaded in %v, %d bytes allocated", len(data), n+1, took, alloc)
}

// TestHostileUncountedWork checks that MaxMACs bounds the work of a run, not
// only the multiply-accumulates of convolutions: each model here is small,
// needs little or no arena, counts no MACs today, and would keep Run busy far
// past its limit (Run checks its context only between operators, so a single
// operator cannot be interrupted).
func TestHostileUncountedWork(t *testing.T) {
	const limit = 1_000_000_000
	sc, zp := q(0.5, 1)
	u8 := func(shape ...int32) tensorSpec {
		return tensorSpec{name: "t", typ: tflite.UInt8, shape: shape, scale: sc, zp: zp}
	}
	cases := []struct {
		name string
		work int64 // elements touched, or loop iterations, per run
		spec func() *modelSpec
	}{
		// 100 copies of a 64 MiB tensor.
		{"reshape-chain", 100 << 26, func() *modelSpec { return chain(tflite.OpReshape, 100, []int32{1, 8192, 8192}) }},
		// Tensors of shape [500000000 0] hold nothing, but concatenating
		// 1000 of them loops 500000000 × 1000 times.
		{"empty-concatenation", 500_000_000 * 1000, func() *modelSpec {
			m := chain(tflite.OpReshape, 1, []int32{500_000_000, 0})
			m.opcodes = append(m.opcodes, tflite.OpConcatenation)
			m.tensors = append(m.tensors, u8(500_000_000, 0))
			m.ops = append(m.ops, opSpec{1, make([]int32, 1000), []int32{2}, optConcatenation, fbTable{0: int32(1)}})
			for i := range m.ops[1].in {
				m.ops[1].in[i] = 1
			}
			m.outputs = []int32{2}
			return m
		}},
		// A 1×1 pool visits every one of 2^28 empty pixels, 40 times.
		{"empty-pool-chain", 40 << 28, func() *modelSpec {
			m := chain(tflite.OpAveragePool2D, 40, []int32{1, 16384, 16384, 0})
			for i := range m.ops {
				m.ops[i].optsType, m.ops[i].opts = optPool2D, fbTable{1: int32(1), 2: int32(1), 3: int32(1), 4: int32(1)}
			}
			return m
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data := c.spec().bytes()
			m, err := Load(data, Options{MaxMACs: limit})
			if err == nil {
				t.Fatalf("%d-byte model loaded with MaxMACs %d: %d MACs and %d arena bytes counted, but a run does about %d units of work",
					len(data), limit, m.MACs(), m.ArenaBytes(), c.work)
			}
			if !resourceErr.matches(err) {
				t.Fatalf("Load: %v, want %v", err, resourceErr)
			}
		})
	}
}
