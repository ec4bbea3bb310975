package tflite

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// Bounds on the zip of associated files appended to a model: a label file
// for 10,000 classes is a few hundred kilobytes.
const (
	MaxAssociatedFiles     = 256
	MaxAssociatedFileBytes = 16 << 20
)

// ErrNoAssociatedFiles reports a model with no zip appended.
var ErrNoAssociatedFiles = errors.New("tflite: the model has no associated files (no zip appended)")

// AssociatedFiles opens the zip that TFLite's metadata writer appends to a
// model file (file is the whole .tflite). Zip offsets may count from the
// file's start or the zip's; archive/zip finds the zip's base either way.
type AssociatedFiles struct {
	zr *zip.Reader
}

// OpenAssociatedFiles reads the central directory of the zip at the end of
// file: ErrNoAssociatedFiles when there is none, a *FormatError when it is
// malformed or holds more than MaxAssociatedFiles entries.
func OpenAssociatedFiles(file []byte) (*AssociatedFiles, error) {
	zr, err := zip.NewReader(bytes.NewReader(file), int64(len(file)))
	if errors.Is(err, zip.ErrFormat) && !bytes.Contains(tail(file, 64<<10), []byte("PK\x05\x06")) {
		return nil, ErrNoAssociatedFiles
	}
	if err != nil {
		return nil, &FormatError{Offset: -1, What: "associated files", Msg: fmt.Sprintf("appended zip: %v", err)}
	}
	if len(zr.File) > MaxAssociatedFiles {
		return nil, &FormatError{Offset: -1, What: "associated files", Msg: fmt.Sprintf("%d files, more than %d", len(zr.File), MaxAssociatedFiles)}
	}
	return &AssociatedFiles{zr: zr}, nil
}

func tail(b []byte, n int) []byte { return b[max(len(b)-n, 0):] }

// Names lists the files.
func (a *AssociatedFiles) Names() []string {
	names := make([]string, len(a.zr.File))
	for i, f := range a.zr.File {
		names[i] = f.Name
	}
	return names
}

// Read returns the content of the named file. Its size is checked while
// reading, not trusted from the header: more than MaxAssociatedFileBytes,
// a corrupt entry or a checksum mismatch is a *FormatError; a missing name
// wraps fs-style "file does not exist" in a *FormatError too, since the
// metadata promised it.
func (a *AssociatedFiles) Read(name string) ([]byte, error) {
	for _, f := range a.zr.File {
		if f.Name != name {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return nil, &FormatError{Offset: -1, What: "associated file " + name, Msg: err.Error()}
		}
		defer rc.Close()
		data, err := io.ReadAll(io.LimitReader(rc, MaxAssociatedFileBytes+1))
		if err != nil {
			return nil, &FormatError{Offset: -1, What: "associated file " + name, Msg: err.Error()}
		}
		if len(data) > MaxAssociatedFileBytes {
			return nil, &FormatError{Offset: -1, What: "associated file " + name, Msg: fmt.Sprintf("more than %d bytes", MaxAssociatedFileBytes)}
		}
		return data, nil
	}
	return nil, &FormatError{Offset: -1, What: "associated files", Msg: fmt.Sprintf("the metadata names %q, which the appended zip does not hold", name)}
}
