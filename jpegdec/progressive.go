package jpegdec

import "math/bits"

// bufferedScan decodes one scan of a progressive or multi-scan sequential
// picture into the coefficient buffers (T.81 Annex G for progressive).
func (d *decoder) bufferedScan() error {
	d.startScan()
	decode := d.blockFunc()
	if len(d.scan) == 1 {
		// Non-interleaved: the MCU is one block, and the scan covers only
		// the blocks inside the component (A.2.2).
		c := d.scan[0]
		for by := 0; by < c.ch; by++ {
			for bx := 0; bx < c.cw; bx++ {
				if err := d.restartBefore(by*c.cw + bx); err != nil {
					return err
				}
				if err := decode(c, by*c.bw+bx); err != nil {
					return err
				}
			}
			if d.br.overrun() {
				return truncatedErr("entropy-coded data end at block row %d of %d", by, c.ch)
			}
		}
		return d.endScan()
	}
	for my := 0; my < d.mcusY; my++ {
		for mx := 0; mx < d.mcusX; mx++ {
			if err := d.restartBefore(my*d.mcusX + mx); err != nil {
				return err
			}
			for _, c := range d.scan {
				for by := 0; by < c.v; by++ {
					for bx := 0; bx < c.h; bx++ {
						if err := decode(c, (my*c.v+by)*c.bw+mx*c.h+bx); err != nil {
							return err
						}
					}
				}
			}
		}
		if d.br.overrun() {
			return truncatedErr("entropy-coded data end at MCU row %d of %d", my, d.mcusY)
		}
	}
	return d.endScan()
}

// blockFunc picks the block decoder for the current scan; the decoders
// take the block's index in the component.
func (d *decoder) blockFunc() func(c *component, i int) error {
	switch {
	case !d.progressive:
		return d.sequentialCoef
	case d.ss == 0 && d.ah == 0:
		return d.dcFirst
	case d.ss == 0:
		return d.dcRefine
	case d.ah == 0:
		return d.acFirst
	}
	return d.acRefine
}

// A component decoded at 1/8 needs only its DC coefficients, so it keeps
// one coefficient per block plus a 64-bit mask of which AC coefficients are
// non-zero: the mask is all a refinement scan needs to parse its data
// (G.1.2.3), and it cuts the buffer from 128 to 10 bytes a block.

// block returns the 64 coefficients of block i, or nil for a DC-only
// component.
func (c *component) block(i int) []int16 {
	if c.nz != nil {
		return nil
	}
	return c.coef[i*64 : i*64+64 : i*64+64]
}

// sequentialCoef decodes a whole sequential block, not dequantized: the DC
// and AC parts code exactly like a first progressive DC and 1..63 AC scan.
func (d *decoder) sequentialCoef(c *component, i int) error {
	if err := d.dcFirst(c, i); err != nil {
		return err
	}
	d.eobrun = 0
	return d.acRange(c, i, 1, 63, 0, false)
}

func (d *decoder) dcFirst(c *component, i int) error {
	t, err := d.br.decode(&d.dc[c.td])
	if err != nil {
		return err
	}
	if t > 11 {
		return formatErr("DC magnitude category %d", t)
	}
	c.pred += d.br.receiveExtend(int(t))
	c.coef[i*c.stride] = int16(c.pred << d.al)
	return nil
}

func (d *decoder) dcRefine(c *component, i int) error {
	if d.br.bit() != 0 {
		c.coef[i*c.stride] |= 1 << d.al
	}
	return nil
}

func (d *decoder) acFirst(c *component, i int) error {
	return d.acRange(c, i, d.ss, d.se, d.al, true)
}

// acRange decodes AC coefficients ss..se of a first scan (G.1.2.2); with
// eobRuns false (sequential data) an EOB ends only this block.
func (d *decoder) acRange(c *component, i, ss, se, al int, eobRuns bool) error {
	if d.eobrun > 0 {
		d.eobrun--
		return nil
	}
	br, ac, b := &d.br, &d.ac[c.ta], c.block(i)
	for k := ss; k <= se; {
		rs, err := br.decode(ac)
		if err != nil {
			return err
		}
		r, s := int(rs>>4), int(rs&15)
		if s == 0 {
			if r < 15 {
				if eobRuns {
					d.eobrun = 1<<r - 1
					if r > 0 {
						d.eobrun += int(br.receive(r))
					}
				} else if r != 0 {
					d.warnings++
				}
				break
			}
			k += 16
			continue
		}
		k += r
		if k > se {
			return formatErr("AC run past the end of the spectral band")
		}
		v := br.receiveExtend(s)
		if b != nil {
			b[unzig[k]] = int16(v << al)
		} else {
			c.nz[i] |= 1 << k
		}
		k++
	}
	return nil
}

