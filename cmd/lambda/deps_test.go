package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestNoEdgeDependencies keeps what only the classifly command needs out
// of the function: the progress bar and terminal handling of downloads, the
// container-image tooling, and the embedded default model (3.6 MB a
// SageMaker-backed function never runs; inference in Lambda reads its
// models from the zip).
func TestNoEdgeDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-tags", "lambda.norpc", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	for _, banned := range []string{
		"github.com/schollz/progressbar", "golang.org/x/term", "github.com/mitchellh/colorstring",
		"github.com/google/go-containerregistry", "github.com/classifly/classifly/models",
		"github.com/classifly/classifly/container", "github.com/classifly/classifly/image",
	} {
		for _, dep := range deps {
			if dep == banned || strings.HasPrefix(dep, banned+"/") {
				t.Errorf("cmd/lambda depends on %s", dep)
			}
		}
	}
	// The check is only worth something if the list is the real one.
	if !slices.Contains(deps, "github.com/classifly/classifly/loader") {
		t.Error("cmd/lambda does not depend on the loader: is this list right?")
	}
}
