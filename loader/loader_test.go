package loader_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/classifly/classifly/engine"
	"github.com/classifly/classifly/loader"
	"github.com/classifly/classifly/models"
	"github.com/classifly/classifly/registry"
)

// TestLoadEmbedded: the built-in model loads with its labels, and a copy
// of it on disk loads the same way from its file.
func TestLoadEmbedded(t *testing.T) {
	model, labels := models.Default()
	r := &registry.Resolver{Offline: true, Embedded: []registry.Embedded{{Name: models.Name, Model: model, Labels: labels}}}
	c, res, err := loader.Load(context.Background(), r, "", "", engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Source != registry.SourceEmbedded || c.Name() != models.Name || len(c.Labels()) != 1001 || c.Labels()[286] != "Egyptian cat" {
		t.Errorf("Load = %s from %s, %d labels", c.Name(), res.Source, len(c.Labels()))
	}

	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "copy.tflite"), model, 0o644)
	os.WriteFile(filepath.Join(dir, "labels.txt"), labels, 0o644)
	c, res, err = loader.Load(context.Background(), &registry.Resolver{Offline: true}, filepath.Join(dir, "copy.tflite"), "", engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Source != registry.SourcePath || c.Name() != "copy" || len(c.Labels()) != 1001 {
		t.Errorf("Load = %s from %s, %d labels", c.Name(), res.Source, len(c.Labels()))
	}
}

// TestReadFile: only regular files within the limit are read; a named pipe
// is refused without blocking, and a cancelled context stops the read.
func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small")
	os.WriteFile(small, []byte("12345"), 0o644)
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if data, err := loader.ReadFile(ctx, small, 5); err != nil || string(data) != "12345" {
		t.Errorf("ReadFile at the limit = %q, %v", data, err)
	}
	if _, err := loader.ReadFile(ctx, small, 4); !errors.Is(err, loader.ErrTooLarge) {
		t.Errorf("ReadFile past the limit: %v, want ErrTooLarge", err)
	}
	start := time.Now()
	if _, err := loader.ReadFile(ctx, fifo, 5); err == nil || !strings.Contains(err.Error(), "named pipe") || time.Since(start) > time.Second {
		t.Errorf("ReadFile(fifo) = %v after %v", err, time.Since(start))
	}
	if _, err := loader.ReadFile(ctx, filepath.Join(dir, "missing"), 5); !errors.Is(err, os.ErrNotExist) || !strings.HasPrefix(err.Error(), filepath.Join(dir, "missing")+": ") {
		t.Errorf("ReadFile(missing) = %v", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := loader.ReadFile(cancelled, small, 5); !errors.Is(err, context.Canceled) {
		t.Errorf("ReadFile with a cancelled context: %v", err)
	}
}
