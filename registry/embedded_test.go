package registry_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/classifly/classifly/models"
	"github.com/classifly/classifly/registry"
)

func embeddedResolver(t *testing.T) *registry.Resolver {
	t.Helper()
	r := resolver(t, nil) // empty model folder and cache, offline
	model, labels := models.Default()
	r.Embedded = []registry.Embedded{{Name: models.Name, Model: model, Labels: labels}}
	return r
}

// TestResolveEmbedded: offline with nothing on disk, the default model and
// its labels come from the program; another ImageNet model still needs its
// file but shares the embedded labels.
func TestResolveEmbedded(t *testing.T) {
	r := embeddedResolver(t)
	res, err := r.Resolve(context.Background(), "", "")
	if err != nil {
		t.Fatal(err)
	}
	model, labels := models.Default()
	if res.Source != registry.SourceEmbedded || res.Path != "" || res.LabelsPath != "" || res.Name != registry.DefaultModel ||
		len(res.ModelBytes) != len(model) || len(res.LabelsBytes) != len(labels) {
		t.Errorf("Resolve = %+v (%d model bytes)", res, len(res.ModelBytes))
	}
	if _, source, ok := r.Locate(mustLookup(t, registry.DefaultModel)); !ok || source != registry.SourceEmbedded {
		t.Errorf("Locate: %s, %v, want embedded", source, ok)
	}
	if _, err := r.Resolve(context.Background(), "mobilenet_v1_0.25_128_quant", ""); !strings.Contains(err.Error(), "model mobilenet_v1_0.25_128_quant not found") {
		t.Errorf("another model: %v, want not found", err)
	}
	// A labels override replaces the embedded labels.
	override := filepath.Join(t.TempDir(), "mine.txt")
	os.WriteFile(override, []byte("a\nb\n"), 0o644)
	if res, err = r.Resolve(context.Background(), "", override); err != nil || res.LabelsPath != override || res.LabelsBytes != nil {
		t.Errorf("with --labels: %+v, %v", res, err)
	}
}

// TestResolveModelDirBeforeEmbedded: a model in $CLASSIFLY_MODEL_DIR wins,
// so a user can replace the built-in one.
func TestResolveModelDirBeforeEmbedded(t *testing.T) {
	r := embeddedResolver(t)
	model, labels := models.Default()
	os.MkdirAll(r.ModelDir, 0o755)
	os.WriteFile(filepath.Join(r.ModelDir, registry.DefaultModel+".tflite"), model, 0o644)
	os.WriteFile(filepath.Join(r.ModelDir, "imagenet_labels.txt"), labels, 0o644)
	res, err := r.Resolve(context.Background(), "", "")
	if err != nil {
		t.Fatal(err)
	}
	if res.Source != registry.SourceModelDir || res.ModelBytes != nil || res.LabelsBytes != nil ||
		res.Path != filepath.Join(r.ModelDir, registry.DefaultModel+".tflite") {
		t.Errorf("Resolve = %+v", res)
	}
}

func TestCheckModelDir(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o644)
	for dir, want := range map[string]string{
		"":                          "",
		t.TempDir():                 "",
		filepath.Join(file, "nope"): "CLASSIFLY_MODEL_DIR",
		"/no/such/folder":           "no such file or directory",
		file:                        "is not a folder",
	} {
		err := (&registry.Resolver{ModelDir: dir}).CheckModelDir()
		if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
			t.Errorf("CheckModelDir(%q) = %v, want %q", dir, err, want)
		}
	}
}

// TestResolveRefusesSpecialFiles: a model path that is a device, a named
// pipe or a link loop is refused from its Stat, at once, without opening
// it (opening a pipe would block until a writer came).
func TestResolveRefusesSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe.tflite")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	loop := filepath.Join(dir, "loop.tflite")
	os.Symlink(loop, loop)
	zero := filepath.Join(dir, "zero.tflite")
	os.Symlink("/dev/zero", zero)
	huge := filepath.Join(dir, "huge.tflite")
	f, _ := os.Create(huge)
	f.Truncate(registry.MaxModelSize + 1) // sparse: no disk used
	f.Close()
	for path, want := range map[string]string{
		fifo: "not a regular file (named pipe)",
		loop: "too many levels of symbolic links",
		zero: "not a regular file (device)",
		huge: "more than the 512 MB a model may have",
		dir:  "is a folder",
	} {
		start := time.Now()
		_, err := resolver(t, nil).Resolve(context.Background(), path, "")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", filepath.Base(path), err, want)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("%s: took %v", filepath.Base(path), d)
		}
	}
}
