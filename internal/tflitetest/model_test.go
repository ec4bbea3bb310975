package tflitetest

import (
	"bytes"
	"encoding/binary"
	"errors"
	"reflect"
	"testing"
	"unsafe"

	"github.com/classifly/classifly/tflite"
)

// allOptions is one operator per options type the writer knows, with
// non-default values in every field, plus defaults that the writer leaves
// out and the reader must restore.
var allOptions = []any{
	&tflite.Conv2DOptions{Padding: tflite.PaddingValid, StrideW: 2, StrideH: 3, Activation: tflite.ActRelu6, DilationW: 4, DilationH: 5},
	&tflite.Conv2DOptions{Padding: tflite.PaddingSame, StrideW: 1, StrideH: 1, DilationW: 1, DilationH: 1},
	&tflite.DepthwiseConv2DOptions{Padding: tflite.PaddingValid, StrideW: 2, StrideH: 1, DepthMultiplier: 3, Activation: tflite.ActReluN1To1, DilationW: 2, DilationH: 6},
	&tflite.Pool2DOptions{Padding: tflite.PaddingValid, StrideW: 2, StrideH: 3, FilterWidth: 4, FilterHeight: 5, Activation: tflite.ActRelu},
	&tflite.FullyConnectedOptions{Activation: tflite.ActRelu, WeightsFormat: 1, KeepNumDims: true},
	&tflite.SoftmaxOptions{Beta: 0.75},
	&tflite.ConcatenationOptions{Axis: -2, Activation: tflite.ActRelu6},
	&tflite.AddOptions{Activation: tflite.ActReluN1To1},
	&tflite.ReshapeOptions{NewShape: []int32{1, -1, 7}},
	&tflite.ReshapeOptions{},
	&tflite.ReducerOptions{KeepDims: true},
	&tflite.ReducerOptions{},
	&tflite.SqueezeOptions{SqueezeDims: []int32{0, 2, -1}},
	nil,
}

func roundTripModel() Model {
	m := Model{
		Description: "tflitetest round trip",
		Tensors: []Tensor{
			{Name: "input", Type: tflite.UInt8, Shape: []int32{1, 8, 8, 3}, Scale: []float32{0.0078125}, ZeroPoint: []int64{128}},
			{Name: "weights", Type: tflite.Int8, Shape: []int32{3, 1, 1, 2}, Data: Int8Bytes(-128, -1, 0, 1, 2, 127),
				Scale: []float32{0.5, 0.25, 0.125}, ZeroPoint: []int64{0, 0, 0}, QuantDim: 0},
			{Name: "bias", Type: tflite.Int32, Shape: []int32{3}, Data: Int32Bytes(-7, 0, 1<<30)},
			{Name: "dw", Type: tflite.Int8, Shape: []int32{1, 3, 3, 4}, Data: make([]byte, 36), Scale: []float32{1, 2, 3, 4}, ZeroPoint: []int64{0, 0, 0, 0}, QuantDim: 3},
			{Name: "f", Type: tflite.Float32, Shape: []int32{2}, Data: Float32Bytes(1.5, -0.25)},
			{Name: "scalar", Type: tflite.Int32, Shape: []int32{}},
			{Type: tflite.Int16, Shape: []int32{5}, IsVariable: true}, // unnamed, unquantized
			{Name: "zp only", Type: tflite.Int8, Shape: []int32{1}, ZeroPoint: []int64{-3}},
			{Name: "output", Type: tflite.UInt8, Shape: []int32{1, 1001}, Scale: []float32{1.0 / 256}, ZeroPoint: []int64{0}},
		},
		Inputs:  []int32{0},
		Outputs: []int32{8},
	}
	for i, o := range allOptions {
		m.Ops = append(m.Ops, Op{Code: tflite.OpConv2D, Inputs: []int32{0, 1, -1}, Outputs: []int32{int32(i % 8)}, Options: o})
	}
	m.Ops = append(m.Ops,
		Op{Code: tflite.OpCustom, Custom: "MyCustomOp", Inputs: []int32{0}, Outputs: []int32{8}},
		Op{Code: tflite.OpCustom, Custom: "Other", Version: 2, Inputs: []int32{0}, Outputs: []int32{8}},
		Op{Code: tflite.OpConv2D, Version: 3, Inputs: []int32{0}, Outputs: []int32{8}},
		Op{Code: 150, Version: 1, Inputs: []int32{}, Outputs: []int32{8}}, // past the byte code's 127
		Op{Code: tflite.OpHardSwish, Inputs: []int32{0}, Outputs: []int32{8}},
	)
	return m
}

