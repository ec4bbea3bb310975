package tflitetest

import (
	"encoding/binary"
	"math"
)

// builder lays a flatbuffer out front to back. A table is written as its
// vtable followed by its inline fields; the objects it refers to (tables,
// vectors, strings) are written after it and the references patched, so
// every uoffset points forward, as the format requires (the reader adds an
// unsigned offset to the position it is stored at).
type builder struct{ buf []byte }

// slot is one field of a table being written: an inline little-endian
// scalar, or a reference to an object that write puts after the table and
// whose position it returns. A zero slot is an absent field.
type slot struct {
	inline []byte
	write  func(b *builder) int
}

func (s slot) size() int {
	if s.write != nil {
		return 4
	}
	return len(s.inline)
}

// table holds the slots of one table, indexed by schema field number.
type table []slot

func (t *table) set(field int, s slot) {
	for len(*t) <= field {
		*t = append(*t, slot{})
	}
	(*t)[field] = s
}

// The setters leave out a field equal to its schema default, as flatc's
// builders do; the reader then returns the default, so nothing is lost.

func (t *table) u8(field int, v, def uint8) {
	if v != def {
		t.set(field, slot{inline: []byte{v}})
	}
}

func (t *table) bool(field int, v bool) {
	if v {
		t.u8(field, 1, 0)
	}
}

func (t *table) i32(field int, v, def int32) {
	if v != def {
		t.set(field, slot{inline: binary.LittleEndian.AppendUint32(nil, uint32(v))})
	}
}

func (t *table) f32(field int, v, def float32) {
	if math.Float32bits(v) != math.Float32bits(def) {
		t.set(field, slot{inline: binary.LittleEndian.AppendUint32(nil, math.Float32bits(v))})
	}
}

// i32s sets a vector of int32s, leaving a nil one absent; an empty one is
// written (an empty shape is a scalar's).
func (t *table) i32s(field int, v []int32) {
	if v != nil {
		t.ref(field, int32sRef(v))
	}
}

// ref sets a reference field; write is called once, after the table.
func (t *table) ref(field int, write func(b *builder) int) {
	t.set(field, slot{write: write})
}

func (b *builder) pad(align int) {
	for len(b.buf)%align != 0 {
		b.buf = append(b.buf, 0)
	}
}

func (b *builder) u16(v uint16) { b.buf = binary.LittleEndian.AppendUint16(b.buf, v) }
func (b *builder) u32(v uint32) { b.buf = binary.LittleEndian.AppendUint32(b.buf, v) }

// link stores at position at the uoffset of target.
func (b *builder) link(at, target int) {
	binary.LittleEndian.PutUint32(b.buf[at:], uint32(target-at))
}

// table writes t and everything it refers to, and returns the table's
// position. Each inline field sits at an offset aligned to its size and the
// table starts aligned to its largest field, so every scalar is naturally
// aligned in the file.
func (b *builder) table(t table) int {
	offs := make([]int, len(t))
	size, align := 4, 4 // the soffset to the vtable comes first
	for i, s := range t {
		n := s.size()
		if n == 0 {
			continue
		}
		size = (size + n - 1) / n * n
		offs[i] = size
		size += n
		align = max(align, n)
	}
	b.pad(2)
	vt := len(b.buf)
	b.u16(uint16(4 + 2*len(t)))
	b.u16(uint16(size))
	for _, o := range offs {
		b.u16(uint16(o))
	}
	b.pad(align)
	pos := len(b.buf)
	b.buf = append(b.buf, make([]byte, size)...)
	binary.LittleEndian.PutUint32(b.buf[pos:], uint32(int32(pos-vt))) // vtable = pos - soffset
	for i, s := range t {
		copy(b.buf[pos+offs[i]:], s.inline)
	}
	for i, s := range t {
		if s.write != nil {
			b.link(pos+offs[i], s.write(b))
		}
	}
	return pos
}

// vector writes a uint32 element count and the elements' bytes, aligning
// the elements to align bytes (at least 4), and returns the count's position.
func (b *builder) vector(n int, elems []byte, align int) int {
	align = max(align, 4)
	for (len(b.buf)+4)%align != 0 {
		b.buf = append(b.buf, 0)
	}
	pos := len(b.buf)
	b.u32(uint32(n))
	b.buf = append(b.buf, elems...)
	return pos
}

// str writes a string: a byte vector followed by a NUL the count excludes.
func (b *builder) str(s string) int {
	pos := b.vector(len(s), []byte(s), 4)
	b.buf = append(b.buf, 0)
	return pos
}

// tables writes a vector of references to tables, then the tables.
func (b *builder) tables(ts []table) int {
	pos := b.vector(len(ts), make([]byte, 4*len(ts)), 4)
	for k, t := range ts {
		b.link(pos+4+4*k, b.table(t))
	}
	return pos
}

// Writers of vectors, for table.ref.

func strRef(s string) func(*builder) int {
	return func(b *builder) int { return b.str(s) }
}

func bytesRef(data []byte, align int) func(*builder) int {
	return func(b *builder) int { return b.vector(len(data), data, align) }
}

func int32sRef(v []int32) func(*builder) int {
	data := Int32Bytes(v...)
	return func(b *builder) int { return b.vector(len(v), data, 4) }
}

func int64sRef(v []int64) func(*builder) int {
	var data []byte
	for _, x := range v {
		data = binary.LittleEndian.AppendUint64(data, uint64(x))
	}
	return func(b *builder) int { return b.vector(len(v), data, 8) }
}

func float32sRef(v []float32) func(*builder) int {
	data := Float32Bytes(v...)
	return func(b *builder) int { return b.vector(len(v), data, 4) }
}

func tablesRef(ts []table) func(*builder) int {
	return func(b *builder) int { return b.tables(ts) }
}

func tableRef(t table) func(*builder) int {
	return func(b *builder) int { return b.table(t) }
}
