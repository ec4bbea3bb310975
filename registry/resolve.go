package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// Where a Resolved model was found.
const (
	SourceModelDir = EnvModelDir // in the folder named by $CLASSIFLY_MODEL_DIR
	SourceCache    = "cache"     // in Resolver.CacheDir, from an earlier download
	SourceDownload = "download"  // downloaded into Resolver.CacheDir just now
	SourcePath     = "path"      // the file the user named
)

// A Resolver finds model files. The zero value searches nowhere and cannot
// download; [NewResolverFromEnv] gives the usual setup.
type Resolver struct {
	ModelDir    string       // searched first; usually $CLASSIFLY_MODEL_DIR
	CacheDir    string       // searched next and downloaded into; "" for none
	Offline     bool         // never download
	Client      *http.Client // nil: a client with sane timeouts
	BaseURL     string       // replaces DefaultBaseURL for downloads (tests point it at httptest)
	Progress    io.Writer    // download progress: a bar on a terminal, plain lines otherwise; nil for none
	MaxDownload int64        // cap on bytes fetched per file; 0 means DefaultMaxDownload
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
	Path       string // absolute path of the .tflite file
	LabelsPath string // absolute path of the label file; "" if none was found
	Source     string // where Path was found: SourceModelDir, SourceCache, SourceDownload or SourcePath
	Known      *Model // the known model of that name; nil for an arbitrary file
}

// Resolve finds the files for nameOrPath, which is "" for [DefaultModel], a
// known model name, or a path to a model file (anything with a path separator
// or ending in .tflite, or an existing file). labelsOverride, when not "",
// is the label file to use instead of the model's own.
//
// A known name is looked for in ModelDir, then CacheDir, then downloaded into
// CacheDir with its labels (unless Offline). For a file, the labels are those
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

// Locate finds model m's .tflite file in ModelDir or CacheDir without
// downloading, for listing which models are at hand. source is
// SourceModelDir or SourceCache.
func (r *Resolver) Locate(m Model) (path, source string, ok bool) {
	return r.lookIn("", m.File)
}

func (r *Resolver) resolveKnown(ctx context.Context, m Model, labelsOverride string) (Resolved, error) {
	path, source, err := r.find(ctx, m, m.File, "")
	if err != nil {
		return Resolved{}, err
	}
	labels, err := r.knownLabels(ctx, m, labelsOverride, "")
	if err != nil {
		return Resolved{}, err
	}
	return Resolved{Name: m.Name, Path: path, LabelsPath: labels, Source: source, Known: &m}, nil
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
		return Resolved{}, fmt.Errorf("model file: %w", err)
	}
	if st.IsDir() {
		return Resolved{}, fmt.Errorf("model file %s: is a folder", abs)
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
		res.LabelsPath, err = r.knownLabels(ctx, m, labelsOverride, dir)
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
// m's label file in dir (if not ""), ModelDir or CacheDir, or downloads it.
func (r *Resolver) knownLabels(ctx context.Context, m Model, labelsOverride, dir string) (string, error) {
	if labelsOverride != "" {
		abs, err := filepath.Abs(labelsOverride)
		if err != nil {
			return "", fmt.Errorf("labels %s: %w", labelsOverride, err)
		}
		if !isFile(abs) {
			_, err := os.Stat(abs)
			if err == nil {
				err = &fs.PathError{Op: "labels", Path: abs, Err: errors.New("not a regular file")}
			}
			return "", fmt.Errorf("labels: %w", err)
		}
		return abs, nil
	}
	path, _, err := r.find(ctx, m, m.Labels, dir)
	return path, err
}

// find returns file (m.File or m.Labels) from dir (if not ""), ModelDir or
// CacheDir, else downloads it into CacheDir. The error is a *NotFoundError
// unless ctx was cancelled.
func (r *Resolver) find(ctx context.Context, m Model, file, dir string) (path, source string, err error) {
	if path, source, ok := r.lookIn(dir, file); ok {
		return path, source, nil
	}
	m = r.withBaseURL(m)
	nf := &NotFoundError{Model: m, File: file, ModelDir: r.ModelDir, CacheDir: r.CacheDir, Offline: r.Offline}
	if r.Offline || r.CacheDir == "" {
		return "", "", nf
	}
	cache, err := filepath.Abs(r.CacheDir)
	if err != nil {
		nf.Err = err
		return "", "", nf
	}
	url, sum := m.URL, m.SHA256
	if file == m.Labels {
		url, sum = m.LabelsURL, m.LabelsSHA256
	}
	dest := filepath.Join(cache, file)
	if err := download(ctx, r.client(), url, dest, sum, r.maxDownload(), r.Progress); err != nil {
		if isContextError(ctx, err) {
			return "", "", fmt.Errorf("downloading %s: %w", url, err)
		}
		nf.Err = err
		return "", "", nf
	}
	return dest, SourceDownload, nil
}

// lookIn finds file in dir (source SourcePath), then ModelDir, then CacheDir,
// skipping unset folders.
func (r *Resolver) lookIn(dir, file string) (path, source string, ok bool) {
	for _, c := range []struct{ dir, source string }{
		{dir, SourcePath},
		{r.ModelDir, SourceModelDir},
		{r.CacheDir, SourceCache},
	} {
		if c.dir == "" {
			continue
		}
		p, err := filepath.Abs(filepath.Join(c.dir, file))
		if err == nil && isFile(p) {
			return p, c.source, true
		}
	}
	return "", "", false
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

// isFile reports whether p is a regular file (after following links).
func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}
