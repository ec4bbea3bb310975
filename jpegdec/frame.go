package jpegdec

// component is one colour component of the frame, with its geometry at the
// chosen output scale.
type component struct {
	id   byte
	h, v int // sampling factors
	tq   int // quantization table
	td   int // DC table of the current scan
	ta   int // AC table of the current scan

	bw, bh int // blocks per line and column, padded to whole MCUs
	cw, ch int // blocks a non-interleaved scan covers
	size   int // output samples per block side: 1, 2, 4 or 8
	hexp   int // output pixels per sample, across
	vexp   int // and down

	pred   int32
	coef   []int16  // every block's coefficients (stride of them a block), for progressive and multi-scan pictures
	stride int      // 64, or 1 for a component decoded at 1/8
	nz     []uint64 // with stride 1: which AC coefficients of each block are non-zero
	plane  []byte   // one MCU row of samples
}

// decoder holds one decode's state; nothing is shared between decodes.
type decoder struct {
	data []byte
	pos  int

	width, height int
	maxPixels     int64 // checked as soon as the frame header is read; 0 in DecodeConfig
	progressive   bool
	comps         []component
	hmax, vmax    int
	mcusX, mcusY  int
	quant         [4][64]int32 // zigzag order
	quantSet      [4]bool
	dc, ac        [4]huffTable
	ri            int
	jfif, adobe   bool
	transform     byte

	// Current scan.
	scan       []*component
	ss, se     int
	ah, al     int
	eobrun     int
	scans      int
	eoi        bool
	warnings   int
	colorModel int
	br         bitReader
	buffered   bool // coefficients kept for all scans (progressive or multi-scan)
	scale      int
	out        *Image
	blk        [64]int32
	acNZ       bool       // blk has a non-zero AC coefficient
	xmap       [4][]int32 // output column -> sample index, per component
}

// readSOF reads a frame header (T.81 B.2.2).
func (d *decoder) readSOF(m byte, p []byte) error {
	if d.width != 0 {
		return formatErr("second frame header")
	}
	if len(p) < 6 {
		return formatErr("SOF segment too short")
	}
	if p[0] != 8 {
		return unsupportedErr("%d-bit samples", p[0])
	}
	d.height = int(p[1])<<8 | int(p[2])
	d.width = int(p[3])<<8 | int(p[4])
	n := int(p[5])
	if d.height == 0 {
		return unsupportedErr("height defined by a DNL marker")
	}
	if d.width == 0 {
		return formatErr("zero width")
	}
	if d.maxPixels > 0 && int64(d.width) > d.maxPixels/int64(d.height) {
		return &TooLargeError{Width: d.width, Height: d.height, MaxPixels: d.maxPixels}
	}
	if n != 1 && n != 3 && n != 4 {
		return unsupportedErr("%d components", n)
	}
	if len(p) != 6+3*n {
		return formatErr("SOF length %d for %d components", len(p), n)
	}
	d.progressive = m == mSOF2
	d.comps = make([]component, n)
	blocks := 0
	for i := range d.comps {
		c := &d.comps[i]
		q := p[6+3*i:]
		c.id = q[0]
		c.h, c.v = int(q[1]>>4), int(q[1]&15)
		c.tq = int(q[2])
		if c.h < 1 || c.h > 4 || c.v < 1 || c.v > 4 {
			return formatErr("sampling factors %dx%d", c.h, c.v)
		}
		if c.tq > 3 {
			return formatErr("quantization table %d", c.tq)
		}
		for j := 0; j < i; j++ {
			if d.comps[j].id == c.id {
				return formatErr("duplicate component id %d", c.id)
			}
		}
		blocks += c.h * c.v
		d.hmax, d.vmax = max(d.hmax, c.h), max(d.vmax, c.v)
	}
	if n == 1 {
		// One component: the MCU is one block whatever the factors (A.2.2).
		d.comps[0].h, d.comps[0].v = 1, 1
		d.hmax, d.vmax = 1, 1
	} else if blocks > 10 {
		return formatErr("%d blocks per MCU, more than 10", blocks)
	}
	for i := range d.comps {
		c := &d.comps[i]
		if d.hmax%c.h != 0 || d.vmax%c.v != 0 {
			return unsupportedErr("sampling factors %dx%d with maxima %dx%d", c.h, c.v, d.hmax, d.vmax)
		}
	}
	d.mcusX = (d.width + 8*d.hmax - 1) / (8 * d.hmax)
	d.mcusY = (d.height + 8*d.vmax - 1) / (8 * d.vmax)
	for i := range d.comps {
		c := &d.comps[i]
		c.bw, c.bh = d.mcusX*c.h, d.mcusY*c.v
		cw := (d.width*c.h + d.hmax - 1) / d.hmax
		ch := (d.height*c.v + d.vmax - 1) / d.vmax
		c.cw, c.ch = (cw+7)/8, (ch+7)/8
	}
	return nil
}

