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
	// Metadata adds named buffers to Model.metadata, such as
	// TFLITE_METADATA with a ModelMetadata flatbuffer (see Metadata).
	Metadata []NamedBuffer
	// Tail is appended after the flatbuffer, as TFLite's metadata writer
	// appends the zip of associated files.
	Tail []byte
}

// NamedBuffer is one entry of Model.metadata.
type NamedBuffer struct {
	Name string
	Data []byte
}

// SchemaVersion is the version Bytes writes in Model.version.
const SchemaVersion = 3

// Field numbers of schema.fbs (a table's fields are numbered in declaration
// order); package tflite reads the same numbers.
const (
	modelVersion, modelOpCodes, modelSubgraphs, modelDescription, modelBuffers, modelMetadata = 0, 1, 2, 3, 4, 6

	metadataName, metadataBuffer = 0, 1

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
	optL2Norm         = 12
	optResizeBilinear = 15
	optReshape        = 17
	optMul            = 21
	optPad            = 22
	optReducer        = 27
	optSub            = 28
	optSqueeze        = 30
	optLeakyRelu      = 75
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
		t.i32s(operatorInputs, op.Inputs)
		t.i32s(operatorOutputs, op.Outputs)
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
		t.i32s(tensorShape, tn.Shape)
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
	var metas []table
	for _, md := range m.Metadata {
		var bt table
		if len(md.Data) > 0 {
			bt.ref(bufferData, bytesRef(md.Data, bufferAlign))
		}
		var mt table
		mt.ref(metadataName, strRef(md.Name))
		mt.i32(metadataBuffer, int32(len(buffers)), 0)
		buffers = append(buffers, bt)
		metas = append(metas, mt)
	}
	root.ref(modelBuffers, tablesRef(buffers))
	if len(metas) > 0 {
		root.ref(modelMetadata, tablesRef(metas))
	}

	// The file starts with the uoffset of the root table and the file
	// identifier "TFL3".
	b := &builder{buf: append(make([]byte, 4), "TFL3"...)}
	b.link(0, b.table(root))
	return append(b.buf, m.Tail...)
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

// window writes fields 0 to 2, with which the convolution and pooling
// options all begin: padding, stride_w, stride_h.
func (t *table) window(pad tflite.Padding, sw, sh int32) {
	t.u8(0, uint8(pad), 0)
	t.i32(1, sw, 0)
	t.i32(2, sh, 0)
}

// dilation writes fields i and i+1, dilation_w_factor and
// dilation_h_factor (default 1), with which the convolution options end.
func (t *table) dilation(i int, dw, dh int32) {
	t.i32(i, dw, 1)
	t.i32(i+1, dh, 1)
}

// optionsTable returns the union tag and table of an operator's options.
// Field numbers and defaults are those of schema.fbs.
func optionsTable(o any) (uint8, table, error) {
	var t table
	switch o := o.(type) {
	case nil:
		return 0, nil, nil
	case *tflite.Conv2DOptions:
		t.window(o.Padding, o.StrideW, o.StrideH)
		t.u8(3, uint8(o.Activation), 0)
		t.dilation(4, o.DilationW, o.DilationH)
		return optConv2D, t, nil
	case *tflite.DepthwiseConv2DOptions:
		t.window(o.Padding, o.StrideW, o.StrideH)
		t.i32(3, o.DepthMultiplier, 0)
		t.u8(4, uint8(o.Activation), 0)
		t.dilation(5, o.DilationW, o.DilationH)
		return optDepthwiseConv, t, nil
	case *tflite.Pool2DOptions:
		t.window(o.Padding, o.StrideW, o.StrideH)
		t.i32(3, o.FilterWidth, 0)
		t.i32(4, o.FilterHeight, 0)
		t.u8(5, uint8(o.Activation), 0)
		return optPool2D, t, nil
	case *tflite.FullyConnectedOptions:
		t.u8(0, uint8(o.Activation), 0)
		t.u8(1, o.WeightsFormat, 0)
		t.bool(2, o.KeepNumDims)
		t.bool(3, o.AsymmetricQuantizeInputs)
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
		t.i32s(0, o.NewShape)
		return optReshape, t, nil
	case *tflite.ReducerOptions:
		t.bool(0, o.KeepDims)
		return optReducer, t, nil
	case *tflite.SqueezeOptions:
		t.i32s(0, o.SqueezeDims)
		return optSqueeze, t, nil
	case *tflite.MulOptions:
		t.u8(0, uint8(o.Activation), 0)
		return optMul, t, nil
	case *tflite.SubOptions:
		t.u8(0, uint8(o.Activation), 0)
		return optSub, t, nil
	case *tflite.L2NormOptions:
		t.u8(0, uint8(o.Activation), 0)
		return optL2Norm, t, nil
	case *tflite.PadOptions:
		return optPad, t, nil
	case *tflite.LeakyReluOptions:
		t.f32(0, o.Alpha, 0)
		return optLeakyRelu, t, nil
	case *tflite.ResizeBilinearOptions:
		t.bool(2, o.AlignCorners)
		t.bool(3, o.HalfPixelCenters)
		return optResizeBilinear, t, nil
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

// Float16Bytes encodes float32 values as IEEE half precision, rounding to
// nearest even (finite, normal-range values; for weights in tests).
func Float16Bytes(v ...float32) []byte {
	out := make([]byte, 0, 2*len(v))
	for _, x := range v {
		out = binary.LittleEndian.AppendUint16(out, float16(x))
	}
	return out
}

func float16(x float32) uint16 {
	b := math.Float32bits(x)
	sign := uint16(b>>16) & 0x8000
	exp := int(b>>23&0xff) - 127 + 15
	frac := b & 0x7fffff
	if x == 0 || exp <= 0 {
		return sign
	}
	if exp >= 0x1f {
		return sign | 0x7c00
	}
	h := uint32(exp)<<10 | frac>>13
	// Round to nearest, ties to even, on the 13 dropped bits.
	if rest := frac & 0x1fff; rest > 0x1000 || (rest == 0x1000 && h&1 == 1) {
		h++
	}
	return sign | uint16(h)
}

// Int8Bytes encodes int8 values as bytes.
func Int8Bytes(v ...int8) []byte {
	out := make([]byte, len(v))
	for i, x := range v {
		out[i] = byte(x)
	}
	return out
}
