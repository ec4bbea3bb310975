package registry

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// EnvModelDir names the environment variable holding a folder of models and
// label files, searched before the cache.
const EnvModelDir = "CLASSIFLY_MODEL_DIR"

var (
	// ErrUnknownModel is returned for a name that is neither a known model
	// nor a file.
	ErrUnknownModel = errors.New("unknown model")

	// ErrNotFound is matched (with errors.Is) by every [*NotFoundError].
	ErrNotFound = errors.New("model not found")

	// ErrTooLarge is returned when a download exceeds Resolver.MaxDownload.
	ErrTooLarge = errors.New("download exceeds the size limit")
)

// NotFoundError reports a known model, or its label file, that is neither on
// disk nor downloadable. Its message says where it looked, why the download
// did not happen, and how to fix it: the variable to set and the URLs to fetch.
type NotFoundError struct {
	Model    Model  // the model, with URL and LabelsURL as tried
	File     string // the missing file: Model.File or Model.Labels
	ModelDir string // $CLASSIFLY_MODEL_DIR as used ("" when unset)
	CacheDir string // the cache folder ("" when there is none)
	Offline  bool   // downloading was not allowed
	Err      error  // why the download failed; nil when it was not tried
}

func (e *NotFoundError) Error() string {
	var b strings.Builder
	if e.File == e.Model.File {
		fmt.Fprintf(&b, "model %s", e.Model.Name)
	} else {
		fmt.Fprintf(&b, "labels %s of model %s", e.File, e.Model.Name)
	}
	b.WriteString(" not found in $" + EnvModelDir)
	if e.ModelDir == "" {
		b.WriteString(" (unset)")
	} else {
		fmt.Fprintf(&b, " (%s)", e.ModelDir)
	}
	if e.CacheDir == "" {
		b.WriteString(" and there is no cache folder")
	} else {
		fmt.Fprintf(&b, " or %s", e.CacheDir)
	}
	switch {
	case e.Offline:
		b.WriteString("; offline, so not downloading")
	case e.Err != nil:
		fmt.Fprintf(&b, "; download from %s failed: %s", e.fileURL(), shortCause(e.Err))
	}
	fmt.Fprintf(&b, ": set %s to a folder holding %s and %s, or fetch them from %s and %s",
		EnvModelDir, e.Model.File, e.Model.Labels, e.Model.URL, e.Model.LabelsURL)
	return b.String()
}

// Is makes errors.Is(err, ErrNotFound) true.
func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }

// Unwrap returns the download failure, if any.
func (e *NotFoundError) Unwrap() error { return e.Err }

func (e *NotFoundError) fileURL() string {
	if e.File == e.Model.Labels {
		return e.Model.LabelsURL
	}
	return e.Model.URL
}

// shortCause drops the `Get "URL": ` prefix of a *url.Error, since the
// message already names the URL.
func shortCause(err error) string {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err.Error()
	}
	return err.Error()
}

// ChecksumError reports a file whose sha256 is not the expected one.
type ChecksumError struct {
	File string // path or URL of the data
	Want string // expected hex sha256
	Got  string // actual hex sha256
}

func (e *ChecksumError) Error() string {
	return fmt.Sprintf("checksum mismatch for %s: sha256 is %s, want %s", e.File, e.Got, e.Want)
}

// unknownModel builds the error for a name that is neither known nor a file.
func unknownModel(name string) error {
	return fmt.Errorf("%w %q (not a file either); known models: %s",
		ErrUnknownModel, name, strings.Join(Names(), ", "))
}
