package imageprep

import (
	"cmp"
	"errors"
	"fmt"
)

// Sentinel errors. Every error that [Decode] returns matches exactly one of
// them with errors.Is; the typed errors below carry the details.
var (
	// ErrEmpty means the input has no bytes at all.
	ErrEmpty = errors.New("imageprep: empty input")
	// ErrUnknownFormat means the bytes start with no known image signature.
	ErrUnknownFormat = errors.New("imageprep: unknown image format")
	// ErrUnsupported means a recognised format, or a feature of one, that the
	// decoders do not handle (TIFF, HEIF, animated WebP, 12-bit JPEG…).
	ErrUnsupported = errors.New("imageprep: unsupported image")
	// ErrTruncated means the data ends before the image does.
	ErrTruncated = errors.New("imageprep: truncated image data")
	// ErrCorrupt means the data are malformed in some other way.
	ErrCorrupt = errors.New("imageprep: corrupt image data")
	// ErrNoPixels means the header declares a zero or negative width or height.
	ErrNoPixels = errors.New("imageprep: image has no pixels")
	// ErrTooLarge means the header declares more pixels than allowed.
	ErrTooLarge = errors.New("imageprep: image too large")
)

// FormatError reports malformed image data. Kind is ErrEmpty, ErrTruncated,
// ErrCorrupt or ErrNoPixels; Err, when set, is the decoder's own error, so
// errors.Is(err, io.ErrUnexpectedEOF) also works.
type FormatError struct {
	Format Format // as sniffed; "" when not known
	Kind   error
	Err    error
}

func (e *FormatError) Error() string { return message(e.kind(), e.Format, e.Err) }

// Unwrap returns the kind and the decoder's error, for errors.Is and errors.As.
func (e *FormatError) Unwrap() []error { return causes(e.kind(), e.Err) }

func (e *FormatError) kind() error { return cmp.Or(e.Kind, ErrCorrupt) }

// UnsupportedError reports input that may be valid but is not handled. Kind
// is ErrUnknownFormat or ErrUnsupported; Format names a recognised but
// unsupported format ("tiff", "heif"…) or the sniffed one.
type UnsupportedError struct {
	Format Format
	Kind   error
	Err    error
}

func (e *UnsupportedError) Error() string { return message(e.kind(), e.Format, e.Err) }

// Unwrap returns the kind and the decoder's error, for errors.Is and errors.As.
func (e *UnsupportedError) Unwrap() []error { return causes(e.kind(), e.Err) }

func (e *UnsupportedError) kind() error { return cmp.Or(e.Kind, ErrUnsupported) }

// TooLargeError reports an image whose header declares more than MaxPixels
// pixels. It is returned before any pixel is decoded.
type TooLargeError struct {
	Format        Format
	Width, Height int
	MaxPixels     int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s (%s): %dx%d pixels, more than the limit of %d",
		ErrTooLarge.Error(), e.Format, e.Width, e.Height, e.MaxPixels)
}

// Unwrap returns ErrTooLarge.
func (e *TooLargeError) Unwrap() error { return ErrTooLarge }

// message builds "imageprep: <kind> (<format>): <cause>".
func message(kind error, f Format, err error) string {
	s := kind.Error()
	if f != "" {
		s += " (" + string(f) + ")"
	}
	if err != nil {
		s += ": " + err.Error()
	}
	return s
}

func causes(kind, err error) []error {
	if err == nil {
		return []error{kind}
	}
	return []error{kind, err}
}
