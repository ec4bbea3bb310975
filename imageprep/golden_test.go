package imageprep

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/classifly/classifly/internal/shared"
	"github.com/classifly/classifly/internal/testkit"
)

// goldenModel is one folder of the shared golden tensors.
type goldenModel struct {
	name, dir string
	w, h      int
}

// goldenModels lists the model folders and their input sizes from
// manifest.json; it fails, never skips, when there are none.
func goldenModels(t *testing.T) []goldenModel {
	t.Helper()
	root := shared.GoldenDir(t)
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	var models []goldenModel
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(root, e.Name())
		raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
		if err != nil {
			t.Fatalf("golden folder %s: %v", dir, err)
		}
		var m struct {
			Input struct {
				Dtype string `json:"dtype"`
				Shape []int  `json:"shape"`
			} `json:"input"`
		}
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("%s/manifest.json: %v", dir, err)
		}
		s := m.Input.Shape
		if m.Input.Dtype != "uint8" || len(s) != 4 || s[0] != 1 || s[3] != 3 {
			t.Fatalf("%s: input %s %v, want uint8 [1 H W 3]", dir, m.Input.Dtype, s)
		}
		models = append(models, goldenModel{name: e.Name(), dir: dir, w: s[2], h: s[1]})
	}
	if len(models) == 0 {
		t.Fatalf("no model folders in %s", root)
	}
	return models
}

// decodeFiles decodes every file of the shared image folder with the given
// extension; it fails when there is none.
func decodeFiles(t *testing.T, ext string) map[string]*Image {
	t.Helper()
	dir := shared.ImageDir(t)
	files, err := filepath.Glob(filepath.Join(dir, "*"+ext))
	if err != nil || len(files) == 0 {
		t.Fatalf("no %s images in %s (%v)", ext, dir, err)
	}
	out := map[string]*Image{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		img, err := Decode(data, Options{})
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[strings.TrimSuffix(filepath.Base(f), ext)] = img
	}
	return out
}

// TestResizeGolden: for every BMP and every model, Decode then Resize must
// reproduce the input tensor that fed the real TFLite runtime, byte for byte.
func TestResizeGolden(t *testing.T) {
	images := decodeFiles(t, ".bmp")
	for _, m := range goldenModels(t) {
		for name, img := range images {
			t.Run(m.name+"/"+name, func(t *testing.T) {
				want, err := os.ReadFile(filepath.Join(m.dir, name+".input.bin"))
				if err != nil {
					t.Fatal(err)
				}
				got := Resize(img, m.w, m.h, CropNone)
				if len(got) != len(want) {
					t.Fatalf("got %d bytes, want %d", len(got), len(want))
				}
				for i := range got {
					if got[i] != want[i] {
						p := i / 3
						t.Fatalf("%dx%d from %dx%d: first difference at pixel (%d,%d) channel %d: got %d, want %d (%d bytes differ)",
							m.w, m.h, img.Width, img.Height, p%m.w, p/m.w, i%3, got[i], want[i], countDiff(got, want))
					}
				}
			})
		}
	}
}

// TestResizeGoldenJPEG compares the JPEGs too. The golden inputs were decoded
// by jpeg-js, whose IDCT and chroma upsampling differ from Go's image/jpeg, so
// exact equality is impossible; the bounds (about twice what Go's decoder
// shows: mean 0.5, max 3) catch real mistakes (orientation, channel order,
// colour range, a wrong resize) while allowing decoder rounding.
func TestResizeGoldenJPEG(t *testing.T) {
	const maxMean, maxAbs = 1.0, 6
	images := decodeFiles(t, ".jpg")
	for _, m := range goldenModels(t) {
		for name, img := range images {
			want, err := os.ReadFile(filepath.Join(m.dir, name+".input.bin"))
			if err != nil {
				t.Fatal(err)
			}
			got := Resize(img, m.w, m.h, CropNone)
			if len(got) != len(want) {
				t.Fatalf("%s/%s: got %d bytes, want %d", m.name, name, len(got), len(want))
			}
			mean, maxd := diffStats(got, want)
			if mean > maxMean || maxd > maxAbs {
				t.Errorf("%s/%s: mean |diff| %.3f (limit %.1f), max %d (limit %d)", m.name, name, mean, maxMean, maxd, maxAbs)
			}
		}
	}
}

func countDiff(a, b []byte) int {
	n := 0
	for i := range a {
		if a[i] != b[i] {
			n++
		}
	}
	return n
}

// diffStats returns the mean and the largest absolute difference of a and b.
func diffStats(a, b []byte) (mean float64, maxd int) {
	mean, maxd, _ = testkit.AbsDiff(a, b)
	return mean, maxd
}
