package jpegdec

import (
	"encoding/binary"
)

// DefaultMaxPixels bounds width*height when Options.MaxPixels is zero.
const DefaultMaxPixels = 100_000_000

// maxProgressivePixels bounds progressive and multi-scan pictures decoded
// at 1/4 or more, which hold every DCT coefficient (2 bytes × 64 per block)
// until the last scan; at 1/8 they hold 10 bytes a block.
const maxProgressivePixels = 40_000_000

// Options tune Decode.
type Options struct {
	// MinWidth and MinHeight ask for the smallest DCT scale (1/8, 1/4, 1/2
	// or 1/1) whose output is at least this large; zero means full size.
	MinWidth, MinHeight int
	// MaxPixels bounds the declared width*height, checked before anything
	// is allocated; zero or negative means DefaultMaxPixels.
	MaxPixels int64
}

// Config is what the frame header declares.
type Config struct {
	Width, Height int
	Components    int  // 1 (grey), 3 (YCbCr or RGB) or 4 (CMYK or YCCK)
	Progressive   bool // progressive, or sequential with one scan per component
}

// Image is a decoded picture in packed 8-bit RGB.
type Image struct {
	Width, Height int
	// Scale is the DCT scale in eighths: 8 for full size, 4, 2 or 1.
	Scale int
	Pix   []byte // RGB, 3 bytes a pixel, rows top to bottom
	// Warnings counts the faults decoding went past, as libjpeg does with
	// its "Corrupt JPEG data" warnings: bytes that are not where a marker
	// should be (skipped), and unused whole bytes at the end of a scan or
	// restart interval. A picture with warnings may show garbage.
	Warnings int
}

// ScaledSize is the output size of a width×height picture at scale/8,
// rounded up as libjpeg does.
func ScaledSize(width, height, scale int) (int, int) {
	return (width*scale + 7) / 8, (height*scale + 7) / 8
}

// ChooseScale returns the smallest scale (1, 2, 4 or 8 eighths) at which a
// width×height picture is at least minW×minH, or 8 if none is.
func ChooseScale(width, height, minW, minH int) int {
	for _, s := range [...]int{1, 2, 4} {
		w, h := ScaledSize(width, height, s)
		if w >= minW && h >= minH {
			return s
		}
	}
	return 8
}

// DecodeConfig reads the frame header.
func DecodeConfig(data []byte) (Config, error) {
	d := &decoder{data: data}
	if err := d.readHeaders(); err != nil {
		return Config{}, err
	}
	return Config{Width: d.width, Height: d.height, Components: len(d.comps), Progressive: d.progressive}, nil
}

// Decode decodes a baseline, extended or progressive 8-bit Huffman JPEG at
// the scale opts asks for into packed RGB.
func Decode(data []byte, opts Options) (*Image, error) {
	d := &decoder{data: data, maxPixels: opts.MaxPixels}
	if d.maxPixels <= 0 {
		d.maxPixels = DefaultMaxPixels
	}
	if err := d.readHeaders(); err != nil {
		return nil, err
	}
	d.setup(ChooseScale(d.width, d.height, opts.MinWidth, opts.MinHeight))
	if err := d.decodeScans(); err != nil {
		return nil, err
	}
	d.out.Warnings = d.warnings
	return d.out, nil
}

// TooLargeError reports a picture declaring more pixels than allowed.
type TooLargeError struct {
	Width, Height int
	MaxPixels     int64
}

func (e *TooLargeError) Error() string {
	return "jpegdec: picture too large: " + itoa(e.Width) + "x" + itoa(e.Height) + " pixels, limit " + itoa(int(e.MaxPixels))
}