// readSOS reads a scan header (T.81 B.2.3).
func (d *decoder) readSOS(p []byte) error {
	if len(p) < 1 {
		return formatErr("SOS segment too short")
	}
	n := int(p[0])
	if n < 1 || n > 4 || len(p) != 4+2*n {
		return formatErr("SOS with %d components in %d bytes", n, len(p))
	}
	d.scan = d.scan[:0]
	blocks := 0
	for i := 0; i < n; i++ {
		id, tables := p[1+2*i], p[2+2*i]
		var c *component
		for j := range d.comps {
			if d.comps[j].id == id {
				c = &d.comps[j]
			}
		}
		if c == nil {
			return formatErr("scan names unknown component %d", id)
		}
		for _, o := range d.scan {
			if o == c {
				return formatErr("scan names component %d twice", id)
			}
		}
		c.td, c.ta = int(tables>>4), int(tables&15)
		if c.td > 3 || c.ta > 3 {
			return formatErr("scan Huffman tables %d/%d", c.td, c.ta)
		}
		d.scan = append(d.scan, c)
		blocks += c.h * c.v
	}
	if n > 1 && blocks > 10 {
		return formatErr("%d blocks per MCU, more than 10", blocks)
	}
	q := p[1+2*n:]
	d.ss, d.se, d.ah, d.al = int(q[0]), int(q[1]), int(q[2]>>4), int(q[2]&15)
	if d.progressive {
		switch {
		case d.ss == 0 && d.se != 0, d.ss > d.se, d.se > 63, d.ss > 0 && n != 1, d.al > 13, d.ah > 13:
			return formatErr("progressive scan parameters Ss=%d Se=%d Ah=%d Al=%d with %d components", d.ss, d.se, d.ah, d.al, n)
		}
	} else if d.ss != 0 || d.se != 63 || d.ah != 0 || d.al != 0 {
		// T.81 B.2.3: fixed for sequential scans; libjpeg ignores them, so do we.
		d.ss, d.se, d.ah, d.al = 0, 63, 0, 0
	}
	for _, c := range d.scan {
		if !d.quantSet[c.tq] {
			return formatErr("component %d uses undefined quantization table %d", c.id, c.tq)
		}
		if (!d.progressive || d.ss == 0) && d.ah == 0 && !d.dc[c.td].defined {
			return formatErr("scan uses undefined DC table %d", c.td)
		}
		if (!d.progressive || d.ss > 0) && !d.ac[c.ta].defined {
			return formatErr("scan uses undefined AC table %d", c.ta)
		}
	}
	d.scans++
	return nil
}

// setup chooses each component's IDCT size (layout) and allocates the
// output and the band buffers; the coefficient buffers, when needed, come
// with the scans (allocCoefficients).
func (d *decoder) setup(scale int) {
	d.layout(scale)
	w, h := ScaledSize(d.width, d.height, scale)
	d.out = &Image{Width: w, Height: h, Scale: scale, Pix: make([]byte, w*h*3)}
	for i := range d.comps {
		c := &d.comps[i]
		c.plane = make([]byte, c.bw*c.size*c.v*c.size)
		xm := make([]int32, w)
		for x := range xm {
			xm[x] = int32(x / c.hexp)
		}
		d.xmap[i] = xm
	}
}

// layout chooses each component's IDCT size and expansion at scale, and
// whether the coefficients must be buffered, without allocating.
func (d *decoder) layout(scale int) {
	d.scale = scale
	d.colorModel = d.model()
	for i := range d.comps {
		c := &d.comps[i]
		// Scale chroma up in the IDCT rather than by upsampling, while
		// the sampling ratio allows (libjpeg's jdmaster.c does the same,
		// so the outputs agree).
		s := scale
		for s < 8 && (d.hmax*scale)%(c.h*s*2) == 0 && (d.vmax*scale)%(c.v*s*2) == 0 {
			s *= 2
		}
		c.size = s
		c.hexp = d.hmax * scale / (c.h * s)
		c.vexp = d.vmax * scale / (c.v * s)
	}
	// A single scan with every component can be decoded straight into
	// bands; anything else needs the coefficients of the whole picture.
	d.buffered = d.progressive || len(d.scan) != len(d.comps)
}
