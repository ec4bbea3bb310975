package imageprep

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/classifly/classifly/internal/shared"
)

func TestDecodeBadInput(t *testing.T) {
	bmp8 := encodeBMP(t, opaquePalette(must(palettedPicture()), true))
	rle := append([]byte{}, bmp8...)
	binary.LittleEndian.PutUint32(rle[30:], 1) // BI_RLE8
	jpg := encodeJPEG(t, picture())
	sof := bytes.Index(jpg, []byte{0xFF, 0xC0})
	arith := append([]byte{}, jpg...)
	arith[sof+1] = 0xC9 // SOF9, arithmetic coding
	png8 := []byte("\x89PNG\r\n\x1A\n")
	badCRC := encodePNG(t, picture())
	badCRC[29] ^= 1 // last byte of the IHDR CRC
	for _, c := range []struct {
		name string
		data []byte
		kind error
	}{
		{"nil", nil, ErrEmpty},
		{"zero bytes", []byte{}, ErrEmpty},
		{"one byte", []byte{0x42}, ErrUnknownFormat},
		{"text", []byte("hello, this is not an image"), ErrUnknownFormat},
		{"html", []byte("<!doctype html><html></html>"), ErrUnknownFormat},
		{"zeros", make([]byte, 4096), ErrUnknownFormat},
		{"tiff", []byte("II*\x00\x08\x00\x00\x00\x00\x00"), ErrUnsupported},
		{"heic", []byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00"), ErrUnsupported},
		{"avif", []byte("\x00\x00\x00\x1CftypavifXXXX"), ErrUnsupported},
		{"jpeg magic only", []byte{0xFF, 0xD8}, ErrTruncated},
		{"png magic cut", []byte("\x89PNG\r\n"), ErrTruncated},
		// Garbage between a signature and a proper end is corrupt; without the
		// end (IEND, EOI) the data count as truncated.
		{"jpeg garbage", cat([]byte{0xFF, 0xD8, 0xFF}, bytes.Repeat([]byte{0x17}, 100), []byte{0xFF, 0xD9}), ErrCorrupt},
		{"jpeg garbage, no EOI", cat([]byte{0xFF, 0xD8, 0xFF}, bytes.Repeat([]byte{0x17}, 100)), ErrTruncated},
		{"png IDAT first", cat(png8, pngChunk("IDAT", []byte("junk")), pngChunk("IEND", nil)), ErrCorrupt},
		{"png garbage, no IEND", cat(png8, bytes.Repeat([]byte("junk"), 10)), ErrTruncated},
		{"png bad CRC", badCRC, ErrCorrupt},
		{"bmp rle", rle, ErrUnsupported},
		{"jpeg arithmetic", arith, ErrUnsupported},
		{"bmp 0x0", bmpHeader(0, 0), ErrNoPixels},
		{"gif 0x0", gifHeader(0, 0), ErrNoPixels},
	} {
		img, err := Decode(c.data, Options{})
		if img != nil {
			t.Errorf("%s: got an image", c.name)
		}
		checkErr(t, c.name, err, c.kind)
		t.Logf("%s: %v", c.name, err)
	}
}

func must[T, U any](v T, _ U) T { return v }

// TestDecodeTruncated cuts every sample at every length. Each cut must give
// a *FormatError (a single byte is too short to have a format), of kind
// ErrTruncated unless the cut happens to end like a whole file. The only
// cut allowed to decode is a GIF missing just its trailer byte: its first
// frame is complete, and browsers show it too.
func TestDecodeTruncated(t *testing.T) {
	for _, s := range samples(t) {
		for n := 0; n < len(s.data); n++ {
			cut := s.data[:n]
			_, err := Decode(cut, Options{})
			switch {
			case err == nil && s.format == GIF && n == len(s.data)-1:
			case n == 1:
				checkErr(t, s.name, err, nil)
			case n == 0:
				checkErr(t, s.name, err, ErrEmpty)
			case ends(s.format, cut):
				var fe *FormatError
				if !errors.As(err, &fe) {
					t.Errorf("%s cut to %d bytes: %v, want a *FormatError", s.name, n, err)
				}
			default:
				checkErr(t, s.name+" cut", err, ErrTruncated)
			}
		}
	}
}

// TestDecodeCorrupted overwrites random bytes of every sample. Decode may
// succeed (a changed pixel is still an image) or fail with a typed error;
// it must not panic, and a success must be a consistent Image.
func TestDecodeCorrupted(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	for _, s := range samples(t) {
		for i := 0; i < 300; i++ {
			data := append([]byte{}, s.data...)
			for k := 1 + rng.IntN(8); k > 0; k-- {
				data[rng.IntN(len(data))] = byte(rng.Uint32())
			}
			img, err := Decode(data, Options{MaxPixels: 1 << 20})
			if err != nil {
				checkErr(t, s.name+" corrupted", err, nil)
				continue
			}
			if img.Width <= 0 || img.Height <= 0 || len(img.Pix) != img.Width*img.Height*3 {
				t.Fatalf("%s corrupted (seed %d): inconsistent image %dx%d with %d bytes", s.name, seed, img.Width, img.Height, len(img.Pix))
			}
		}
	}
}

// TestDecodeTooLarge: headers that claim huge sizes are rejected from the
// header alone: no large allocation, no time spent.
func TestDecodeTooLarge(t *testing.T) {
	for _, c := range []struct {
		name string
		data []byte
		w, h int
	}{
		{"png", pngHeader(100000, 100000), 100000, 100000},
		{"bmp", bmpHeader(100000, 100000), 100000, 100000},
		{"gif", gifHeader(65535, 65535), 65535, 65535},
		{"jpeg", jpegHeader(65535, 65535, false), 65535, 65535},
		{"jpeg-jfif", jpegHeader(65535, 65535, true), 65535, 65535},
		// VP8X allows 2^24 a side, but golang.org/x/image/webp refuses more
		// than 2^31-1 pixels as invalid, so stay below that to reach our check.
		{"webp", webpVP8XHeader(40000, 40000), 40000, 40000},
	} {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		start := time.Now()
		const runs = 10
		var err error
		for i := 0; i < runs; i++ {
			_, err = Decode(c.data, Options{})
		}
		elapsed := time.Since(start)
		runtime.ReadMemStats(&after)
		checkErr(t, c.name, err, ErrTooLarge)
		var te *TooLargeError
		if errors.As(err, &te) && (te.Width != c.w || te.Height != c.h || te.MaxPixels != DefaultMaxPixels) {
			t.Errorf("%s: %+v, want %dx%d, limit %d", c.name, te, c.w, c.h, DefaultMaxPixels)
		}
		perRun := (after.TotalAlloc - before.TotalAlloc) / runs
		if perRun > 64<<10 {
			t.Errorf("%s: %d bytes allocated per rejection", c.name, perRun)
		}
		if elapsed > time.Second {
			t.Errorf("%s: %d rejections took %v", c.name, runs, elapsed)
		}
		t.Logf("%s: %v; %d bytes, %v per rejection", c.name, err, perRun, elapsed/runs)
	}

	// The limit is the caller's: a small one rejects the test picture.
	_, err := Decode(encodePNG(t, picture()), Options{MaxPixels: picW*picH - 1})
	var te *TooLargeError
	if !errors.As(err, &te) || te.Width != picW || te.Height != picH || te.MaxPixels != picW*picH-1 {
		t.Errorf("MaxPixels %d: %v", picW*picH-1, err)
	}
	if _, err := Decode(encodePNG(t, picture()), Options{MaxPixels: picW * picH}); err != nil {
		t.Errorf("MaxPixels exactly the size: %v", err)
	}
}

// TestDecodeAnimatedWebP: a valid animated WebP (img2webp) is unsupported,
// not corrupt.
func TestDecodeAnimatedWebP(t *testing.T) {
	img2webp := tool(t, "/usr/bin/img2webp", "webp")
	dir := t.TempDir()
	a, b := dir+"/a.png", dir+"/b.png"
	writeFile(t, a, encodePNG(t, picture()))
	writeFile(t, b, encodePNG(t, translucent()))
	run(t, img2webp, "-lossless", a, b, "-o", dir+"/anim.webp")
	data := shared.ReadFile(t, dir, "anim.webp")
	_, err := Decode(data, Options{})
	checkErr(t, "animated webp", err, ErrUnsupported)
}

// TestGuardRecoversPanic: a decoder that panics yields a *FormatError.
func TestGuardRecoversPanic(t *testing.T) {
	_, err := guard(WebP, nil, func() (int, error) { panic("boom") })
	checkErr(t, "panic", err, ErrCorrupt)
	if !strings.Contains(err.Error(), "decoder panic: boom") {
		t.Errorf("message %q", err)
	}
	_, err = guard(PNG, nil, func() (int, error) {
		var s []int
		return s[3], nil // a runtime error, as a decoder bug would raise
	})
	checkErr(t, "runtime error", err, ErrCorrupt)
}

func TestErrorMessages(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{&FormatError{Kind: ErrEmpty}, "imageprep: empty input"},
		{&FormatError{Format: PNG, Kind: ErrTruncated, Err: errors.New("unexpected EOF")}, "imageprep: truncated image data (png): unexpected EOF"},
		{&FormatError{}, "imageprep: corrupt image data"},
		{&UnsupportedError{Format: "tiff"}, "imageprep: unsupported image (tiff)"},
		{&UnsupportedError{Kind: ErrUnknownFormat}, "imageprep: unknown image format"},
		{&TooLargeError{Format: PNG, Width: 3, Height: 4, MaxPixels: 10}, "imageprep: image too large (png): 3x4 pixels, more than the limit of 10"},
	} {
		if got := c.err.Error(); got != c.want {
			t.Errorf("got %q, want %q", got, c.want)
		}
	}
}

