package jpegdec

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/classifly/classifly/internal/shared"
)

// BenchmarkPhotos decodes the shared photos at the scale a 224×224 model
// input asks for, and at full size.
func BenchmarkPhotos(b *testing.B) {
	d := shared.ImageDir(b)
	files, _ := filepath.Glob(filepath.Join(d, "photos", "*.jpg"))
	files = append(files, filepath.Join(d, "cat_720p.jpg"), filepath.Join(d, "parrot.jpg"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Skipf("shared pictures: %v", err)
		}
		for _, min := range []int{224, 1 << 30} {
			name := filepath.Base(f) + "/224"
			if min > 224 {
				name = filepath.Base(f) + "/full"
			}
			b.Run(name, func(b *testing.B) {
				b.SetBytes(int64(len(data)))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := Decode(data, Options{MinWidth: min, MinHeight: min}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkSmall is the fixed cost of a decode: tables and buffers.
func BenchmarkSmall(b *testing.B) {
	data := seeds(b)["s420-progressive.jpg"]
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(data, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
