package jpegdec

import "encoding/binary"

// lutBits is how many bits of look-ahead the Huffman tables index. Almost
// every code in a photo, and most code+magnitude pairs, fit in 10 bits.
const lutBits = 10

// huffTable is one DHT table (ITU T.81 §C, Annex F.2.2.3) in three forms:
// lut gives code length and symbol for codes of at most lutBits bits; fast
// gives, for AC tables, the whole coefficient (run, value, total length)
// when code and magnitude bits together fit in lutBits; maxcode/valptr
// decode the longer codes canonically.
type huffTable struct {
	lut     [1 << lutBits]uint16   // length<<8 | symbol; 0 when the code is longer
	fast    [1 << lutBits]int32    // value<<16 | run<<8 | total length; 0 when not fast
	skip    *[1 << skipBits]uint16 // runs of AC codes to pass over at once (see skipRun); built on first use
	maxcode [18]int32              // largest code of each length, -1 when none
	valptr  [17]int32              // index in vals of the first code of each length, minus that code
	vals    [256]byte
	defined bool
}

// build fills the table from the DHT counts (codes of length 1..16) and
// symbols, rejecting code sets that overflow their length (F.2.2.3 would
// generate codes of all ones or beyond).
func (h *huffTable) build(counts *[16]byte, syms []byte, ac bool) error {
	*h = huffTable{defined: true}
	copy(h.vals[:], syms)
	code, k := int32(0), int32(0)
	for l := 1; l <= 16; l++ {
		n := int32(counts[l-1])
		if code+n > 1<<l {
			return formatErr("Huffman table overfull at code length %d", l)
		}
		if n == 0 {
			h.maxcode[l] = -1
		} else {
			h.valptr[l] = k - code
			for i := int32(0); i < n; i++ {
				if l <= lutBits {
					sym := syms[k+i]
					c := code + i
					shift := lutBits - l
					for j := int32(0); j < 1<<shift; j++ {
						idx := c<<shift | j
						h.lut[idx] = uint16(l)<<8 | uint16(sym)
						if ac {
							h.fast[idx] = fastEntry(sym, l, j, shift)
						}
					}
				}
			}
			code += n
			k += n
			h.maxcode[l] = code - 1
		}
		code <<= 1
	}
	h.maxcode[17] = 0x7fffffff // sentinel: stops the slow search
	return nil
}

// buildSkip makes the skip table, needed only when a component is decoded
// at 1/8.
func (h *huffTable) buildSkip() {
	if h.skip != nil {
		return
	}
	h.skip = new([1 << skipBits]uint16)
	for i := range h.skip {
		h.skip[i] = h.skipRun(uint32(i))
	}
}

// fastEntry is the fast-table entry for an AC symbol whose code of length l
// is followed by the remaining look-ahead bits j (shift of them), or 0 when
// the magnitude does not fit or the symbol codes no coefficient (EOB, ZRL).
func fastEntry(sym byte, l int, j int32, shift int) int32 {
	run, size := int32(sym>>4), int(sym&15)
	if size == 0 || size > shift {
		return 0
	}
	bits := j >> (shift - size)
	v := extend(bits, size)
	return v<<16 | run<<8 | int32(l+size)
}

// skipBits is the look-ahead of the skip table, which passes over several
// AC codes at once when only the DC coefficient is wanted (scale 1/8).
const skipBits = 12

// A skip-table entry covers all whole codes (with their magnitude bits) that
// fit in skipBits, up to and including an EOB: how many bits they take, and
// how far they move through the block, plus one when they end with EOB (so
// that k+adv <= 64 says whether the whole run belongs to this block).
const (
	skipLenMask  = 0xF    // bits of the whole run
	skipEOB      = 1 << 4 // the run ends with EOB
	skipAdvShift = 8
)

// skipRun builds the skip entry for the skipBits-bit look-ahead v, or 0 when
// not even one code fits.
func (h *huffTable) skipRun(v uint32) uint16 {
	var e uint16
	pos, adv := 0, 0
	for {
		sym, l, ok := h.peekCanonical(v, pos)
		if !ok {
			break
		}
		run, size := int(sym>>4), int(sym&15)
		if pos+l+size > skipBits || size == 0 && run != 0 && run != 15 {
			break // too long, or a symbol sequential data must not use (slow path)
		}
		a := run + 1
		if size == 0 && run == 15 {
			a = 16
		}
		if adv+a > 64 {
			break
		}
		pos += l + size
		if size == 0 && run == 0 {
			e = skipEOB
			adv++
			break
		}
		adv += a
	}
	if pos == 0 {
		return 0
	}
	return e | uint16(pos) | uint16(adv)<<skipAdvShift
}

// peekCanonical decodes the code starting pos bits into the skipBits-bit
// value v, if it ends within v.
func (h *huffTable) peekCanonical(v uint32, pos int) (sym byte, l int, ok bool) {
	avail := skipBits - pos
	w := v << pos & (1<<skipBits - 1) // the rest of v, left-aligned, zero-filled
	e := h.lut[w>>(skipBits-lutBits)]
	l = int(e >> 8)
	if l == 0 || l > avail {
		return 0, 0, false // longer than lutBits, or than what is left
	}
	return byte(e), l, true
}

