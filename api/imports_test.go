package api

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoWebImport keeps the web UI out of the API's dependencies: the
// Lambda binary links the API and must not carry the UI.
func TestNoWebImport(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		if dep == "github.com/classifly/classifly/web" || strings.HasPrefix(dep, "github.com/classifly/classifly/web/") ||
			dep == "github.com/classifly/classifly/server" || dep == "github.com/classifly/classifly/cli" {
			t.Errorf("package api depends on %s", dep)
		}
	}
}
