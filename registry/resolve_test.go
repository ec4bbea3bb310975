package registry_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/classifly/classifly/internal/shared"
	"github.com/classifly/classifly/registry"
)

func TestResolveModelDir(t *testing.T) {
	shared.Full(t) // several models
	dir := shared.ModelDir(t)
	r := resolver(t, nil)
	r.ModelDir = dir
	res, err := r.Resolve(context.Background(), "", "")
	if err != nil {
		t.Fatal(err)
	}
	want := registry.Resolved{
		Name:       registry.DefaultModel,
		Path:       filepath.Join(dir, registry.DefaultModel+".tflite"),
		LabelsPath: filepath.Join(dir, "imagenet_labels.txt"),
		Source:     registry.SourceModelDir,
	}
	if res.Known == nil || res.Known.Name != registry.DefaultModel {
		t.Errorf("Known = %v, want the default model", res.Known)
	}
	res.Known = nil
	if !reflect.DeepEqual(res, want) {
		t.Errorf("Resolve = %+v, want %+v", res, want)
	}

	path, source, ok := r.Locate(mustLookup(t, "mobilenet_v2_1.0_224_inat_bird_quant"))
	if !ok || source != registry.SourceModelDir || path != filepath.Join(dir, "mobilenet_v2_1.0_224_inat_bird_quant.tflite") {
		t.Errorf("Locate = %s, %s, %v", path, source, ok)
	}
}

func TestResolveCache(t *testing.T) {
	shared.Full(t) // several models
	r := resolver(t, nil)
	copyFiles(t, r.CacheDir, "mobilenet_v1_0.25_128_quant.tflite", "imagenet_labels.txt")
	res, err := r.Resolve(context.Background(), "mobilenet_v1_0.25_128_quant", "")
	if err != nil {
		t.Fatal(err)
	}
	if res.Source != registry.SourceCache || res.Path != filepath.Join(r.CacheDir, "mobilenet_v1_0.25_128_quant.tflite") ||
		res.LabelsPath != filepath.Join(r.CacheDir, "imagenet_labels.txt") || res.Known == nil || res.Known.InputSize != 128 {
		t.Errorf("Resolve = %+v", res)
	}
	if _, _, ok := r.Locate(mustLookup(t, registry.DefaultModel)); ok {
		t.Error("Locate found a model that is not there")
	}
}

// TestResolveModelDirFirst: a model in both folders comes from
// $CLASSIFLY_MODEL_DIR, while labels only in the cache come from there.
func TestResolveModelDirFirst(t *testing.T) {
	shared.Full(t) // several models
	r := resolver(t, nil)
	copyFiles(t, r.ModelDir, "mobilenet_v1_0.25_128_quant.tflite")
	copyFiles(t, r.CacheDir, "mobilenet_v1_0.25_128_quant.tflite", "imagenet_labels.txt")
	res, err := r.Resolve(context.Background(), "mobilenet_v1_0.25_128_quant", "")
	if err != nil {
		t.Fatal(err)
	}
	if res.Source != registry.SourceModelDir || filepath.Dir(res.Path) != r.ModelDir || filepath.Dir(res.LabelsPath) != r.CacheDir {
		t.Errorf("Resolve = %+v", res)
	}
}

func TestResolveNameWithExtension(t *testing.T) {
	shared.Full(t) // several models
	r := resolver(t, nil)
	r.ModelDir = shared.ModelDir(t)
	t.Chdir(t.TempDir()) // no such file in the working folder
	res, err := r.Resolve(context.Background(), "mobilenet_v1_0.5_160_quant.tflite", "")
	if err != nil {
		t.Fatal(err)
	}
	if res.Source != registry.SourceModelDir || res.Name != "mobilenet_v1_0.5_160_quant" {
		t.Errorf("Resolve = %+v", res)
	}
}

