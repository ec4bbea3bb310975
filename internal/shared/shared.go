// Package shared finds the test data: the repository's own small set
// (testdata/ and the embedded default model in models/) and, when it is there,
// the project's large data set (every model, all golden tensors, the photos),
// which lives outside the repository in ../shared beside the checkout or
// wherever the CLASSIFLY_*_DIR variables point.
//
// On a bare clone the folders resolve to the repository's subset, so tests
// that need only the default model and a few pictures pass anywhere. Tests
// that need more call [Full]: they skip, saying why, outside CI, and fail
// under CI=true, where the large data is required. Tools from Debian
// packages (Chromium, ImageMagick, cwebp, cjpeg) follow the same rule
// through [Tool].
package shared

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Environment variables that point at the large data folders.
const (
	EnvModelDir  = "CLASSIFLY_MODEL_DIR"
	EnvGoldenDir = "CLASSIFLY_GOLDEN_DIR"
	EnvImageDir  = "CLASSIFLY_IMAGE_DIR"
)

// ModelDir returns the folder of .tflite models and label files: the large
// set when present, else the repository's models/ (the default model only).
func ModelDir(tb testing.TB) string { return dir(tb, EnvModelDir, "models", "models") }

// GoldenDir returns the folder of golden tensors (one sub-folder per model):
// the large set when present, else testdata/golden (the default model on the
// repository's pictures).
func GoldenDir(tb testing.TB) string {
	return dir(tb, EnvGoldenDir, "golden", filepath.Join("testdata", "golden"))
}

// ImageDir returns the folder of test pictures: the large set when present,
// else testdata/images.
func ImageDir(tb testing.TB) string {
	return dir(tb, EnvImageDir, "images", filepath.Join("testdata", "images"))
}

// Full skips the test, saying why, unless the large data set is present; in
// CI (CI=true) it fails instead, because there the data is required.
func Full(tb testing.TB) {
	tb.Helper()
	for _, v := range []struct{ env, sub string }{{EnvModelDir, "models"}, {EnvGoldenDir, "golden"}, {EnvImageDir, "images"}} {
		if largeDir(tb, v.env, v.sub) == "" {
			Missing(tb, "the large test data (every model, golden tensor and photo) is not here: put it in ../shared beside the checkout or set "+v.env)
			return
		}
	}
}

// Tool returns the path of a program the test needs (looked up on PATH),
// skipping the test outside CI when it is missing, with the Debian package
// that provides it, and failing under CI=true.
func Tool(tb testing.TB, name, debianPackage string) string {
	tb.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Missing(tb, name+" is not installed (Debian package "+debianPackage+"; scripts/test installs it)")
	}
	return p
}

// InCI reports whether the tests run in CI, where nothing may be skipped for
// want of data or tools.
func InCI() bool { return os.Getenv("CI") == "true" }

// Missing skips the test with the reason why, or fails it under CI=true,
// where everything the tests need is installed.
func Missing(tb testing.TB, why string) {
	tb.Helper()
	if InCI() {
		tb.Fatalf("CI=true: %s", why)
	}
	tb.Skip(why)
}

// dir resolves a data folder: the large one if present, else the
// repository's subset at repoSub (never under CI, which must use the large
// set).
func dir(tb testing.TB, env, sub, repoSub string) string {
	tb.Helper()
	if d := largeDir(tb, env, sub); d != "" {
		return d
	}
	if InCI() {
		tb.Fatalf("CI=true: test data not found: set %s to the shared %s folder (e.g. ../shared/%s)", env, sub, sub)
	}
	if root := repoRoot(); root != "" {
		return filepath.Join(root, repoSub)
	}
	tb.Fatalf("test data not found: not inside the repository (no go.mod above %s) and %s is not set", cwd(), env)
	return ""
}

// largeDir returns the large data folder named by env, else ../shared/<sub>
// beside the repository, else "". A variable naming a missing folder is an
// error, not a silent fallback.
func largeDir(tb testing.TB, env, sub string) string {
	tb.Helper()
	if d := os.Getenv(env); d != "" {
		if abs, err := filepath.Abs(d); err == nil {
			d = abs
		}
		if st, err := os.Stat(d); err != nil || !st.IsDir() {
			tb.Fatalf("%s=%q is not a folder: set it to the shared %s folder", env, d, sub)
		}
		return d
	}
	return sharedBeside(sub)
}

// sharedBeside returns ../shared/<sub> beside the repository if it is a
// folder, else "".
func sharedBeside(sub string) string {
	if root := repoRoot(); root != "" {
		d := filepath.Join(filepath.Dir(root), "shared", sub)
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			return d
		}
	}
	return ""
}

