package classify_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDomainHasNoEdgeDependencies keeps the domain free of how programs
// find models and talk to people: no registry (folders, caches,
// downloads), no progress bar, no terminal. Package loader assembles them.
func TestDomainHasNoEdgeDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{
			"github.com/classifly/classifly/registry", "github.com/classifly/classifly/loader",
			"github.com/schollz/progressbar", "golang.org/x/term", "net/http",
		} {
			if dep == banned || strings.HasPrefix(dep, banned+"/") {
				t.Errorf("classify depends on %s", dep)
			}
		}
	}
}
