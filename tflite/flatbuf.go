package tflite

import (
	"encoding/binary"
	"math"
	"unsafe"
)

// The flatbuffer wire format, as far as we need it: little-endian scalars; a
// table starts with an int32 offset back to its vtable; the vtable holds its own
// size, the table's size and one uint16 offset per field (0 = absent); offsets to
// sub-tables, vectors and strings are uint32s relative to where they are stored;
// a vector is a uint32 element count followed by the elements.

// Parsing may allocate at most decodeRatio bytes per byte of file, plus
// decodeBase. A well-formed model decodes to far less (its bulk, the constant
// buffers, is not copied), but nothing in the format stops many offsets from
// pointing at one table or vector, so a small hostile file could otherwise
// decode to gigabytes: the budget bounds both memory and time.
const (
	decodeRatio = 4
	decodeBase  = 1 << 20
)

// reader is a file being parsed and what parsing may still allocate.
type reader struct {
	buf           []byte
	budget, limit int64
}

// newReader returns a reader of buf that may allocate budget bytes.
func newReader(buf []byte, budget int64) *reader {
	// Flatbuffer offsets are 32-bit, so positions are uint32: the flatbuffer
	// part of a larger file is its first 4 GiB at most.
	if uint64(len(buf)) > math.MaxUint32 {
		buf = buf[:math.MaxUint32]
	}
	return &reader{buf: buf, budget: budget, limit: budget}
}

// charge takes n elements of size bytes each from the budget.
func (r *reader) charge(n uint32, size uintptr, at uint32, what string) error {
	need := uint64(n) * uint64(size)
	if need > uint64(r.budget) {
		return formatErr(at, what, "the %d-byte file decodes to more than %d bytes: its offsets share or overlap data", len(r.buf), r.limit)
	}
	r.budget -= int64(need)
	return nil
}

// u32 reads a uint32 at off, checking bounds.
func (r *reader) u32(off uint32, what string) (uint32, error) {
	if uint64(off)+4 > uint64(len(r.buf)) {
		return 0, formatErr(off, what, "offset past end of file (%d bytes)", len(r.buf))
	}
	return binary.LittleEndian.Uint32(r.buf[off:]), nil
}

// table is a located flatbuffer table whose vtable has been bounds-checked.
type table struct {
	r      *reader
	pos    uint32 // start of the table
	vtab   uint32 // start of its vtable
	nField int    // number of field slots in the vtable
	tsize  uint32 // size of the table's inline data
	what   string // schema name, for errors
}

// tableAt locates the table that starts at pos.
func (r *reader) tableAt(pos uint32, what string) (table, error) {
	soff, err := r.u32(pos, what)
	if err != nil {
		return table{}, err
	}
	buf := r.buf
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
	return table{r: r, pos: pos, vtab: uint32(vt), nField: int(vsize-4) / 2, tsize: uint32(tsize), what: what}, nil
}

// field returns the absolute position of field i and whether it is present,
// after checking that size bytes of it lie inside the table.
func (t table) field(i int, size uint32) (uint32, bool, error) {
	if i >= t.nField {
		return 0, false, nil
	}
	rel := uint32(binary.LittleEndian.Uint16(t.r.buf[t.vtab+4+uint32(2*i):]))
	if rel == 0 {
		return 0, false, nil
	}
	if rel+size > t.tsize {
		return 0, false, formatErr(t.pos, t.what, "field %d (offset %d, %d bytes) outside table of %d bytes", i, rel, size, t.tsize)
	}
	return t.pos + rel, true, nil
}

// scalar reads field i, a size-byte scalar decoded by decode, or returns
// def when the field is absent.
func scalar[T any](t table, i int, size uint32, def T, decode func([]byte) T) (T, error) {
	p, ok, err := t.field(i, size)
	if err != nil || !ok {
		return def, err
	}
	return decode(t.r.buf[p:]), nil
}

// The little-endian decoders of the scalar fields and vectors.
func leUint8(b []byte) uint8     { return b[0] }
func leInt32(b []byte) int32     { return int32(binary.LittleEndian.Uint32(b)) }
func leInt64(b []byte) int64     { return int64(binary.LittleEndian.Uint64(b)) }
func leFloat32(b []byte) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(b)) }

func (t table) uint8(i int, def uint8) (uint8, error) { return scalar(t, i, 1, def, leUint8) }

func (t table) int8(i int, def int8) (int8, error) {
	v, err := t.uint8(i, uint8(def))
	return int8(v), err
}

func (t table) bool(i int) (bool, error) {
	v, err := t.uint8(i, 0)
	return v != 0, err
}

func (t table) int32(i int, def int32) (int32, error) { return scalar(t, i, 4, def, leInt32) }

func (t table) uint32(i int, def uint32) (uint32, error) {
	v, err := t.int32(i, int32(def))
	return uint32(v), err
}

func (t table) int64(i int, def int64) (int64, error) { return scalar(t, i, 8, def, leInt64) }

func (t table) float32(i int, def float32) (float32, error) { return scalar(t, i, 4, def, leFloat32) }

