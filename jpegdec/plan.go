package jpegdec

import "unsafe"

// Plan is what Decode will do with a picture, read from its headers alone:
// the scale it will choose and the memory it will hold at its peak.
type Plan struct {
	Config
	Scale               int // in eighths, as Image.Scale
	OutWidth, OutHeight int // the output size at Scale
	// Bytes is the memory Decode allocates: the output picture, one band
	// of MCU rows and a column map per component, the coefficient buffers
	// of a buffered (progressive or multi-scan) picture, and the decoder
	// with its Huffman tables.
	Bytes int64
}

// PlanDecode reads the headers up to the first scan and returns what
// Decode(data, opts) will allocate, with the errors Decode gives for them:
// a *TooLargeError over opts.MaxPixels, or for a buffered picture whose
// coefficients Decode refuses to keep, an *UnsupportedError or a
// *FormatError for headers it does not take. Errors in the scans' data
// are found only by Decode.
func PlanDecode(data []byte, opts Options) (Plan, error) {
	d := &decoder{data: data, maxPixels: opts.MaxPixels}
	if d.maxPixels <= 0 {
		d.maxPixels = DefaultMaxPixels
	}
	if err := d.readHeaders(); err != nil {
		return Plan{}, err
	}
	scale := ChooseScale(d.width, d.height, opts.MinWidth, opts.MinHeight)
	d.layout(scale)
	if err := d.checkBuffered(); err != nil {
		return Plan{}, err
	}
	w, h := ScaledSize(d.width, d.height, scale)
	n := int64(w) * int64(h) * 3
	for i := range d.comps {
		c := &d.comps[i]
		n += int64(c.bw)*int64(c.size)*int64(c.v)*int64(c.size) + 4*int64(w) // band, column map
		if d.buffered {
			blocks := int64(c.bw) * int64(c.bh)
			if c.size == 1 {
				n += blocks * (2 + 8) // DC and the non-zero mask
			} else {
				n += blocks * 64 * 2
			}
		}
	}
	// The decoder holds its eight Huffman tables; the four AC tables
	// build a skip table on first use.
	n += int64(unsafe.Sizeof(decoder{})) + 4*int64(unsafe.Sizeof([1 << skipBits]uint16{}))
	return Plan{Config: Config{Width: d.width, Height: d.height, Components: len(d.comps), Progressive: d.progressive},
		Scale: scale, OutWidth: w, OutHeight: h, Bytes: n}, nil
}
