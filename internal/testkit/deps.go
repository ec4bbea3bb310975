package testkit

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// Deps lists the dependencies of the package pkg (a path relative to the
// test's folder, such as "." or "../cmd/lambda") built with tags, and fails
// the test for each one under a banned prefix, and for each needed package
// that is missing: the needed ones prove the list is the real one.
func Deps(t *testing.T, pkg, tags string, banned, needed []string) {
	t.Helper()
	args := []string{"list", "-deps"}
	if tags != "" {
		args = append(args, "-tags", tags)
	}
	out, err := exec.Command("go", append(args, pkg)...).CombinedOutput()
	if err != nil {
		t.Fatalf("go list %s: %v\n%s", pkg, err, out)
	}
	deps := strings.Fields(string(out))
	for _, dep := range deps {
		for _, b := range banned {
			if dep == b || strings.HasPrefix(dep, b+"/") {
				t.Errorf("%s depends on %s", pkg, dep)
			}
		}
	}
	for _, n := range needed {
		if !slices.Contains(deps, n) {
			t.Errorf("%s does not depend on %s: is this list right?", pkg, n)
		}
	}
}
