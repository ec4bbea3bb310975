package main

import (
	le "encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/classifly/classifly/internal/shared"
)

// eachFloatTwin runs test, in parallel subtests, on every float twin with
// its golden-float folder and manifest.
func eachFloatTwin(t *testing.T, test func(t *testing.T, name, dir string, man shared.Manifest)) {
	root, twins := shared.FloatTwins(t)
	for _, name := range twins {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(root, name)
			var man shared.Manifest
			shared.ReadManifest(t, dir, &man)
			test(t, name, dir, man)
		})
	}
}

func f32s(b []byte) []float32 {
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(le.LittleEndian.Uint32(b[4*i:]))
	}
	return v
}

// lead returns the top-1 index and its lead over the second.
func lead(v []float32) (int, float32) {
	best, second := 0, float32(math.Inf(-1))
	for i, x := range v {
		if x > v[best] {
			best, second = i, v[best]
		} else if i != best && x > second {
			second = x
		}
	}
	return best, v[best] - second
}

// TestRunFloatTwins runs every float32, float16 and dynamic-range twin on
// every golden picture with `classifly run` (inputs: the quantized model's
// golden inputs dequantized, as golden-float/README.md says) and holds the
// probabilities to TensorFlow Lite's within that README's tolerance.
func TestRunFloatTwins(t *testing.T) {
	eachFloatTwin(t, func(t *testing.T, name, dir string, man shared.Manifest) {
		tol, minLead := float32(1e-4), float32(0)
		if man.Kind == "dynamic" {
			tol, minLead = 5e-2, 0.05
		}
		in, out := t.TempDir(), t.TempDir()
		src := filepath.Join(shared.GoldenDir(t), strings.TrimSuffix(man.SourceModel, ".tflite"))
		for _, img := range man.Images {
			raw, err := os.ReadFile(filepath.Join(src, img.Input))
			if err != nil {
				t.Fatal(err)
			}
			f := make([]byte, 4*len(raw))
			for i, u := range raw {
				le.LittleEndian.PutUint32(f[4*i:], math.Float32bits(float32(int(u)-man.Input.ZeroPoint)*man.Input.Scale))
			}
			if err := os.WriteFile(filepath.Join(in, img.Input), f, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		_, stderr, code := classifly(t, "run", "--model", shared.Model(t, name+".tflite"), "--in", in, "--out", out)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		for _, img := range man.Images {
			base := strings.TrimSuffix(img.Input, ".input.bin")
			got, err := os.ReadFile(filepath.Join(out, base+".output.bin"))
			if err != nil {
				t.Fatal(err)
			}
			wantB, err := os.ReadFile(filepath.Join(dir, img.Output))
			if err != nil {
				t.Fatal(err)
			}
			g, w := f32s(got), f32s(wantB)
			if len(g) != len(w) {
				t.Fatalf("%s: %d scores, want %d", base, len(g), len(w))
			}
			var worst float32
			for i := range w {
				worst = max(worst, float32(math.Abs(float64(g[i]-w[i]))))
			}
			if worst > tol {
				t.Errorf("%s: max |Δ| %.3g, tolerance %g", base, worst, tol)
			}
			gi, _ := lead(g)
			if wi, l := lead(w); gi != wi && l > minLead {
				t.Errorf("%s: top-1 %d, TensorFlow Lite %d", base, gi, wi)
			}
		}
	})
}

// TestPredictFloatTwins runs `classifly predict --resize exact` (the golden
// tensors' decoding and resizing) on every twin and golden picture: the
// twin's metadata gives the labels and the normalization that turns the
// picture into the golden float input, so the top-1 is
// TensorFlow Lite's (for dynamic-range twins, wherever TFLite's top-1 leads
// by more than 0.05).
func TestPredictFloatTwins(t *testing.T) {
	eachFloatTwin(t, func(t *testing.T, name, dir string, man shared.Manifest) {
		args := []string{"predict", "--offline", "--json", "--top", "1", "--resize", "exact", "--model", shared.Model(t, name+".tflite")}
		for _, img := range man.Images {
			args = append(args, filepath.Join(shared.ImageDir(t), img.Image))
		}
		stdout, stderr, code := classifly(t, args...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		lines := strings.Split(strings.TrimSpace(stdout), "\n")
		if len(lines) != len(man.Images) {
			t.Fatalf("%d answers for %d pictures:\n%s", len(lines), len(man.Images), stdout)
		}
		for i, img := range man.Images {
			var res struct {
				Predictions []struct {
					Index int
					Label string
					Score float32
				}
			}
			if err := json.Unmarshal([]byte(lines[i]), &res); err != nil || len(res.Predictions) != 1 {
				t.Fatalf("%s: %v: %s", img.Image, err, lines[i])
			}
			want, err := os.ReadFile(filepath.Join(dir, img.Output))
			if err != nil {
				t.Fatal(err)
			}
			wi, l := lead(f32s(want))
			p := res.Predictions[0]
			if p.Index != wi && (man.Kind != "dynamic" || l > 0.05) {
				t.Errorf("%s: top-1 %d (%s), TensorFlow Lite %d", img.Image, p.Index, p.Label, wi)
			}
			if p.Label == "" {
				t.Errorf("%s: no label: the metadata's labels were not used", img.Image)
			}
		}
	})
}

// TestModelsDescribesNamedModels: `classifly models FILE...` shows each
// file's format, normalization and where its labels come from, and a name
// that is neither known nor a file fails with status 1.
func TestModelsDescribesNamedModels(t *testing.T) {
	shared.Full(t)
	stdout, stderr, code := classifly(t, "models", shared.Model(t, "tf2_mobilenet_v2_1.0_224_dynamic.tflite"), shared.Model(t, "mobilenet_v1_0.25_128_float16.tflite"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"dynamic", "float16", "mean 128, std 128 (metadata)", "metadata (imagenet_labels.txt)"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("listing lacks %q:\n%s", want, stdout)
		}
	}
	if _, stderr, code := classifly(t, "models", "no_such_model"); code != 1 || !strings.Contains(stderr, "no_such_model") {
		t.Errorf("unknown model: exit %d, %s", code, stderr)
	}
}
