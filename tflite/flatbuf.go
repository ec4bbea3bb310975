package tflite

import (
	"encoding/binary"
	"math"
)

// The flatbuffer wire format, as far as we need it: little-endian scalars; a
// table starts with an int32 offset back to its vtable; the vtable holds its own
// size, the table's size and one uint16 offset per field (0 = absent); offsets to
// sub-tables, vectors and strings are uint32s relative to where they are stored;
// a vector is a uint32 element count followed by the elements.

// table is a located flatbuffer table whose vtable has been bounds-checked.
type table struct {
	buf    []byte
	pos    uint32 // start of the table
	vtab   uint32 // start of its vtable
	nField int    // number of field slots in the vtable
	tsize  uint32 // size of the table's inline data
	what   string // schema name, for errors
}

// u32 reads a uint32 at off, checking bounds.
func u32(buf []byte, off uint32, what string) (uint32, error) {
	if uint64(off)+4 > uint64(len(buf)) {
		return 0, formatErr(off, what, "offset past end of file (%d bytes)", len(buf))
	}
	return binary.LittleEndian.Uint32(buf[off:]), nil
}

// tableAt locates the table that starts at pos.
func tableAt(buf []byte, pos uint32, what string) (table, error) {
	soff, err := u32(buf, pos, what)
	if err != nil {
		return table{}, err
	}
	vt := int64(pos) - int64(int32(soff))
	if vt < 0 || vt+4 > int64(len(buf)) {
		return table{}, formatErr(pos, what, "vtable offset %d out of range", int32(soff))
	}
	vsize := binary.LittleEndian.Uint16(buf[vt:])
	tsize := binary.LittleEndian.Uint16(buf[vt+2:])
	if vsize < 4 || vsize%2 != 0 || vt+int64(vsize) > int64(len(buf)) {
		return table{}, formatErr(uint32(vt), what, "bad vtable size %d", vsize)
	}
	if tsize < 4 || int64(pos)+int64(tsize) > int64(len(buf)) {
		return table{}, formatErr(pos, what, "bad table size %d", tsize)
	}
	return table{buf: buf, pos: pos, vtab: uint32(vt), nField: int(vsize-4) / 2, tsize: uint32(tsize), what: what}, nil
}

// field returns the absolute position of field i and whether it is present,
// after checking that size bytes of it lie inside the table.
func (t table) field(i int, size uint32) (uint32, bool, error) {
	if i >= t.nField {
		return 0, false, nil
	}
	rel := uint32(binary.LittleEndian.Uint16(t.buf[t.vtab+4+uint32(2*i):]))
	if rel == 0 {
		return 0, false, nil
	}
	if rel+size > t.tsize {
		return 0, false, formatErr(t.pos, t.what, "field %d (offset %d, %d bytes) outside table of %d bytes", i, rel, size, t.tsize)
	}
	return t.pos + rel, true, nil
}

func (t table) uint8(i int, def uint8) (uint8, error) {
	p, ok, err := t.field(i, 1)
	if err != nil || !ok {
		return def, err
	}
	return t.buf[p], nil
}

func (t table) bool(i int) (bool, error) {
	v, err := t.uint8(i, 0)
	return v != 0, err
}

func (t table) int32(i int, def int32) (int32, error) {
	p, ok, err := t.field(i, 4)
	if err != nil || !ok {
		return def, err
	}
	return int32(binary.LittleEndian.Uint32(t.buf[p:])), nil
}

func (t table) uint32(i int, def uint32) (uint32, error) {
	v, err := t.int32(i, int32(def))
	return uint32(v), err
}

func (t table) int64(i int, def int64) (int64, error) {
	p, ok, err := t.field(i, 8)
	if err != nil || !ok {
		return def, err
	}
	return int64(binary.LittleEndian.Uint64(t.buf[p:])), nil
}