// parseRoundTrip returns roundTripModel, its bytes and what package tflite
// parses of them.
func parseRoundTrip(t *testing.T) (Model, []byte, *tflite.Model) {
	t.Helper()
	m := roundTripModel()
	data := m.Bytes()
	f, err := tflite.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return m, data, f
}

// TestRoundTrip parses the writer's output with package tflite and checks
// that every field comes back.
func TestRoundTrip(t *testing.T) {
	m, _, f := parseRoundTrip(t)
	if f.Version != SchemaVersion || f.Description != m.Description {
		t.Errorf("version %d description %q, want %d %q", f.Version, f.Description, SchemaVersion, m.Description)
	}
	if len(f.Subgraphs) != 1 {
		t.Fatalf("%d subgraphs, want 1", len(f.Subgraphs))
	}
	sg := f.Subgraphs[0]
	if !reflect.DeepEqual(sg.Inputs, m.Inputs) || !reflect.DeepEqual(sg.Outputs, m.Outputs) {
		t.Errorf("inputs %v outputs %v, want %v %v", sg.Inputs, sg.Outputs, m.Inputs, m.Outputs)
	}

	if len(sg.Tensors) != len(m.Tensors) {
		t.Fatalf("%d tensors, want %d", len(sg.Tensors), len(m.Tensors))
	}
	buffers := map[uint32]bool{}
	for i, want := range m.Tensors {
		got := sg.Tensors[i]
		if got.Name != want.Name || got.Type != want.Type || got.IsVariable != want.IsVariable {
			t.Errorf("tensor %d: %q %v variable=%v, want %q %v %v", i, got.Name, got.Type, got.IsVariable, want.Name, want.Type, want.IsVariable)
		}
		// The reader returns nil for an empty vector.
		if len(got.Shape) != len(want.Shape) || (len(want.Shape) > 0 && !reflect.DeepEqual(got.Shape, want.Shape)) {
			t.Errorf("tensor %d: shape %v, want %v", i, got.Shape, want.Shape)
		}
		if d := f.TensorData(&got); !bytes.Equal(d, want.Data) {
			t.Errorf("tensor %d: data %v, want %v", i, d, want.Data)
		}
		if len(want.Data) > 0 {
			if got.Buffer == 0 || buffers[got.Buffer] {
				t.Errorf("tensor %d: buffer %d is empty or shared", i, got.Buffer)
			}
			buffers[got.Buffer] = true
		} else if got.Buffer != 0 {
			t.Errorf("tensor %d without data has buffer %d, want 0", i, got.Buffer)
		}
		var wantQ *tflite.Quantization
		if len(want.Scale) > 0 || len(want.ZeroPoint) > 0 {
			wantQ = &tflite.Quantization{Scale: want.Scale, ZeroPoint: want.ZeroPoint, Dimension: int(want.QuantDim)}
		}
		if !reflect.DeepEqual(got.Quantization, wantQ) {
			t.Errorf("tensor %d: quantization %+v, want %+v", i, got.Quantization, wantQ)
		}
	}
	if len(f.Buffers[0]) != 0 {
		t.Errorf("buffer 0 has %d bytes, want the empty buffer", len(f.Buffers[0]))
	}
	if len(f.Buffers) != 1+len(buffers) {
		t.Errorf("%d buffers, want %d", len(f.Buffers), 1+len(buffers))
	}

	if len(sg.Operators) != len(m.Ops) {
		t.Fatalf("%d operators, want %d", len(sg.Operators), len(m.Ops))
	}
	for i, want := range m.Ops {
		got := sg.Operators[i]
		code := f.OperatorCodes[got.OpcodeIndex]
		wantCode := tflite.OperatorCode{Builtin: want.Code, Custom: want.Custom, Version: max(want.Version, 1)}
		if code != wantCode {
			t.Errorf("operator %d: code %+v, want %+v", i, code, wantCode)
		}
		if len(got.Inputs) != len(want.Inputs) || (len(want.Inputs) > 0 && !reflect.DeepEqual(got.Inputs, want.Inputs)) {
			t.Errorf("operator %d: inputs %v, want %v", i, got.Inputs, want.Inputs)
		}
		if !reflect.DeepEqual(got.Outputs, want.Outputs) {
			t.Errorf("operator %d: outputs %v, want %v", i, got.Outputs, want.Outputs)
		}
		if !reflect.DeepEqual(got.Options, want.Options) {
			t.Errorf("operator %d: options %#v, want %#v", i, got.Options, want.Options)
		}
	}
	// Operator codes are shared between operators of one kind and version.
	if n, want := len(f.OperatorCodes), 6; n != want {
		t.Errorf("%d operator codes, want %d", n, want)
	}
}

