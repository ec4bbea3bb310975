package jpegdec

// unzig maps zigzag index to natural (row-major) index (T.81 Figure A.6);
// the extra entries catch runs past 63 in corrupt data.
var unzig = [64 + 16]uint8{
	0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
	12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
	35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
	58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
	63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63,
}

// decodeScans decodes the first scan (whose header readHeaders read) and,
// for buffered pictures, every later one up to EOI, then renders.
func (d *decoder) decodeScans() error {
	if !d.buffered {
		return d.streamScan()
	}
	if err := d.allocCoefficients(); err != nil {
		return err
	}
	for {
		if err := d.bufferedScan(); err != nil {
			return err
		}
		// Markers between scans: tables, DRI, the next SOS, or EOI.
		if err := d.markers(); err != nil {
			return err
		}
		if d.eoi {
			break
		}
	}
	for row := 0; row < d.mcusY; row++ {
		for i := range d.comps {
			c := &d.comps[i]
			q := &d.quant[c.tq]
			for by := 0; by < c.v; by++ {
				for bx := 0; bx < c.bw; bx++ {
					i := (row*c.v+by)*c.bw + bx
					d.blk[0] = d.dcValue(int32(c.coef[i*c.stride]), q[0])
					if src := c.block(i); src != nil {
						for k := 1; k < 64; k++ {
							if v := src[unzig[k]]; v != 0 {
								d.blk[unzig[k]] = int32(v) * q[k]
								d.acNZ = true
							}
						}
					}
					d.idct(c, by, bx)
				}
			}
		}
		d.emit(row)
	}
	return nil
}

// allocCoefficients makes the coefficient buffers: 128 bytes a block, or
// 10 for a component decoded at 1/8. Pictures whose buffers would hold all
// coefficients of more than maxProgressivePixels are refused.
func (d *decoder) allocCoefficients() error {
	if err := d.checkBuffered(); err != nil {
		return err
	}
	for i := range d.comps {
		c := &d.comps[i]
		n := c.bw * c.bh
		if c.size == 1 {
			c.stride, c.coef, c.nz = 1, make([]int16, n), make([]uint64, n)
		} else {
			c.stride, c.coef = 64, make([]int16, n*64)
		}
	}
	return nil
}

// checkBuffered refuses a buffered picture that would keep every
// coefficient of more than maxProgressivePixels.
func (d *decoder) checkBuffered() error {
	full := false
	for i := range d.comps {
		full = full || d.comps[i].size > 1
	}
	if d.buffered && full && int64(d.width)*int64(d.height) > maxProgressivePixels {
		return &TooLargeError{Width: d.width, Height: d.height, MaxPixels: maxProgressivePixels}
	}
	return nil
}

// idct transforms d.blk into block (by, bx) of c's band and clears d.blk.
func (d *decoder) idct(c *component, by, bx int) {
	s := c.size
	stride := c.bw * s
	dst := c.plane[by*s*stride+bx*s:]
	if !d.acNZ {
		// DC only, as most blocks of smooth areas and chroma are: every
		// sample is the same, computed as the full transform would.
		v := dcOnly(d.blk[0], s, &d.warnings)
		for r := 0; r < s; r++ {
			row := dst[r*stride : r*stride+s]
			for i := range row {
				row[i] = v
			}
		}
		d.blk[0] = 0
		return
	}
	d.acNZ = false
	switch s {
	case 8:
		idct8(&d.blk, dst, stride, &d.warnings)
	case 4:
		idct4(&d.blk, dst, stride, &d.warnings)
	case 2:
		idct2(&d.blk, dst, stride, &d.warnings)
	default:
		idct1(&d.blk, dst, stride, &d.warnings)
	}
	d.blk = [64]int32{}
}

// startScan positions the bit reader at the entropy-coded data.
func (d *decoder) startScan() {
	d.br = bitReader{data: d.data, pos: d.pos}
	for i := range d.comps {
		d.comps[i].pred = 0
	}
	d.eobrun = 0
}

