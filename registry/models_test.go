package registry_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/classifly/classifly/internal/shared"
	"github.com/classifly/classifly/registry"
)

func sha256File(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// TestKnownChecksums holds the table to the real published files.
func TestKnownChecksums(t *testing.T) {
	shared.Full(t) // several models
	dir := shared.ModelDir(t)
	models := registry.Known()
	if len(models) != 7 {
		t.Fatalf("Known() has %d models, want 7", len(models))
	}
	if models[0].Name != registry.DefaultModel {
		t.Errorf("Known()[0] = %s, want the default %s", models[0].Name, registry.DefaultModel)
	}
	seen := map[string]bool{}
	for _, m := range models {
		if seen[m.Name] {
			t.Errorf("%s listed twice", m.Name)
		}
		seen[m.Name] = true
		if m.File != m.Name+".tflite" {
			t.Errorf("%s: File = %s", m.Name, m.File)
		}
		if got := sha256File(t, filepath.Join(dir, m.File)); got != m.SHA256 {
			t.Errorf("%s: SHA256 = %s, real file has %s", m.Name, m.SHA256, got)
		}
		if got := sha256File(t, filepath.Join(dir, m.Labels)); got != m.LabelsSHA256 {
			t.Errorf("%s: LabelsSHA256 = %s, real %s has %s", m.Name, m.LabelsSHA256, m.Labels, got)
		}
		if want := "https://github.com/google-coral/test_data/raw/master/" + m.File; m.URL != want {
			t.Errorf("%s: URL = %s, want %s", m.Name, m.URL, want)
		}
		if want := "https://github.com/google-coral/test_data/raw/master/" + m.Labels; m.LabelsURL != want {
			t.Errorf("%s: LabelsURL = %s, want %s", m.Name, m.LabelsURL, want)
		}
		if !strings.Contains(m.Name, "_"+strconv.Itoa(m.InputSize)+"_") {
			t.Errorf("%s: InputSize %d does not match the name", m.Name, m.InputSize)
		}
		if m.Description == "" || strings.Contains(m.Description, "\n") {
			t.Errorf("%s: Description %q is not one line", m.Name, m.Description)
		}
		got, ok := registry.Lookup(m.Name)
		if !ok || got != m {
			t.Errorf("Lookup(%s) = %v, %v", m.Name, got, ok)
		}
	}
}

func TestKnownIsFresh(t *testing.T) {
	a := registry.Known()
	a[0].Name = "changed"
	if registry.Known()[0].Name != registry.DefaultModel {
		t.Fatal("changing Known()'s result changed the table")
	}
}

func TestLookup(t *testing.T) {
	if _, ok := registry.Lookup("mobilenet_v1_0.25_128_quant.tflite"); !ok {
		t.Error("Lookup with .tflite failed")
	}
	if _, ok := registry.Lookup("resnet50"); ok {
		t.Error("Lookup(resnet50) succeeded")
	}
}

func TestVerify(t *testing.T) {
	shared.Full(t) // several models
	dir := shared.ModelDir(t)
	m, _ := registry.Lookup(registry.DefaultModel)
	if err := registry.Verify(filepath.Join(dir, m.File), m); err != nil {
		t.Fatalf("Verify(real file): %v", err)
	}
	other := filepath.Join(dir, "mobilenet_v1_0.25_128_quant.tflite")
	err := registry.Verify(other, m)
	var ce *registry.ChecksumError
	if !errors.As(err, &ce) || ce.Want != m.SHA256 || ce.Got == m.SHA256 {
		t.Fatalf("Verify(other model) = %v, want a ChecksumError", err)
	}
	if !strings.Contains(err.Error(), ce.Want) || !strings.Contains(err.Error(), ce.Got) {
		t.Errorf("message %q does not name both hashes", err)
	}
	if err := registry.Verify(filepath.Join(t.TempDir(), "missing.tflite"), m); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Verify(missing) = %v, want ErrNotExist", err)
	}
}
