package imageprep

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"testing"
)

// bigJPEG encodes a w×h picture (a gradient with the four coloured corners
// of picture(), scaled) at quality 90.
func bigJPEG(t *testing.T, w, h int) []byte {
	t.Helper()
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.NRGBA{uint8(20 + x*200/w), uint8(30 + y*190/h), 120, 255}
			switch {
			case x < w/8 && y < h/8:
				c = cornerTL
			case x >= w-w/8 && y < h/8:
				c = cornerTR
			case x < w/8 && y >= h-h/8:
				c = cornerBL
			case x >= w-w/8 && y >= h-h/8:
				c = cornerBR
			}
			m.SetNRGBA(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, m, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// The fast path decodes at the smallest covering scale, applies the
// orientation to the small picture and reports the full size.
func TestDecodeForScaleAndOrientation(t *testing.T) {
	data := bigJPEG(t, 1600, 1200)
	img, err := DecodeFor(data, 224, 224, CropNone, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if img.Width != 400 || img.Height != 300 || img.FullWidth != 1600 || img.FullHeight != 1200 {
		t.Fatalf("decoded %dx%d of %dx%d, want 400x300 (1/4) of 1600x1200", img.Width, img.Height, img.FullWidth, img.FullHeight)
	}
	// Orientation 6 (rotate 90° clockwise): the stored top-left corner
	// (red) shows at the top right.
	rot, err := DecodeFor(withJPEGEXIF(data, exifTIFF(binary.BigEndian, 6)), 224, 224, CropNone, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rot.Width != 300 || rot.Height != 400 || rot.FullWidth != 1200 || rot.FullHeight != 1600 || rot.Orientation != 6 {
		t.Fatalf("oriented %dx%d of %dx%d (orientation %d), want 300x400 of 1200x1600", rot.Width, rot.Height, rot.FullWidth, rot.FullHeight, rot.Orientation)
	}
	p := rot.Pix[(5*rot.Width+rot.Width-5)*3:]
	if absDiff(p[0], cornerTL.R) > 12 || absDiff(p[1], cornerTL.G) > 12 || absDiff(p[2], cornerTL.B) > 12 {
		t.Errorf("top right after orientation 6 is %v, want red %v", p[:3], cornerTL)
	}
	// A centre crop needs 8/7 of the input: 224*8/7 = 256 > 1600/8.
	crop, err := DecodeFor(data, 224, 224, CropCenter, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if crop.Width != 400 {
		t.Errorf("with the centre crop decoded %d wide, want 400", crop.Width)
	}
}

// Prepare's two modes give the same picture to within what the different
// decoders and the prefilter change.
func TestPrepareModesAgree(t *testing.T) {
	data := bigJPEG(t, 1600, 1200)
	for _, crop := range []Crop{CropNone, CropCenter} {
		fast, _, err := Prepare(data, 224, 224, crop, ResizeFast, Options{})
		if err != nil {
			t.Fatal(err)
		}
		exact, _, err := Prepare(data, 224, 224, crop, ResizeExact, Options{})
		if err != nil {
			t.Fatal(err)
		}
		sum := 0
		for i := range fast {
			sum += absDiff(fast[i], exact[i])
		}
		if mean := float64(sum) / float64(len(fast)); mean > 3 {
			t.Errorf("%v: fast and exact differ by %.2f on average", crop, mean)
		}
	}
}

// The fast path maps jpegdec's errors onto the package's kinds.
func TestDecodeForErrors(t *testing.T) {
	data := bigJPEG(t, 320, 240)
	_, err := DecodeFor(data[:len(data)/2], 64, 64, CropNone, Options{})
	checkErr(t, "truncated", err, ErrTruncated)
	_, err = DecodeFor(data, 64, 64, CropNone, Options{MaxPixelsJPEG: 320*240 - 1})
	checkErr(t, "too large", err, ErrTooLarge)
	bad := bytes.Clone(data)
	sof := bytes.Index(bad, []byte{0xFF, 0xC0})
	bad[sof+1] = 0xC9 // arithmetic coding: neither decoder reads it
	_, err = DecodeFor(bad, 64, 64, CropNone, Options{})
	checkErr(t, "arithmetic", err, ErrUnsupported)
	if _, err := ParseResize("bilinear"); err == nil {
		t.Error("ParseResize accepted bilinear")
	}
	for _, m := range []ResizeMode{ResizeFast, ResizeExact} {
		if got, err := ParseResize(m.String()); err != nil || got != m {
			t.Errorf("ParseResize(%q) = %v, %v", m.String(), got, err)
		}
	}
}

// A damaged JPEG that jpegdec refuses after its headers goes to the full
// decoder only while that stays small (Probe reserved a fast decode for
// it); a small one is reserved for as a full decode as well.
func TestDecodeForFallbackIsBounded(t *testing.T) {
	noDQT := func(data []byte) []byte {
		i := bytes.Index(data, []byte{0xFF, 0xDB})
		n := int(binary.BigEndian.Uint16(data[i+2:]))
		return append(bytes.Clone(data[:i]), data[i+2+n:]...)
	}
	small, big := noDQT(bigJPEG(t, 320, 240)), noDQT(bigJPEG(t, 2000, 1200))
	for _, c := range []struct {
		name     string
		data     []byte
		fallback bool
	}{{"0.08 MP", small, true}, {"2.4 MP", big, false}} {
		if _, err := Decode(c.data, Options{}); err != nil {
			t.Fatalf("%s: the full decoder refuses the picture (%v): the test proves nothing", c.name, err)
		}
		_, err := DecodeFor(c.data, 224, 224, CropNone, Options{})
		if c.fallback && err != nil {
			t.Errorf("%s: DecodeFor = %v, want the full decoder's picture", c.name, err)
		}
		if !c.fallback {
			checkErr(t, c.name, err, ErrCorrupt)
		}
	}
	fast, err := Probe(small, Options{Resize: ResizeFast, Width: 224, Height: 224})
	if err != nil {
		t.Fatal(err)
	}
	exact, err := Probe(small, Options{Resize: ResizeExact})
	if err != nil {
		t.Fatal(err)
	}
	if fast.DecodeBytes < exact.DecodeBytes {
		t.Errorf("Probe reserves %d bytes for a small JPEG on the fast path, less than its full decode (%d)", fast.DecodeBytes, exact.DecodeBytes)
	}
}
