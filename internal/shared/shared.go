// Package shared finds the project's large test data (models, images, golden
// tensors) that lives outside the repository, in ../shared beside the checkout.
//
// Tests use it so that a missing data folder fails loudly with the variable to
// set, instead of skipping silently.
package shared

import (
	"os"
	"path/filepath"
	"testing"
)

// Environment variables that point at the data folders.
const (
	EnvModelDir  = "CLASSIFLY_MODEL_DIR"
	EnvGoldenDir = "CLASSIFLY_GOLDEN_DIR"
	EnvImageDir  = "CLASSIFLY_IMAGE_DIR"
)

// ModelDir returns the folder of .tflite models and label files.
func ModelDir(tb testing.TB) string { return dir(tb, EnvModelDir, "models") }

// GoldenDir returns the folder of golden tensors (one sub-folder per model).
func GoldenDir(tb testing.TB) string { return dir(tb, EnvGoldenDir, "golden") }

// ImageDir returns the folder of test pictures.
func ImageDir(tb testing.TB) string { return dir(tb, EnvImageDir, "images") }

// dir resolves a data folder from its variable, or else from ../shared/<sub>
// next to the repository root (found by walking up to go.mod).
func dir(tb testing.TB, env, sub string) string {
	tb.Helper()
	if d := os.Getenv(env); d != "" {
		abs, err := filepath.Abs(d)
		if err == nil {
			d = abs
		}
		if st, err := os.Stat(d); err != nil || !st.IsDir() {
			tb.Fatalf("%s=%q is not a folder: set it to the shared %s folder", env, d, sub)
		}
		return d
	}
	if root := repoRoot(); root != "" {
		d := filepath.Join(filepath.Dir(root), "shared", sub)
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			return d
		}
	}
	tb.Fatalf("test data not found: set %s to the shared %s folder (e.g. ../shared/%s)", env, sub, sub)
	return ""
}

func repoRoot() string {
	d, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		parent := filepath.Dir(d)
		if parent == d {
			return ""
		}
		d = parent
	}
}