// indirect follows the uint32 offset stored in field i.
func (t table) indirect(i int) (uint32, bool, error) {
	p, ok, err := t.field(i, 4)
	if err != nil || !ok {
		return 0, ok, err
	}
	return t.r.follow(p, t.what, "field %d points outside the file", i)
}

// follow returns the target of the uoffset stored at p, a position known to
// be inside the file, or an error built from format and arg. Offsets are
// unsigned and non-zero, so references only point forward and cannot form a
// cycle.
func (r *reader) follow(p uint32, what, format string, arg int) (uint32, bool, error) {
	rel := binary.LittleEndian.Uint32(r.buf[p:])
	target := uint64(p) + uint64(rel)
	if rel == 0 || target >= uint64(len(r.buf)) {
		return 0, false, formatErr(p, what, format, arg)
	}
	return uint32(target), true, nil
}

// root returns the root table, called name, of a buffer of at least 8
// bytes; what and within ("file", "buffer") describe a bad root offset.
func (r *reader) root(what, within, name string) (table, error) {
	p, _, err := r.follow(0, what, "root table offset %d points outside the "+within, int(binary.LittleEndian.Uint32(r.buf)))
	if err != nil {
		return table{}, err
	}
	return r.tableAt(p, name)
}

// subtable returns the table referenced by field i.
func (t table) subtable(i int, what string) (table, bool, error) {
	p, ok, err := t.indirect(i)
	if err != nil || !ok {
		return table{}, ok, err
	}
	st, err := t.r.tableAt(p, what)
	return st, err == nil, err
}

// vector returns the element count and the start of the elements of the vector
// in field i, having checked that n*elemSize bytes fit in the file.
func (t table) vector(i int, elemSize uint32, what string) (start, n uint32, err error) {
	p, ok, err := t.indirect(i)
	if err != nil || !ok {
		return 0, 0, err
	}
	n, err = t.r.u32(p, what)
	if err != nil {
		return 0, 0, err
	}
	start = p + 4
	if uint64(start)+uint64(n)*uint64(elemSize) > uint64(len(t.r.buf)) {
		return 0, 0, formatErr(p, what, "vector of %d elements of %d bytes runs past end of file", n, elemSize)
	}
	return start, n, nil
}

// bytes returns the byte vector in field i as a sub-slice of the file; it
// copies nothing, so it costs nothing.
func (t table) bytes(i int, what string) ([]byte, error) {
	start, n, err := t.vector(i, 1, what)
	if err != nil {
		return nil, err
	}
	return t.r.buf[start : start+n : start+n], nil
}

func (t table) string(i int, what string) (string, error) {
	start, n, err := t.vector(i, 1, what)
	if err != nil || n == 0 {
		return "", err
	}
	if err := t.r.charge(n, 1, start, what); err != nil {
		return "", err
	}
	return string(t.r.buf[start : start+n]), nil
}

// scalars decodes the vector of fixed-size scalars in field i.
func scalars[T any](t table, i int, size uint32, what string, decode func([]byte) T) ([]T, error) {
	start, n, err := t.vector(i, size, what)
	if err != nil || n == 0 {
		return nil, err
	}
	if err := t.r.charge(n, uintptr(size), start, what); err != nil {
		return nil, err
	}
	out := make([]T, n)
	for k := range out {
		out[k] = decode(t.r.buf[start+size*uint32(k):])
	}
	return out, nil
}

func (t table) int32s(i int, what string) ([]int32, error) { return scalars(t, i, 4, what, leInt32) }

func (t table) int64s(i int, what string) ([]int64, error) { return scalars(t, i, 8, what, leInt64) }

func (t table) float32s(i int, what string) ([]float32, error) {
	return scalars(t, i, 4, what, leFloat32)
}

// tableVector is a located vector of tables.
type tableVector struct {
	r     *reader
	start uint32
	n     int
	what  string
}

// tables locates the vector of tables in field i and charges elemCost bytes
// per element (the size of what the caller decodes each into), so that the
// caller may allocate its result at once.
func (t table) tables(i int, what string, elemCost uintptr) (tableVector, error) {
	start, n, err := t.vector(i, 4, what)
	if err != nil {
		return tableVector{}, err
	}
	if err := t.r.charge(n, elemCost, start, what); err != nil {
		return tableVector{}, err
	}
	return tableVector{r: t.r, start: start, n: int(n), what: what}, nil
}

// at returns element k < v.n.
func (v tableVector) at(k int) (table, error) {
	p, _, err := v.r.follow(v.start+4*uint32(k), v.what, "element %d points outside the file", k)
	if err != nil {
		return table{}, err
	}
	return v.r.tableAt(p, v.what)
}

// decodeTables decodes the vector of tables in field i, one T per table
// with decode, having charged the budget for the whole slice.
func decodeTables[T any](t table, i int, what string, decode func(table) (T, error)) ([]T, error) {
	var zero T
	v, err := t.tables(i, what, unsafe.Sizeof(zero))
	if err != nil {
		return nil, err
	}
	out := make([]T, v.n)
	for k := range out {
		et, err := v.at(k)
		if err != nil {
			return nil, err
		}
		if out[k], err = decode(et); err != nil {
			return nil, err
		}
	}
	return out, nil
}
