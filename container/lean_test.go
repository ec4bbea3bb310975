//go:build e2e

package container

import (
	"os/exec"
	"strings"
	"testing"
)

// TestEndpointBinaryLean: the container's classifly binary, built with
// EndpointTag, links none of the deploy tooling (this package, the registry
// client, the ECR client); the full CLI still has it.
func TestEndpointBinaryLean(t *testing.T) {
	banned := []string{"github.com/classifly/classifly/container", "github.com/google/go-containerregistry/",
		"github.com/aws/aws-sdk-go-v2/service/ecr"}
	deps := func(tags string) string {
		out, err := exec.Command("go", "list", "-deps", "-tags", tags, "../cmd/classifly").CombinedOutput()
		if err != nil {
			t.Fatalf("go list: %v\n%s", err, out)
		}
		return string(out)
	}
	lean := deps(EndpointTag)
	for _, b := range banned {
		if strings.Contains(lean, b) {
			t.Errorf("with -tags %s, cmd/classifly still links %s", EndpointTag, b)
		}
	}
	if full := deps(""); !strings.Contains(full, banned[0]) {
		t.Error("the full CLI lost its deploy commands")
	}
}
