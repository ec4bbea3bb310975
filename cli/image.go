//go:build !nodeploy

package cli

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/classifly/classifly/container"
)

const imageUsage = `Usage:
  classifly image build  [--out dist/image.tar] [--tag classifly:latest]  SageMaker container image, as a docker-save tarball
  classifly image push   --repo ECR_URL [--tag latest]                    the same image, pushed (ECR auth from the AWS SDK)
  classifly image lambda [--out dist/lambda.zip] [--model NAME]...        Lambda zip: bootstrap (+ models for inference in Lambda)
  classifly image binary --out FILE [--package ./cmd/lambda]               a static, reproducible linux binary (for --binary)
Common flags: --source DIR (module to build, default .), --binary FILE (prebuilt binary instead: no Go needed)`

// runImage is `classifly image SUBCOMMAND`.
func runImage(ctx context.Context, env *Env, args []string) int {
	if len(args) == 0 {
		fmt.Fprintf(env.Stderr, "classifly image: name a subcommand\n%s\n", imageUsage)
		return ExitUsage
	}
	switch args[0] {
	case "build":
		return runImageBuild(ctx, env, args[1:])
	case "push":
		return runImagePush(ctx, env, args[1:])
	case "lambda":
		return runImageLambda(ctx, env, args[1:])
	case "binary":
		return runImageBinary(ctx, env, args[1:])
	case "-h", "--help", "help":
		fmt.Fprintln(env.Stdout, imageUsage)
		return ExitOK
	}
	fmt.Fprintf(env.Stderr, "classifly image: unknown subcommand %q\n\n%s\n", args[0], imageUsage)
	return ExitUsage
}

// sourceFlags are the flags that say where a binary comes from.
type sourceFlags struct{ source, binary *string }

func addSourceFlags(fs *flag.FlagSet) sourceFlags {
	return sourceFlags{
		source: fs.String("source", ".", "the classifly module to build from (go build runs there)"),
		binary: fs.String("binary", "", "use this prebuilt static binary instead of building one"),
	}
}

// binaryFor returns the path of the binary to package: --binary, or one
// built into tmp.
func (s sourceFlags) binaryFor(ctx context.Context, env *Env, tmp, pkg, goarch string, tags ...string) (string, error) {
	if *s.binary != "" {
		return *s.binary, nil
	}
	if err := checkSource(*s.source); err != nil {
		return "", err
	}
	out := filepath.Join(tmp, filepath.Base(pkg))
	fmt.Fprintf(env.Stderr, "building %s for linux/%s\n", pkg, goarch)
	err := container.BuildBinary(ctx, container.Binary{Package: pkg, Dir: *s.source, GOARCH: goarch, Tags: tags, Out: out, Stderr: env.Stderr})
	return out, err
}

// containerImage builds the SageMaker image from the flags.
func containerImage(ctx context.Context, env *Env, src sourceFlags) (v1.Image, error) {
	tmp, err := os.MkdirTemp("", "classifly-image")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	bin, err := src.binaryFor(ctx, env, tmp, "./cmd/classifly", "amd64", container.EndpointTag)
	if err != nil {
		return nil, err
	}
	img, err := container.Image(bin)
	if err != nil {
		return nil, err
	}
	// Compress now, while the binary is still there.
	size, err := container.CompressedSize(img)
	if err != nil {
		return nil, err
	}
	digest, _ := img.Digest()
	fmt.Fprintf(env.Stderr, "image %s: %.1f MB compressed\n", digest, float64(size)/1e6)
	return img, nil
}

func runImageBuild(ctx context.Context, env *Env, args []string) int {
	fs := newFlagSet(env, "image build", "")
	out := fs.String("out", filepath.Join("dist", "image.tar"), "tarball to write (docker load can read it)")
	tag := fs.String("tag", "classifly:latest", "tag recorded in the tarball")
	src := addSourceFlags(fs)
	if code, ok := parseNoArgs(fs, args, ""); !ok {
		return code
	}
	img, err := containerImage(ctx, env, src)
	if err == nil {
		err = writePathAtomic(*out, func(tmp string) error { return container.WriteTarball(tmp, *tag, img) })
	}
	if err != nil {
		return failed(env, fs, err)
	}
	digest, _ := img.Digest()
	fmt.Fprintf(env.Stdout, "%s: %s %s\n", *out, *tag, digest)
	return ExitOK
}

