package registry

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Where a Resolved model was found.
const (
	SourceModelDir = EnvModelDir // in the folder named by $CLASSIFLY_MODEL_DIR
	SourceCache    = "cache"     // in Resolver.CacheDir, from an earlier download
	SourceDownload = "download"  // downloaded into Resolver.CacheDir just now
	SourcePath     = "path"      // the file the user named
	SourceEmbedded = "embedded"  // compiled into the program (Resolver.Embedded)
)

// MaxModelSize bounds a model file: the known ones are under 5 MB, and a
// bigger file is a mistake (a wrong path, a device) rather than a model.
const MaxModelSize = 512 << 20

// Embedded is a known model compiled into the program, with its labels
// (package models holds the default one). It is used when the model is not
// in ModelDir, and never needs a download.
type Embedded struct {
	Name   string // a known model's name
	Model  []byte // its .tflite file
	Labels []byte // its label file
}

// A Resolver finds model files. The zero value searches nowhere and cannot
// download; [NewResolverFromEnv] gives the usual setup.
type Resolver struct {
	ModelDir    string       // searched first; usually $CLASSIFLY_MODEL_DIR
	CacheDir    string       // searched next and downloaded into; "" for none
	Offline     bool         // never download
	Client      *http.Client // nil: a client with sane timeouts
	BaseURL     string       // replaces DefaultBaseURL for downloads (tests point it at httptest)
	MaxDownload int64        // cap on bytes fetched per file; 0 means DefaultMaxDownload
	// StallTimeout gives up a download that receives nothing for this
	// long; 0 means DefaultStallTimeout.
	StallTimeout time.Duration
	// OnProgress, if set, is told about each download as it happens.
	OnProgress func(Progress)
	// Embedded models are used after ModelDir and before CacheDir.
	Embedded []Embedded
}

// NewResolverFromEnv returns a Resolver searching $CLASSIFLY_MODEL_DIR, then
// os.UserCacheDir()/classifly/models, where it also downloads. Without a
// user cache folder (no $HOME) it has no CacheDir and cannot download.
func NewResolverFromEnv() *Resolver {
	r := &Resolver{ModelDir: os.Getenv(EnvModelDir)}
	if d, err := os.UserCacheDir(); err == nil {
		r.CacheDir = filepath.Join(d, "classifly", "models")
	}
	return r
}

// Resolved says which files to load for a model.
type Resolved struct {
	Name       string // the known name, or the file's base name without extension
	Path       string // absolute path of the .tflite file; "" when embedded
	LabelsPath string // absolute path of the label file; "" if none was found or embedded
	Source     string // where the model was found: SourceModelDir, SourceEmbedded, SourceCache, SourceDownload or SourcePath
	Known      *Model // the known model of that name; nil for an arbitrary file

	// The files' contents when they are embedded (Path or LabelsPath "").
	// Shared with the Resolver: callers must not modify them.
	ModelBytes, LabelsBytes []byte
}

// Resolve finds the files for nameOrPath, which is "" for [DefaultModel], a
// known model name, or a path to a model file (anything with a path separator
// or ending in .tflite, or an existing file). labelsOverride, when not "",
// is the label file to use instead of the model's own.
//
// A known name is looked for in ModelDir, then among the Embedded models,
// then in CacheDir, then downloaded into CacheDir with its labels (unless
// Offline). A model file must be a regular file of at most MaxModelSize
// bytes: a device or a named pipe is refused before it is opened. For a file, the labels are those
// of the known model of the same base name (beside the file, then as for a
// known name), else the first sibling of <base>_labels.txt, <base>.txt and
// labels.txt that exists, else none.
func (r *Resolver) Resolve(ctx context.Context, nameOrPath, labelsOverride string) (Resolved, error) {
	if nameOrPath == "" {
		nameOrPath = DefaultModel
	}
	if isPathLike(nameOrPath) {
		return r.resolvePath(ctx, nameOrPath, labelsOverride)
	}
	if m, ok := Lookup(nameOrPath); ok {
		return r.resolveKnown(ctx, m, labelsOverride)
	}
	if isFile(nameOrPath) {
		return r.resolvePath(ctx, nameOrPath, labelsOverride)
	}
	return Resolved{}, unknownModel(nameOrPath)
}

// Locate finds model m's .tflite file in ModelDir, among the Embedded models
// or in CacheDir, without downloading, for listing which models are at
// hand. source is SourceModelDir, SourceEmbedded (path "") or SourceCache.
func (r *Resolver) Locate(m Model) (path, source string, ok bool) {
	path, source, _, ok = r.lookIn("", m, m.File)
	return path, source, ok
}

