package jpegdec

import (
	"bytes"
	"errors"
	"testing"
)

// Every cut of a seed before its last scan's data end must fail with a
// FormatError marked Truncated (or at worst another FormatError), at every
// scale, never succeed silently or panic.
func TestTruncated(t *testing.T) {
	for name, data := range seeds(t) {
		end := bytes.LastIndex(data, []byte{0xFF, 0xD9})
		if end < 0 {
			t.Fatalf("%s: no EOI", name)
		}
		for cut := 2; cut < end-1; cut += max(1, end/97) {
			for _, min := range []int{1, 1 << 20} {
				_, err := Decode(data[:cut], Options{MinWidth: min, MinHeight: min})
				var fe *FormatError
				if !errors.As(err, &fe) {
					t.Fatalf("%s cut at %d of %d (min %d): got %v, want a FormatError", name, cut, len(data), min, err)
				}
			}
		}
	}
}

func TestTruncatedScanIsMarked(t *testing.T) {
	data := seeds(t)["s444.jpg"]
	_, err := Decode(data[:len(data)-100], Options{})
	var fe *FormatError
	if !errors.As(err, &fe) || !fe.Truncated {
		t.Fatalf("got %v, want a truncated FormatError", err)
	}
}

// Corrupting single bytes anywhere gives an error or a picture, never a
// panic; header fields that matter give the error named.
func TestCorrupt(t *testing.T) {
	for name, data := range seeds(t) {
		for i := 2; i < len(data); i++ {
			b := bytes.Clone(data)
			b[i] ^= 0x5A
			_, _ = Decode(b, Options{})
			_, _ = Decode(b, Options{MinWidth: 1, MinHeight: 1})
		}
		_ = name
	}
}

func TestHeaderErrors(t *testing.T) {
	base := seeds(t)["s444.jpg"]
	sof := bytes.Index(base, []byte{0xFF, 0xC0})
	if sof < 0 {
		t.Fatal("no SOF0 in s444.jpg")
	}
	with := func(off int, v byte) []byte {
		b := bytes.Clone(base)
		b[sof+off] = v
		return b
	}
	for _, c := range []struct {
		name        string
		data        []byte
		unsupported bool
	}{
		{"empty", nil, false},
		{"not JPEG", []byte("GIF89a"), false},
		{"only SOI", []byte{0xFF, 0xD8}, false},
		{"12-bit", with(4, 12), true},
		{"arithmetic", with(1, 0xC9), true},
		{"lossless", with(1, 0xC3), true},
		{"zero width", func() []byte { b := with(7, 0); b[sof+8] = 0; return b }(), false},
		{"DNL height", func() []byte { b := with(5, 0); b[sof+6] = 0; return b }(), true},
		{"2 components", with(9, 2), true},
		{"sampling 0", with(11, 0x01), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Decode(c.data, Options{})
			var fe *FormatError
			var ue *UnsupportedError
			switch {
			case c.unsupported && !errors.As(err, &ue):
				t.Fatalf("got %v, want an UnsupportedError", err)
			case !c.unsupported && !errors.As(err, &fe):
				t.Fatalf("got %v, want a FormatError", err)
			}
		})
	}
}

// The pixel cap is checked from the header, before any allocation.
func TestTooLarge(t *testing.T) {
	data := seeds(t)["s444.jpg"]
	_, err := Decode(data, Options{MaxPixels: 37*23 - 1})
	var te *TooLargeError
	if !errors.As(err, &te) || te.Width != 37 || te.Height != 23 {
		t.Fatalf("got %v, want a TooLargeError for 37x23", err)
	}
	if _, err := Decode(data, Options{MaxPixels: 37 * 23}); err != nil {
		t.Fatalf("at the limit: %v", err)
	}
	// A header declaring 65535x65535 pixels with no data is refused at once.
	sof := bytes.Index(data, []byte{0xFF, 0xC0})
	b := bytes.Clone(data[:sof+19])
	b[sof+5], b[sof+6], b[sof+7], b[sof+8] = 0xFF, 0xFF, 0xFF, 0xFF
	if _, err := Decode(b, Options{}); !errors.As(err, &te) {
		t.Fatalf("65535x65535: got %v, want a TooLargeError", err)
	}
}
