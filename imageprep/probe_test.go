package imageprep

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"
)

// TestProbeAgreesWithDecode: Probe refuses what Decode refuses before
// decoding, with the same error, and reads the size Decode finds.
func TestProbeAgreesWithDecode(t *testing.T) {
	var pngBuf, jpegBuf bytes.Buffer
	img := image.NewNRGBA(image.Rect(0, 0, 40, 30))
	img.Set(3, 4, color.NRGBA{200, 10, 10, 255})
	png.Encode(&pngBuf, img)
	jpeg.Encode(&jpegBuf, img, nil)
	for name, data := range map[string][]byte{
		"png": pngBuf.Bytes(), "jpeg": jpegBuf.Bytes(),
		"tiff":  []byte("II*\x00\x08\x00\x00\x00rest"),
		"heif":  []byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00"),
		"text":  []byte("hello, not a picture"),
		"empty": nil,
		"cut":   pngBuf.Bytes()[:20],
	} {
		// The exact path against Decode, the fast one against DecodeFor,
		// each under its own limit.
		exact := Options{MaxPixels: 1000, MaxPixelsJPEG: 1 << 20, Resize: ResizeExact}
		fast := Options{MaxPixels: 1 << 20, MaxPixelsJPEG: 1000, Resize: ResizeFast, Width: 8, Height: 8}
		if name == "png" {
			fast.MaxPixels, fast.MaxPixelsJPEG = 1000, 1<<20
		}
		for _, opts := range []Options{exact, fast} {
			h, perr := Probe(data, opts)
			var derr error
			if opts.Resize == ResizeExact {
				_, derr = Decode(data, opts)
			} else {
				_, derr = DecodeFor(data, opts.Width, opts.Height, CropNone, opts)
			}
			if (perr == nil) != (derr == nil) {
				t.Errorf("%s %v: Probe %v, decoding %v", name, opts.Resize, perr, derr)
				continue
			}
			if perr != nil && perr.Error() != derr.Error() {
				t.Errorf("%s %v: Probe says %q, decoding %q", name, opts.Resize, perr, derr)
			}
			if perr == nil && (h.Width != 40 || h.Height != 30 || h.DecodeBytes < 40*30*6) {
				t.Errorf("%s %v: %+v", name, opts.Resize, h)
			}
		}
	}
	var tl *TooLargeError
	if _, err := Probe(pngBuf.Bytes(), Options{MaxPixels: 100}); !errors.As(err, &tl) {
		t.Errorf("over the pixel limit: %v", err)
	}
	var un *UnsupportedError
	if _, err := Probe([]byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00"), Options{}); !errors.As(err, &un) || un.Format != "heif" {
		t.Errorf("HEIC: %v", err)
	}
}

// TestDecodeEstimates: the formats and features that cost more per pixel
// are estimated higher.
func TestDecodeEstimates(t *testing.T) {
	ihdr := func(depth, colour, interlace byte) []byte {
		b := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x00\x10\x00\x00\x00\x10")
		return append(b, depth, colour, 0, 0, interlace)
	}
	if a, b := pngBytesPerPixel(ihdr(8, 2, 0)), pngBytesPerPixel(ihdr(16, 2, 1)); a != 4 || b != 16 {
		t.Errorf("PNG RGB8 %d, RGB16 interlaced %d", a, b)
	}
	var buf bytes.Buffer
	jpeg.Encode(&buf, image.NewGray(image.Rect(0, 0, 8, 8)), nil)
	if c, p := jpegFrame(buf.Bytes()); c != 1 || p {
		t.Errorf("grey baseline JPEG read as %d components, progressive %v", c, p)
	}
	prog := bytes.Replace(buf.Bytes(), []byte{0xFF, 0xC0}, []byte{0xFF, 0xC2}, 1)
	if _, p := jpegFrame(prog); !p {
		t.Error("SOF2 not read as progressive")
	}
}
