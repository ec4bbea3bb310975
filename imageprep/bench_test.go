package imageprep

import (
	"testing"

	"github.com/classifly/classifly/internal/shared"
)

// BenchmarkDecodeResize measures the whole preparation of a 1280x720 JPEG
// photo (cat_720p.jpg from the shared images) for a 224x224 model, and its
// two halves.
func BenchmarkDecodeResize(b *testing.B) {
	data := shared.ReadImage(b, "cat_720p.jpg")
	img, err := Decode(data, Options{})
	if err != nil {
		b.Fatal(err)
	}
	if img.Width != 1280 || img.Height != 720 {
		b.Fatalf("cat_720p.jpg is %dx%d", img.Width, img.Height)
	}
	b.Run("Decode+Resize", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			img, err := Decode(data, Options{})
			if err != nil {
				b.Fatal(err)
			}
			Resize(img, 224, 224, CropNone)
		}
	})
	b.Run("Decode", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if _, err := Decode(data, Options{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, crop := range []Crop{CropNone, CropCenter} {
		b.Run("Resize/"+crop.String(), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(224 * 224 * 3)
			for b.Loop() {
				Resize(img, 224, 224, crop)
			}
		})
	}
}
