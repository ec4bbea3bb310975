package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/classifly/classifly/internal/shared"
	"github.com/classifly/classifly/internal/testkit"
)

// binary is the classifly command built once for these tests, so that they
// exercise the real program, flags, exit codes and all.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "classifly-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "classifly")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building classifly: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// classifly runs the binary with the shared model folder and returns stdout,
// stderr and the exit status.
func classifly(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), "CLASSIFLY_MODEL_DIR="+shared.ModelDir(t), "XDG_CACHE_HOME="+t.TempDir())
	return testkit.Run(t, cmd)
}

// TestRunGoldenFolders turns every golden input folder into outputs with
// `classifly run --in DIR --out DIR` and compares them with TFLite's.
func TestRunGoldenFolders(t *testing.T) {
	manifests, _ := filepath.Glob(shared.Golden(t, "*", "manifest.json"))
	if len(manifests) == 0 {
		t.Fatal("no golden manifests")
	}
	for _, mf := range manifests {
		dir := filepath.Dir(mf)
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			out := t.TempDir()
			model := shared.Model(t, name+".tflite")
			stdout, stderr, code := classifly(t, "run", "--model", model, "--in", dir, "--out", out)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			inputs, _ := filepath.Glob(filepath.Join(dir, "*.input.bin"))
			if n := strings.Count(stdout, "\n"); n != len(inputs) {
				t.Errorf("reported %d files, want %d:\n%s", n, len(inputs), stdout)
			}
			for _, in := range inputs {
				base := strings.TrimSuffix(filepath.Base(in), ".input.bin")
				want, err := os.ReadFile(filepath.Join(dir, base+".output.bin"))
				if err != nil {
					t.Fatal(err)
				}
				got, err := os.ReadFile(filepath.Join(out, base+".output.bin"))
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("%s: output differs from TFLite's", base)
				}
			}
		})
	}
}

// TestRunSingleFile checks the one-file form.
func TestRunSingleFile(t *testing.T) {
	dir := shared.Golden(t, "mobilenet_v1_0.25_128_quant")
	out := filepath.Join(t.TempDir(), "cat.out")
	_, stderr, code := classifly(t, "run", "--model", "mobilenet_v1_0.25_128_quant", "--in", filepath.Join(dir, "cat.input.bin"), "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	got, _ := os.ReadFile(out)
	want, _ := os.ReadFile(filepath.Join(dir, "cat.output.bin"))
	if !bytes.Equal(got, want) {
		t.Error("output differs from TFLite's")
	}
	// A wrong-sized input is an error, not a crash.
	bad := filepath.Join(t.TempDir(), "short.bin")
	os.WriteFile(bad, []byte("short"), 0o644)
	_, stderr, code = classifly(t, "run", "--model", "mobilenet_v1_0.25_128_quant", "--in", bad, "--out", out)
	if code != 1 || !strings.Contains(stderr, "input size") {
		t.Errorf("short input: exit %d, stderr %q", code, stderr)
	}
}

// TestReferenceSuite is libcoral's classification test suite
// (classification tests of the public google-coral/libcoral repository:
// whole image, bilinear half-pixel resize) run through `classifly predict
// --top 3`: the expected class must be in the top 3 with at least the score.
func TestReferenceSuite(t *testing.T) {
	cases := []struct {
		model, image string
		index        int
		minScore     float32
	}{
		{"mobilenet_v2_1.0_224_quant", "cat.bmp", 286, 0.70},
		{"tf2_mobilenet_v2_1.0_224_ptq", "cat.bmp", 286, 0.60},
		{"mobilenet_v1_0.25_128_quant", "cat.bmp", 283, 0.25},
		{"mobilenet_v1_0.5_160_quant", "cat.bmp", 286, 0.51},
		{"mobilenet_v1_0.75_192_quant", "cat.bmp", 283, 0.35},
		{"mobilenet_v2_1.0_224_inat_bird_quant", "bird.bmp", 659, 0.5},
		{"mobilenet_v2_1.0_224_inat_insect_quant", "dragonfly.bmp", 912, 0.2},
	}
	for _, c := range cases {
		t.Run(c.model, func(t *testing.T) {
			t.Parallel()
			shared.Model(t, c.model+".tflite") // skips on a bare clone but for the default model
			img := shared.Image(t, c.image)
			stdout, stderr, code := classifly(t, "predict", "--offline", "--model", c.model, "--top", "3", "--json", img)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var res answer
			if err := json.Unmarshal([]byte(stdout), &res); err != nil {
				t.Fatalf("%v: %q", err, stdout)
			}
			if res.Model != c.model || res.File != img || len(res.Predictions) != 3 {
				t.Fatalf("unexpected answer %+v", res)
			}
			for _, p := range res.Predictions {
				if p.Index == c.index {
					if p.Score < c.minScore {
						t.Errorf("class %d (%s) scores %.4f, want ≥ %.2f", p.Index, p.Label, p.Score, c.minScore)
					}
					return
				}
			}
			t.Errorf("class %d not in top 3: %+v", c.index, res.Predictions)
		})
	}
}

// TestPredictReportsBadFilesAndGoesOn: a bad file is reported on stderr, the
// good ones still get answers, and the exit status says something failed.
func TestPredictReportsBadFilesAndGoesOn(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "notes.jpg")
	os.WriteFile(bad, []byte("this is not a picture"), 0o644)
	empty := filepath.Join(dir, "empty.png")
	os.WriteFile(empty, nil, 0o644)
	cat := shared.Image(t, "cat.bmp")
	stdout, stderr, code := classifly(t, "predict", "--offline", "--model", shared.SmallModel(), bad, cat, empty, filepath.Join(dir, "missing.bmp"))
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	for _, want := range []string{"notes.jpg", "empty.png", "missing.bmp"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not mention %s:\n%s", want, stderr)
		}
	}
	if !strings.Contains(stdout, "cat.bmp") || !strings.Contains(stdout, "cat") {
		t.Errorf("no answer for cat.bmp:\n%s", stdout)
	}
	if strings.Contains(stderr, "panic") || strings.Contains(stderr, "goroutine") {
		t.Errorf("crash output:\n%s", stderr)
	}
}

