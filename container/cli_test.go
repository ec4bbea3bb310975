//go:build e2e

package container

import (
	"archive/zip"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"

	"github.com/classifly/classifly/internal/shared"
	"github.com/classifly/classifly/internal/testkit"
	"github.com/classifly/classifly/sagemaker"
)

// classifly runs the built command with a clean environment plus env.
func classifly(t *testing.T, env []string, args ...string) (string, string, int) {
	t.Helper()
	requireAMD64(t)
	cmd := exec.Command(cliBinary(t), args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(),
		"CLASSIFLY_MODEL_DIR=" + shared.ModelDir(t)}, env...)
	return testkit.Run(t, cmd)
}

// TestCommands runs `classifly image build|lambda|push` and `classifly
// model package` as Terraform's build steps do (with a prebuilt binary, so
// that the test does not wait for a release build).
func TestCommands(t *testing.T) {
	dir := t.TempDir()
	bin := endpointBinary(t)

	t.Run("image build", func(t *testing.T) {
		out := filepath.Join(dir, "image.tar")
		classiflySays(t, "classifly:ci sha256:", "image", "build", "--binary", bin, "--out", out, "--tag", "classifly:ci")
		checkTarball(t, out, testImage(t))
	})

	t.Run("model package", func(t *testing.T) {
		shared.Full(t) // two models
		out := filepath.Join(dir, "model.tar.gz")
		classiflySays(t, "2 model(s), default mobilenet_v2_1.0_224_quant", "model", "package", "--offline", "--out", out,
			"--model", "mobilenet_v2_1.0_224_quant", "--model", "mobilenet_v1_0.25_128_quant")
		f, err := os.Open(out)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		m, err := sagemaker.ExtractModelArchive(f, t.TempDir(), 64<<20)
		if err != nil || len(m.Models) != 2 || m.Models[0].Labels != "imagenet_labels.txt" {
			t.Errorf("archive: %+v, %v", m, err)
		}
		if _, _, code := classifly(t, nil, "model", "package", "--offline", "--out", out, "--model", "no_such_model"); code == 0 {
			t.Error("an unknown model was packaged")
		}
	})

	t.Run("image lambda", func(t *testing.T) {
		out := filepath.Join(dir, "lambda.zip")
		// Any file stands in for the bootstrap here; cmd/lambda's tests zip
		// and run the real one.
		classiflySays(t, "2 model file(s)", "image", "lambda", "--binary", bin, "--out", out, "--offline",
			"--model", "mobilenet_v2_1.0_224_quant")
		zr, err := zip.OpenReader(out)
		if err != nil {
			t.Fatal(err)
		}
		defer zr.Close()
		var names []string
		for _, f := range zr.File {
			names = append(names, f.Name)
		}
		if strings.Join(names, " ") != "bootstrap model/imagenet_labels.txt model/mobilenet_v2_1.0_224_quant.tflite" {
			t.Errorf("zip entries %v", names)
		}
	})

	t.Run("image push", func(t *testing.T) {
		const password = "token-password"
		ecrAPI := fakeECRAPI(t, password)
		defer ecrAPI.Close()
		reg := registry.New()
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if _, pass, ok := r.BasicAuth(); !ok || pass != password {
				w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			reg.ServeHTTP(w, r)
		}))
		defer srv.Close()
		repo := strings.TrimPrefix(srv.URL, "http://") + "/classifly"
		stdout, stderr, code := classifly(t, []string{"AWS_ENDPOINT_URL_ECR=" + ecrAPI.URL,
			"AWS_ACCESS_KEY_ID=AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY=secret"},
			"image", "push", "--binary", bin, "--repo", repo, "--tag", "abc", "--region", "eu-west-1")
		d, _ := testImage(t).Digest()
		if code != 0 || strings.TrimSpace(stdout) != repo+"@"+d.String() {
			t.Fatalf("exit %d, printed %q, want %s@%s\n%s", code, stdout, repo, d, stderr)
		}
	})

	t.Run("usage", func(t *testing.T) {
		for _, args := range [][]string{{"image"}, {"image", "bake"}, {"model"}, {"image", "push"},
			{"image", "lambda", "--arch", "riscv64"}, {"image", "build", "extra"}} {
			if _, _, code := classifly(t, nil, args...); code != 2 {
				t.Errorf("classifly %s: exit %d, want 2", strings.Join(args, " "), code)
			}
		}
	})
}

// classiflySays runs the CLI with args and fails the test unless it
// succeeds and its output contains want.
func classiflySays(t *testing.T, want string, args ...string) {
	t.Helper()
	stdout, stderr, code := classifly(t, nil, args...)
	if code != 0 || !strings.Contains(stdout, want) {
		t.Fatalf("exit %d, want %q on stdout\n%s%s", code, want, stdout, stderr)
	}
}
