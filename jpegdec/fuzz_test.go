package jpegdec

import (
	"bytes"
	"errors"
	"image/color"
	"image/jpeg"
	"math"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/classifly/classifly/internal/testkit"
)

// seeds are the small pictures in testdata (see testdata/README).
func seeds(tb testing.TB) map[string][]byte {
	tb.Helper()
	return testkit.ReadGlob(tb, filepath.Join("testdata", "*.jpg"))
}

// stdRGB decodes with image/jpeg and converts to packed RGB.
func stdRGB(data []byte) (int, int, []byte, error) {
	m, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		return 0, 0, nil, err
	}
	b := m.Bounds()
	pix := make([]byte, 0, b.Dx()*b.Dy()*3)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.RGBAModel.Convert(m.At(x, y)).(color.RGBA)
			pix = append(pix, c.R, c.G, c.B)
		}
	}
	return b.Dx(), b.Dy(), pix, nil
}

func psnr(a, b []byte) float64 {
	var se float64
	for i := range a {
		d := float64(a[i]) - float64(b[i])
		se += d * d
	}
	if se == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255/(se/float64(len(a))))
}

// checkAgainstStd decodes at full size with both decoders. It fails on a
// panic (by not recovering), on an error that is not ours, and, when both
// succeed, on a size mismatch or a PSNR below 40 dB.
func checkAgainstStd(t *testing.T, data []byte, needBoth bool) {
	t.Helper()
	img, err := Decode(data, Options{MinWidth: 1 << 30, MinHeight: 1 << 30, MaxPixels: 1 << 20})
	if err != nil {
		var fe *FormatError
		var ue *UnsupportedError
		var te *TooLargeError
		if !errors.As(err, &fe) && !errors.As(err, &ue) && !errors.As(err, &te) {
			t.Fatalf("error of type %T: %v", err, err)
		}
		if needBoth {
			t.Fatalf("Decode: %v", err)
		}
		return
	}
	if img.Warnings > 0 && !needBoth {
		return // corrupt data that both decoders get past, each in its own way
	}
	if img.Scale != 8 || len(img.Pix) != img.Width*img.Height*3 {
		t.Fatalf("full-size decode gave scale %d, %dx%d with %d bytes", img.Scale, img.Width, img.Height, len(img.Pix))
	}
	w, h, want, err := stdRGB(data)
	if err != nil {
		if needBoth {
			t.Fatalf("image/jpeg: %v", err)
		}
		return
	}
	if w != img.Width || h != img.Height {
		t.Fatalf("size %dx%d, image/jpeg %dx%d", img.Width, img.Height, w, h)
	}
	if p := psnr(img.Pix, want); p < 40 {
		// The two decoders may read damaged data differently (image/jpeg
		// saturates where libjpeg's range limit wraps, and it handles some
		// invalid refinement data its own way). libjpeg is the reference:
		// agreeing with it is enough.
		ref, ok := djpegLenient(data)
		if !ok || len(ref) != len(img.Pix) {
			t.Fatalf("PSNR against image/jpeg %.1f dB, want at least 40 (djpeg gives no picture to compare)", p)
		}
		if mean, worst, _ := testkit.AbsDiff(img.Pix, ref); mean > 0.5 || worst > 4 {
			t.Fatalf("PSNR against image/jpeg %.1f dB, and against djpeg mean abs error %.3f, max %d", p, mean, worst)
		}
	}
}

// djpegLenient is djpeg at full size, accepting its "corrupt data" warnings
// (exit status 2).
func djpegLenient(data []byte) ([]byte, bool) {
	cmd := exec.Command("djpeg", "-nosmooth", "-ppm")
	cmd.Stdin = bytes.NewReader(data)
	var out bytes.Buffer
	cmd.Stdout = &out
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !(errors.As(err, &ee) && ee.ExitCode() == 2) {
		return nil, false
	}
	_, _, pix, err := readPPM(out.Bytes())
	return pix, err == nil
}

func TestAgainstStdlib(t *testing.T) {
	for name, data := range seeds(t) {
		t.Run(name, func(t *testing.T) { checkAgainstStd(t, data, true) })
	}
}

// FuzzDecode is the differential fuzz test against image/jpeg at 1/1, and
// decodes every input at the other scales too, for panics.
func FuzzDecode(f *testing.F) {
	for _, data := range seeds(f) {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if cfg, err := DecodeConfig(data); err == nil && cfg.Width*cfg.Height > 1<<20 {
			return // keep each input fast; the pixel cap is tested elsewhere
		}
		checkAgainstStd(t, data, false)
		for _, min := range []int{1, 4, 16} {
			_, _ = Decode(data, Options{MinWidth: min, MinHeight: min, MaxPixels: 1 << 20})
		}
	})
}
