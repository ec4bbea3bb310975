package tflite

import "fmt"

// BuiltinOperator is a builtin operator code (schema enum BuiltinOperator).
type BuiltinOperator int32

// The operators the engine knows, plus a few common ones for readable errors.
const (
	OpAdd            BuiltinOperator = 0
	OpAveragePool2D  BuiltinOperator = 1
	OpConcatenation  BuiltinOperator = 2
	OpConv2D         BuiltinOperator = 3
	OpDepthwiseConv  BuiltinOperator = 4
	OpDequantize     BuiltinOperator = 6
	OpFullyConnected BuiltinOperator = 9
	OpL2Norm         BuiltinOperator = 11
	OpLogistic       BuiltinOperator = 14
	OpMaxPool2D      BuiltinOperator = 17
	OpMul            BuiltinOperator = 18
	OpRelu           BuiltinOperator = 19
	OpReluN1To1      BuiltinOperator = 20
	OpRelu6          BuiltinOperator = 21
	OpReshape        BuiltinOperator = 22
	OpResizeBilinear BuiltinOperator = 23
	OpSoftmax        BuiltinOperator = 25
	OpTanh           BuiltinOperator = 28
	OpCustom         BuiltinOperator = 32
	OpPad            BuiltinOperator = 34
	OpMean           BuiltinOperator = 40
	OpSub            BuiltinOperator = 41
	OpSqueeze        BuiltinOperator = 43
	OpLeakyRelu      BuiltinOperator = 98
	OpQuantize       BuiltinOperator = 114
	OpHardSwish      BuiltinOperator = 117
)

var opNames = map[BuiltinOperator]string{
	OpAdd: "ADD", OpAveragePool2D: "AVERAGE_POOL_2D", OpConcatenation: "CONCATENATION",
	OpConv2D: "CONV_2D", OpDepthwiseConv: "DEPTHWISE_CONV_2D", OpDequantize: "DEQUANTIZE",
	OpFullyConnected: "FULLY_CONNECTED", OpLogistic: "LOGISTIC", OpMaxPool2D: "MAX_POOL_2D",
	OpMul: "MUL", OpRelu: "RELU", OpReluN1To1: "RELU_N1_TO_1", OpRelu6: "RELU6",
	OpReshape: "RESHAPE", OpResizeBilinear: "RESIZE_BILINEAR", OpSoftmax: "SOFTMAX",
	OpTanh: "TANH", OpCustom: "CUSTOM", OpPad: "PAD", OpMean: "MEAN", OpSub: "SUB",
	OpSqueeze: "SQUEEZE", OpQuantize: "QUANTIZE", OpHardSwish: "HARD_SWISH",
	OpL2Norm: "L2_NORMALIZATION", OpLeakyRelu: "LEAKY_RELU",
}

func (o BuiltinOperator) String() string {
	if s, ok := opNames[o]; ok {
		return s
	}
	return fmt.Sprintf("BUILTIN_%d", int32(o))
}

// Padding is schema enum Padding.
type Padding uint8

const (
	PaddingSame  Padding = 0
	PaddingValid Padding = 1
)

// Activation is schema enum ActivationFunctionType.
type Activation uint8

const (
	ActNone      Activation = 0
	ActRelu      Activation = 1
	ActReluN1To1 Activation = 2
	ActRelu6     Activation = 3
	ActTanh      Activation = 4
	ActSignBit   Activation = 5
)

func (a Activation) String() string {
	switch a {
	case ActNone:
		return "NONE"
	case ActRelu:
		return "RELU"
	case ActReluN1To1:
		return "RELU_N1_TO_1"
	case ActRelu6:
		return "RELU6"
	case ActTanh:
		return "TANH"
	case ActSignBit:
		return "SIGN_BIT"
	}
	return fmt.Sprintf("Activation(%d)", uint8(a))
}

// Conv2DOptions is schema table Conv2DOptions.
type Conv2DOptions struct {
	Padding              Padding
	StrideW, StrideH     int32
	Activation           Activation
	DilationW, DilationH int32
}

// DepthwiseConv2DOptions is schema table DepthwiseConv2DOptions.
type DepthwiseConv2DOptions struct {
	Padding              Padding
	StrideW, StrideH     int32
	DepthMultiplier      int32
	Activation           Activation
	DilationW, DilationH int32
}

// Pool2DOptions is schema table Pool2DOptions.
type Pool2DOptions struct {
	Padding                   Padding
	StrideW, StrideH          int32
	FilterWidth, FilterHeight int32
	Activation                Activation
}

// FullyConnectedOptions is schema table FullyConnectedOptions.
type FullyConnectedOptions struct {
	Activation    Activation
	WeightsFormat uint8
	KeepNumDims   bool
	// AsymmetricQuantizeInputs selects, for a hybrid (int8-weight, float
	// input) operator, asymmetric run-time quantization of the input.
	AsymmetricQuantizeInputs bool
}

// SoftmaxOptions is schema table SoftmaxOptions.
type SoftmaxOptions struct{ Beta float32 }

// ConcatenationOptions is schema table ConcatenationOptions.
type ConcatenationOptions struct {
	Axis       int32
	Activation Activation
}

// AddOptions is schema table AddOptions.
type AddOptions struct{ Activation Activation }

// ReshapeOptions is schema table ReshapeOptions.
type ReshapeOptions struct{ NewShape []int32 }

// ReducerOptions is schema table ReducerOptions (MEAN, SUM, ...).
type ReducerOptions struct{ KeepDims bool }

// SqueezeOptions is schema table SqueezeOptions.
type SqueezeOptions struct{ SqueezeDims []int32 }

// MulOptions is schema table MulOptions.
type MulOptions struct{ Activation Activation }