func (t table) float32(i int, def float32) (float32, error) {
	p, ok, err := t.field(i, 4)
	if err != nil || !ok {
		return def, err
	}
	return math.Float32frombits(binary.LittleEndian.Uint32(t.buf[p:])), nil
}

// indirect follows the uint32 offset stored in field i.
func (t table) indirect(i int) (uint32, bool, error) {
	p, ok, err := t.field(i, 4)
	if err != nil || !ok {
		return 0, ok, err
	}
	rel := binary.LittleEndian.Uint32(t.buf[p:])
	target := uint64(p) + uint64(rel)
	if rel == 0 || target >= uint64(len(t.buf)) {
		return 0, false, formatErr(p, t.what, "field %d points outside the file", i)
	}
	return uint32(target), true, nil
}

// subtable returns the table referenced by field i.
func (t table) subtable(i int, what string) (table, bool, error) {
	p, ok, err := t.indirect(i)
	if err != nil || !ok {
		return table{}, ok, err
	}
	st, err := tableAt(t.buf, p, what)
	return st, err == nil, err
}

// vector returns the element count and the start of the elements of the vector
// in field i, having checked that n*elemSize bytes fit in the file. Because of
// that check, anything sized by n is bounded by the file's size.
func (t table) vector(i int, elemSize uint32, what string) (start, n uint32, err error) {
	p, ok, err := t.indirect(i)
	if err != nil || !ok {
		return 0, 0, err
	}
	n, err = u32(t.buf, p, what)
	if err != nil {
		return 0, 0, err
	}
	start = p + 4
	if uint64(start)+uint64(n)*uint64(elemSize) > uint64(len(t.buf)) {
		return 0, 0, formatErr(p, what, "vector of %d elements of %d bytes runs past end of file", n, elemSize)
	}
	return start, n, nil
}

// bytes returns the byte vector in field i as a sub-slice of the file.
func (t table) bytes(i int, what string) ([]byte, error) {
	start, n, err := t.vector(i, 1, what)
	if err != nil {
		return nil, err
	}
	return t.buf[start : start+n : start+n], nil
}

func (t table) string(i int, what string) (string, error) {
	b, err := t.bytes(i, what)
	return string(b), err
}

func (t table) int32s(i int, what string) ([]int32, error) {
	start, n, err := t.vector(i, 4, what)
	if err != nil || n == 0 {
		return nil, err
	}
	out := make([]int32, n)
	for k := range out {
		out[k] = int32(binary.LittleEndian.Uint32(t.buf[start+4*uint32(k):]))
	}
	return out, nil
}

func (t table) int64s(i int, what string) ([]int64, error) {
	start, n, err := t.vector(i, 8, what)
	if err != nil || n == 0 {
		return nil, err
	}
	out := make([]int64, n)
	for k := range out {
		out[k] = int64(binary.LittleEndian.Uint64(t.buf[start+8*uint32(k):]))
	}
	return out, nil
}

func (t table) float32s(i int, what string) ([]float32, error) {
	start, n, err := t.vector(i, 4, what)
	if err != nil || n == 0 {
		return nil, err
	}
	out := make([]float32, n)
	for k := range out {
		out[k] = math.Float32frombits(binary.LittleEndian.Uint32(t.buf[start+4*uint32(k):]))
	}
	return out, nil
}

// tables visits each table of the vector of tables in field i.
func (t table) tables(i int, what string, visit func(k int, st table) error) (int, error) {
	start, n, err := t.vector(i, 4, what)
	if err != nil {
		return 0, err
	}
	for k := uint32(0); k < n; k++ {
		p := start + 4*k
		rel := binary.LittleEndian.Uint32(t.buf[p:])
		target := uint64(p) + uint64(rel)
		if rel == 0 || target >= uint64(len(t.buf)) {
			return 0, formatErr(p, what, "element %d points outside the file", k)
		}
		st, err := tableAt(t.buf, uint32(target), what)
		if err != nil {
			return 0, err
		}
		if err := visit(int(k), st); err != nil {
			return 0, err
		}
	}
	return int(n), nil
}
