package tflite

import "fmt"

// FormatError reports a malformed model file.
type FormatError struct {
	Offset int    // byte offset in the file where the problem was found, or -1
	What   string // which part of the schema was being read
	Msg    string
}

func (e *FormatError) Error() string {
	if e.Offset >= 0 {
		return fmt.Sprintf("tflite: malformed model: %s at offset %d: %s", e.What, e.Offset, e.Msg)
	}
	return fmt.Sprintf("tflite: malformed model: %s: %s", e.What, e.Msg)
}

func formatErr(off uint32, what, format string, args ...any) error {
	return &FormatError{Offset: int(off), What: what, Msg: fmt.Sprintf(format, args...)}
}