// extend turns size magnitude bits into the signed value (T.81 F.2.2.1).
func extend(v int32, size int) int32 {
	if v < 1<<(size-1) {
		v += -1<<size + 1
	}
	return v
}

// bitReader reads the entropy-coded segment MSB first. acc holds n valid
// bits left-aligned; bytes are 0xFF 0x00 unstuffed. At a marker (or the end
// of the data) it feeds zero bits and counts them in padded, so decoding
// never reads past a scan and a truncated scan is detected afterwards.
type bitReader struct {
	data   []byte
	pos    int
	acc    uint64
	n      uint
	padded int // zero bytes fed past a marker or the end
}

const ones = 0x0101010101010101

// refill is fill for a caller that keeps acc and n in registers; small
// enough to be inlined in the decoding loops.
func (b *bitReader) refill(acc uint64, n uint) (uint64, uint) {
	if b.pos+8 <= len(b.data) {
		w := binary.BigEndian.Uint64(b.data[b.pos:])
		if x := ^w; (x-ones)&^x&(ones*0x80) == 0 {
			k := (63 - n) >> 3
			b.pos += int(k)
			return acc | w>>n, n + k*8
		}
	}
	return b.refillSlow(acc, n)
}

func (b *bitReader) refillSlow(acc uint64, n uint) (uint64, uint) {
	b.acc, b.n = acc, n
	b.fillSlow()
	return b.acc, b.n
}

// fill tops acc up to at least 57 bits.
func (b *bitReader) fill() {
	if b.pos+8 <= len(b.data) {
		w := binary.BigEndian.Uint64(b.data[b.pos:])
		x := ^w // a zero byte in x is an 0xFF in w
		if (x-ones)&^x&(ones*0x80) == 0 {
			b.acc |= w >> b.n
			k := (63 - b.n) >> 3
			b.pos += int(k)
			b.n += k * 8
			return
		}
	}
	b.fillSlow()
}

func (b *bitReader) fillSlow() {
	for b.n <= 56 {
		var c byte
		if b.pos < len(b.data) {
			c = b.data[b.pos]
			if c == 0xFF {
				if b.pos+1 < len(b.data) && b.data[b.pos+1] == 0 {
					b.pos += 2
				} else {
					c = 0 // a marker: stay before it
					b.padded++
				}
			} else {
				b.pos++
			}
		} else {
			b.padded++
		}
		b.acc |= uint64(c) << (56 - b.n)
		b.n += 8
	}
}

// overrun reports whether decoding used bits that the data do not have.
func (b *bitReader) overrun() bool { return b.padded > 0 && uint(b.padded)*8 > b.n }

// reset drops the buffered bits, as at a restart marker or a scan's end.
// The reader never steps over a marker, so pos is at or before it.
func (b *bitReader) reset() { b.acc, b.n, b.padded = 0, 0, 0 }

// bit reads one bit.
func (b *bitReader) bit() int32 {
	if b.n < 1 {
		b.fill()
	}
	v := int32(b.acc >> 63)
	b.acc <<= 1
	b.n--
	return v
}

// receive reads size bits (size <= 16) as an unsigned value.
func (b *bitReader) receive(size int) int32 {
	if size == 0 {
		return 0
	}
	if b.n < uint(size) {
		b.fill()
	}
	v := int32(b.acc >> (64 - uint(size)))
	b.acc <<= uint(size)
	b.n -= uint(size)
	return v
}

// skip drops n bits.
func (b *bitReader) skip(n int) {
	for n > 0 {
		s := min(n, 16)
		b.receive(s)
		n -= s
	}
}

// receiveExtend reads size magnitude bits and extends them (F.2.2.1).
func (b *bitReader) receiveExtend(size int) int32 {
	if size == 0 {
		return 0
	}
	return extend(b.receive(size), size)
}

// decode reads one Huffman symbol.
func (b *bitReader) decode(h *huffTable) (byte, error) {
	if b.n < 16 {
		b.fill()
	}
	e := h.lut[b.acc>>(64-lutBits)]
	if l := uint(e >> 8); l != 0 {
		b.acc <<= l
		b.n -= l
		return byte(e), nil
	}
	return b.decodeSlow(h)
}

// decodeSlow decodes a code longer than lutBits (F.2.2.3, DECODE).
func (b *bitReader) decodeSlow(h *huffTable) (byte, error) {
	for l := lutBits + 1; l <= 16; l++ {
		code := int32(b.acc >> (64 - uint(l)))
		if code <= h.maxcode[l] {
			b.acc <<= uint(l)
			b.n -= uint(l)
			return h.vals[(h.valptr[l]+code)&0xFF], nil
		}
	}
	return 0, formatErr("bad Huffman code")
}
