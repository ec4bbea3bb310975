package imageprep

import (
	"encoding/binary"
	"fmt"
	"testing"
)

// The test's own orientation, built from the EXIF 2.32 table (tag 0x0112):
// for each value, the visual side where the stored 0th row is shown, and the
// side where the stored 0th column is shown.
var exifSides = [9][2]string{
	1: {"top", "left"}, 2: {"top", "right"}, 3: {"bottom", "right"}, 4: {"bottom", "left"},
	5: {"left", "top"}, 6: {"right", "top"}, 7: {"right", "bottom"}, 8: {"left", "bottom"},
}

// displayed transforms an RGB picture for display by composing flips and a
// transpose, independently of orient.go: rows shown at the left or right
// side means transposed; then mirror until row 0 and column 0 land on their
// sides.
func displayed(rgb []byte, w, h, o int) ([]byte, int, int) {
	row0, col0 := exifSides[o][0], exifSides[o][1]
	if row0 == "left" || row0 == "right" {
		rgb, w, h = transpose(rgb, w, h)
		// The stored rows are now columns: row 0 is at the left, column 0 at the top.
		if row0 == "right" {
			rgb = flipH(rgb, w, h)
		}
		if col0 == "bottom" {
			rgb = flipV(rgb, w, h)
		}
		return rgb, w, h
	}
	if row0 == "bottom" {
		rgb = flipV(rgb, w, h)
	}
	if col0 == "right" {
		rgb = flipH(rgb, w, h)
	}
	return rgb, w, h
}

func pixelMap(rgb []byte, w, h, ow, oh int, src func(x, y int) (int, int)) []byte {
	out := make([]byte, 0, len(rgb))
	for y := 0; y < oh; y++ {
		for x := 0; x < ow; x++ {
			sx, sy := src(x, y)
			out = append(out, rgb[(sy*w+sx)*3:(sy*w+sx)*3+3]...)
		}
	}
	return out
}

func transpose(rgb []byte, w, h int) ([]byte, int, int) {
	return pixelMap(rgb, w, h, h, w, func(x, y int) (int, int) { return y, x }), h, w
}

func flipH(rgb []byte, w, h int) []byte {
	return pixelMap(rgb, w, h, w, h, func(x, y int) (int, int) { return w - 1 - x, y })
}

func flipV(rgb []byte, w, h int) []byte {
	return pixelMap(rgb, w, h, w, h, func(x, y int) (int, int) { return x, h - 1 - y })
}

// checkCorners checks where the corner blocks of the test picture are shown:
// the stored top-left corner is where row 0 and column 0 meet, and so on.
func checkCorners(t *testing.T, img *Image, o int) {
	t.Helper()
	opposite := map[string]string{"top": "bottom", "bottom": "top", "left": "right", "right": "left"}
	row0, col0 := exifSides[o][0], exifSides[o][1]
	for _, c := range []struct {
		a, b string
		want [3]byte
	}{
		{row0, col0, [3]byte{cornerTL.R, cornerTL.G, cornerTL.B}},
		{row0, opposite[col0], [3]byte{cornerTR.R, cornerTR.G, cornerTR.B}},
		{opposite[row0], col0, [3]byte{cornerBL.R, cornerBL.G, cornerBL.B}},
		{opposite[row0], opposite[col0], [3]byte{cornerBR.R, cornerBR.G, cornerBR.B}},
	} {
		x, y := 1, 1
		for _, side := range []string{c.a, c.b} {
			switch side {
			case "right":
				x = img.Width - 2
			case "bottom":
				y = img.Height - 2
			}
		}
		i := (y*img.Width + x) * 3
		if got := [3]byte(img.Pix[i : i+3]); got != c.want {
			t.Errorf("orientation %d: %s-%s corner (%d,%d) is %v, want %v", o, c.a, c.b, x, y, got, c.want)
		}
	}
}

func byteOrders() []byteOrder { return []byteOrder{binary.LittleEndian, binary.BigEndian} }

