package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/classifly/classifly/internal/testpics"
)

// TestPredictPixelCaps: `classifly predict` takes a 60 MP JPEG on the fast
// path (under --max-pixels-jpeg, 100 MP) and refuses it with --resize
// exact (over --max-pixels, 40 MP), as it refuses a PNG of that size.
func TestPredictPixelCaps(t *testing.T) {
	dir := t.TempDir()
	jpg, png := filepath.Join(dir, "big.jpg"), filepath.Join(dir, "big.png")
	if err := os.WriteFile(jpg, testpics.FlatJPEG(7744, 7744), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(png, testpics.PNGHeader(7744, 7744), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := run(t, bare(t, "predict", "--offline", "--json", jpg)); code != 0 {
		t.Errorf("fast path: exit %d: %s", code, stderr)
	}
	for _, c := range [][]string{{"--resize", "exact", jpg}, {png}, {"--max-pixels-jpeg", "50000000", jpg}} {
		args := append([]string{"predict", "--offline", "--json"}, c...)
		if _, stderr, code := run(t, bare(t, args...)); code != 1 || !strings.Contains(stderr, "too large") {
			t.Errorf("%v: exit %d, want 1 and too large: %s", c, code, stderr)
		}
	}
}