// TestPredictFolder walks a folder of pictures.
func TestPredictFolder(t *testing.T) {
	stdout, stderr, code := classifly(t, "predict", "--offline", "--model", shared.SmallModel(), "--json", "--top", "1", shared.ImageDir(t))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	var imgs []string // the folder is walked recursively
	filepath.WalkDir(shared.ImageDir(t), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.Contains(".bmp.jpg.png.gif.webp", strings.ToLower(filepath.Ext(p))) {
			imgs = append(imgs, p)
		}
		return nil
	})
	if len(lines) != len(imgs) {
		t.Errorf("%d answers for %d pictures", len(lines), len(imgs))
	}
	for _, l := range lines {
		var res struct {
			Image struct {
				Width, Height int
				Format        string
			}
			Predictions []json.RawMessage
			Timings     map[string]float64 `json:"timings_ms"`
		}
		if err := json.Unmarshal([]byte(l), &res); err != nil {
			t.Fatal(err)
		}
		if res.Image.Width == 0 || res.Image.Format == "" || len(res.Predictions) != 1 || res.Timings["inference"] <= 0 {
			t.Errorf("incomplete answer: %s", l)
		}
	}
}

// TestOfflineWithoutModel: a model that is neither on disk nor built in,
// with no download allowed, gives one clear message naming the variable
// and the URL.
func TestOfflineWithoutModel(t *testing.T) {
	cmd := exec.Command(binary, "predict", "--offline", "--model", "mobilenet_v1_0.25_128_quant", shared.Image(t, "cat.bmp"))
	cmd.Env = append(os.Environ(), "CLASSIFLY_MODEL_DIR="+t.TempDir(), "XDG_CACHE_HOME="+t.TempDir(), "HOME="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("want exit 1, got %v: %s", err, out)
	}
	for _, want := range []string{"CLASSIFLY_MODEL_DIR", "https://github.com/google-coral/test_data/raw/master/mobilenet_v1_0.25_128_quant.tflite"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("message does not name %s:\n%s", want, out)
		}
	}
}

// TestModelsListsWhereFound checks `classifly models`.
func TestModelsListsWhereFound(t *testing.T) {
	stdout, stderr, code := classifly(t, "models")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	present, _ := filepath.Glob(filepath.Join(shared.ModelDir(t), "*_quant.tflite"))
	ptq, _ := filepath.Glob(filepath.Join(shared.ModelDir(t), "*_ptq.tflite"))
	if !strings.Contains(stdout, "mobilenet_v2_1.0_224_quant (default)") || strings.Count(stdout, shared.ModelDir(t)+string(filepath.Separator)) != len(present)+len(ptq) {
		t.Errorf("unexpected listing:\n%s", stdout)
	}
}
