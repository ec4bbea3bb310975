package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckSource: building outside the checkout says what to do instead of
// passing on go build's complaint.
func TestCheckSource(t *testing.T) {
	if err := checkSource(".."); err != nil {
		t.Errorf("the repository itself: %v", err)
	}
	other := t.TempDir()
	os.WriteFile(filepath.Join(other, "go.mod"), []byte("module example.com/other\n\ngo 1.26\n"), 0o644)
	for dir, want := range map[string]string{t.TempDir(): "holds no go.mod", other: "is the module example.com/other"} {
		err := checkSource(dir)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "--source DIR") || !strings.Contains(err.Error(), "--binary FILE") {
			t.Errorf("checkSource(%s) = %v, want %q and the two flags", dir, err, want)
		}
	}
}
