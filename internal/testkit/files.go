package testkit

import (
	"os"
	"path/filepath"
	"testing"
)

// ReadGlob returns the files matching pattern by base name, failing the
// test when none does: a test fed from a folder must not pass on nothing.
func ReadGlob(tb testing.TB, pattern string) map[string][]byte {
	tb.Helper()
	files, err := filepath.Glob(pattern)
	if err != nil || len(files) == 0 {
		tb.Fatalf("no files match %s (%v)", pattern, err)
	}
	m := make(map[string][]byte, len(files))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		m[filepath.Base(f)] = b
	}
	return m
}

// AbsDiff compares two byte slices of the same length (pixels, quantized
// tensors): the mean absolute difference, the largest one and the first
// index where it stands.
func AbsDiff(a, b []byte) (mean float64, worst, at int) {
	sum := 0
	for i := range a {
		d := int(a[i]) - int(b[i])
		if d < 0 {
			d = -d
		}
		sum += d
		if d > worst {
			worst, at = d, i
		}
	}
	return float64(sum) / float64(len(a)), worst, at
}
