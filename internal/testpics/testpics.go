package testpics

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/jpeg"
	"image/png"
)

// FlatJPEG returns a w×h baseline grey JPEG, mid-grey everywhere, with w
// and h multiples of 8. Its headers are image/jpeg's for an 8×8 picture
// (the Annex K tables), its size patched in; every block is coded as a DC
// difference of 0 ("00") and an end of block ("1010"), 6 bits, so a 60 MP
// picture is 700 KB and takes no time to make.
func FlatJPEG(w, h int) []byte {
	if w%8 != 0 || h%8 != 0 || w <= 0 || h <= 0 || w > 0xFFFF || h > 0xFFFF {
		panic("testpics: FlatJPEG size must be positive multiples of 8 under 65536")
	}
	var small bytes.Buffer
	m := image.NewGray(image.Rect(0, 0, 8, 8))
	for i := range m.Pix {
		m.Pix[i] = 128
	}
	if err := jpeg.Encode(&small, m, &jpeg.Options{Quality: 90}); err != nil {
		panic(err)
	}
	src := small.Bytes()
	sof := bytes.Index(src, []byte{0xFF, 0xC0})
	sos := bytes.Index(src, []byte{0xFF, 0xDA})
	if sof < 0 || sos < 0 {
		panic("testpics: image/jpeg wrote no SOF0 or SOS")
	}
	head := bytes.Clone(src[:sos+2+int(binary.BigEndian.Uint16(src[sos+2:]))])
	// SOF0: FF C0, length(2), precision(1), height(2), width(2).
	binary.BigEndian.PutUint16(head[sof+5:], uint16(h))
	binary.BigEndian.PutUint16(head[sof+7:], uint16(w))
	blocks := w / 8 * (h / 8)
	// Four blocks are 24 bits: 001010 001010 001010 001010.
	data := bytes.Repeat([]byte{0x28, 0xA2, 0x8A}, (blocks+3)/4)
	out := append(head, data...)
	return append(out, 0xFF, 0xD9)
}

// PNGHeader returns a PNG that declares w×h 8-bit RGB pixels and holds
// none: what a decoder refuses from the header must be refused before the
// missing data matter.
func PNGHeader(w, h int) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewRGBA(image.Rect(0, 0, 1, 1))); err != nil {
		panic(err)
	}
	p := bytes.Clone(b.Bytes())
	// Signature(8), IHDR length(4) "IHDR"(4), width(4), height(4), depth,
	// colour, compression, filter, interlace, CRC(4).
	binary.BigEndian.PutUint32(p[16:], uint32(w))
	binary.BigEndian.PutUint32(p[20:], uint32(h))
	p[24], p[25] = 8, 2
	binary.BigEndian.PutUint32(p[29:], crc32.ChecksumIEEE(p[12:29]))
	return p
}