// endScan checks the scan did not run out of data and moves past it.
func (d *decoder) endScan() error {
	if d.br.overrun() {
		return truncatedErr("entropy-coded data end before the scan does")
	}
	d.leftover()
	d.pos = d.br.pos
	d.br.reset()
	return nil
}

// leftover counts a warning when whole bytes of the scan or interval went
// unused: the encoder pads only the last byte.
func (d *decoder) leftover() {
	if int(d.br.n)-8*d.br.padded >= 8 {
		d.warnings++
	}
}

// restartBefore reads the restart marker due before MCU n of the scan
// (counted from 0), if one is: after every d.ri MCUs (T.81 F.2.2.5). A
// non-interleaved scan's MCU is one block.
func (d *decoder) restartBefore(n int) error {
	if d.ri > 0 && n > 0 && n%d.ri == 0 {
		return d.restart()
	}
	return nil
}

// restart reads a restart marker and resets the decoding state it ends.
func (d *decoder) restart() error {
	if d.br.overrun() {
		return truncatedErr("entropy-coded data end before a restart marker")
	}
	d.leftover()
	d.br.reset()
	p := d.br.pos
	if p < len(d.data) && d.data[p] != 0xFF {
		d.warnings++
	}
	for p < len(d.data) && d.data[p] != 0xFF {
		p++ // bits of padding the encoder left; libjpeg skips them too
	}
	for p < len(d.data) && d.data[p] == 0xFF {
		p++
	}
	if p >= len(d.data) {
		return truncatedErr("data end before a restart marker")
	}
	if m := d.data[p]; m < mRST0 || m > mRST7 {
		return formatErr("expected a restart marker, found 0x%02X", m)
	}
	d.br.pos = p + 1
	for i := range d.comps {
		d.comps[i].pred = 0
	}
	d.eobrun = 0
	return nil
}

// streamScan decodes an interleaved sequential scan of every component,
// transforming each MCU row into the band and emitting it at once.
func (d *decoder) streamScan() error {
	d.startScan()
	for _, c := range d.scan {
		if c.size == 1 {
			d.ac[c.ta].buildSkip()
		}
	}
	for row := 0; row < d.mcusY; row++ {
		for mx := 0; mx < d.mcusX; mx++ {
			if err := d.restartBefore(row*d.mcusX + mx); err != nil {
				return err
			}
			for _, c := range d.scan {
				dc, ac, q := &d.dc[c.td], &d.ac[c.ta], &d.quant[c.tq]
				for by := 0; by < c.v; by++ {
					for bx := 0; bx < c.h; bx++ {
						var err error
						if c.size == 1 {
							err = d.decodeDC(c, dc, ac, q)
						} else {
							err = d.decodeBlock(c, dc, ac, q)
						}
						if err != nil {
							return err
						}
						d.idct(c, by, mx*c.h+bx)
					}
				}
			}
		}
		if d.br.overrun() {
			return truncatedErr("entropy-coded data end at MCU row %d of %d", row, d.mcusY)
		}
		d.emit(row)
	}
	return d.endScan()
}

// decodeBlock decodes one sequential block into d.blk, dequantized. The
// bit buffer lives in locals; the rare slow paths write it back first.
func (d *decoder) decodeBlock(c *component, dc, ac *huffTable, q *[64]int32) error {
	br := &d.br
	acc, n, err := d.dcCoef(c, dc, q[0], br.acc, br.n)
	if err != nil {
		return err
	}
	blk := &d.blk
	fast := &ac.fast
	k := 1
	for k < 64 {
		if n < 32 {
			acc, n = br.refill(acc, n)
		}
		if f := fast[acc>>(64-lutBits)]; f != 0 {
			k += int(f >> 8 & 0xFF)
			l := uint(f & 0xFF)
			acc <<= l
			n -= l
			if k > 63 {
				return formatErr("AC run past the end of a block")
			}
			blk[unzig[k&63]&63] = (f >> 16) * q[k&63]
			k++
			continue
		}
		br.acc, br.n = acc, n
		rs, err := br.decode(ac)
		if err != nil {
			return err
		}
		run, size := int(rs>>4), int(rs&15)
		if size == 0 {
			if run != 15 {
				if run != 0 {
					d.warnings++ // not a sequential symbol; libjpeg reads it as EOB
				}
				acc, n = br.acc, br.n
				break // EOB
			}
			acc, n = br.acc, br.n
			k += 16
			continue
		}
		k += run
		if k > 63 {
			return formatErr("AC run past the end of a block")
		}
		if size > 10 {
			d.warnings++ // more than an 8-bit picture's AC coefficients need
		}
		blk[unzig[k]] = br.receiveExtend(size) * q[k]
		acc, n = br.acc, br.n
		k++
	}
	br.acc, br.n = acc, n
	d.acNZ = k > 1
	return nil
}

