package tflite

import (
	"encoding/binary"
	"fmt"
	"unsafe"
)

// TensorType is a tensor's element type (schema enum TensorType).
type TensorType int8

// The tensor types of schema.fbs up to int8. Later ones (float64, uint32,
// int4, …) print as TensorType(n) and have Size 0, which the engine refuses.
const (
	Float32   TensorType = 0
	Float16   TensorType = 1
	Int32     TensorType = 2
	UInt8     TensorType = 3
	Int64     TensorType = 4
	String    TensorType = 5
	Bool      TensorType = 6
	Int16     TensorType = 7
	Complex64 TensorType = 8
	Int8      TensorType = 9
)

var typeNames = [...]string{"float32", "float16", "int32", "uint8", "int64", "string", "bool", "int16", "complex64", "int8"}

func (t TensorType) String() string {
	if t >= 0 && int(t) < len(typeNames) {
		return typeNames[t]
	}
	return fmt.Sprintf("TensorType(%d)", int8(t))
}

// Size is the size in bytes of one element, or 0 for variable-size or unknown types.
func (t TensorType) Size() int {
	switch t {
	case UInt8, Int8, Bool:
		return 1
	case Int16, Float16:
		return 2
	case Float32, Int32:
		return 4
	case Int64, Complex64:
		return 8
	}
	return 0
}

// Quantization holds a tensor's affine quantization: real = Scale*(q - ZeroPoint),
// per tensor (one entry) or per channel along Dimension.
type Quantization struct {
	Scale     []float32
	ZeroPoint []int64
	Dimension int
}

// Tensor is one tensor of a subgraph.
type Tensor struct {
	Name         string
	Type         TensorType
	Shape        []int32
	Buffer       uint32 // index into Model.Buffers; 0 is the empty buffer
	Quantization *Quantization
	IsVariable   bool
}

// OperatorCode names the operator kind that Operator.OpcodeIndex refers to.
type OperatorCode struct {
	Builtin BuiltinOperator
	Custom  string
	Version int32
}

// Operator is one node of a subgraph. Options holds the parsed builtin options,
// one of the *Options types of this package, or nil when the file gives none.
type Operator struct {
	OpcodeIndex uint32
	Inputs      []int32 // tensor indices; -1 means an omitted optional input
	Outputs     []int32
	Options     any
}

// Subgraph is a graph of tensors and operators, in execution order.
type Subgraph struct {
	Name      string
	Tensors   []Tensor
	Inputs    []int32
	Outputs   []int32
	Operators []Operator
}

// Model is a parsed .tflite file. Buffer data alias the file's bytes.
type Model struct {
	Version       uint32
	Description   string
	OperatorCodes []OperatorCode
	Subgraphs     []Subgraph
	Buffers       [][]byte
	// Metadata names buffers that carry data for tools rather than the
	// runtime, such as TFLITE_METADATA (see ReadMetadata).
	Metadata []MetadataEntry
}

// MetadataEntry is schema table Metadata: a named buffer.
type MetadataEntry struct {
	Name   string
	Buffer uint32
}

// Schema field numbers (position in the table declaration of schema.fbs).
const (
	modelVersion, modelOpCodes, modelSubgraphs, modelDescription, modelBuffers, modelMetadata = 0, 1, 2, 3, 4, 6

	metadataName, metadataBuffer = 0, 1

	opcodeDeprecatedBuiltin, opcodeCustom, opcodeVersion, opcodeBuiltin = 0, 1, 2, 3

	subgraphTensors, subgraphInputs, subgraphOutputs, subgraphOperators, subgraphName = 0, 1, 2, 3, 4

	tensorShape, tensorType, tensorBuffer, tensorName, tensorQuant, tensorIsVariable = 0, 1, 2, 3, 4, 5

	quantScale, quantZeroPoint, quantDetailsType, quantDimension = 2, 3, 4, 6

	operatorOpcode, operatorInputs, operatorOutputs, operatorOptionsType, operatorOptions = 0, 1, 2, 3, 4

	bufferData, bufferOffset, bufferSize = 0, 1, 2
)