// acRefine is a successive-approximation AC scan (G.1.2.3): a new
// coefficient of ±1<<Al placed after a run of zeros, and a correction bit
// for every already non-zero coefficient passed on the way.
func (d *decoder) acRefine(c *component, i int) error {
	if c.nz != nil {
		return d.acRefineMask(c, i)
	}
	br, ac, b := &d.br, &d.ac[c.ta], c.block(i)
	nonzero := func(k int) bool { return b[unzig[k]] != 0 }
	p1, m1 := int16(1)<<d.al, int16(-1)<<d.al
	k, se := d.ss, d.se
	// Symbols to the band's end; an end-of-band is a run through it.
	for d.eobrun == 0 && k <= se {
		r, s, err := d.refineSymbol(ac)
		if err != nil {
			return err
		}
		var v int16
		if s == 1 {
			v = m1
			if br.bit() != 0 {
				v = p1
			}
		}
		// The zero coefficients to pass (all of them after an
		// end-of-band), correcting the non-zero ones on the way.
		for k <= se {
			if nonzero(k) {
				d.refine(b, k, p1, m1)
			} else {
				if r == 0 {
					break
				}
				r--
			}
			k++
		}
		if v != 0 {
			if k > se {
				return formatErr("refinement past the end of the spectral band")
			}
			b[unzig[k]] = v
		}
		k++
	}
	if d.eobrun > 0 {
		for ; k <= se; k++ {
			if nonzero(k) {
				d.refine(b, k, p1, m1)
			}
		}
		d.eobrun--
	}
	return nil
}

// acRefineMask is acRefine for a component decoded at 1/8: the values do
// not matter, only where the non-zero coefficients are, so the correction
// bits of a stretch of them are skipped at once (one per bit set in the
// mask) and the zero a new coefficient lands on is found by bit arithmetic.
func (d *decoder) acRefineMask(c *component, i int) error {
	br, ac := &d.br, &d.ac[c.ta]
	nz := c.nz[i]
	k, se := d.ss, d.se
	// Symbols to the band's end; an end-of-band is a run through it.
	for d.eobrun == 0 && k <= se {
		r, s, err := d.refineSymbol(ac)
		if err != nil {
			return err
		}
		if s == 1 {
			br.bit() // the sign: irrelevant here
		}
		// The (r+1)-th zero coefficient from k on, passing (and
		// correcting) the non-zero ones before it; none after an
		// end-of-band.
		zeros := ^nz & bandMask(k, se)
		if r == endOfBand {
			zeros = 0
		}
		for j := 0; j < r && zeros != 0; j++ {
			zeros &= zeros - 1
		}
		if zeros == 0 {
			br.skip(bits.OnesCount64(nz & bandMask(k, se)))
			if s == 1 {
				return formatErr("refinement past the end of the spectral band")
			}
			k = se + 1
			break
		}
		p := bits.TrailingZeros64(zeros)
		br.skip(bits.OnesCount64(nz & bandMask(k, p-1)))
		if s == 1 {
			nz |= 1 << p
		}
		k = p + 1
	}
	if d.eobrun > 0 {
		br.skip(bits.OnesCount64(nz & bandMask(k, se)))
		d.eobrun--
	}
	c.nz[i] = nz
	return nil
}

// endOfBand is the run refineSymbol returns for an end-of-band: longer
// than any band, it passes all the zero coefficients left in this one.
const endOfBand = 64

// refineSymbol reads the next symbol of a refinement scan (G.1.2.3): a run
// of r zero coefficients and s = 1 for a new coefficient after it (0 for
// none), or the start of a run of end-of-bands, which sets d.eobrun, as the
// run endOfBand.
func (d *decoder) refineSymbol(ac *huffTable) (r, s int, err error) {
	rs, err := d.br.decode(ac)
	if err != nil {
		return 0, 0, err
	}
	r, s = int(rs>>4), int(rs&15)
	switch {
	case s == 0 && r < 15:
		d.eobrun = 1 << r
		if r > 0 {
			d.eobrun += int(d.br.receive(r))
		}
		return endOfBand, 0, nil
	case s > 1:
		return 0, 0, formatErr("refinement magnitude %d", s)
	}
	return r, s, nil
}

// bandMask has bits from..to set (none when from > to).
func bandMask(from, to int) uint64 {
	if from > to {
		return 0
	}
	return (1<<uint(to+1) - 1) &^ (1<<uint(from) - 1)
}

// refine applies one correction bit to non-zero coefficient k of b.
func (d *decoder) refine(b []int16, k int, p1, m1 int16) {
	if d.br.bit() == 0 {
		return
	}
	z := &b[unzig[k]]
	if *z&p1 == 0 {
		if *z >= 0 {
			*z += p1
		} else {
			*z += m1
		}
	}
}
