package jpegdec

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/classifly/classifly/internal/shared"
	"github.com/classifly/classifly/internal/testkit"
)

// The reference is libjpeg-turbo's djpeg with -nosmooth (replicated chroma,
// which is what this decoder implements) and its default integer IDCT.

// needTool skips (or, under CI=true, fails) when a command is missing.
func needTool(t *testing.T, name string) {
	t.Helper()
	pkg := "libjpeg-turbo-progs"
	if name == "convert" {
		pkg = "imagemagick"
	}
	shared.Tool(t, name, pkg)
}

// djpeg decodes data with djpeg at scale/8 and returns width, height, RGB.
func djpeg(t *testing.T, data []byte, scale int) (int, int, []byte) {
	t.Helper()
	cmd := exec.Command("djpeg", "-scale", fmt.Sprintf("%d/8", scale), "-nosmooth", "-ppm")
	cmd.Stdin = bytes.NewReader(data)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("djpeg: %v: %s", err, errb.String())
	}
	w, h, pix, err := readPPM(out.Bytes())
	if err != nil {
		t.Fatalf("djpeg output: %v", err)
	}
	return w, h, pix
}

// readPPM reads a binary P6 (RGB) or P5 (grey, expanded to RGB) picture.
func readPPM(b []byte) (int, int, []byte, error) {
	var f [4]int
	pos := 2
	if len(b) < 2 || b[0] != 'P' || (b[1] != '6' && b[1] != '5') {
		return 0, 0, nil, fmt.Errorf("not a P5/P6 file")
	}
	for i := 1; i < 4; i++ {
		for pos < len(b) && (b[pos] == ' ' || b[pos] == '\n' || b[pos] == '\t' || b[pos] == '\r') {
			pos++
		}
		start := pos
		for pos < len(b) && b[pos] >= '0' && b[pos] <= '9' {
			pos++
		}
		v, err := strconv.Atoi(string(b[start:pos]))
		if err != nil {
			return 0, 0, nil, err
		}
		f[i] = v
	}
	pos++
	w, h := f[1], f[2]
	pix := b[pos:]
	if b[1] == '5' {
		if len(pix) < w*h {
			return 0, 0, nil, fmt.Errorf("short P5")
		}
		rgb := make([]byte, w*h*3)
		for i := 0; i < w*h; i++ {
			rgb[3*i], rgb[3*i+1], rgb[3*i+2] = pix[i], pix[i], pix[i]
		}
		return w, h, rgb, nil
	}
	if len(pix) < w*h*3 {
		return 0, 0, nil, fmt.Errorf("short P6")
	}
	return w, h, pix[:w*h*3], nil
}

// compare checks ours against djpeg's at every scale: mean absolute error
// at most 0.5 and no sample off by more than 4.
func compare(t *testing.T, name string, data []byte) {
	t.Helper()
	for _, scale := range []int{8, 4, 2, 1} {
		ww, wh, want := djpeg(t, data, scale)
		cfg, err := DecodeConfig(data)
		if err != nil {
			t.Fatalf("%s: DecodeConfig: %v", name, err)
		}
		sw, sh := ScaledSize(cfg.Width, cfg.Height, scale)
		img, err := Decode(data, Options{MinWidth: sw, MinHeight: sh})
		if err != nil {
			t.Fatalf("%s at %d/8: %v", name, scale, err)
		}
		if img.Scale != scale || img.Width != ww || img.Height != wh {
			t.Fatalf("%s at %d/8: got %dx%d at %d/8, djpeg %dx%d", name, scale, img.Width, img.Height, img.Scale, ww, wh)
		}
		mean, worst, at := testkit.AbsDiff(img.Pix, want)
		t.Logf("%s at %d/8 (%dx%d): mean abs error %.4f, max %d", name, scale, ww, wh, mean, worst)
		if mean > 0.5 || worst > 4 {
			t.Errorf("%s at %d/8: mean abs error %.4f, max %d at pixel (%d,%d) channel %d: got %d, djpeg %d",
				name, scale, mean, worst, at/3%ww, at/3/ww, at%3, img.Pix[at], want[at])
		}
	}
}

// synthetic returns a w×h RGB picture with what stresses a decoder: smooth
// gradients, hard edges, saturated colours and noise.
func synthetic(w, h int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 7))
	pix := make([]byte, w*h*3)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			fx, fy := float64(x)/float64(w), float64(y)/float64(h)
			v := [3]float64{
				255 * fx,
				128 + 127*math.Sin(fx*9+fy*5),
				255 * fy,
			}
			if (x/16+y/16)%2 == 0 && x > w/2 {
				v = [3]float64{250, 20, 30}
			}
			if dx, dy := fx-0.3, fy-0.6; dx*dx+dy*dy < 0.04 {
				v = [3]float64{10, 240, 60}
			}
			for c := range v {
				n := v[c] + float64(r.IntN(41)-20)
				pix[(y*w+x)*3+c] = byte(max(0, min(255, n)))
			}
		}
	}
	return pix
}