// dcValue dequantizes a DC coefficient. The DC of 8-bit samples is at most
// 1024 in magnitude (T.81 A.3.1); a larger one means corrupt data (often a
// damaged quantization table), counted as a warning.
func (d *decoder) dcValue(pred, q int32) int32 {
	v := int32(int16(pred)) * q // libjpeg keeps coefficients in 16 bits
	if v > 2048 || v < -2048 {
		d.warnings++
	}
	return v
}

// dcCoef decodes a sequential block's DC difference (F.2.2.1) with the bit
// buffer in registers, adds it to c.pred and puts the dequantized DC (q0 its
// quantizer) in d.blk[0]. decodeBlock and decodeDC share all of it here:
// this call does not inline, and a second one per block would cost time.
func (d *decoder) dcCoef(c *component, dc *huffTable, q0 int32, acc uint64, n uint) (uint64, uint, error) {
	if n < 32 {
		acc, n = d.br.refill(acc, n)
	}
	var t uint
	if e := dc.lut[acc>>(64-lutBits)]; e>>8 != 0 {
		l := uint(e >> 8)
		acc <<= l
		n -= l
		t = uint(e & 0xFF)
	} else {
		d.br.acc, d.br.n = acc, n
		s, err := d.br.decodeSlow(dc)
		if err != nil {
			return acc, n, err
		}
		acc, n, t = d.br.acc, d.br.n, uint(s)
	}
	if t > 11 {
		return acc, n, formatErr("DC magnitude category %d", t)
	}
	if t > 0 {
		c.pred += extend(int32(acc>>(64-t)), int(t))
		acc, n = acc<<t, n-t
	}
	d.blk[0] = d.dcValue(c.pred, q0)
	return acc, n, nil
}

// decodeDC decodes one sequential block keeping only its DC coefficient, for
// the 1/8 scale; the AC codes are skipped without being extended.
func (d *decoder) decodeDC(c *component, dc, ac *huffTable, q *[64]int32) error {
	br := &d.br
	acc, n, err := d.dcCoef(c, dc, q[0], br.acc, br.n)
	if err != nil {
		return err
	}
	skip := ac.skip
	for k := 1; k < 64; {
		if n < 32 {
			acc, n = br.refill(acc, n)
		}
		if e := skip[acc>>(64-skipBits)]; e != 0 && k+int(e>>skipAdvShift) <= 64 {
			l := uint(e & skipLenMask)
			acc <<= l
			n -= l
			k += int(e >> skipAdvShift)
			if e&skipEOB != 0 {
				break
			}
			continue
		}
		// A code longer than the look-ahead, or a run that may pass the
		// end of the block: one code at a time.
		br.acc, br.n = acc, n
		rs, err := br.decode(ac)
		if err != nil {
			return err
		}
		acc, n = br.acc, br.n
		run, size := int(rs>>4), uint(rs&15)
		if size == 0 {
			if run != 15 {
				if run != 0 {
					d.warnings++
				}
				break
			}
			k += 16
			continue
		}
		k += run + 1
		if k > 64 {
			return formatErr("AC run past the end of a block")
		}
		acc <<= size
		n -= size
	}
	br.acc, br.n = acc, n
	return nil
}
