package container

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
)

// EndpointTag is the build tag of the container's classifly binary: it
// leaves out the deploy commands (`classifly image`: this package,
// go-containerregistry and the ECR client, about a third of the binary),
// which the model endpoint never runs.
const EndpointTag = "nodeploy"

// Binary describes a static Go executable to cross-compile.
type Binary struct {
	Package string   // main package, e.g. "./cmd/classifly"
	Dir     string   // the module's folder, where go build runs; "" is the current one
	GOOS    string   // default "linux"
	GOARCH  string   // default "amd64"
	Tags    []string // build tags, e.g. "lambda.norpc"
	Out     string   // output file
	Stderr  io.Writer
	// KeepPaths skips -trimpath. Such a build is not reproducible across
	// machines, but shares compiled packages with `go test` and so builds
	// in seconds instead of minutes: for tests, never for releases.
	KeepPaths bool
}

// BuildBinary runs go build for b: CGO off (a static binary that needs no
// libc, so it runs on an empty base image and on provided.al2023), paths
// trimmed, symbols and build id stripped, no VCS stamp — the same sources
// give the same bytes.
func BuildBinary(ctx context.Context, b Binary) error {
	if b.Package == "" || b.Out == "" {
		return fmt.Errorf("container: BuildBinary needs a package and an output file")
	}
	goos, goarch := b.GOOS, b.GOARCH
	if goos == "" {
		goos = "linux"
	}
	if goarch == "" {
		goarch = "amd64"
	}
	args := []string{"build", "-buildvcs=false", "-ldflags=-s -w -buildid="}
	if !b.KeepPaths {
		args = append(args, "-trimpath")
	}
	if len(b.Tags) > 0 {
		args = append(args, "-tags", strings.Join(b.Tags, ","))
	}
	args = append(args, "-o", b.Out, b.Package)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = b.Dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch)
	cmd.Stdout, cmd.Stderr = b.Stderr, b.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("container: go build %s for %s/%s: %w", b.Package, goos, goarch, err)
	}
	return nil
}
