package main

import (
	"testing"

	"github.com/classifly/classifly/internal/testkit"
)

// TestNoHeavyImports keeps the function lean: no web UI or CLI; none of the
// classifly command's edge dependencies (the progress bar and terminal
// handling of downloads, the container-image tooling, Terraform's HCL); not
// the embedded default model (3.6 MB a SageMaker-backed function never runs;
// inference in Lambda reads its models from the zip); no net/rpc
// (lambda.norpc).
func TestNoHeavyImports(t *testing.T) {
	const mod = "github.com/classifly/classifly/"
	testkit.Deps(t, ".", "lambda.norpc",
		[]string{
			mod + "web", mod + "cli", mod + "container", mod + "models",
			"github.com/schollz/progressbar", "golang.org/x/term", "github.com/mitchellh/colorstring",
			"github.com/google/go-containerregistry", "github.com/hashicorp/hcl",
			"github.com/aws/aws-sdk-go-v2/service/ecr", "net/rpc",
		},
		[]string{mod + "api", mod + "loader", mod + "wire", "github.com/aws/aws-lambda-go/lambda",
			"github.com/aws/aws-sdk-go-v2/service/sagemakerruntime"})
}
