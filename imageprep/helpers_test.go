package imageprep

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/classifly/classifly/internal/shared"
)

// The synthetic test picture: a gradient with a distinct colour block in each
// corner, so that every orientation and crop can be told apart.
const picW, picH = 37, 23

var (
	cornerTL = color.NRGBA{230, 30, 30, 255}  // red
	cornerTR = color.NRGBA{30, 200, 40, 255}  // green
	cornerBL = color.NRGBA{40, 40, 220, 255}  // blue
	cornerBR = color.NRGBA{240, 220, 40, 255} // yellow
)

// picture returns the opaque test picture.
func picture() *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, picW, picH))
	for y := 0; y < picH; y++ {
		for x := 0; x < picW; x++ {
			c := color.NRGBA{uint8(20 + x*200/(picW-1)), uint8(30 + y*190/(picH-1)), uint8(200 - (x+y)*3), 255}
			left, top := x < 6, y < 5
			right, bottom := x >= picW-6, y >= picH-5
			switch {
			case left && top:
				c = cornerTL
			case right && top:
				c = cornerTR
			case left && bottom:
				c = cornerBL
			case right && bottom:
				c = cornerBR
			}
			m.SetNRGBA(x, y, c)
		}
	}
	return m
}

// translucent returns the picture with alpha running from 0 at the left to
// 255 at the right, and one fully transparent row.
func translucent() *image.NRGBA {
	m := picture()
	for y := 0; y < picH; y++ {
		for x := 0; x < picW; x++ {
			a := uint8(x * 255 / (picW - 1))
			if y == picH/2 {
				a = 0
			}
			m.Pix[m.PixOffset(x, y)+3] = a
		}
	}
	return m
}

// rgbBytes is the test's own conversion of a non-premultiplied picture to
// RGB on white, written from the formula in the brief, independent of
// convert.go.
func rgbBytes(m *image.NRGBA) []byte {
	b := m.Bounds()
	out := make([]byte, 0, b.Dx()*b.Dy()*3)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := m.NRGBAAt(x, y)
			for _, v := range []uint8{c.R, c.G, c.B} {
				out = append(out, uint8((int(v)*int(c.A)+255*(255-int(c.A))+127)/255))
			}
		}
	}
	return out
}

// tolerance bounds the difference of a lossy decode from a reference; the
// zero value means exact.
type tolerance struct {
	mean float64 // mean absolute difference per byte
	max  int     // largest absolute difference
}

// checkPixels compares an RGB result with the expected bytes.
func checkPixels(t *testing.T, name string, got, want []byte, tol tolerance) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d bytes, want %d", name, len(got), len(want))
	}
	mean, maxd := diffStats(got, want)
	if mean > tol.mean || maxd > tol.max {
		i := 0
		for i < len(got) && absDiff(got[i], want[i]) != maxd {
			i++
		}
		t.Errorf("%s: mean |diff| %.3f (limit %.2f), max %d (limit %d) at byte %d: got %d, want %d",
			name, mean, tol.mean, maxd, tol.max, i, got[i], want[i])
	}
}

func absDiff(a, b byte) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

// tool returns the path of a program from a Debian package (at its Debian
// path, else on PATH). A missing tool skips the test with the package to
// install, and fails it in CI, where skipping would hide untested formats.
func tool(t testing.TB, path, pkg string) string {
	t.Helper()
	if _, err := os.Stat(path); err == nil {
		return path
	}
	return shared.Tool(t, filepath.Base(path), pkg)
}

// imagemagick returns the real ImageMagick convert. /usr/local/bin/convert may
// be something else on developer machines, so the Debian path comes first.
func imagemagick(t testing.TB) string {
	t.Helper()
	p := tool(t, "/usr/bin/convert", "imagemagick")
	out, err := exec.Command(p, "-version").Output()
	if err != nil || !bytes.Contains(out, []byte("ImageMagick")) {
		shared.Missing(t, fmt.Sprintf("%s is not ImageMagick (%v): install the Debian package imagemagick", p, err))
	}
	return p
}