// TestOrientationJPEG writes every orientation into an APP1 segment of one
// JPEG, in both byte orders; the pixels must be the transformed pixels of the
// same JPEG without EXIF, exactly, and agree with ImageMagick's -auto-orient.
func TestOrientationJPEG(t *testing.T) {
	im := imagemagick(t)
	base := encodeJPEG(t, picture())
	plain, err := Decode(base, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for o := 1; o <= 8; o++ {
		for _, bo := range byteOrders() {
			t.Run(fmt.Sprintf("%d/%v", o, bo), func(t *testing.T) {
				data := withJPEGEXIF(base, exifTIFF(bo, uint16(o)))
				img, err := Decode(data, Options{})
				if err != nil {
					t.Fatal(err)
				}
				want, w, h := displayed(plain.Pix, plain.Width, plain.Height, o)
				if img.Width != w || img.Height != h || img.Orientation != o {
					t.Fatalf("got %dx%d orientation %d, want %dx%d orientation %d", img.Width, img.Height, img.Orientation, w, h, o)
				}
				checkPixels(t, "against the unrotated JPEG", img.Pix, want, tolerance{})
				if bo != binary.BigEndian {
					return // one ImageMagick run per orientation is enough
				}
				iw, ih, ref := pnm(t, convertWith(t, data, "in.jpg", "out.ppm", im,
					"-define", "jpeg:fancy-upsampling=off", "IN", "-auto-orient", "OUT"))
				if iw != w || ih != h {
					t.Fatalf("ImageMagick shows %dx%d, we %dx%d", iw, ih, w, h)
				}
				checkPixels(t, "against ImageMagick -auto-orient", img.Pix, ref, refTol)
			})
		}
	}
}

// TestOrientationPNG puts every orientation in an eXIf chunk, once plain and
// once with the "Exif\0\0" prefix some writers add.
func TestOrientationPNG(t *testing.T) {
	pic := picture()
	base, rgb := encodePNG(t, pic), rgbBytes(pic)
	for o := 1; o <= 8; o++ {
		for i, prefix := range []string{"", "Exif\x00\x00"} {
			tiff := exifTIFF(byteOrders()[(o+i)%2], uint16(o))
			img, err := Decode(withPNGChunk(base, "eXIf", append([]byte(prefix), tiff...)), Options{})
			if err != nil {
				t.Fatal(err)
			}
			want, w, h := displayed(rgb, picW, picH, o)
			if img.Width != w || img.Height != h || img.Orientation != o {
				t.Fatalf("orientation %d: got %dx%d orientation %d, want %dx%d", o, img.Width, img.Height, img.Orientation, w, h)
			}
			checkPixels(t, fmt.Sprintf("orientation %d prefix %q", o, prefix), img.Pix, want, tolerance{})
			checkCorners(t, img, o)
		}
	}
}

// TestOrientationWebP lets webpmux, libwebp's own muxer, add the EXIF chunk
// to a lossless WebP.
func TestOrientationWebP(t *testing.T) {
	cwebp := tool(t, "/usr/bin/cwebp", "webp")
	webpmux := tool(t, "/usr/bin/webpmux", "webp")
	pic := picture()
	base := convertWith(t, encodePNG(t, pic), "in.png", "out.webp", cwebp, "-quiet", "-lossless", "IN", "-o", "OUT")
	rgb := rgbBytes(pic)
	for o := 1; o <= 8; o++ {
		dir := t.TempDir()
		exifPath := dir + "/exif.bin"
		writeFile(t, exifPath, exifTIFF(byteOrders()[o%2], uint16(o)))
		data := convertWith(t, base, "in.webp", "out.webp", webpmux, "-set", "exif", exifPath, "IN", "-o", "OUT")
		img, err := Decode(data, Options{})
		if err != nil {
			t.Fatal(err)
		}
		want, w, h := displayed(rgb, picW, picH, o)
		if img.Width != w || img.Height != h || img.Orientation != o {
			t.Fatalf("orientation %d: got %dx%d orientation %d, want %dx%d", o, img.Width, img.Height, img.Orientation, w, h)
		}
		checkPixels(t, fmt.Sprintf("orientation %d", o), img.Pix, want, tolerance{})
		checkCorners(t, img, o)
	}
}

// TestOrientationInvalidIgnored: an out-of-range or mistyped orientation
// leaves the image as stored, without an error.
func TestOrientationInvalidIgnored(t *testing.T) {
	base := encodeJPEG(t, picture())
	for _, o := range []uint16{0, 9, 0xFFFF} {
		img, err := Decode(withJPEGEXIF(base, exifTIFF(binary.LittleEndian, o)), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if img.Orientation != 1 || img.Width != picW {
			t.Errorf("orientation value %d: applied %d, %dx%d", o, img.Orientation, img.Width, img.Height)
		}
	}
	broken := withJPEGEXIF(base, []byte("MM\x00*\xFF\xFF\xFF\xFF"))
	if img, err := Decode(broken, Options{}); err != nil || img.Orientation != 1 {
		t.Errorf("broken EXIF: %v, orientation %v", err, img)
	}
}
