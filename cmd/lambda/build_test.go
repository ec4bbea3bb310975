//go:build e2e

package main

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"testing"

	"github.com/classifly/classifly/container"
	"github.com/classifly/classifly/internal/shared"
)

// binaries are the programs the system tests run, built once per test
// binary, as releases are (CGO off) but beside the test cache.
type binaries struct {
	bootstrap string // cmd/lambda for this machine, -tags lambda.norpc
	classifly string // the container binary
	rie       string // aws-lambda-rie at RIEVersion
}

var (
	buildOnce sync.Once
	built     binaries
	buildErr  error
	buildDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

func buildAll(t *testing.T) binaries {
	t.Helper()
	buildOnce.Do(func() {
		if buildDir, buildErr = os.MkdirTemp("", "classifly-lambda-test"); buildErr != nil {
			return
		}
		root, err := filepath.Abs("../..")
		if err != nil {
			buildErr = err
			return
		}
		built = binaries{
			bootstrap: filepath.Join(buildDir, "task", "bootstrap"),
			classifly: filepath.Join(buildDir, "classifly"),
			rie:       filepath.Join(buildDir, "aws-lambda-rie"),
		}
		var errs [3]error
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			errs[0] = container.BuildBinary(context.Background(), container.Binary{Package: "./cmd/lambda", Dir: root, GOARCH: runtime.GOARCH,
				Tags: []string{"lambda.norpc"}, Out: built.bootstrap, KeepPaths: true, Stderr: os.Stderr})
			if errs[0] == nil {
				errs[1] = container.BuildBinary(context.Background(), container.Binary{Package: "./cmd/classifly", Dir: root,
					GOARCH: runtime.GOARCH, Tags: []string{container.EndpointTag}, Out: built.classifly, KeepPaths: true, Stderr: os.Stderr})
			}
		}()
		go func() {
			defer wg.Done()
			errs[2] = installRIE(filepath.Dir(built.rie))
		}()
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				buildErr = err
				return
			}
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return built
}

// installRIE installs the pinned emulator into dir with go install.
func installRIE(dir string) error {
	cmd := exec.Command("go", "install", RIEVersion)
	cmd.Env = append(os.Environ(), "GOBIN="+dir, "CGO_ENABLED=0", "GOFLAGS=-mod=mod")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return &installError{err: err, out: string(out)}
	}
	return nil
}

type installError struct {
	err error
	out string
}

func (e *installError) Error() string {
	return "go install " + RIEVersion + ": " + e.err.Error() + "\n" + e.out
}

// TestLambdaZipForArm64 builds the release zip as Terraform does
// (linux/arm64, the model bundled for inference in Lambda) and checks
// what Lambda needs of it: an executable bootstrap at the root, ≤ 15 MB.
func TestLambdaZipForArm64(t *testing.T) {
	root, _ := filepath.Abs("../..")
	bin := filepath.Join(t.TempDir(), "bootstrap")
	if err := container.BuildBinary(context.Background(), container.Binary{Package: "./cmd/lambda", Dir: root, GOARCH: "arm64",
		Tags: []string{"lambda.norpc"}, Out: bin, KeepPaths: true, Stderr: os.Stderr}); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(bin); len(data) < 20 || data[18] != 0xB7 { // ELF e_machine EM_AARCH64
		t.Fatal("bootstrap is not an arm64 ELF executable")
	}
	models := shared.ModelDir(t)
	var buf bytes.Buffer
	if err := container.WriteLambdaZip(&buf, bin, []container.ZipFile{
		{Name: "model/mobilenet_v2_1.0_224_quant.tflite", Path: filepath.Join(models, "mobilenet_v2_1.0_224_quant.tflite")},
		{Name: "model/imagenet_labels.txt", Path: filepath.Join(models, "imagenet_labels.txt")},
	}); err != nil {
		t.Fatal(err)
	}
	const limit = 15 << 20
	t.Logf("Lambda zip (linux/arm64 bootstrap + mobilenet_v2): %.2f MB (limit 15 MB)", float64(buf.Len())/(1<<20))
	if buf.Len() > limit {
		t.Errorf("zip is %d bytes, over %d", buf.Len(), limit)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		if f.Name == "bootstrap" && f.Mode().Perm() != 0o755 {
			t.Errorf("bootstrap mode %v, want 0755", f.Mode())
		}
	}
	if !sort.StringsAreSorted(names) || names[0] != "bootstrap" || len(names) != 3 {
		t.Errorf("entries %v", names)
	}
	unzip(t, buf.Bytes())
}

// unzip extracts a zip into a new folder, keeping file modes, as Lambda
// unpacks a function's code into its task root.
func unzip(t *testing.T, data []byte) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, f := range zr.File {
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		content, _ := io.ReadAll(rc)
		rc.Close()
		if err := os.WriteFile(p, content, f.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
