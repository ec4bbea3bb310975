package tflitetest

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/classifly/classifly/tflite"
)

// Tensor is one tensor of the model. A tensor with Data is a constant and
// gets a buffer of its own; one without is an activation. Scale and
// ZeroPoint give its affine quantization (none when both are empty), per
// channel along QuantDim when they have several entries.
type Tensor struct {
	Name       string
	Type       tflite.TensorType
	Shape      []int32
	Data       []byte
	Scale      []float32
	ZeroPoint  []int64
	QuantDim   int32
	IsVariable bool
}

// Op is one operator. Options is nil or a pointer to one of package tflite's
// option structs (*tflite.Conv2DOptions, ...), which selects the
// BuiltinOptions union member. Custom names a CUSTOM operator. Version 0
// means 1. Inputs may hold -1 for an omitted optional input.
type Op struct {
	Code            tflite.BuiltinOperator
	Version         int32
	Inputs, Outputs []int32
	Options         any
	Custom          string
}

// Model is a single-subgraph model: tensors, operators in execution order,
// and the subgraph's input and output tensor indices.
type Model struct {
	Tensors         []Tensor
	Ops             []Op
	Inputs, Outputs []int32
	Description     string
}

// SchemaVersion is the version Bytes writes in Model.version.
const SchemaVersion = 3

// Field numbers of schema.fbs (a table's fields are numbered in declaration
// order); package tflite reads the same numbers.
const (
	modelVersion, modelOpCodes, modelSubgraphs, modelDescription, modelBuffers = 0, 1, 2, 3, 4

	opcodeDeprecatedBuiltin, opcodeCustom, opcodeVersion, opcodeBuiltin = 0, 1, 2, 3

	subgraphTensors, subgraphInputs, subgraphOutputs, subgraphOperators = 0, 1, 2, 3

	tensorShape, tensorType, tensorBuffer, tensorName, tensorQuant, tensorIsVariable = 0, 1, 2, 3, 4, 5

	quantScale, quantZeroPoint, quantDimension = 2, 3, 6

	operatorOpcode, operatorInputs, operatorOutputs, operatorOptionsType, operatorOptions = 0, 1, 2, 3, 4

	bufferData = 0
)

// The BuiltinOptions union's type tags: 1-based positions in the union
// declaration of schema.fbs.
const (
	optConv2D         = 1
	optDepthwiseConv  = 2
	optPool2D         = 5
	optFullyConnected = 8
	optSoftmax        = 9
	optConcatenation  = 10
	optAdd            = 11
	optReshape        = 17
	optReducer        = 27
	optSqueeze        = 30
)

// bufferAlign is the alignment of constant data, as schema.fbs asks of
// Buffer.data (force_align: 16) so that kernels may read it in place.
const bufferAlign = 16

// Bytes returns the model as a .tflite file. It panics if an operator's
// Options is of a type it cannot write: that is a mistake in the test.
func (m Model) Bytes() []byte {
	type opKey struct {
		code    tflite.BuiltinOperator
		version int32
		custom  string
	}
	var codes []table
	codeIndex := map[opKey]int{}
	var ops []table
	for i, op := range m.Ops {
		k := opKey{op.Code, max(op.Version, 1), op.Custom}
		idx, ok := codeIndex[k]
		if !ok {
			idx = len(codes)
			codeIndex[k] = idx
			codes = append(codes, opcodeTable(k.code, k.version, k.custom))
		}
		var t table
		t.i32(operatorOpcode, int32(idx), 0)
		if op.Inputs != nil {
			t.ref(operatorInputs, int32sRef(op.Inputs))
		}
		if op.Outputs != nil {
			t.ref(operatorOutputs, int32sRef(op.Outputs))
		}
		kind, opts, err := optionsTable(op.Options)
		if err != nil {
			panic(fmt.Sprintf("tflitetest: operator %d (%v): %v", i, op.Code, err))
		}
		if kind != 0 {
			t.u8(operatorOptionsType, kind, 0)
			t.ref(operatorOptions, tableRef(opts))
		}
		ops = append(ops, t)
	}

	// Buffer 0 is the empty buffer activations point at, by convention.
	buffers := []table{nil}
	var tensors []table
	for _, tn := range m.Tensors {
		var t table
		if tn.Shape != nil {
			t.ref(tensorShape, int32sRef(tn.Shape))
		}
		t.u8(tensorType, uint8(tn.Type), 0)
		if len(tn.Data) > 0 {
			var bt table
			bt.ref(bufferData, bytesRef(tn.Data, bufferAlign))
			t.i32(tensorBuffer, int32(len(buffers)), 0)
			buffers = append(buffers, bt)
		}
		if tn.Name != "" {
			t.ref(tensorName, strRef(tn.Name))
		}
		if len(tn.Scale) > 0 || len(tn.ZeroPoint) > 0 {
			var q table
			if len(tn.Scale) > 0 {
				q.ref(quantScale, float32sRef(tn.Scale))
			}
			if len(tn.ZeroPoint) > 0 {
				q.ref(quantZeroPoint, int64sRef(tn.ZeroPoint))
			}
			q.i32(quantDimension, tn.QuantDim, 0)
			t.ref(tensorQuant, tableRef(q))
		}
		t.bool(tensorIsVariable, tn.IsVariable)
		tensors = append(tensors, t)
	}

	var sg table
	sg.ref(subgraphTensors, tablesRef(tensors))
	sg.ref(subgraphInputs, int32sRef(m.Inputs))
	sg.ref(subgraphOutputs, int32sRef(m.Outputs))
	sg.ref(subgraphOperators, tablesRef(ops))

	var root table
	root.i32(modelVersion, SchemaVersion, 0)
	root.ref(modelOpCodes, tablesRef(codes))
	root.ref(modelSubgraphs, tablesRef([]table{sg}))
	if m.Description != "" {
		root.ref(modelDescription, strRef(m.Description))
	}
	root.ref(modelBuffers, tablesRef(buffers))

	// The file starts with the uoffset of the root table and the file
	// identifier "TFL3".
	b := &builder{buf: append(make([]byte, 4), "TFL3"...)}
	b.link(0, b.table(root))
	return b.buf
}