// pngHeader is a PNG signature, an IHDR (8-bit RGB) and IEND.
func pngHeader(w, h uint32) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 2, 0, 0, 0)
	return bytes.Join([][]byte{[]byte("\x89PNG\r\n\x1A\n"), pngChunk("IHDR", ihdr), pngChunk("IEND", nil)}, nil)
}

// bmpHeader is a 24-bit BITMAPINFOHEADER file with no pixels.
func bmpHeader(w, h int32) []byte {
	le := binary.LittleEndian
	b := []byte("BM")
	b = le.AppendUint32(b, 54)
	b = le.AppendUint32(b, 0)
	b = le.AppendUint32(b, 54) // pixel offset
	b = le.AppendUint32(b, 40) // header size
	b = le.AppendUint32(b, uint32(w))
	b = le.AppendUint32(b, uint32(h))
	b = le.AppendUint16(b, 1)  // planes
	b = le.AppendUint16(b, 24) // bits per pixel
	return append(b, make([]byte, 24)...)
}

// gifHeader is a GIF89a header and logical screen descriptor, no colour
// table, and the trailer.
func gifHeader(w, h uint16) []byte {
	b := []byte("GIF89a")
	b = binary.LittleEndian.AppendUint16(b, w)
	b = binary.LittleEndian.AppendUint16(b, h)
	return append(b, 0, 0, 0, 0x3B)
}

// jpegHeader is SOI, optionally a JFIF APP0, a baseline SOF0 for three
// components, the head of a scan and EOI. image/jpeg reads the header up to
// SOF when there is a JFIF segment and up to SOS otherwise.
func jpegHeader(w, h uint16, jfif bool) []byte {
	b := []byte{0xFF, 0xD8}
	if jfif {
		b = append(b, 0xFF, 0xE0, 0, 16, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0)
	}
	b = append(b, 0xFF, 0xC0, 0, 17, 8)
	b = binary.BigEndian.AppendUint16(b, h)
	b = binary.BigEndian.AppendUint16(b, w)
	b = append(b, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1)
	b = append(b, 0xFF, 0xDA, 0, 12, 3, 1, 0, 2, 0x11, 3, 0x11, 0, 63, 0)
	return append(b, 0xFF, 0xD9)
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// webpVP8XHeader is a RIFF WebP with only a VP8X chunk.
func webpVP8XHeader(w, h uint32) []byte {
	body := []byte{0, 0, 0, 0}
	body = append(body, byte(w-1), byte((w-1)>>8), byte((w-1)>>16))
	body = append(body, byte(h-1), byte((h-1)>>8), byte((h-1)>>16))
	return webpFile(webpChunk("VP8X", body))
}