func cwd() string {
	d, _ := os.Getwd()
	return d
}

func repoRoot() string {
	d, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		parent := filepath.Dir(d)
		if parent == d {
			return ""
		}
		d = parent
	}
}

// SmallModel names the model that tests use when the answer's content does
// not matter: MobileNet V1 0.25 (a tenth of a millisecond a picture) when the
// large set is present, else the repository's default model, the only one a
// bare clone has. It needs no testing.TB so that test files can keep it in a
// package-level variable; under CI the data folders' own checks fail loudly.
func SmallModel() string {
	if os.Getenv(EnvModelDir) != "" || sharedBeside("models") != "" {
		return "mobilenet_v1_0.25_128_quant"
	}
	return "mobilenet_v2_1.0_224_quant"
}

// Model returns the path of a file in the model folder. A file that only the
// large set has skips the test on a bare clone, saying so (and fails in CI).
func Model(tb testing.TB, file string) string {
	tb.Helper()
	return inDir(tb, ModelDir(tb), file)
}

// Golden returns the path of a file or folder under the golden folder, with
// [Model]'s rule for what only the large set has.
func Golden(tb testing.TB, elem ...string) string {
	tb.Helper()
	return inDir(tb, GoldenDir(tb), filepath.Join(elem...))
}

// Image returns the path of a test picture, with [Model]'s rule for what only
// the large set has.
func Image(tb testing.TB, file string) string {
	tb.Helper()
	return inDir(tb, ImageDir(tb), file)
}

func inDir(tb testing.TB, dir, name string) string {
	tb.Helper()
	p := filepath.Join(dir, name)
	if _, err := os.Stat(p); err != nil && os.IsNotExist(err) && !InCI() && sharedBeside("models") == "" && os.Getenv(EnvModelDir) == "" {
		tb.Skipf("%s is only in the large test data, which this clone does not have (../shared, or CLASSIFLY_*_DIR)", name)
	}
	return p
}

// ReadModel returns the bytes of a file in the model folder (see [Model]).
func ReadModel(tb testing.TB, file string) []byte {
	tb.Helper()
	return read(tb, Model(tb, file))
}

// ReadImage returns the bytes of a test picture (see [Image]).
func ReadImage(tb testing.TB, file string) []byte {
	tb.Helper()
	return read(tb, Image(tb, file))
}

// FloatTwins returns the folder of TensorFlow Lite's outputs for the float32,
// float16 and dynamic-range twins (golden-float, beside the golden folder)
// and the twins' names; it needs the large set ([Full]).
func FloatTwins(tb testing.TB) (root string, names []string) {
	tb.Helper()
	Full(tb)
	root = filepath.Join(filepath.Dir(GoldenDir(tb)), "golden-float")
	manifests, err := filepath.Glob(filepath.Join(root, "*", "manifest.json"))
	if err != nil || len(manifests) == 0 {
		tb.Fatalf("no float golden manifests under %s", root)
	}
	for _, m := range manifests {
		names = append(names, filepath.Base(filepath.Dir(m)))
	}
	return root, names
}

// ReadFile returns the bytes of dir/name (a file of the test data, or one
// a test wrote), or fails the test.
func ReadFile(tb testing.TB, dir, name string) []byte {
	tb.Helper()
	return read(tb, filepath.Join(dir, name))
}

func read(tb testing.TB, path string) []byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// Manifest is what the tests read of a golden folder's manifest.json
// (golden/<model>, golden-float/<twin>): the pictures with their input,
// output and logits files, the logits' tensor, and for a float twin its
// kind, its quantized source model and that one's input quantization.
type Manifest struct {
	Kind        string `json:"kind"`
	SourceModel string `json:"source_model"`
	Input       struct {
		Scale     float32 `json:"source_scale"`
		ZeroPoint int     `json:"source_zero_point"`
	} `json:"input"`
	Logits struct {
		TensorIndex int `json:"tensor_index"`
	} `json:"logits"`
	Images []struct {
		Image, Input, Output, Logits string
		Top5                         []struct{ Index int } `json:"top5"`
	} `json:"images"`
}

// ReadManifest decodes dir/manifest.json into v (a *Manifest, or a type of
// one's own).
func ReadManifest(tb testing.TB, dir string, v any) {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err == nil {
		err = json.Unmarshal(raw, v)
	}
	if err != nil {
		tb.Fatalf("reading the manifest in %s: %v", dir, err)
	}
}