func itoa(v int) string {
	var b [20]byte
	i := len(b)
	neg := v < 0
	if neg {
		v = -v
	}
	for {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

// Markers (T.81 Table B.1).
const (
	mSOF0 = 0xC0 // baseline
	mSOF1 = 0xC1 // extended sequential, Huffman
	mSOF2 = 0xC2 // progressive, Huffman
	mDHT  = 0xC4
	mRST0 = 0xD0
	mRST7 = 0xD7
	mSOI  = 0xD8
	mEOI  = 0xD9
	mSOS  = 0xDA
	mDQT  = 0xDB
	mDNL  = 0xDC
	mDRI  = 0xDD
	mAPP0 = 0xE0
	mAP14 = 0xEE
)

// nextMarker finds the next marker at or after d.pos, skipping fill bytes
// and, leniently, any stray bytes before it (libjpeg does the same, with a
// warning). It returns the marker and leaves d.pos after it.
func (d *decoder) nextMarker() (byte, error) {
	for {
		if d.pos < len(d.data) && d.data[d.pos] != 0xFF {
			d.warnings++ // libjpeg: "extraneous bytes before marker"
		}
		for d.pos < len(d.data) && d.data[d.pos] != 0xFF {
			d.pos++
		}
		for d.pos < len(d.data) && d.data[d.pos] == 0xFF {
			d.pos++
		}
		if d.pos >= len(d.data) {
			return 0, truncatedErr("no end-of-image marker")
		}
		m := d.data[d.pos]
		d.pos++
		if m != 0 && (m < mRST0 || m > mRST7) {
			return m, nil
		}
		d.warnings++
	}
}

// segment returns the payload of the length-prefixed segment at d.pos and
// moves past it.
func (d *decoder) segment(m byte) ([]byte, error) {
	if d.pos+2 > len(d.data) {
		return nil, truncatedErr("marker 0x%02X segment length cut off", m)
	}
	n := int(binary.BigEndian.Uint16(d.data[d.pos:]))
	if n < 2 {
		return nil, formatErr("marker 0x%02X segment length %d", m, n)
	}
	if d.pos+n > len(d.data) {
		return nil, truncatedErr("marker 0x%02X segment of %d bytes cut off", m, n)
	}
	p := d.data[d.pos+2 : d.pos+n]
	d.pos += n
	return p, nil
}

// readHeaders reads markers up to and including the first SOS header,
// leaving d.pos at the start of its entropy-coded data.
func (d *decoder) readHeaders() error {
	if len(d.data) < 2 || d.data[0] != 0xFF || d.data[1] != mSOI {
		return formatErr("missing start-of-image marker")
	}
	d.pos = 2
	return d.markers()
}

// markers handles markers up to an SOS header or EOI (see marker).
func (d *decoder) markers() error {
	for {
		m, err := d.nextMarker()
		if err != nil {
			return err
		}
		done, err := d.marker(m)
		if err != nil || done {
			return err
		}
	}
}

// marker handles one marker; done is true after an SOS header (d.pos at its
// entropy-coded data) or at EOI.
func (d *decoder) marker(m byte) (done bool, err error) {
	switch {
	case m == mSOI:
		return false, formatErr("second start-of-image marker")
	case m == mEOI:
		if d.width == 0 {
			return false, formatErr("end of image before any frame")
		}
		if d.scans == 0 {
			return false, formatErr("end of image before any scan")
		}
		d.eoi = true
		return true, nil
	case m == mSOF0 || m == mSOF1 || m == mSOF2:
		p, err := d.segment(m)
		if err != nil {
			return false, err
		}
		return false, d.readSOF(m, p)
	case m == 0xC3 || (m >= 0xC5 && m <= 0xC7):
		return false, unsupportedErr("lossless or hierarchical JPEG (SOF%d)", m-0xC0)
	case m >= 0xC8 && m <= 0xCF: // SOF9-15, DAC and the reserved JPG marker
		return false, unsupportedErr("arithmetic coding (marker 0x%02X)", m)
	case m == mDHT:
		p, err := d.segment(m)
		if err != nil {
			return false, err
		}
		return false, d.readDHT(p)
	case m == mDQT:
		p, err := d.segment(m)
		if err != nil {
			return false, err
		}
		return false, d.readDQT(p)
	case m == mDRI:
		p, err := d.segment(m)
		if err != nil {
			return false, err
		}
		if len(p) != 2 {
			return false, formatErr("DRI length %d", len(p))
		}
		d.ri = int(binary.BigEndian.Uint16(p))
		return false, nil
	case m == mSOS:
		if d.width == 0 {
			return false, formatErr("scan before frame header")
		}
		p, err := d.segment(m)
		if err != nil {
			return false, err
		}
		return true, d.readSOS(p)
	case m == mDNL:
		return false, unsupportedErr("DNL marker (height defined after the first scan)")
	case m == mAPP0 || m == mAP14:
		p, err := d.segment(m)
		if err != nil {
			return false, err
		}
		if m == mAPP0 && len(p) >= 5 && string(p[:5]) == "JFIF\x00" {
			d.jfif = true
		}
		// Adobe APP14 (Adobe TN 5116): "Adobe", version, flags0, flags1, transform.
		if m == mAP14 && len(p) >= 12 && string(p[:5]) == "Adobe" {
			d.adobe = true
			d.transform = p[11]
		}
		return false, nil
	default:
		// APPn, COM, and anything else with a length: skip.
		_, err := d.segment(m)
		return false, err
	}
}

func (d *decoder) readDQT(p []byte) error {
	for len(p) > 0 {
		pq, tq := p[0]>>4, p[0]&15
		if tq > 3 {
			return formatErr("DQT table id %d", tq)
		}
		n := 64
		if pq == 1 {
			n = 128
		} else if pq != 0 {
			return formatErr("DQT precision %d", pq)
		}
		if len(p) < 1+n {
			return formatErr("DQT segment too short")
		}
		q := &d.quant[tq]
		for i := 0; i < 64; i++ {
			if pq == 0 {
				q[i] = int32(p[1+i])
			} else {
				q[i] = int32(binary.BigEndian.Uint16(p[1+2*i:]))
			}
		}
		d.quantSet[tq] = true
		p = p[1+n:]
	}
	return nil
}

func (d *decoder) readDHT(p []byte) error {
	for len(p) > 0 {
		if len(p) < 17 {
			return formatErr("DHT segment too short")
		}
		tc, th := p[0]>>4, p[0]&15
		if tc > 1 || th > 3 {
			return formatErr("DHT class %d id %d", tc, th)
		}
		var counts [16]byte
		copy(counts[:], p[1:17])
		total := 0
		for _, c := range counts {
			total += int(c)
		}
		if total > 256 || len(p) < 17+total {
			return formatErr("DHT with %d symbols", total)
		}
		t := &d.dc[th]
		if tc == 1 {
			t = &d.ac[th]
		}
		if err := t.build(&counts, p[17:17+total], tc == 1); err != nil {
			return err
		}
		p = p[17+total:]
	}
	return nil
}