// CheckModelDir reports a ModelDir that is set but is not a folder, which
// is otherwise easy to miss: the models are then silently taken from
// elsewhere, or not found with a message about files in a folder that does
// not exist.
func (r *Resolver) CheckModelDir() error {
	if r.ModelDir == "" {
		return nil
	}
	st, err := os.Stat(r.ModelDir)
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("$%s: %s: %w", EnvModelDir, r.ModelDir, pe.Err)
	}
	if err != nil {
		return fmt.Errorf("$%s: %w", EnvModelDir, err)
	}
	if !st.IsDir() {
		return fmt.Errorf("$%s: %s is not a folder", EnvModelDir, r.ModelDir)
	}
	return nil
}

func (r *Resolver) resolveKnown(ctx context.Context, m Model, labelsOverride string) (Resolved, error) {
	path, source, data, err := r.find(ctx, m, m.File, "")
	if err != nil {
		return Resolved{}, err
	}
	res := Resolved{Name: m.Name, Path: path, Source: source, Known: &m, ModelBytes: data}
	if res.LabelsPath, res.LabelsBytes, err = r.knownLabels(ctx, m, labelsOverride, ""); err != nil {
		return Resolved{}, err
	}
	return res, nil
}

func (r *Resolver) resolvePath(ctx context.Context, p, labelsOverride string) (Resolved, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return Resolved{}, fmt.Errorf("model file %s: %w", p, err)
	}
	st, err := os.Stat(abs)
	if err != nil {
		// "mobilenet_v2_1.0_224_quant.tflite" typed as a name, not a file here.
		if m, ok := Lookup(p); ok && !strings.ContainsAny(p, `/`+string(filepath.Separator)) {
			return r.resolveKnown(ctx, m, labelsOverride)
		}
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return Resolved{}, fmt.Errorf("model file %s: %w", p, pe.Err)
		}
		return Resolved{}, fmt.Errorf("model file: %w", err)
	}
	if err := checkModelFile(abs, st); err != nil {
		return Resolved{}, err
	}

	dir := filepath.Dir(abs)
	base := strings.TrimSuffix(filepath.Base(abs), filepath.Ext(abs))
	res := Resolved{Name: base, Path: abs, Source: SourcePath}
	m, known := Lookup(base)
	if known {
		res.Known = &m
	}
	switch {
	case labelsOverride != "" || known:
		res.LabelsPath, res.LabelsBytes, err = r.knownLabels(ctx, m, labelsOverride, dir)
		if err != nil {
			return Resolved{}, err
		}
	default:
		for _, name := range []string{base + "_labels.txt", base + ".txt", "labels.txt"} {
			if c := filepath.Join(dir, name); isFile(c) {
				res.LabelsPath = c
				break
			}
		}
	}
	return res, nil
}

// knownLabels returns labelsOverride if set (checking it exists), else finds
// m's label file in dir (if not ""), ModelDir, the Embedded models or
// CacheDir, or downloads it. An embedded label file comes back as data.
func (r *Resolver) knownLabels(ctx context.Context, m Model, labelsOverride, dir string) (string, []byte, error) {
	if labelsOverride != "" {
		abs, err := filepath.Abs(labelsOverride)
		if err != nil {
			return "", nil, fmt.Errorf("labels %s: %w", labelsOverride, err)
		}
		if !isFile(abs) {
			_, err := os.Stat(abs)
			if err == nil {
				err = &fs.PathError{Op: "labels", Path: abs, Err: errors.New("not a regular file")}
			}
			return "", nil, fmt.Errorf("labels: %w", err)
		}
		return abs, nil, nil
	}
	path, _, data, err := r.find(ctx, m, m.Labels, dir)
	return path, data, err
}

