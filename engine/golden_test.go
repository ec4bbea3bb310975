package engine

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/classifly/classifly/internal/shared"
)

// goldenCase is one reference tensor pair made by the TFLite runtime.
type goldenCase struct {
	model, image string
	dir          string
}

// goldenModels lists the model folders of the golden data, failing loudly
// when it is missing.
func goldenModels(t *testing.T) []string {
	t.Helper()
	dirs, err := filepath.Glob(shared.Golden(t, "*", "manifest.json"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no golden manifests under %s", shared.GoldenDir(t))
	}
	var names []string
	for _, d := range dirs {
		names = append(names, filepath.Base(filepath.Dir(d)))
	}
	return names
}

func loadModel(t testing.TB, name string) *Model { return loadWith(t, name, Options{}) }

// loadWith loads the shared model name with opts.
func loadWith(t testing.TB, name string, opts Options) *Model {
	t.Helper()
	m, err := LoadFile(shared.Model(t, name+".tflite"), opts)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestGolden runs every golden input through the engine and compares the
// output with TFLite's byte for byte.
func TestGolden(t *testing.T) {
	for _, kind := range []struct {
		name string
		opts Options
	}{{"fast", Options{}}, {"reference", Options{Reference: true}}} {
		t.Run(kind.name, func(t *testing.T) { testGolden(t, kind.opts) })
	}
}

func testGolden(t *testing.T, opts Options) {
	for _, name := range goldenModels(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := shared.Golden(t, name)
			var manifest shared.Manifest
			shared.ReadManifest(t, dir, &manifest)
			opts := opts
			opts.Keep = []int{manifest.Logits.TensorIndex}
			m, err := LoadFile(shared.Model(t, name+".tflite"), opts)
			if err != nil {
				t.Fatal(err)
			}
			if !opts.Reference {
				checkBackend(t, m)
			}
			if len(manifest.Images) == 0 {
				t.Fatalf("no images in %s/manifest.json", dir)
			}
			for _, c := range manifest.Images {
				img := c.Image
				in := shared.ReadFile(t, dir, c.Input)
				want := shared.ReadFile(t, dir, c.Output)
				wantLogits := shared.ReadFile(t, dir, c.Logits)
				got, kept, err := m.Trace(context.Background(), in)
				if err != nil {
					t.Fatalf("%s: %v", img, err)
				}
				compareTensor(t, name+"/"+img+" logits", kept[manifest.Logits.TensorIndex], wantLogits)
				compareTensor(t, name+"/"+img+" output", got, want)
				// Run, the production path, must agree with Trace.
				out := make([]byte, m.Output().Bytes())
				if err := m.Run(context.Background(), in, out); err != nil {
					t.Fatalf("%s: %v", img, err)
				}
				compareTensor(t, name+"/"+img+" output (Run)", out, want)
			}
		})
	}
}

// compareTensor reports how many bytes differ from TFLite's and where.
func compareTensor(t *testing.T, what string, got, want []byte) {
	t.Helper()
	if bytes.Equal(got, want) {
		return
	}
	if len(got) != len(want) {
		t.Errorf("%s: %d bytes, TFLite gave %d", what, len(got), len(want))
		return
	}
	n, first := 0, -1
	for i := range got {
		if got[i] != want[i] {
			n++
			if first < 0 {
				first = i
			}
		}
	}
	t.Errorf("%s: %d of %d bytes differ from TFLite's, first at %d (got %d, want %d)", what, n, len(got), first, got[first], want[first])
}
