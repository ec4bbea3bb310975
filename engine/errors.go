package engine

import (
	"errors"
	"fmt"

	"github.com/classifly/classifly/tflite"
)

// UnsupportedError reports a valid model that uses something the engine does
// not implement: an operator, a type combination or an option.
type UnsupportedError struct {
	Op    string // operator name, e.g. "CONV_2D"
	Index int    // operator index in the subgraph, or -1 for the model as a whole
	What  string
}

func (e *UnsupportedError) Error() string {
	if e.Index < 0 {
		return "engine: unsupported model: " + e.What
	}
	return fmt.Sprintf("engine: unsupported operator %s at index %d: %s", e.Op, e.Index, e.What)
}

// ErrInputSize reports an input buffer whose length does not match the model.
var ErrInputSize = errors.New("engine: input size does not match the model's input tensor")

// ErrOutputSize reports an output buffer whose length does not match the model.
var ErrOutputSize = errors.New("engine: output size does not match the model's output tensor")

// ErrClosed reports a run on a model after its Close began.
var ErrClosed = errors.New("engine: model is closed")

// ResourceError reports a model whose plan would exceed a configured limit
// (activation memory or arithmetic per run): it is refused at load time
// rather than allowed to exhaust memory or time.
type ResourceError struct {
	What        string
	Need, Limit int64
}

func (e *ResourceError) Error() string {
	return fmt.Sprintf("engine: model needs %d %s per run, more than the limit of %d", e.Need, e.What, e.Limit)
}

// malformed builds the error for an operator whose tensors are inconsistent.
func malformed(opName string, index int, format string, args ...any) error {
	return &tflite.FormatError{Offset: -1, What: fmt.Sprintf("operator %d (%s)", index, opName), Msg: fmt.Sprintf(format, args...)}
}