// SubOptions is schema table SubOptions.
type SubOptions struct{ Activation Activation }

// L2NormOptions is schema table L2NormOptions.
type L2NormOptions struct{ Activation Activation }

// PadOptions is schema table PadOptions (no fields).
type PadOptions struct{}

// LeakyReluOptions is schema table LeakyReluOptions.
type LeakyReluOptions struct{ Alpha float32 }

// ResizeBilinearOptions is schema table ResizeBilinearOptions (its first
// two fields are deprecated).
type ResizeBilinearOptions struct{ AlignCorners, HalfPixelCenters bool }

// optionsType is the BuiltinOptions union's type tag; its values are the
// 1-based positions in the union declaration.
type optionsType uint8

const (
	optConv2D         optionsType = 1
	optDepthwiseConv  optionsType = 2
	optPool2D         optionsType = 5
	optFullyConnected optionsType = 8
	optSoftmax        optionsType = 9
	optConcatenation  optionsType = 10
	optAdd            optionsType = 11
	optL2Norm         optionsType = 12
	optResizeBilinear optionsType = 15
	optReshape        optionsType = 17
	optMul            optionsType = 21
	optPad            optionsType = 22
	optReducer        optionsType = 27
	optSub            optionsType = 28
	optSqueeze        optionsType = 30
	optLeakyRelu      optionsType = 75
)

// optionsCost bounds the size of any decoded options struct, for the budget.
const optionsCost = 64

// parseOptions decodes the options tables the engine uses. Other kinds are
// returned as nil: an operator that needs them is unsupported anyway.
func parseOptions(kind optionsType, t table) (any, error) {
	var e errs
	switch kind {
	case optConv2D:
		o := &Conv2DOptions{
			Padding: Padding(e.u8(t.uint8(0, 0))), StrideW: e.i32(t.int32(1, 0)), StrideH: e.i32(t.int32(2, 0)),
			Activation: Activation(e.u8(t.uint8(3, 0))), DilationW: e.i32(t.int32(4, 1)), DilationH: e.i32(t.int32(5, 1)),
		}
		return o, e.err
	case optDepthwiseConv:
		o := &DepthwiseConv2DOptions{
			Padding: Padding(e.u8(t.uint8(0, 0))), StrideW: e.i32(t.int32(1, 0)), StrideH: e.i32(t.int32(2, 0)),
			DepthMultiplier: e.i32(t.int32(3, 0)), Activation: Activation(e.u8(t.uint8(4, 0))),
			DilationW: e.i32(t.int32(5, 1)), DilationH: e.i32(t.int32(6, 1)),
		}
		return o, e.err
	case optPool2D:
		o := &Pool2DOptions{
			Padding: Padding(e.u8(t.uint8(0, 0))), StrideW: e.i32(t.int32(1, 0)), StrideH: e.i32(t.int32(2, 0)),
			FilterWidth: e.i32(t.int32(3, 0)), FilterHeight: e.i32(t.int32(4, 0)), Activation: Activation(e.u8(t.uint8(5, 0))),
		}
		return o, e.err
	case optFullyConnected:
		o := &FullyConnectedOptions{Activation: Activation(e.u8(t.uint8(0, 0))), WeightsFormat: e.u8(t.uint8(1, 0)), KeepNumDims: e.u8(t.uint8(2, 0)) != 0,
			AsymmetricQuantizeInputs: e.u8(t.uint8(3, 0)) != 0}
		return o, e.err
	case optSoftmax:
		o := &SoftmaxOptions{Beta: e.f32(t.float32(0, 0))}
		return o, e.err
	case optConcatenation:
		o := &ConcatenationOptions{Axis: e.i32(t.int32(0, 0)), Activation: Activation(e.u8(t.uint8(1, 0)))}
		return o, e.err
	case optAdd:
		o := &AddOptions{Activation: Activation(e.u8(t.uint8(0, 0)))}
		return o, e.err
	case optReshape:
		s, err := t.int32s(0, "ReshapeOptions.new_shape")
		return &ReshapeOptions{NewShape: s}, err
	case optReducer:
		o := &ReducerOptions{KeepDims: e.u8(t.uint8(0, 0)) != 0}
		return o, e.err
	case optSqueeze:
		s, err := t.int32s(0, "SqueezeOptions.squeeze_dims")
		return &SqueezeOptions{SqueezeDims: s}, err
	case optMul:
		o := &MulOptions{Activation: Activation(e.u8(t.uint8(0, 0)))}
		return o, e.err
	case optSub:
		o := &SubOptions{Activation: Activation(e.u8(t.uint8(0, 0)))}
		return o, e.err
	case optL2Norm:
		o := &L2NormOptions{Activation: Activation(e.u8(t.uint8(0, 0)))}
		return o, e.err
	case optPad:
		return &PadOptions{}, nil
	case optLeakyRelu:
		o := &LeakyReluOptions{Alpha: e.f32(t.float32(0, 0))}
		return o, e.err
	case optResizeBilinear:
		o := &ResizeBilinearOptions{AlignCorners: e.u8(t.uint8(2, 0)) != 0, HalfPixelCenters: e.u8(t.uint8(3, 0)) != 0}
		return o, e.err
	}
	return nil, nil
}

// errs keeps the first error of a run of field reads, so option tables read
// as one expression each.
type errs struct{ err error }

func (e *errs) keep(err error) {
	if e.err == nil {
		e.err = err
	}
}
func (e *errs) u8(v uint8, err error) uint8      { e.keep(err); return v }
func (e *errs) i32(v int32, err error) int32     { e.keep(err); return v }
func (e *errs) f32(v float32, err error) float32 { e.keep(err); return v }