func TestResolvePathSiblingLabels(t *testing.T) {
	shared.Full(t) // several models
	for _, labels := range []string{"custom_labels.txt", "custom.txt", "labels.txt", ""} {
		t.Run("labels="+labels, func(t *testing.T) {
			dir := t.TempDir()
			copyFiles(t, dir, "mobilenet_v1_0.25_128_quant.tflite")
			model := filepath.Join(dir, "custom.tflite")
			if err := os.Rename(filepath.Join(dir, "mobilenet_v1_0.25_128_quant.tflite"), model); err != nil {
				t.Fatal(err)
			}
			want := ""
			if labels != "" {
				want = filepath.Join(dir, labels)
				if err := os.WriteFile(want, []byte("a\nb\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			res, err := resolver(t, nil).Resolve(context.Background(), model, "")
			if err != nil {
				t.Fatal(err)
			}
			if res.Name != "custom" || res.Path != model || res.LabelsPath != want || res.Source != registry.SourcePath || res.Known != nil {
				t.Errorf("Resolve = %+v, want labels %q", res, want)
			}
		})
	}
}

// TestResolvePathRelative: a relative path comes back absolute.
func TestResolvePathRelative(t *testing.T) {
	shared.Full(t) // several models
	dir := t.TempDir()
	copyFiles(t, filepath.Join(dir, "m"), "mobilenet_v1_0.25_128_quant.tflite", "imagenet_labels.txt")
	t.Chdir(dir)
	res, err := resolver(t, nil).Resolve(context.Background(), filepath.Join("m", "mobilenet_v1_0.25_128_quant.tflite"), "")
	if err != nil {
		t.Fatal(err)
	}
	if !filepath.IsAbs(res.Path) || !filepath.IsAbs(res.LabelsPath) || res.Known == nil || res.Source != registry.SourcePath {
		t.Errorf("Resolve = %+v", res)
	}
}

// TestResolvePathKnownLabels: a file named like a known model takes that
// model's labels from $CLASSIFLY_MODEL_DIR when they are not beside it.
func TestResolvePathKnownLabels(t *testing.T) {
	shared.Full(t) // several models
	dir := t.TempDir()
	copyFiles(t, dir, "mobilenet_v1_0.25_128_quant.tflite")
	r := resolver(t, nil)
	copyFiles(t, r.ModelDir, "imagenet_labels.txt")
	res, err := r.Resolve(context.Background(), filepath.Join(dir, "mobilenet_v1_0.25_128_quant.tflite"), "")
	if err != nil {
		t.Fatal(err)
	}
	if res.Known == nil || res.LabelsPath != filepath.Join(r.ModelDir, "imagenet_labels.txt") || res.Source != registry.SourcePath {
		t.Errorf("Resolve = %+v", res)
	}

	// With the labels nowhere and no download, the error says so.
	_, err = resolver(t, nil).Resolve(context.Background(), filepath.Join(dir, "mobilenet_v1_0.25_128_quant.tflite"), "")
	if !errors.Is(err, registry.ErrNotFound) || !strings.Contains(err.Error(), "labels imagenet_labels.txt") {
		t.Errorf("Resolve without labels = %v", err)
	}
}

func TestResolveLabelsOverride(t *testing.T) {
	shared.Full(t) // several models
	dir := shared.ModelDir(t)
	override := filepath.Join(t.TempDir(), "mine.txt")
	if err := os.WriteFile(override, []byte("x\ny\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := resolver(t, nil)
	r.ModelDir = dir
	for _, name := range []string{registry.DefaultModel, filepath.Join(dir, "mobilenet_v1_0.25_128_quant.tflite")} {
		res, err := r.Resolve(context.Background(), name, override)
		if err != nil {
			t.Fatal(err)
		}
		if res.LabelsPath != override {
			t.Errorf("Resolve(%s) labels = %s, want %s", name, res.LabelsPath, override)
		}
	}
	_, err := r.Resolve(context.Background(), registry.DefaultModel, filepath.Join(t.TempDir(), "missing.txt"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing override: %v, want ErrNotExist", err)
	}
}

func TestResolveUnknownName(t *testing.T) {
	t.Chdir(t.TempDir())
	_, err := resolver(t, nil).Resolve(context.Background(), "resnet50", "")
	if !errors.Is(err, registry.ErrUnknownModel) {
		t.Fatalf("err = %v, want ErrUnknownModel", err)
	}
	for _, m := range registry.Known() {
		if !strings.Contains(err.Error(), m.Name) {
			t.Errorf("message %q does not list %s", err, m.Name)
		}
	}
}

// TestResolveExistingFileByName: a bare name that is a file in the working
// folder is that file.
func TestResolveExistingFileByName(t *testing.T) {
	shared.Full(t) // several models
	dir := t.TempDir()
	copyFiles(t, dir, "mobilenet_v1_0.25_128_quant.tflite")
	if err := os.Rename(filepath.Join(dir, "mobilenet_v1_0.25_128_quant.tflite"), filepath.Join(dir, "model.bin")); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	res, err := resolver(t, nil).Resolve(context.Background(), "model.bin", "")
	if err != nil {
		t.Fatal(err)
	}
	if res.Name != "model" || res.Path != filepath.Join(dir, "model.bin") || res.Source != registry.SourcePath {
		t.Errorf("Resolve = %+v", res)
	}
}

func TestResolveMissingPath(t *testing.T) {
	_, err := resolver(t, nil).Resolve(context.Background(), filepath.Join(t.TempDir(), "nope.tflite"), "")
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("err = %v, want ErrNotExist", err)
	}
}

func TestNewResolverFromEnv(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CACHE_HOME", filepath.Join(home, ".cache"))
	t.Setenv("LocalAppData", filepath.Join(home, "AppData")) // Windows
	t.Setenv(registry.EnvModelDir, "/some/models")
	r := registry.NewResolverFromEnv()
	if r.ModelDir != "/some/models" {
		t.Errorf("ModelDir = %q", r.ModelDir)
	}
	if !strings.HasPrefix(r.CacheDir, home) || filepath.Base(r.CacheDir) != "models" || filepath.Base(filepath.Dir(r.CacheDir)) != "classifly" {
		t.Errorf("CacheDir = %q, want <user cache>/classifly/models", r.CacheDir)
	}
	if r.Offline || r.Client != nil || r.BaseURL != "" {
		t.Errorf("NewResolverFromEnv = %+v", r)
	}
}

func mustLookup(t *testing.T, name string) registry.Model {
	t.Helper()
	m, ok := registry.Lookup(name)
	if !ok {
		t.Fatalf("%s is not known", name)
	}
	return m
}