// find returns file (m.File or m.Labels) from dir (if not ""), ModelDir,
// the Embedded models (as data) or CacheDir, else downloads it into
// CacheDir. The error is a *NotFoundError unless ctx was cancelled.
func (r *Resolver) find(ctx context.Context, m Model, file, dir string) (path, source string, data []byte, err error) {
	if path, source, data, ok := r.lookIn(dir, m, file); ok {
		return path, source, data, nil
	}
	m = r.withBaseURL(m)
	nf := &NotFoundError{Model: m, File: file, ModelDir: r.ModelDir, CacheDir: r.CacheDir, Offline: r.Offline}
	if r.Offline || r.CacheDir == "" {
		return "", "", nil, nf
	}
	cache, err := filepath.Abs(r.CacheDir)
	if err != nil {
		nf.Err = err
		return "", "", nil, nf
	}
	f := fetch{client: r.client(), url: m.URL, dest: filepath.Join(cache, file), sha256: m.SHA256,
		limit: r.maxDownload(), stall: r.stallTimeout(), progress: r.OnProgress}
	if file == m.Labels {
		f.url, f.sha256 = m.LabelsURL, m.LabelsSHA256
	}
	if err := download(ctx, f); err != nil {
		if isContextError(ctx, err) {
			return "", "", nil, fmt.Errorf("downloading %s: %w", f.url, err)
		}
		nf.Err = err
		return "", "", nil, nf
	}
	return f.dest, SourceDownload, nil, nil
}

// lookIn finds file (m.File or m.Labels) in dir (source SourcePath), then
// ModelDir, then among the Embedded models (returning its data), then in
// CacheDir, skipping unset folders.
func (r *Resolver) lookIn(dir string, m Model, file string) (path, source string, data []byte, ok bool) {
	for _, c := range []struct{ dir, source string }{
		{dir, SourcePath},
		{r.ModelDir, SourceModelDir},
		{"", SourceEmbedded},
		{r.CacheDir, SourceCache},
	} {
		if c.source == SourceEmbedded {
			if data := r.embedded(file); data != nil {
				return "", SourceEmbedded, data, true
			}
			continue
		}
		if c.dir == "" {
			continue
		}
		p, err := filepath.Abs(filepath.Join(c.dir, file))
		if err == nil && isFile(p) {
			return p, c.source, nil, true
		}
	}
	return "", "", nil, false
}

// embedded returns the embedded contents of file, a known model's .tflite
// or label file (several models share a label file), or nil.
func (r *Resolver) embedded(file string) []byte {
	for _, e := range r.Embedded {
		m, ok := Lookup(e.Name)
		switch {
		case !ok:
		case file == m.File:
			return e.Model
		case file == m.Labels && e.Labels != nil:
			return e.Labels
		}
	}
	return nil
}

// withBaseURL points m's URLs at r.BaseURL when it is set.
func (r *Resolver) withBaseURL(m Model) Model {
	if r.BaseURL != "" {
		base := strings.TrimSuffix(r.BaseURL, "/")
		m.URL = base + "/" + m.File
		m.LabelsURL = base + "/" + m.Labels
	}
	return m
}

func (r *Resolver) client() *http.Client {
	if r.Client != nil {
		return r.Client
	}
	return newClient()
}

func (r *Resolver) stallTimeout() time.Duration {
	if r.StallTimeout > 0 {
		return r.StallTimeout
	}
	return DefaultStallTimeout
}

func (r *Resolver) maxDownload() int64 {
	if r.MaxDownload > 0 {
		return r.MaxDownload
	}
	return DefaultMaxDownload
}

// isPathLike reports whether s names a file rather than a known model.
func isPathLike(s string) bool {
	return strings.ContainsAny(s, `/`+string(filepath.Separator)) || strings.HasSuffix(s, ".tflite")
}

// checkModelFile refuses what cannot be a model, from its Stat: anything but
// a regular file (a folder, a device such as /dev/zero, a named pipe that
// would block the reader) and files past MaxModelSize.
func checkModelFile(path string, st fs.FileInfo) error {
	switch {
	case st.IsDir():
		return fmt.Errorf("model file %s: is a folder", path)
	case !st.Mode().IsRegular():
		return fmt.Errorf("model file %s: not a regular file (%s)", path, FileKind(st.Mode()))
	case st.Size() > MaxModelSize:
		return fmt.Errorf("model file %s: %d bytes, more than the %d MB a model may have", path, st.Size(), MaxModelSize>>20)
	}
	return nil
}

// FileKind names a file mode's type for messages: "named pipe", "device"…
func FileKind(m fs.FileMode) string {
	switch t := m.Type(); {
	case t == 0:
		return "regular file"
	case t&fs.ModeDir != 0:
		return "folder"
	case t&fs.ModeSymlink != 0:
		return "symbolic link"
	case t&fs.ModeNamedPipe != 0:
		return "named pipe"
	case t&fs.ModeSocket != 0:
		return "socket"
	case t&fs.ModeDevice != 0:
		return "device"
	}
	return "special file"
}

// isFile reports whether p is a regular file (after following links).
func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}
