package imageprep

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// TestTIFFOrientation feeds the TIFF parser well-formed and hostile
// structures; none may panic, and only a clean Orientation entry counts.
func TestTIFFOrientation(t *testing.T) {
	le, be := binary.LittleEndian, binary.BigEndian
	ifd := func(bo byteOrder, off uint32, count uint16, entries ...[]byte) []byte {
		var b []byte
		if bo.Uint16([]byte{1, 0}) == 1 {
			b = append(b, "II*\x00"...)
		} else {
			b = append(b, "MM\x00*"...)
		}
		b = bo.AppendUint32(b, off)
		b = bo.AppendUint16(b, count)
		for _, e := range entries {
			b = append(b, e...)
		}
		return b
	}
	entry := func(bo byteOrder, tag, typ uint16, count, value uint32) []byte {
		e := bo.AppendUint16(nil, tag)
		e = bo.AppendUint16(e, typ)
		e = bo.AppendUint32(e, count)
		if typ == 3 {
			return bo.AppendUint16(bo.AppendUint16(e, uint16(value)), 0)
		}
		return bo.AppendUint32(e, value)
	}
	other := entry(le, 0x010F, 2, 4, 0x41424344)
	selfLoop := ifd(le, 8, 1, other)
	selfLoop = append(selfLoop, 8, 0, 0, 0) // next-IFD offset pointing back at IFD0
	for _, c := range []struct {
		name string
		tiff []byte
		want int
	}{
		{"nil", nil, 1},
		{"short", []byte("II*\x00\x08"), 1},
		{"bad magic", []byte("II+\x00\x08\x00\x00\x00\x00\x00"), 1},
		{"LE 6", exifTIFF(le, 6), 6},
		{"BE 8", exifTIFF(be, 8), 8},
		{"only entry", ifd(be, 8, 1, entry(be, 0x0112, 3, 1, 3)), 3},
		{"LONG type", ifd(le, 8, 1, entry(le, 0x0112, 4, 1, 5)), 5},
		{"count 2", ifd(le, 8, 1, entry(le, 0x0112, 3, 2, 5)), 1},
		{"RATIONAL type", ifd(le, 8, 1, entry(le, 0x0112, 5, 1, 5)), 1},
		{"value 0", ifd(le, 8, 1, entry(le, 0x0112, 3, 1, 0)), 1},
		{"value 9", ifd(le, 8, 1, entry(le, 0x0112, 3, 1, 9)), 1},
		{"IFD past end", ifd(le, 1000, 1, entry(le, 0x0112, 3, 1, 6)), 1},
		{"IFD offset max", ifd(le, 0xFFFFFFFF, 1, entry(le, 0x0112, 3, 1, 6)), 1},
		{"IFD in header", ifd(le, 2, 1, entry(le, 0x0112, 3, 1, 6)), 1},
		{"huge count, few entries", ifd(le, 8, 0xFFFF, other, entry(le, 0x0112, 3, 1, 7)), 7},
		{"huge count, no tag", ifd(le, 8, 0xFFFF, other), 1},
		{"entry cut short", ifd(le, 8, 1, entry(le, 0x0112, 3, 1, 6)[:10]), 1},
		{"loop to itself", selfLoop, 1},
		{"tag beyond count", ifd(le, 8, 1, other, entry(le, 0x0112, 3, 1, 6)), 1},
	} {
		if got := tiffOrientation(c.tiff); got != c.want {
			t.Errorf("%s: orientation %d, want %d", c.name, got, c.want)
		}
	}
}

// TestFindEXIF checks the container walks: where the block is found and
// that malformed containers give nothing rather than a panic or a hang.
func TestFindEXIF(t *testing.T) {
	tiff := exifTIFF(binary.BigEndian, 6)
	app := func(marker byte, body []byte) []byte {
		return append(binary.BigEndian.AppendUint16([]byte{0xFF, marker}, uint16(len(body)+2)), body...)
	}
	exifSeg := app(0xE1, append([]byte("Exif\x00\x00"), tiff...))
	soi, sos := []byte{0xFF, 0xD8}, []byte{0xFF, 0xDA, 0, 2}
	for _, c := range []struct {
		name string
		f    Format
		data []byte
		want int
	}{
		{"jpeg first", JPEG, cat(soi, exifSeg, sos), 6},
		{"jpeg after APP0 and XMP", JPEG, cat(soi, app(0xE0, []byte("JFIF\x00")), app(0xE1, []byte("http://ns.adobe.com/xap/1.0/\x00")), exifSeg), 6},
		{"jpeg fill bytes", JPEG, cat(soi, []byte{0xFF, 0xFF, 0xFF}, exifSeg), 6},
		{"jpeg after scan", JPEG, cat(soi, sos, exifSeg), 1},
		{"jpeg length 0", JPEG, cat(soi, []byte{0xFF, 0xE1, 0, 0}, exifSeg), 1},
		{"jpeg length past end", JPEG, cat(soi, []byte{0xFF, 0xE1, 0xFF, 0xFF}, exifSeg[4:]), 1},
		{"jpeg lost sync", JPEG, cat(soi, []byte{0x00}, exifSeg), 1},
		{"jpeg only fill", JPEG, cat(soi, bytes.Repeat([]byte{0xFF}, 1000)), 1},
		{"jpeg no SOI", JPEG, exifSeg, 1},
		{"png", PNG, cat([]byte("\x89PNG\r\n\x1A\n"), pngChunk("IHDR", make([]byte, 13)), pngChunk("eXIf", tiff)), 6},
		{"png after IEND", PNG, cat([]byte("\x89PNG\r\n\x1A\n"), pngChunk("IEND", nil), pngChunk("eXIf", tiff)), 1},
		{"png huge length", PNG, cat([]byte("\x89PNG\r\n\x1A\n"), []byte{0xFF, 0xFF, 0xFF, 0xF0}, []byte("tEXt"), pngChunk("eXIf", tiff)), 1},
		{"webp odd chunk", WebP, webpFile(webpChunk("ICCP", []byte{1, 2, 3}), webpChunk("EXIF", tiff)), 6},
		{"webp with prefix", WebP, webpFile(webpChunk("EXIF", append([]byte("Exif\x00\x00"), tiff...))), 6},
		{"webp huge chunk", WebP, webpFile([]byte("XMP \xF0\xFF\xFF\xFF"), webpChunk("EXIF", tiff)), 1},
		{"gif has none", GIF, cat([]byte("GIF89a"), tiff), 1},
	} {
		if got := orientation(c.f, c.data); got != c.want {
			t.Errorf("%s: orientation %d, want %d", c.name, got, c.want)
		}
	}
}

func webpChunk(id string, body []byte) []byte {
	c := binary.LittleEndian.AppendUint32([]byte(id), uint32(len(body)))
	c = append(c, body...)
	if len(body)%2 == 1 {
		c = append(c, 0)
	}
	return c
}

func webpFile(chunks ...[]byte) []byte {
	body := append([]byte("WEBP"), bytes.Join(chunks, nil)...)
	return append(binary.LittleEndian.AppendUint32([]byte("RIFF"), uint32(len(body))), body...)
}