// Parse reads a model from the bytes of a .tflite file. The returned Model
// refers to data; do not modify data afterwards.
func Parse(data []byte) (*Model, error) {
	return parse(data, decodeRatio*int64(len(data))+decodeBase)
}

// parse is Parse with a given allocation budget.
func parse(data []byte, budget int64) (*Model, error) {
	if len(data) < 8 {
		return nil, &FormatError{Offset: -1, What: "file", Msg: fmt.Sprintf("%d bytes is too short for a model", len(data))}
	}
	if string(data[4:8]) != "TFL3" {
		return nil, &FormatError{Offset: 4, What: "file", Msg: fmt.Sprintf("identifier %q is not TFL3: not a TFLite model", data[4:8])}
	}
	r := newReader(data, budget)
	t, err := r.root("file", "file", "Model")
	if err != nil {
		return nil, err
	}
	m := &Model{}
	if m.Version, err = t.uint32(modelVersion, 0); err != nil {
		return nil, err
	}
	if m.Description, err = t.string(modelDescription, "Model.description"); err != nil {
		return nil, err
	}
	if m.OperatorCodes, err = decodeTables(t, modelOpCodes, "Model.operator_codes", parseOpcode); err != nil {
		return nil, err
	}
	if err := parseBuffers(t, m, data); err != nil {
		return nil, err
	}
	entry := func(st table) (MetadataEntry, error) { return parseMetadataEntry(st, len(m.Buffers)) }
	if m.Metadata, err = decodeTables(t, modelMetadata, "Model.metadata", entry); err != nil {
		return nil, err
	}
	if m.Subgraphs, err = decodeTables(t, modelSubgraphs, "Model.subgraphs", parseSubgraph); err != nil {
		return nil, err
	}
	if len(m.Subgraphs) == 0 {
		return nil, &FormatError{Offset: -1, What: "Model.subgraphs", Msg: "model has no subgraph"}
	}
	if err := m.validate(); err != nil {
		return nil, err
	}
	return m, nil
}

func parseOpcode(t table) (OperatorCode, error) {
	var oc OperatorCode
	dep, err := t.int8(opcodeDeprecatedBuiltin, 0)
	if err != nil {
		return oc, err
	}
	code, err := t.int32(opcodeBuiltin, 0)
	if err != nil {
		return oc, err
	}
	// Schema v3a moved the code to an int32 field; files from older
	// converters only set the byte field. The larger of the two is right
	// (TFLite's GetBuiltinCode).
	oc.Builtin = BuiltinOperator(max(code, int32(dep)))
	if oc.Custom, err = t.string(opcodeCustom, "OperatorCode.custom_code"); err != nil {
		return oc, err
	}
	oc.Version, err = t.int32(opcodeVersion, 1)
	return oc, err
}

func parseBuffers(t table, m *Model, file []byte) error {
	bufs, err := t.tables(modelBuffers, "Model.buffers", unsafe.Sizeof([]byte(nil)))
	if err != nil {
		return err
	}
	m.Buffers = make([][]byte, bufs.n)
	for k := range m.Buffers {
		st, err := bufs.at(k)
		if err != nil {
			return err
		}
		data, err := st.bytes(bufferData, "Buffer.data")
		if err != nil {
			return err
		}
		// Models over 2 GB keep buffer data after the flatbuffer and give
		// its offset (from the file start) and size instead.
		off, err := st.int64(bufferOffset, 0)
		if err != nil {
			return err
		}
		size, err := st.int64(bufferSize, 0)
		if err != nil {
			return err
		}
		if off > 1 && len(data) == 0 {
			if size < 0 || off > int64(len(file)) || size > int64(len(file))-off {
				return formatErr(st.pos, "Buffer", "buffer %d: offset %d size %d outside the file", k, off, size)
			}
			data = file[off : off+size : off+size]
		}
		m.Buffers[k] = data
	}
	return nil
}

