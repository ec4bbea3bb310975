package lambdaproxy

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLambdaLinksNoWebUI keeps the web UI, the CLI, the progress bar and
// the terminal package out of the Lambda binary, from this light package
// (cmd/lambda's own test also builds the binary and runs the emulator).
func TestLambdaLinksNoWebUI(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-tags", "lambda.norpc", "../cmd/lambda").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	for _, dep := range deps {
		for _, banned := range []string{"github.com/classifly/classifly/web", "github.com/classifly/classifly/cli",
			"github.com/schollz/progressbar", "golang.org/x/term"} {
			if dep == banned || strings.HasPrefix(dep, banned+"/") {
				t.Errorf("cmd/lambda depends on %s", dep)
			}
		}
	}
	if !strings.Contains(string(out), "github.com/classifly/classifly/wire") {
		t.Error("go list gave no classifly package: the check proves nothing")
	}
}