// opcodeTable writes both the deprecated byte code, which readers of schema
// v3 and older use and which saturates at 127
// (PLACEHOLDER_FOR_GREATER_OP_CODES), and the int32 code of v3a.
func opcodeTable(code tflite.BuiltinOperator, version int32, custom string) table {
	var t table
	t.set(opcodeDeprecatedBuiltin, slot{inline: []byte{uint8(min(max(code, 0), 127))}})
	if custom != "" {
		t.ref(opcodeCustom, strRef(custom))
	}
	t.set(opcodeVersion, slot{inline: binary.LittleEndian.AppendUint32(nil, uint32(version))})
	t.set(opcodeBuiltin, slot{inline: binary.LittleEndian.AppendUint32(nil, uint32(code))})
	return t
}

// optionsTable returns the union tag and table of an operator's options.
// Field numbers and defaults are those of schema.fbs.
func optionsTable(o any) (uint8, table, error) {
	var t table
	switch o := o.(type) {
	case nil:
		return 0, nil, nil
	case *tflite.Conv2DOptions:
		t.u8(0, uint8(o.Padding), 0)
		t.i32(1, o.StrideW, 0)
		t.i32(2, o.StrideH, 0)
		t.u8(3, uint8(o.Activation), 0)
		t.i32(4, o.DilationW, 1)
		t.i32(5, o.DilationH, 1)
		return optConv2D, t, nil
	case *tflite.DepthwiseConv2DOptions:
		t.u8(0, uint8(o.Padding), 0)
		t.i32(1, o.StrideW, 0)
		t.i32(2, o.StrideH, 0)
		t.i32(3, o.DepthMultiplier, 0)
		t.u8(4, uint8(o.Activation), 0)
		t.i32(5, o.DilationW, 1)
		t.i32(6, o.DilationH, 1)
		return optDepthwiseConv, t, nil
	case *tflite.Pool2DOptions:
		t.u8(0, uint8(o.Padding), 0)
		t.i32(1, o.StrideW, 0)
		t.i32(2, o.StrideH, 0)
		t.i32(3, o.FilterWidth, 0)
		t.i32(4, o.FilterHeight, 0)
		t.u8(5, uint8(o.Activation), 0)
		return optPool2D, t, nil
	case *tflite.FullyConnectedOptions:
		t.u8(0, uint8(o.Activation), 0)
		t.u8(1, o.WeightsFormat, 0)
		t.bool(2, o.KeepNumDims)
		return optFullyConnected, t, nil
	case *tflite.SoftmaxOptions:
		t.f32(0, o.Beta, 0)
		return optSoftmax, t, nil
	case *tflite.ConcatenationOptions:
		t.i32(0, o.Axis, 0)
		t.u8(1, uint8(o.Activation), 0)
		return optConcatenation, t, nil
	case *tflite.AddOptions:
		t.u8(0, uint8(o.Activation), 0)
		return optAdd, t, nil
	case *tflite.ReshapeOptions:
		if o.NewShape != nil {
			t.ref(0, int32sRef(o.NewShape))
		}
		return optReshape, t, nil
	case *tflite.ReducerOptions:
		t.bool(0, o.KeepDims)
		return optReducer, t, nil
	case *tflite.SqueezeOptions:
		if o.SqueezeDims != nil {
			t.ref(0, int32sRef(o.SqueezeDims))
		}
		return optSqueeze, t, nil
	}
	return 0, nil, fmt.Errorf("options of type %T cannot be written (want a pointer to a tflite options struct)", o)
}

// Int32Bytes encodes int32 values little-endian, as bias and axis buffers hold them.
func Int32Bytes(v ...int32) []byte {
	out := make([]byte, 0, 4*len(v))
	for _, x := range v {
		out = binary.LittleEndian.AppendUint32(out, uint32(x))
	}
	return out
}

// Float32Bytes encodes float32 values little-endian.
func Float32Bytes(v ...float32) []byte {
	out := make([]byte, 0, 4*len(v))
	for _, x := range v {
		out = binary.LittleEndian.AppendUint32(out, math.Float32bits(x))
	}
	return out
}

// Int8Bytes encodes int8 values as bytes.
func Int8Bytes(v ...int8) []byte {
	out := make([]byte, len(v))
	for i, x := range v {
		out[i] = byte(x)
	}
	return out
}
