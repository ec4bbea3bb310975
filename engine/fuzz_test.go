package engine

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/classifly/classifly/tflite"
)

var updateSeeds = flag.Bool("update-seeds", false, "rewrite the fuzz seed corpora in engine/testdata/fuzz and tflite/testdata/fuzz")

// FuzzLoad feeds arbitrary bytes to Load and runs what loads, if it is small,
// once on a zero input. Seeds: testdata/fuzz/FuzzLoad (see the README there).
func FuzzLoad(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		// Limits low enough that anything that loads runs in well under a
		// second: the point is to reach the kernels, not to wait for them.
		opts := Options{MaxArenaBytes: 16 << 20, MaxMACs: 50_000_000}
		m, err := Load(data, opts)
		if err != nil {
			if !typedLoadError(err) {
				t.Fatalf("Load: untyped error %T: %v", err, err)
			}
			return
		}
		if m.ArenaBytes() > opts.MaxArenaBytes || m.MACs() > opts.MaxMACs {
			t.Fatalf("Load accepted arena %d bytes and %d MACs, over the limits %+v", m.ArenaBytes(), m.MACs(), opts)
		}
		in, out := make([]byte, m.Input().Bytes()), make([]byte, m.Output().Bytes())
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		start := time.Now()
		if err := m.Run(ctx, in, out); err != nil {
			t.Fatalf("Run of a model within the limits (%d MACs, %d arena bytes) failed after %v: %v", m.MACs(), m.ArenaBytes(), time.Since(start), err)
		}
		// 50 million MACs take a fraction of a second: a longer run is doing
		// work that the limits do not count.
		if took := time.Since(start); took > 2*time.Second {
			t.Fatalf("Run took %v for a model counted at %d MACs and %d arena bytes", took, m.MACs(), m.ArenaBytes())
		}
	})
}

// typedLoadError reports whether err is one of the errors Load documents.
func typedLoadError(err error) bool {
	var fe *tflite.FormatError
	var ue *UnsupportedError
	var re *ResourceError
	return errors.As(err, &fe) || errors.As(err, &ue) || errors.As(err, &re)
}

