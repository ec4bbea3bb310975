package main

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/classifly/classifly/internal/shared"
)

// TestPredictFolderMatchesSequential: `predict DIR` decodes the next picture
// while the current one runs, yet answers exactly as the pictures do one by
// one, in the folder's order, with a broken file reported in its place.
func TestPredictFolderMatchesSequential(t *testing.T) {
	dir := t.TempDir()
	var want []string
	filepath.WalkDir(shared.ImageDir(t), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.Contains(".bmp.jpg.png.gif.webp", strings.ToLower(filepath.Ext(p))) {
			dst := filepath.Join(dir, strings.ReplaceAll(strings.TrimPrefix(p, shared.ImageDir(t)+"/"), "/", "_"))
			if err := os.Symlink(p, dst); err != nil {
				t.Fatal(err)
			}
			want = append(want, dst)
		}
		return nil
	})
	broken := filepath.Join(dir, "d_broken.jpg")
	if err := os.WriteFile(broken, []byte("\xFF\xD8\xFF\xDB not a JPEG"), 0o644); err != nil {
		t.Fatal(err)
	}
	slices.Sort(want)

	stdout, stderr, code := run(t, bare(t, "predict", "--offline", "--json", dir))
	if code != 1 || !strings.Contains(stderr, broken) {
		t.Fatalf("exit %d, want 1 with %s reported: %s", code, broken, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != len(want) {
		t.Fatalf("%d answers for %d pictures", len(lines), len(want))
	}
	timings := regexp.MustCompile(`"timings_ms":\{[^}]*\}`)
	for i, f := range want {
		var got struct{ File string }
		if err := json.Unmarshal([]byte(lines[i]), &got); err != nil || got.File != f {
			t.Errorf("answer %d is for %q (%v), want %s", i, got.File, err, f)
			continue
		}
		one, stderr, code := run(t, bare(t, "predict", "--offline", "--json", f))
		if code != 0 {
			t.Fatalf("%s alone: exit %d: %s", f, code, stderr)
		}
		if a, b := timings.ReplaceAllString(lines[i], ""), timings.ReplaceAllString(strings.TrimSpace(one), ""); a != b {
			t.Errorf("%s:\nin the folder %s\nalone         %s", f, a, b)
		}
	}
}