// parseMetadataEntry reads one Model.metadata entry of a model with
// buffers buffers.
func parseMetadataEntry(t table, buffers int) (MetadataEntry, error) {
	var e MetadataEntry
	var err error
	if e.Name, err = t.string(metadataName, "Metadata.name"); err != nil {
		return e, err
	}
	if e.Buffer, err = t.uint32(metadataBuffer, 0); err != nil {
		return e, err
	}
	if int(e.Buffer) >= buffers {
		return e, formatErr(t.pos, "Metadata.buffer", "metadata %q: buffer %d of %d", e.Name, e.Buffer, buffers)
	}
	return e, nil
}

func parseSubgraph(st table) (Subgraph, error) {
	var sg Subgraph
	var err error
	if sg.Name, err = st.string(subgraphName, "SubGraph.name"); err != nil {
		return sg, err
	}
	if sg.Inputs, err = st.int32s(subgraphInputs, "SubGraph.inputs"); err != nil {
		return sg, err
	}
	if sg.Outputs, err = st.int32s(subgraphOutputs, "SubGraph.outputs"); err != nil {
		return sg, err
	}
	if sg.Tensors, err = decodeTables(st, subgraphTensors, "SubGraph.tensors", parseTensor); err != nil {
		return sg, err
	}
	sg.Operators, err = decodeTables(st, subgraphOperators, "SubGraph.operators", parseOperator)
	return sg, err
}

func parseTensor(t table) (Tensor, error) {
	var tn Tensor
	var err error
	if tn.Shape, err = t.int32s(tensorShape, "Tensor.shape"); err != nil {
		return tn, err
	}
	ty, err := t.int8(tensorType, 0)
	if err != nil {
		return tn, err
	}
	tn.Type = TensorType(ty)
	if tn.Buffer, err = t.uint32(tensorBuffer, 0); err != nil {
		return tn, err
	}
	if tn.Name, err = t.string(tensorName, "Tensor.name"); err != nil {
		return tn, err
	}
	if tn.IsVariable, err = t.bool(tensorIsVariable); err != nil {
		return tn, err
	}
	qt, ok, err := t.subtable(tensorQuant, "QuantizationParameters")
	if err != nil || !ok {
		return tn, err
	}
	if err := t.r.charge(1, unsafe.Sizeof(Quantization{}), qt.pos, qt.what); err != nil {
		return tn, err
	}
	q := &Quantization{}
	if q.Scale, err = qt.float32s(quantScale, "QuantizationParameters.scale"); err != nil {
		return tn, err
	}
	if q.ZeroPoint, err = qt.int64s(quantZeroPoint, "QuantizationParameters.zero_point"); err != nil {
		return tn, err
	}
	dim, err := qt.int32(quantDimension, 0)
	if err != nil {
		return tn, err
	}
	q.Dimension = int(dim)
	if details, err := qt.uint8(quantDetailsType, 0); err != nil {
		return tn, err
	} else if details != 0 {
		return tn, formatErr(qt.pos, "QuantizationParameters", "custom quantization details are not supported")
	}
	if len(q.Scale) > 0 || len(q.ZeroPoint) > 0 {
		tn.Quantization = q
	}
	return tn, nil
}

func parseOperator(t table) (Operator, error) {
	var op Operator
	var err error
	if op.OpcodeIndex, err = t.uint32(operatorOpcode, 0); err != nil {
		return op, err
	}
	if op.Inputs, err = t.int32s(operatorInputs, "Operator.inputs"); err != nil {
		return op, err
	}
	if op.Outputs, err = t.int32s(operatorOutputs, "Operator.outputs"); err != nil {
		return op, err
	}
	kind, err := t.uint8(operatorOptionsType, 0)
	if err != nil || kind == 0 {
		return op, err
	}
	ot, ok, err := t.subtable(operatorOptions, "Operator.builtin_options")
	if err != nil || !ok {
		return op, err
	}
	if err := t.r.charge(1, optionsCost, ot.pos, ot.what); err != nil {
		return op, err
	}
	op.Options, err = parseOptions(optionsType(kind), ot)
	return op, err
}

