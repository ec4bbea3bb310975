package imageprep_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/classifly/classifly/classify"
	"github.com/classifly/classifly/engine"
	"github.com/classifly/classifly/imageprep"
	"github.com/classifly/classifly/internal/shared"
	"github.com/classifly/classifly/registry"
)

// TestFastPathTop1 runs every golden model on every golden picture through
// the exact and the fast path. The top-1 class must be the same for the
// default model (registry.DefaultModel), and for every model wherever the
// exact path is confident (top-1 score at least 0.4); the rest, and the
// photos (not golden pictures), are reported. The figures chose
// scaleMargin and boxMinFactor (see fast.go).
func TestFastPathTop1(t *testing.T) {
	if testing.Short() {
		t.Skip("runs 7 models on every picture")
	}
	models, _ := filepath.Glob(filepath.Join(shared.GoldenDir(t), "*", "manifest.json"))
	if len(models) == 0 {
		t.Fatal("no golden models")
	}
	imgDir := shared.ImageDir(t)
	pictures, _ := filepath.Glob(filepath.Join(imgDir, "*.*"))
	photos, _ := filepath.Glob(filepath.Join(imgDir, "photos", "*.jpg"))
	ctx := context.Background()
	var same, total, photoSame, photoTotal int
	for _, mf := range models {
		name := filepath.Base(filepath.Dir(mf))
		data, err := os.ReadFile(filepath.Join(shared.ModelDir(t), name+".tflite"))
		if err != nil {
			t.Fatal(err)
		}
		m, err := engine.Load(data, engine.Options{Threads: 1})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		c, err := classify.New(name, m, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range append(pictures, photos...) {
			img, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			exact, err := c.ClassifyBytes(ctx, img, classify.Options{TopK: 1, Resize: imageprep.ResizeExact})
			if err != nil {
				continue // not a picture (README…)
			}
			fast, err := c.ClassifyBytes(ctx, img, classify.Options{TopK: 1, Resize: imageprep.ResizeFast})
			if err != nil {
				t.Fatalf("%s %s: fast path: %v", name, p, err)
			}
			ok := exact.Predictions[0].Index == fast.Predictions[0].Index
			if strings.Contains(p, string(filepath.Separator)+"photos"+string(filepath.Separator)) {
				photoTotal++
				if ok {
					photoSame++
				} else {
					t.Logf("%s %s: photo top-1 exact %d (%.2f), fast %d (%.2f)", name, filepath.Base(p),
						exact.Predictions[0].Index, exact.Predictions[0].Score, fast.Predictions[0].Index, fast.Predictions[0].Score)
				}
				continue
			}
			total++
			if ok {
				same++
			} else if name == registry.DefaultModel || exact.Predictions[0].Score >= 0.4 {
				t.Errorf("%s %s: top-1 exact %d (%.2f), fast %d (%.2f)", name, filepath.Base(p),
					exact.Predictions[0].Index, exact.Predictions[0].Score, fast.Predictions[0].Index, fast.Predictions[0].Score)
			} else {
				t.Logf("%s %s: unsure top-1 exact %d (%.2f), fast %d (%.2f)", name, filepath.Base(p),
					exact.Predictions[0].Index, exact.Predictions[0].Score, fast.Predictions[0].Index, fast.Predictions[0].Score)
			}
		}
		m.Close()
	}
	t.Logf("top-1 fast == exact: golden pictures %d/%d, photos %d/%d", same, total, photoSame, photoTotal)
}