func writePPM(t *testing.T, path string, w, h int, pix []byte) {
	t.Helper()
	var b bytes.Buffer
	fmt.Fprintf(&b, "P6\n%d %d\n255\n", w, h)
	b.Write(pix)
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v: %s", name, args, err, out)
	}
}

// TestMatchesDjpeg encodes pictures with cjpeg and ImageMagick in every
// subsampling, baseline and progressive, with and without restarts, grey,
// CMYK and YCCK, and compares with djpeg at every scale.
func TestMatchesDjpeg(t *testing.T) {
	needTool(t, "djpeg")
	needTool(t, "cjpeg")
	dir := t.TempDir()
	src := filepath.Join(dir, "src.ppm")
	const w, h = 203, 157 // not multiples of any MCU size
	writePPM(t, src, w, h, synthetic(w, h, 1))
	cases := []struct {
		name string
		args []string
	}{
		{"444", []string{"-sample", "1x1"}},
		{"422", []string{"-sample", "2x1"}},
		{"420", []string{"-sample", "2x2"}},
		{"440", []string{"-sample", "1x2"}},
		{"411", []string{"-sample", "4x1"}},
		{"420-progressive", []string{"-sample", "2x2", "-progressive"}},
		{"444-progressive", []string{"-sample", "1x1", "-progressive"}},
		{"422-progressive", []string{"-sample", "2x1", "-progressive"}},
		{"420-restart", []string{"-sample", "2x2", "-restart", "3B"}},
		{"422-restart-rows", []string{"-sample", "2x1", "-restart", "1"}},
		{"420-progressive-restart", []string{"-sample", "2x2", "-progressive", "-restart", "2B"}},
		{"gray", []string{"-grayscale"}},
		{"gray-progressive", []string{"-grayscale", "-progressive"}},
		{"rgb", []string{"-rgb"}},
		{"q100-420", []string{"-quality", "100", "-sample", "2x2"}},
		{"q20-411", []string{"-quality", "20", "-sample", "4x1"}},
		{"optimized", []string{"-optimize", "-sample", "2x2"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(dir, c.name+".jpg")
			run(t, "cjpeg", append(append([]string{}, c.args...), "-outfile", out, src)...)
			data, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			compare(t, c.name, data)
		})
	}
}

// TestMatchesDjpegCMYK covers Adobe CMYK (from ImageMagick) and YCCK (the
// same file with the APP14 transform flag set to 2, so that both decoders
// read its components as YCCK).
func TestMatchesDjpegCMYK(t *testing.T) {
	needTool(t, "djpeg")
	needTool(t, "convert")
	dir := t.TempDir()
	src := filepath.Join(dir, "src.ppm")
	writePPM(t, src, 97, 61, synthetic(97, 61, 2))
	for _, c := range []struct {
		name string
		args []string
	}{
		{"cmyk", nil},
		{"cmyk-420", []string{"-sampling-factor", "2x2,1x1,1x1,2x2"}},
		{"cmyk-progressive", []string{"-interlace", "JPEG"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(dir, c.name+".jpg")
			args := append([]string{src, "-colorspace", "CMYK"}, c.args...)
			run(t, "convert", append(args, out)...)
			data, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			i := bytes.Index(data, []byte("Adobe"))
			if i < 4 || i+11 >= len(data) {
				t.Fatalf("no Adobe APP14 marker in ImageMagick's CMYK JPEG")
			}
			compare(t, c.name, data)
			ycck := bytes.Clone(data)
			ycck[i+11] = 2
			compare(t, c.name+"-ycck", ycck)
		})
	}
}

// TestMatchesDjpegPhotos compares on the shared photos and pictures.
func TestMatchesDjpegPhotos(t *testing.T) {
	needTool(t, "djpeg")
	dir := shared.ImageDir(t)
	files, _ := filepath.Glob(filepath.Join(dir, "*.jpg"))
	photos, _ := filepath.Glob(filepath.Join(dir, "photos", "*.jpg"))
	files = append(files, photos...)
	if len(photos) == 0 {
		defer shared.Missing(t, "no photos in "+dir+": the large picture set is not here")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			compare(t, filepath.Base(f), data)
		})
	}
}
