package imageprep

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/classifly/classifly/internal/shared"
	"github.com/classifly/classifly/internal/testpics"
)

// TestProbeCoversTheFastPath: for a JPEG on the fast path, Probe's
// DecodeBytes is at least what Prepare really allocates (every byte, live
// or not, counted by runtime.MemStats.TotalAlloc), and far below a full
// decode's estimate: the 12 MP photo baseline, a progressive copy of it
// (jpegtran), an EXIF-rotated photo, and a 60 MP picture the test makes.
func TestProbeCoversTheFastPath(t *testing.T) {
	photo := shared.Image(t, filepath.Join("photos", "olympus_e-p3_12mp.jpg"))
	baseline, err := os.ReadFile(photo)
	if err != nil {
		t.Fatal(err)
	}
	jpegtran := shared.Tool(t, "jpegtran", "libjpeg-turbo-progs")
	progressive, err := exec.Command(jpegtran, "-progressive", "-copy", "all", photo).Output()
	if err != nil {
		t.Fatalf("jpegtran: %v", err)
	}
	rotated := shared.ReadImage(t, filepath.Join("photos", "canon_sx60_3mp_rotated.jpg"))
	for _, c := range []struct {
		name string
		data []byte
		crop Crop
	}{
		{"12 MP baseline", baseline, CropNone},
		{"12 MP baseline, center crop", baseline, CropCenter},
		{"12 MP progressive", progressive, CropNone},
		{"3 MP, EXIF orientation 6", rotated, CropNone},
		{"60 MP flat", testpics.FlatJPEG(7744, 7744), CropNone},
	} {
		opts := Options{Width: 224, Height: 224, Crop: c.crop}
		hdr, err := Probe(c.data, opts)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		full, err := Probe(c.data, Options{MaxPixels: 1 << 40, Resize: ResizeExact})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		if _, _, err := Prepare(c.data, 224, 224, c.crop, ResizeFast, Options{}); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		runtime.ReadMemStats(&after)
		actual := int64(after.TotalAlloc - before.TotalAlloc)
		t.Logf("%-28s estimate %8d B, allocated %8d B (exact path's estimate %d MB)", c.name, hdr.DecodeBytes, actual, full.DecodeBytes>>20)
		if hdr.DecodeBytes < actual {
			t.Errorf("%s: estimate %d bytes, but decoding allocated %d", c.name, hdr.DecodeBytes, actual)
		}
		if hdr.DecodeBytes > full.DecodeBytes/4 {
			t.Errorf("%s: estimate %d bytes, not far below a full decode's %d", c.name, hdr.DecodeBytes, full.DecodeBytes)
		}
	}
}