// TestOpcodeFields checks the raw opcode table: both the deprecated byte
// code (saturating at 127) and the int32 code are written, so readers of
// either schema revision see the operator.
func TestOpcodeFields(t *testing.T) {
	for _, code := range []tflite.BuiltinOperator{tflite.OpAdd, tflite.OpConv2D, tflite.OpQuantize, 127, 128, 150} {
		b := &builder{}
		pos := b.table(opcodeTable(code, 2, ""))
		dep := fieldBytes(t, b.buf, pos, opcodeDeprecatedBuiltin)
		full := fieldBytes(t, b.buf, pos, opcodeBuiltin)
		if len(dep) == 0 || len(full) == 0 {
			t.Fatalf("code %d: deprecated or int32 field missing", code)
		}
		if want := uint8(min(code, 127)); dep[0] != want {
			t.Errorf("code %d: deprecated byte %d, want %d", code, dep[0], want)
		}
		if got := int32(binary.LittleEndian.Uint32(full)); got != int32(code) {
			t.Errorf("code %d: int32 field %d", code, got)
		}
	}
}

// fieldBytes returns the inline bytes of field i of the table at pos, up to
// the next 4 bytes, or nil when the field is absent.
func fieldBytes(t *testing.T, buf []byte, pos, i int) []byte {
	t.Helper()
	vt := pos - int(int32(binary.LittleEndian.Uint32(buf[pos:])))
	vsize := int(binary.LittleEndian.Uint16(buf[vt:]))
	if 4+2*i >= vsize {
		return nil
	}
	off := int(binary.LittleEndian.Uint16(buf[vt+4+2*i:]))
	if off == 0 {
		return nil
	}
	return buf[pos+off : pos+off+min(4, len(buf)-pos-off)]
}

// TestAlignment checks that constant data start on 16-byte boundaries, as
// schema.fbs asks of Buffer.data, and that every table's scalars and every
// vector's elements are naturally aligned, so the file also suits readers
// that load values in place.
func TestAlignment(t *testing.T) {
	_, data, f := parseRoundTrip(t)
	base := uintptr(unsafe.Pointer(unsafe.SliceData(data)))
	for i, b := range f.Buffers {
		if len(b) == 0 {
			continue
		}
		if off := uintptr(unsafe.Pointer(unsafe.SliceData(b))) - base; off%bufferAlign != 0 {
			t.Errorf("buffer %d starts at offset %d, not a multiple of %d", i, off, bufferAlign)
		}
	}
	b := &builder{buf: make([]byte, 3)}
	var tb table
	tb.u8(0, 1, 0)
	tb.set(1, slot{inline: make([]byte, 8)})
	tb.i32(2, 7, 0)
	pos := b.table(tb)
	if pos%8 != 0 {
		t.Errorf("table with an 8-byte field at %d", pos)
	}
	for i := range 3 {
		if p := pos + int(binary.LittleEndian.Uint16(b.buf[pos-int(int32(binary.LittleEndian.Uint32(b.buf[pos:])))+4+2*i:])); p%len(tb[i].inline) != 0 {
			t.Errorf("field %d of %d bytes at %d", i, len(tb[i].inline), p)
		}
	}
	v := b.vector(2, make([]byte, 16), 8)
	if (v+4)%8 != 0 {
		t.Errorf("8-byte elements at %d", v+4)
	}
}

// TestBytesDeterministic guards the writer against map-order dependence.
func TestBytesDeterministic(t *testing.T) {
	m := roundTripModel()
	first := m.Bytes()
	for range 20 {
		if !bytes.Equal(m.Bytes(), first) {
			t.Fatal("two calls of Bytes gave different files")
		}
	}
}

// TestCorruptionDetected checks the writer's output is what the reader
// bounds-checks: truncating the file anywhere gives a FormatError, never a
// panic.
func TestCorruptionDetected(t *testing.T) {
	data := roundTripModel().Bytes()
	for n := 0; n < len(data); n += 7 {
		_, err := tflite.Parse(data[:n])
		var fe *tflite.FormatError
		if !errors.As(err, &fe) {
			t.Fatalf("truncated to %d of %d bytes: error %v, want a *tflite.FormatError", n, len(data), err)
		}
	}
}

func TestUnknownOptionsPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Bytes accepted options of an unknown type")
		}
	}()
	Model{Ops: []Op{{Code: tflite.OpAdd, Options: tflite.AddOptions{}}}}.Bytes()
}