// validate checks every cross-reference, so that users can index freely.
func (m *Model) validate() error {
	for si, sg := range m.Subgraphs {
		nt := int32(len(sg.Tensors))
		for ti, tn := range sg.Tensors {
			if int(tn.Buffer) >= len(m.Buffers) && tn.Buffer != 0 {
				return &FormatError{Offset: -1, What: "Tensor.buffer", Msg: fmt.Sprintf("subgraph %d tensor %d (%s): buffer %d of %d", si, ti, tn.Name, tn.Buffer, len(m.Buffers))}
			}
			for _, d := range tn.Shape {
				if d < 0 {
					return &FormatError{Offset: -1, What: "Tensor.shape", Msg: fmt.Sprintf("subgraph %d tensor %d (%s): negative dimension in %v", si, ti, tn.Name, tn.Shape)}
				}
			}
			if err := tn.Quantization.validate(tn.Shape); err != nil {
				return &FormatError{Offset: -1, What: "QuantizationParameters", Msg: fmt.Sprintf("subgraph %d tensor %d (%s): %v", si, ti, tn.Name, err)}
			}
		}
		check := func(list []int32, what string, allowOmitted bool) error {
			for _, i := range list {
				if i >= nt || i < -1 || (i == -1 && !allowOmitted) {
					return &FormatError{Offset: -1, What: what, Msg: fmt.Sprintf("subgraph %d: tensor index %d of %d", si, i, nt)}
				}
			}
			return nil
		}
		if err := check(sg.Inputs, "SubGraph.inputs", false); err != nil {
			return err
		}
		if err := check(sg.Outputs, "SubGraph.outputs", false); err != nil {
			return err
		}
		for oi, op := range sg.Operators {
			if int(op.OpcodeIndex) >= len(m.OperatorCodes) {
				return &FormatError{Offset: -1, What: "Operator.opcode_index", Msg: fmt.Sprintf("subgraph %d operator %d: opcode %d of %d", si, oi, op.OpcodeIndex, len(m.OperatorCodes))}
			}
			if err := check(op.Inputs, "Operator.inputs", true); err != nil {
				return err
			}
			if err := check(op.Outputs, "Operator.outputs", false); err != nil {
				return err
			}
		}
	}
	return nil
}

// validate applies TFLite's checks (InterpreterBuilder::ParseQuantization):
// per-channel parameters run along an existing dimension, one per index.
func (q *Quantization) validate(shape []int32) error {
	if q == nil {
		return nil
	}
	if len(q.Scale) != len(q.ZeroPoint) && len(q.ZeroPoint) > 1 {
		return fmt.Errorf("%d scales but %d zero points", len(q.Scale), len(q.ZeroPoint))
	}
	if q.Dimension < 0 || (len(shape) > 0 && q.Dimension >= len(shape)) {
		return fmt.Errorf("quantized dimension %d of shape %v", q.Dimension, shape)
	}
	if n := len(q.Scale); n > 1 && (len(shape) == 0 || int64(shape[q.Dimension]) != int64(n)) {
		return fmt.Errorf("%d scales along dimension %d of shape %v", n, q.Dimension, shape)
	}
	return nil
}

// TensorData returns the constant data of tensor t, a sub-slice of the file,
// or nil if t has none (an activation).
func (m *Model) TensorData(t *Tensor) []byte {
	if int(t.Buffer) < len(m.Buffers) {
		return m.Buffers[t.Buffer]
	}
	return nil
}

// Int32s decodes little-endian int32 data, such as a bias buffer.
func Int32s(b []byte) []int32 {
	out := make([]int32, len(b)/4)
	for i := range out {
		out[i] = int32(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}