// run runs a program and returns its standard output.
func run(t testing.TB, prog string, args ...string) []byte {
	t.Helper()
	var stderr bytes.Buffer
	cmd := exec.Command(prog, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", prog, strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// convertWith writes data to a temporary file named in, runs prog with args
// in which "IN" and "OUT" stand for the input and output paths, and returns
// the output file.
func convertWith(t testing.TB, data []byte, in, out, prog string, args ...string) []byte {
	t.Helper()
	dir := t.TempDir()
	inPath, outPath := filepath.Join(dir, in), filepath.Join(dir, out)
	if err := os.WriteFile(inPath, data, 0o644); err != nil {
		t.Fatal(err)
	}
	a := make([]string, len(args))
	for i, s := range args {
		a[i] = strings.NewReplacer("IN", inPath, "OUT", outPath).Replace(s)
	}
	run(t, prog, a...)
	b, err := os.ReadFile(outPath)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// ppm encodes an opaque picture as binary PPM, the input cjpeg reads.
func ppm(m *image.NRGBA) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "P6\n%d %d\n255\n", m.Rect.Dx(), m.Rect.Dy())
	for y := m.Rect.Min.Y; y < m.Rect.Max.Y; y++ {
		for x := m.Rect.Min.X; x < m.Rect.Max.X; x++ {
			c := m.NRGBAAt(x, y)
			b.Write([]byte{c.R, c.G, c.B})
		}
	}
	return b.Bytes()
}

// byteOrder is what binary.LittleEndian and binary.BigEndian both are.
type byteOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

// pnm parses the binary PPM (P6), PGM (P5) or PAM (P7, RGB_ALPHA) that djpeg
// and dwebp write, and returns RGB on white, converted by rgbBytes.
func pnm(t testing.TB, b []byte) (w, h int, rgb []byte) {
	t.Helper()
	r := bytes.NewReader(b)
	var magic string
	if _, err := fmt.Fscan(r, &magic); err != nil {
		t.Fatalf("pnm: %v", err)
	}
	channels := map[string]int{"P5": 1, "P6": 3, "P7": 4}[magic]
	var maxv int
	switch magic {
	case "P5", "P6":
		if _, err := fmt.Fscan(r, &w, &h, &maxv); err != nil {
			t.Fatalf("pnm header: %v", err)
		}
	case "P7": // WIDTH w HEIGHT h DEPTH 4 MAXVAL 255 TUPLTYPE RGB_ALPHA ENDHDR
		var key, val string
		for key != "ENDHDR" {
			if _, err := fmt.Fscan(r, &key); err != nil {
				t.Fatalf("pam header: %v", err)
			}
			if key == "ENDHDR" {
				break
			}
			fmt.Fscan(r, &val)
			switch key {
			case "WIDTH":
				fmt.Sscan(val, &w)
			case "HEIGHT":
				fmt.Sscan(val, &h)
			case "MAXVAL":
				fmt.Sscan(val, &maxv)
			case "DEPTH":
				if val != "4" {
					t.Fatalf("pam depth %s", val)
				}
			}
		}
	default:
		t.Fatalf("pnm: magic %q", magic)
	}
	if maxv != 255 {
		t.Fatalf("pnm: maxval %d", maxv)
	}
	r.ReadByte() // the single whitespace before the samples
	pix := make([]byte, w*h*channels)
	if _, err := io.ReadFull(r, pix); err != nil {
		t.Fatalf("pnm samples: %v", err)
	}
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < w*h; i++ {
		p := pix[i*channels:]
		switch channels {
		case 1:
			copy(m.Pix[i*4:], []byte{p[0], p[0], p[0], 255})
		case 3:
			copy(m.Pix[i*4:], []byte{p[0], p[1], p[2], 255})
		case 4:
			copy(m.Pix[i*4:], p[:4])
		}
	}
	return w, h, rgbBytes(m)
}

// exifTIFF builds an EXIF TIFF structure whose IFD0 holds Make, Orientation
// and XResolution, so that the orientation entry is neither first nor last
// and the others point at data after the IFD.
func exifTIFF(bo byteOrder, orientation uint16) []byte {
	var b []byte
	if bo.Uint16([]byte{1, 0}) == 1 {
		b = append(b, "II*\x00"...)
	} else {
		b = append(b, "MM\x00*"...)
	}
	b = bo.AppendUint32(b, 8) // IFD0 right after the header
	const entries = 3
	dataOff := uint32(8 + 2 + entries*12 + 4)
	b = bo.AppendUint16(b, entries)
	entry := func(tag, typ uint16, count uint32, value []byte) {
		b = bo.AppendUint16(b, tag)
		b = bo.AppendUint16(b, typ)
		b = bo.AppendUint32(b, count)
		b = append(b, value...)
	}
	entry(0x010F, 2, 8, bo.AppendUint32(nil, dataOff)) // Make, ASCII, 8 bytes
	entry(0x0112, 3, 1, bo.AppendUint16(bo.AppendUint16(nil, orientation), 0))
	entry(0x011A, 5, 1, bo.AppendUint32(nil, dataOff+8)) // XResolution, RATIONAL
	b = bo.AppendUint32(b, 0)                            // no IFD1
	b = append(b, "Classy\x00\x00"...)
	b = bo.AppendUint32(b, 72)
	b = bo.AppendUint32(b, 1)
	return b
}

// withJPEGEXIF inserts an APP1 Exif segment holding tiff right after SOI.
func withJPEGEXIF(jpg, tiff []byte) []byte {
	seg := append([]byte("Exif\x00\x00"), tiff...)
	out := append([]byte{}, jpg[:2]...)
	out = append(out, 0xFF, 0xE1)
	out = binary.BigEndian.AppendUint16(out, uint16(2+len(seg)))
	out = append(out, seg...)
	return append(out, jpg[2:]...)
}

// pngChunk encodes one PNG chunk with its CRC.
func pngChunk(typ string, body []byte) []byte {
	c := binary.BigEndian.AppendUint32(nil, uint32(len(body)))
	c = append(c, typ...)
	c = append(c, body...)
	return binary.BigEndian.AppendUint32(c, crc32.ChecksumIEEE(c[4:]))
}

// withPNGChunk inserts a chunk right after IHDR (signature 8 + IHDR 25).
func withPNGChunk(p []byte, typ string, body []byte) []byte {
	out := append([]byte{}, p[:33]...)
	out = append(out, pngChunk(typ, body)...)
	return append(out, p[33:]...)
}

// checkErr fails unless err is one of the package's typed errors matching
// kind, with the package's prefix.
func checkErr(t *testing.T, name string, err, kind error) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error, want %v", name, kind)
		return
	}
	var (
		fe *FormatError
		ue *UnsupportedError
		te *TooLargeError
	)
	if !errors.As(err, &fe) && !errors.As(err, &ue) && !errors.As(err, &te) {
		t.Errorf("%s: %T %v is not one of the package's error types", name, err, err)
	}
	if !strings.HasPrefix(err.Error(), "imageprep: ") {
		t.Errorf("%s: message %q lacks the package prefix", name, err)
	}
	if kind != nil && !errors.Is(err, kind) {
		t.Errorf("%s: %v, want errors.Is %v", name, err, kind)
	}
}

func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
