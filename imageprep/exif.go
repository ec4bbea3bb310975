package imageprep

import (
	"bytes"
	"encoding/binary"
)

// EXIF orientation, read with a parser of our own that checks every offset
// and length against the data and follows no pointer chains, so hostile
// metadata (loops, bad offsets, huge counts) costs at most one pass over the
// bytes. Anything unreadable means orientation 1: metadata never makes a
// decodable image fail.

// exifHeader starts the EXIF payload of a JPEG APP1 segment (EXIF 2.32 §4.5.4)
// and, by mistake of some writers, of PNG eXIf and WebP EXIF chunks.
const exifHeader = "Exif\x00\x00"

// orientation returns the EXIF orientation (1..8) of data in format f, or 1.
func orientation(f Format, data []byte) int {
	var tiff []byte
	switch f {
	case JPEG:
		tiff = jpegEXIF(data)
	case PNG:
		tiff = pngEXIF(data)
	case WebP:
		tiff = webpEXIF(data)
	}
	return tiffOrientation(tiff)
}

// jpegEXIF returns the TIFF structure in the first APP1 "Exif" segment, which
// must come before the first scan (T.81 B.2: markers, each but SOI, EOI, RSTn
// and TEM followed by a two-byte length that counts itself).
func jpegEXIF(data []byte) []byte {
	if len(data) < 2 || data[0] != 0xFF || data[1] != 0xD8 {
		return nil
	}
	for i := 2; i+4 <= len(data); {
		if data[i] != 0xFF {
			return nil // lost sync; a decoder would give up too
		}
		m := data[i+1]
		switch {
		case m == 0xFF: // fill byte before a marker (B.1.1.2)
			i++
			continue
		case m == 0x01, m == 0xD8, m >= 0xD0 && m <= 0xD7: // TEM, SOI, RSTn: no length
			i += 2
			continue
		case m == 0xD9, m == 0xDA: // EOI, SOS: the metadata is behind us
			return nil
		}
		n := int(binary.BigEndian.Uint16(data[i+2:]))
		if n < 2 || i+2+n > len(data) {
			return nil
		}
		seg := data[i+4 : i+2+n]
		if m == 0xE1 && bytes.HasPrefix(seg, []byte(exifHeader)) {
			return seg[len(exifHeader):]
		}
		i += 2 + n
	}
	return nil
}

// pngEXIF returns the payload of the eXIf chunk (PNG 3rd edition §11.3.6).
// Chunk CRCs are not checked: the PNG decoder has already verified them.
func pngEXIF(data []byte) []byte {
	const sig = 8
	for i := sig; i+12 <= len(data); {
		n := binary.BigEndian.Uint32(data[i:])
		typ := string(data[i+4 : i+8])
		if n > uint32(len(data)-i-12) {
			return nil
		}
		body := data[i+8 : i+8+int(n)]
		switch typ {
		case "eXIf":
			return bytes.TrimPrefix(body, []byte(exifHeader))
		case "IEND":
			return nil
		}
		i += 12 + int(n)
	}
	return nil
}

// webpEXIF returns the payload of the "EXIF" chunk of an extended WebP file
// (WebP container specification; chunks are padded to an even length).
func webpEXIF(data []byte) []byte {
	const header = 12 // "RIFF", size, "WEBP"
	for i := header; i+8 <= len(data); {
		n := binary.LittleEndian.Uint32(data[i+4:])
		if n > uint32(len(data)-i-8) {
			return nil
		}
		if string(data[i:i+4]) == "EXIF" {
			return bytes.TrimPrefix(data[i+8:i+8+int(n)], []byte(exifHeader))
		}
		i += 8 + int(n) + int(n&1)
	}
	return nil
}

// tiffOrientation reads tag 0x0112 (Orientation) of IFD0 from a TIFF
// structure (TIFF 6.0 §2: byte-order mark, 42, offset of IFD0; an IFD is a
// count and 12-byte entries of tag, type, count, value). It returns 1 unless
// the tag is present, well formed and 1..8.
func tiffOrientation(b []byte) int {
	if len(b) < 8 {
		return 1
	}
	var bo binary.ByteOrder
	switch string(b[:4]) {
	case "II*\x00":
		bo = binary.LittleEndian
	case "MM\x00*":
		bo = binary.BigEndian
	default:
		return 1
	}
	ifd := uint64(bo.Uint32(b[4:]))
	if ifd+2 > uint64(len(b)) {
		return 1
	}
	count := int(bo.Uint16(b[ifd:]))
	for k, e := 0, int(ifd)+2; k < count && e+12 <= len(b); k, e = k+1, e+12 {
		if bo.Uint16(b[e:]) != 0x0112 {
			continue
		}
		var v uint32
		switch typ, n := bo.Uint16(b[e+2:]), bo.Uint32(b[e+4:]); {
		case typ == 3 && n == 1: // SHORT, as the standard has it
			v = uint32(bo.Uint16(b[e+8:]))
		case typ == 4 && n == 1: // LONG, written by some broken tools
			v = bo.Uint32(b[e+8:])
		}
		if v >= 1 && v <= 8 {
			return int(v)
		}
		return 1
	}
	return 1
}
