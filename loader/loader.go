package loader

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/classifly/classifly/classify"
	"github.com/classifly/classifly/engine"
	"github.com/classifly/classifly/registry"
)

// Load finds a model by known name or path (see registry.Resolver.Resolve;
// "" is the default model), loads it and its labels, and returns the
// classifier and where it was found. labelsPath, when not "", replaces the
// model's own labels.
func Load(ctx context.Context, r *registry.Resolver, nameOrPath, labelsPath string, opts engine.Options) (*classify.Classifier, registry.Resolved, error) {
	res, err := r.Resolve(ctx, nameOrPath, labelsPath)
	if err != nil {
		return nil, res, err
	}
	m, err := Model(ctx, res, opts)
	if err != nil {
		return nil, res, err
	}
	labels, err := Labels(res)
	if err != nil {
		m.Close()
		return nil, res, err
	}
	c, err := classify.New(res.Name, m, labels)
	if err != nil {
		m.Close()
	}
	return c, res, err
}

// Model loads the resolved model into the engine: the embedded bytes, or
// the file read with [ReadModel].
func Model(ctx context.Context, res registry.Resolved, opts engine.Options) (*engine.Model, error) {
	data := res.ModelBytes
	if data == nil {
		var err error
		if data, err = ReadModel(ctx, res.Path); err != nil {
			return nil, err
		}
	}
	m, err := engine.Load(data, opts)
	if err != nil {
		return nil, fmt.Errorf("loading model %s: %w", res.Name, err)
	}
	return m, nil
}

// Labels returns the resolved model's labels: the embedded ones, those of
// the label file, or none.
func Labels(res registry.Resolved) ([]string, error) {
	switch {
	case res.LabelsPath != "":
		labels, err := registry.LoadLabels(res.LabelsPath)
		if err != nil {
			return nil, fmt.Errorf("loading labels of %s: %w", res.Name, err)
		}
		return labels, nil
	case res.LabelsBytes != nil:
		labels, err := registry.ParseLabels(res.LabelsBytes)
		if err != nil {
			return nil, fmt.Errorf("loading the embedded labels of %s: %w", res.Name, err)
		}
		return labels, nil
	}
	return nil, nil
}

// ReadModel reads a model file of at most registry.MaxModelSize bytes.
func ReadModel(ctx context.Context, path string) ([]byte, error) {
	data, err := ReadFile(ctx, path, registry.MaxModelSize)
	if err != nil {
		return nil, fmt.Errorf("model file %w", err)
	}
	return data, nil
}

// ErrTooLarge is returned by ReadFile for a file past its limit.
var ErrTooLarge = errors.New("file too large")

// ReadFile reads a regular file of at most limit bytes, checking ctx between
// chunks. It looks before it opens: a device (/dev/zero), a named pipe (which
// would block the open until a writer came) or a folder is refused from its
// Stat — symbolic links followed, so a link loop is an error too — and so is
// a file whose size is past the limit, sparse or not, without reading it.
// A file that grows past the limit while it is read is refused as well.
func ReadFile(ctx context.Context, path string, limit int64) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, pathError(path, err)
	}
	if err := checkRegular(path, st.Mode(), st.Size(), limit); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, pathError(path, err)
	}
	defer f.Close()
	// The file may have been replaced since the Stat: check what was opened.
	if st, err = f.Stat(); err != nil {
		return nil, pathError(path, err)
	}
	if err := checkRegular(path, st.Mode(), st.Size(), limit); err != nil {
		return nil, err
	}
	data := make([]byte, 0, st.Size()+1)
	buf := make([]byte, 1<<20)
	for {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		n, err := f.Read(buf)
		data = append(data, buf[:n]...)
		if int64(len(data)) > limit {
			return nil, fmt.Errorf("%s: %w: grew past %d bytes while read", path, ErrTooLarge, limit)
		}
		if err == io.EOF {
			return data, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
}

// pathError words an *fs.PathError as "path: cause" ("stat" or "open" tell
// a user nothing), keeping the cause for errors.Is.
func pathError(path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", path, pe.Err)
	}
	return err
}

func checkRegular(path string, mode os.FileMode, size, limit int64) error {
	if !mode.IsRegular() {
		return fmt.Errorf("%s: not a regular file (%s)", path, registry.FileKind(mode))
	}
	if size > limit {
		return fmt.Errorf("%s: %w: %s, the limit is %s", path, ErrTooLarge, humanSize(size), humanSize(limit))
	}
	return nil
}

// humanSize writes n bytes in binary units, as limits are set.
func humanSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
