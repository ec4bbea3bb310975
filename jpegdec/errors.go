package jpegdec

import "fmt"

// FormatError reports malformed JPEG data: a bad marker segment, an entropy
// stream that does not decode, or data that end before the picture does.
type FormatError struct {
	Msg       string
	Truncated bool // the data end (or hit a marker) before the picture is complete
}

func (e *FormatError) Error() string { return "jpegdec: invalid JPEG: " + e.Msg }

// UnsupportedError reports a valid JPEG feature this decoder does not handle:
// 12-bit samples, arithmetic coding, lossless and hierarchical processes,
// unusual sampling factors or component counts.
type UnsupportedError struct {
	Msg string
}

func (e *UnsupportedError) Error() string { return "jpegdec: unsupported JPEG: " + e.Msg }

func formatErr(format string, args ...any) error {
	return &FormatError{Msg: fmt.Sprintf(format, args...)}
}

func truncatedErr(format string, args ...any) error {
	return &FormatError{Msg: fmt.Sprintf(format, args...), Truncated: true}
}

func unsupportedErr(format string, args ...any) error {
	return &UnsupportedError{Msg: fmt.Sprintf(format, args...)}
}