func runImagePush(ctx context.Context, env *Env, args []string) int {
	fs := newFlagSet(env, "image push", "")
	repo := fs.String("repo", "", "repository URL, e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com/classifly (required)")
	tag := fs.String("tag", "latest", "tag to push")
	region := fs.String("region", "", "ECR region (default: from the repository's host name)")
	src := addSourceFlags(fs)
	if code, ok := parseNoArgs(fs, args, ""); !ok {
		return code
	}
	if *repo == "" {
		errorf(env, "image push: --repo is required")
		return ExitUsage
	}
	auth, err := container.ECRAuth(ctx, *repo, *region)
	if err != nil {
		return failed(env, fs, err)
	}
	img, err := containerImage(ctx, env, src)
	if err != nil {
		return failed(env, fs, err)
	}
	ref, err := container.Push(ctx, img, *repo, *tag, auth)
	if err != nil {
		return failed(env, fs, err)
	}
	fmt.Fprintln(env.Stdout, ref)
	return ExitOK
}

func runImageLambda(ctx context.Context, env *Env, args []string) int {
	fs := newFlagSet(env, "image lambda", "")
	out := fs.String("out", filepath.Join("dist", "lambda.zip"), "zip to write")
	arch := fs.String("arch", "arm64", "Lambda architecture: arm64 or amd64")
	var models listFlag
	fs.Var(&models, "model", "model to bundle under model/ (for inference in the Lambda); repeatable")
	offline := fs.Bool("offline", false, "never download a model")
	src := addSourceFlags(fs)
	if code, ok := parseNoArgs(fs, args, ""); !ok {
		return code
	}
	if *arch != "arm64" && *arch != "amd64" {
		errorf(env, "image lambda: --arch must be arm64 or amd64")
		return ExitUsage
	}
	var files []container.ZipFile
	if len(models) > 0 {
		entries, err := resolveModels(ctx, env, models, *offline)
		if err != nil {
			return failed(env, fs, err)
		}
		for _, e := range entries {
			files = append(files, container.ZipFile{Name: "model/" + e.Name + ".tflite", Path: e.Path})
			if e.LabelsPath != "" && !hasZipEntry(files, "model/"+filepath.Base(e.LabelsPath)) {
				files = append(files, container.ZipFile{Name: "model/" + filepath.Base(e.LabelsPath), Path: e.LabelsPath})
			}
		}
	}
	tmp, err := os.MkdirTemp("", "classifly-lambda")
	if err != nil {
		return failed(env, fs, err)
	}
	defer os.RemoveAll(tmp)
	bin, err := src.binaryFor(ctx, env, tmp, "./cmd/lambda", *arch, lambdaTags...)
	if err == nil {
		err = writeFileAtomic(*out, func(f *os.File) error { return container.WriteLambdaZip(f, bin, files) })
	}
	if err != nil {
		return failed(env, fs, err)
	}
	st, _ := os.Stat(*out)
	fmt.Fprintf(env.Stdout, "%s: %.1f MB, linux/%s bootstrap, %d model file(s)\n", *out, float64(st.Size())/1e6, *arch, len(files))
	return ExitOK
}

// runImageBinary builds the binary that the other subcommands package, so
// that a build step can make it once and they take it with --binary.
func runImageBinary(ctx context.Context, env *Env, args []string) int {
	fs := newFlagSet(env, "image binary", "")
	out := fs.String("out", "", "binary to write (required)")
	pkg := fs.String("package", "./cmd/classifly", "main package: ./cmd/classifly (the container) or ./cmd/lambda (bootstrap)")
	arch := fs.String("arch", "amd64", "linux architecture: amd64 or arm64")
	source := fs.String("source", ".", "the classifly module to build from (go build runs there)")
	if code, ok := parseNoArgs(fs, args, ""); !ok {
		return code
	}
	if *out == "" || (*arch != "arm64" && *arch != "amd64") {
		errorf(env, "image binary: --out is required and --arch must be arm64 or amd64")
		return ExitUsage
	}
	var tags []string
	switch path.Base(*pkg) {
	case "lambda":
		tags = lambdaTags
	case "classifly": // the container's: without these deploy commands
		tags = []string{container.EndpointTag}
	}
	abs, err := filepath.Abs(*out)
	if err == nil {
		err = writePathAtomic(abs, func(tmp string) error {
			return container.BuildBinary(ctx, container.Binary{Package: *pkg, Dir: *source, GOARCH: *arch, Tags: tags, Out: tmp, Stderr: env.Stderr})
		})
	}
	if err == nil {
		err = os.Chmod(abs, 0o755)
	}
	if err != nil {
		return failed(env, fs, err)
	}
	fmt.Fprintf(env.Stdout, "%s: %s for linux/%s\n", *out, *pkg, *arch)
	return ExitOK
}

// lambdaTags build cmd/lambda without the RPC mode that provided.al2023
// does not use.
var lambdaTags = []string{"lambda.norpc"}

func hasZipEntry(files []container.ZipFile, name string) bool {
	for _, f := range files {
		if f.Name == name {
			return true
		}
	}
	return false
}

// failed reports err of fs's command ("classifly: image push: …") and
// returns ExitFailure.
func failed(env *Env, fs *flag.FlagSet, err error) int {
	errorf(env, "%s: %v", fs.Name(), err)
	return ExitFailure
}