// TestTinyModels checks that the hand-built seed models are valid: they load
// and run, so the fuzzer starts from models that reach every operator.
func TestTinyModels(t *testing.T) {
	seen := map[string]bool{}
	for name, spec := range tinyModels() {
		m, err := Load(spec.bytes(), Options{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		in, out := make([]byte, m.Input().Bytes()), make([]byte, m.Output().Bytes())
		for i := range in {
			in[i] = byte(i * 37)
		}
		if err := m.Run(context.Background(), in, out); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, op := range spec.ops {
			seen[spec.opcodes[op.opcode].String()] = true
		}
	}
	for op := range builders {
		if !seen[op.String()] {
			t.Errorf("no tiny model uses %v: add it so that the fuzzer reaches its builder", op)
		}
	}
}

// seedFiles returns the fuzz seeds by corpus folder and file name: the tiny
// models, some of them cut short, headers, and the small hostile files.
func seedFiles() map[string]map[string][]byte {
	common := map[string][]byte{
		"empty":      {},
		"tfl3":       []byte("TFL3"),
		"header":     []byte("\x08\x00\x00\x00TFL3"),
		"png-header": []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR"),
	}
	for name, spec := range tinyModels() {
		b := spec.bytes()
		common[name] = b
		for _, n := range []int{12, 64, len(b) / 2} {
			common[fmt.Sprintf("%s-cut%d", name, n)] = b[:n]
		}
	}
	// Hostile files go where they are caught: the reader's corpus if Parse
	// refuses them, the engine's otherwise.
	parse, load := maps.Clone(common), maps.Clone(common)
	for _, c := range hostileCases() {
		if b := c.file(); len(b) < 16<<10 {
			if _, err := tflite.Parse(b); err != nil {
				parse["hostile-"+c.name] = b
			} else {
				load["hostile-"+c.name] = b
			}
		}
	}
	return map[string]map[string][]byte{
		filepath.Join("testdata", "fuzz", "FuzzLoad"):                  load,
		filepath.Join("..", "tflite", "testdata", "fuzz", "FuzzParse"): parse,
	}
}

// TestFuzzSeeds checks that the checked-in seed corpora hold the current
// seeds; go test -run TestFuzzSeeds -update-seeds ./engine rewrites them.
// Other files there (crashers the fuzzer found) are left alone.
func TestFuzzSeeds(t *testing.T) {
	for dir, files := range seedFiles() {
		if *updateSeeds {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		for name, data := range files {
			path := filepath.Join(dir, "seed-"+name)
			want := []byte("go test fuzz v1\n[]byte(" + strconv.Quote(string(data)) + ")\n")
			if len(want) > 64<<10 {
				t.Errorf("seed %s is %d bytes encoded: keep seeds under 64 KiB", name, len(want))
			}
			if *updateSeeds {
				if err := os.WriteFile(path, want, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			got, err := os.ReadFile(path)
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("%s is missing or stale: run go test -run TestFuzzSeeds -update-seeds ./engine", path)
			}
		}
	}
}

// A test-only flatbuffer writer, enough to build small and hostile TFLite
// files by hand. Objects are laid out front to back, each before its
// children, and a reference is patched once its target is placed, so every
// offset points forward as the format requires.

// fbTable is a table under construction: field number → value. Inline values
// are uint8, int8, bool, int32, uint32, int64 and float32; referenced ones
// are string, []byte, []int32, []int64, []float32, fbTable, []fbTable,
// fbRepeat and fbMark.
type fbTable map[int]any

// fbRepeat is a vector of n references to one object: legal, and the way a
// small file can claim a huge structure.
type fbRepeat struct {
	n int
	v any
}

// fbMark records in fbWriter.marks where its value is placed, so that tests
// can corrupt it afterwards.
type fbMark struct {
	name string
	v    any
}

type fbWriter struct {
	buf   []byte
	marks map[string]int
}

// fbFile writes a TFLite file whose root table is model.
func fbFile(model fbTable) ([]byte, map[string]int) {
	w := &fbWriter{buf: []byte("\x00\x00\x00\x00TFL3"), marks: map[string]int{}}
	root := w.table(model)
	binary.LittleEndian.PutUint32(w.buf, uint32(root))
	return w.buf, w.marks
}

func (w *fbWriter) pad(align int) {
	for len(w.buf)%align != 0 {
		w.buf = append(w.buf, 0)
	}
}

func inlineSize(v any) int {
	switch v.(type) {
	case uint8, int8, bool:
		return 1
	case int64:
		return 8
	}
	return 4 // 4-byte scalars and offsets
}

func (w *fbWriter) table(t fbTable) int {
	fields := slices.Sorted(maps.Keys(t))
	// Inline data, widest first so that each field is aligned to its size.
	order := slices.Clone(fields)
	slices.SortStableFunc(order, func(a, b int) int { return inlineSize(t[b]) - inlineSize(t[a]) })
	at := map[int]int{}
	size := 4 // the vtable offset
	for _, f := range order {
		n := inlineSize(t[f])
		size = (size + n - 1) / n * n
		at[f] = size
		size += n
	}
	slots := 0
	if len(fields) > 0 {
		slots = fields[len(fields)-1] + 1
	}
	w.pad(2)
	vt := len(w.buf)
	w.buf = binary.LittleEndian.AppendUint16(w.buf, uint16(4+2*slots))
	w.buf = binary.LittleEndian.AppendUint16(w.buf, uint16(size))
	for f := range slots {
		w.buf = binary.LittleEndian.AppendUint16(w.buf, uint16(at[f])) // 0: absent
	}
	w.pad(8)
	pos := len(w.buf)
	w.buf = append(w.buf, make([]byte, size)...)
	binary.LittleEndian.PutUint32(w.buf[pos:], uint32(pos-vt))
	for _, f := range fields {
		p := pos + at[f]
		switch v := t[f].(type) {
		case uint8:
			w.buf[p] = v
		case int8:
			w.buf[p] = uint8(v)
		case bool:
			if v {
				w.buf[p] = 1
			}
		case int32:
			binary.LittleEndian.PutUint32(w.buf[p:], uint32(v))
		case uint32:
			binary.LittleEndian.PutUint32(w.buf[p:], v)
		case float32:
			binary.LittleEndian.PutUint32(w.buf[p:], math.Float32bits(v))
		case int64:
			binary.LittleEndian.PutUint64(w.buf[p:], uint64(v))
		default:
			w.ref(p, w.object(v))
		}
	}
	return pos
}

// ref stores at p the offset to target.
func (w *fbWriter) ref(p, target int) {
	binary.LittleEndian.PutUint32(w.buf[p:], uint32(target-p))
}

// vector writes the length of a vector whose elements are aligned to align
// and returns its position.
func (w *fbWriter) vector(n, align int) int {
	for len(w.buf)%4 != 0 || (len(w.buf)+4)%align != 0 {
		w.buf = append(w.buf, 0)
	}
	p := len(w.buf)
	w.buf = binary.LittleEndian.AppendUint32(w.buf, uint32(n))
	return p
}

func (w *fbWriter) object(v any) int {
	var p int
	switch v := v.(type) {
	case fbTable:
		return w.table(v)
	case fbMark:
		p = w.object(v.v)
		w.marks[v.name] = p
	case string:
		p = w.vector(len(v), 1)
		w.buf = append(append(w.buf, v...), 0)
	case []byte:
		p = w.vector(len(v), 16) // TFLite aligns buffer data to 16 bytes
		w.buf = append(w.buf, v...)
	case []int32:
		p = w.vector(len(v), 4)
		for _, x := range v {
			w.buf = binary.LittleEndian.AppendUint32(w.buf, uint32(x))
		}
	case []int64:
		p = w.vector(len(v), 8)
		for _, x := range v {
			w.buf = binary.LittleEndian.AppendUint64(w.buf, uint64(x))
		}
	case []float32:
		p = w.vector(len(v), 4)
		for _, x := range v {
			w.buf = binary.LittleEndian.AppendUint32(w.buf, math.Float32bits(x))
		}
	case []fbTable:
		p = w.vector(len(v), 4)
		w.buf = append(w.buf, make([]byte, 4*len(v))...)
		for i, t := range v {
			w.ref(p+4+4*i, w.table(t))
		}
	case fbRepeat:
		p = w.vector(v.n, 4)
		w.buf = append(w.buf, make([]byte, 4*v.n)...)
		target := w.object(v.v)
		for i := range v.n {
			w.ref(p+4+4*i, target)
		}
	default:
		panic(fmt.Sprintf("fbWriter: cannot write %T", v))
	}
	return p
}

// Field numbers and union tags of tensorflow/lite/schema/schema.fbs.
const (
	modelVersion, modelOpCodes, modelSubgraphs, modelDescription, modelBuffers = 0, 1, 2, 3, 4
	opcodeDeprecated, opcodeCustom, opcodeVersion, opcodeBuiltin               = 0, 1, 2, 3
	sgTensors, sgInputs, sgOutputs, sgOperators, sgName                        = 0, 1, 2, 3, 4
	tensorShape, tensorType, tensorBuffer, tensorName, tensorQuant             = 0, 1, 2, 3, 4
	quantScale, quantZeroPoint, quantDimension                                 = 2, 3, 6
	opOpcode, opInputs, opOutputs, opOptionsType, opOptions                    = 0, 1, 2, 3, 4
	bufferData, bufferOffset, bufferSize                                       = 0, 1, 2

	optConv2D, optDepthwise, optPool2D, optFullyConnected, optSoftmax = 1, 2, 5, 8, 9
	optConcatenation, optAdd, optReshape, optReducer, optSqueeze      = 10, 11, 17, 27, 30
)

// modelSpec is a single-subgraph model in the schema's terms.
type modelSpec struct {
	opcodes         []tflite.BuiltinOperator
	tensors         []tensorSpec
	ops             []opSpec
	inputs, outputs []int32
}

type tensorSpec struct {
	name  string
	typ   tflite.TensorType
	shape []int32
	data  []byte    // constant data; nil for an activation
	scale []float32 // nil for no quantization
	zp    []int64
	dim   int32 // quantized dimension
}

type opSpec struct {
	opcode   uint32 // index into modelSpec.opcodes
	in, out  []int32
	optsType uint8
	opts     fbTable
}

// q is per-tensor quantization for tensorSpec literals.
func q(scale float32, zp int64) ([]float32, []int64) { return []float32{scale}, []int64{zp} }

// table returns the Model table; tests may edit it before writing.
func (m *modelSpec) table() fbTable {
	buffers := []fbTable{{}} // buffer 0 is the empty buffer, by convention
	var tensors []fbTable
	for _, ts := range m.tensors {
		t := fbTable{tensorShape: ts.shape, tensorType: int8(ts.typ), tensorName: ts.name}
		if ts.shape == nil {
			delete(t, tensorShape)
		}
		if ts.data != nil {
			t[tensorBuffer] = uint32(len(buffers))
			buffers = append(buffers, fbTable{bufferData: ts.data})
		}
		if ts.scale != nil {
			t[tensorQuant] = fbTable{quantScale: ts.scale, quantZeroPoint: ts.zp, quantDimension: ts.dim}
		}
		tensors = append(tensors, t)
	}
	var ops []fbTable
	for _, o := range m.ops {
		t := fbTable{opOpcode: o.opcode, opInputs: o.in, opOutputs: o.out}
		if o.opts != nil {
			t[opOptionsType], t[opOptions] = o.optsType, o.opts
		}
		ops = append(ops, t)
	}
	var codes []fbTable
	for _, c := range m.opcodes {
		codes = append(codes, fbTable{opcodeDeprecated: int8(min(c, 127)), opcodeBuiltin: int32(c), opcodeVersion: int32(1)})
	}
	sg := fbTable{sgTensors: tensors, sgInputs: m.inputs, sgOutputs: m.outputs, sgOperators: ops, sgName: "main"}
	return fbTable{modelVersion: uint32(3), modelOpCodes: codes, modelSubgraphs: []fbTable{sg}, modelDescription: "hand-built test model", modelBuffers: buffers}
}

func (m *modelSpec) bytes() []byte {
	b, _ := fbFile(m.table())
	return b
}

// le encodes little-endian int32 or float32 constants.
func le[T int32 | float32](vs ...T) []byte {
	var b []byte
	for _, v := range vs {
		switch v := any(v).(type) {
		case int32:
			b = binary.LittleEndian.AppendUint32(b, uint32(v))
		case float32:
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
		}
	}
	return b
}

// ramp returns n bytes counting up from start.
func ramp(n int, start byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = start + byte(i*7)
	}
	return b
}

// tinyModels are small valid models that, between them, use every operator
// the engine builds, in uint8, int8 per-channel and float-boundary forms.
func tinyModels() map[string]*modelSpec {
	u8, i8, i32, f32 := tflite.UInt8, tflite.Int8, tflite.Int32, tflite.Float32
	ts := func(name string, typ tflite.TensorType, shape []int32, data []byte, scale []float32, zp []int64) tensorSpec {
		return tensorSpec{name: name, typ: typ, shape: shape, data: data, scale: scale, zp: zp}
	}
	perChannel := func(t tensorSpec, dim int32, scales ...float32) tensorSpec {
		t.scale, t.zp, t.dim = scales, make([]int64, len(scales)), dim
		return t
	}
	s := func(scale float32, zp int64) []float32 { v, _ := q(scale, zp); return v }
	z := func(scale float32, zp int64) []int64 { _, v := q(scale, zp); return v }

	uint8Model := &modelSpec{
		opcodes: []tflite.BuiltinOperator{tflite.OpConv2D, tflite.OpDepthwiseConv, tflite.OpAdd, tflite.OpMaxPool2D,
			tflite.OpConcatenation, tflite.OpAveragePool2D, tflite.OpReshape, tflite.OpFullyConnected, tflite.OpSoftmax},
		tensors: []tensorSpec{
			ts("input", u8, []int32{1, 4, 4, 3}, nil, s(1.0/128, 128), z(1.0/128, 128)),
			ts("conv/w", u8, []int32{2, 1, 1, 3}, ramp(6, 100), s(0.02, 128), z(0.02, 128)),
			ts("conv/b", i32, []int32{2}, le[int32](100, -200), s(0.02/128, 0), z(0.02/128, 0)),
			ts("conv", u8, []int32{1, 4, 4, 2}, nil, s(0.05, 0), z(0.05, 0)),
			ts("dw/w", u8, []int32{1, 3, 3, 2}, ramp(18, 90), s(0.03, 120), z(0.03, 120)),
			ts("dw/b", i32, []int32{2}, le[int32](7, 8), s(0.0015, 0), z(0.0015, 0)),
			ts("dw", u8, []int32{1, 2, 2, 2}, nil, s(0.1, 10), z(0.1, 10)),
			ts("add", u8, []int32{1, 2, 2, 2}, nil, s(0.2, 5), z(0.2, 5)),
			ts("maxpool", u8, []int32{1, 2, 2, 2}, nil, s(0.2, 5), z(0.2, 5)),
			ts("concat", u8, []int32{1, 2, 2, 4}, nil, s(0.2, 5), z(0.2, 5)),
			ts("avgpool", u8, []int32{1, 1, 1, 4}, nil, s(0.2, 5), z(0.2, 5)),
			ts("shape", i32, []int32{2}, le[int32](1, 4), nil, nil),
			ts("reshape", u8, []int32{1, 4}, nil, s(0.2, 5), z(0.2, 5)),
			ts("fc/w", u8, []int32{3, 4}, ramp(12, 120), s(0.01, 127), z(0.01, 127)),
			ts("fc/b", i32, []int32{3}, le[int32](1, 2, 3), s(0.002, 0), z(0.002, 0)),
			ts("fc", u8, []int32{1, 3}, nil, s(0.15, 100), z(0.15, 100)),
			ts("softmax", u8, []int32{1, 3}, nil, s(1.0/256, 0), z(1.0/256, 0)),
		},
		ops: []opSpec{
			{0, []int32{0, 1, 2}, []int32{3}, optConv2D, fbTable{0: uint8(tflite.PaddingSame), 1: int32(1), 2: int32(1), 3: uint8(tflite.ActRelu6)}},
			{1, []int32{3, 4, 5}, []int32{6}, optDepthwise, fbTable{0: uint8(tflite.PaddingSame), 1: int32(2), 2: int32(2), 3: int32(1)}},
			{2, []int32{6, 6}, []int32{7}, optAdd, fbTable{0: uint8(tflite.ActRelu)}},
			{3, []int32{7}, []int32{8}, optPool2D, fbTable{0: uint8(tflite.PaddingSame), 1: int32(1), 2: int32(1), 3: int32(2), 4: int32(2)}},
			{4, []int32{7, 8}, []int32{9}, optConcatenation, fbTable{0: int32(3)}},
			{5, []int32{9}, []int32{10}, optPool2D, fbTable{0: uint8(tflite.PaddingValid), 1: int32(2), 2: int32(2), 3: int32(2), 4: int32(2)}},
			{6, []int32{10, 11}, []int32{12}, optReshape, fbTable{0: []int32{1, 4}}},
			{7, []int32{12, 13, 14}, []int32{15}, optFullyConnected, fbTable{0: uint8(tflite.ActNone)}},
			{8, []int32{15}, []int32{16}, optSoftmax, fbTable{0: float32(1)}},
		},
		inputs: []int32{0}, outputs: []int32{16},
	}

	int8Model := &modelSpec{
		opcodes: []tflite.BuiltinOperator{tflite.OpQuantize, tflite.OpConv2D, tflite.OpDepthwiseConv, tflite.OpAdd,
			tflite.OpMean, tflite.OpFullyConnected, tflite.OpSoftmax},
		tensors: []tensorSpec{
			ts("input", u8, []int32{1, 4, 4, 3}, nil, s(1.0/128, 128), z(1.0/128, 128)),
			ts("quant", i8, []int32{1, 4, 4, 3}, nil, s(1.0/128, 0), z(1.0/128, 0)),
			perChannel(ts("conv/w", i8, []int32{2, 1, 1, 3}, ramp(6, 250), nil, nil), 0, 0.01, 0.02),
			perChannel(ts("conv/b", i32, []int32{2}, le[int32](-5, 9), nil, nil), 0, 0.01/128, 0.02/128),
			ts("conv", i8, []int32{1, 4, 4, 2}, nil, s(0.05, -128), z(0.05, -128)),
			perChannel(ts("dw/w", i8, []int32{1, 3, 3, 2}, ramp(18, 240), nil, nil), 3, 0.03, 0.04),
			perChannel(ts("dw/b", i32, []int32{2}, le[int32](3, -3), nil, nil), 0, 0.0015, 0.002),
			ts("dw", i8, []int32{1, 4, 4, 2}, nil, s(0.1, -10), z(0.1, -10)),
			ts("add", i8, []int32{1, 4, 4, 2}, nil, s(0.2, 3), z(0.2, 3)),
			ts("axis", i32, []int32{2}, le[int32](1, 2), nil, nil),
			ts("mean", i8, []int32{1, 2}, nil, s(0.2, 3), z(0.2, 3)),
			perChannel(ts("fc/w", i8, []int32{3, 2}, ramp(6, 200), nil, nil), 0, 0.01, 0.02, 0.03),
			perChannel(ts("fc/b", i32, []int32{3}, le[int32](1, 2, 3), nil, nil), 0, 0.002, 0.004, 0.006),
			ts("fc", i8, []int32{1, 3}, nil, s(0.15, -20), z(0.15, -20)),
			ts("softmax", i8, []int32{1, 3}, nil, s(1.0/256, -128), z(1.0/256, -128)),
			ts("output", u8, []int32{1, 3}, nil, s(1.0/256, 0), z(1.0/256, 0)),
		},
		ops: []opSpec{
			{0, []int32{0}, []int32{1}, 0, nil},
			{1, []int32{1, 2, 3}, []int32{4}, optConv2D, fbTable{0: uint8(tflite.PaddingValid), 1: int32(1), 2: int32(1)}},
			{2, []int32{4, 5, 6}, []int32{7}, optDepthwise, fbTable{0: uint8(tflite.PaddingSame), 1: int32(1), 2: int32(1), 3: int32(1), 4: uint8(tflite.ActRelu6)}},
			{3, []int32{4, 7}, []int32{8}, optAdd, fbTable{}},
			{4, []int32{8, 9}, []int32{10}, optReducer, fbTable{0: false}},
			{5, []int32{10, 11, 12}, []int32{13}, optFullyConnected, fbTable{}},
			{6, []int32{13}, []int32{14}, optSoftmax, fbTable{0: float32(1)}},
			{0, []int32{14}, []int32{15}, 0, nil},
		},
		inputs: []int32{0}, outputs: []int32{15},
	}

	floatModel := &modelSpec{
		opcodes: []tflite.BuiltinOperator{tflite.OpDequantize, tflite.OpQuantize, tflite.OpAdd, tflite.OpSqueeze,
			tflite.OpMean, tflite.OpConcatenation},
		tensors: []tensorSpec{
			ts("input", u8, []int32{1, 2, 2, 2}, nil, s(0.5, 3), z(0.5, 3)),
			ts("dequant", f32, []int32{1, 2, 2, 2}, nil, nil, nil),
			ts("quant", i8, []int32{1, 2, 2, 2}, nil, s(0.25, 1), z(0.25, 1)),
			ts("bias", i8, []int32{1, 1, 1, 2}, []byte{5, 0xfb}, s(0.1, 0), z(0.1, 0)),
			ts("add", i8, []int32{1, 2, 2, 2}, nil, s(0.3, 2), z(0.3, 2)),
			ts("squeeze", i8, []int32{2, 2, 2}, nil, s(0.3, 2), z(0.3, 2)),
			ts("axis", i32, []int32{1}, le[int32](-2), nil, nil),
			ts("mean", i8, []int32{2, 2}, nil, s(0.3, 2), z(0.3, 2)),
			ts("consts", f32, []int32{2, 2}, le[float32](0.5, -1, 1e9, float32(math.NaN())), nil, nil),
			ts("consts/q", i8, []int32{2, 2}, nil, s(0.3, 2), z(0.3, 2)),
			ts("concat", i8, []int32{4, 2}, nil, s(0.4, 0), z(0.4, 0)),
			ts("output", u8, []int32{4, 2}, nil, s(0.4, 128), z(0.4, 128)),
		},
		ops: []opSpec{
			{0, []int32{0}, []int32{1}, 0, nil},
			{1, []int32{1}, []int32{2}, 0, nil},
			{2, []int32{2, 3}, []int32{4}, optAdd, fbTable{}},
			{3, []int32{4}, []int32{5}, optSqueeze, fbTable{0: []int32{0}}},
			{4, []int32{5, 6}, []int32{7}, optReducer, fbTable{0: false}},
			{1, []int32{8}, []int32{9}, 0, nil},
			{5, []int32{7, 9}, []int32{10}, optConcatenation, fbTable{0: int32(0)}},
			{1, []int32{10}, []int32{11}, 0, nil},
		},
		inputs: []int32{0}, outputs: []int32{11},
	}
	return map[string]*modelSpec{"tiny-uint8": uint8Model, "tiny-int8": int8Model, "tiny-float": floatModel}
}
