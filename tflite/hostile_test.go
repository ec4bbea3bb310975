package tflite

import (
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/classifly/classifly/internal/shared"
)

// locate reads a shared model and finds, with the reader's own accessors,
// its Model table and first subgraph, so that a test can corrupt one field.
func locate(t *testing.T, name string) ([]byte, table, table) {
	t.Helper()
	data := shared.ReadModel(t, name)
	r := newReader(data, math.MaxInt64)
	model, err := r.tableAt(binary.LittleEndian.Uint32(data), "Model")
	if err != nil {
		t.Fatal(err)
	}
	sgs, err := model.tables(modelSubgraphs, "Model.subgraphs", 0)
	if err != nil {
		t.Fatal(err)
	}
	sg, err := sgs.at(0)
	if err != nil {
		t.Fatal(err)
	}
	return data, model, sg
}

// must unwraps what the accessors find in an intact model; failing to is a
// broken test, not a finding, so it panics.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// fieldAt returns where field i of tb is stored.
func fieldAt(t *testing.T, tb table, i int) uint32 {
	t.Helper()
	p, ok, err := tb.field(i, 4)
	if err != nil || !ok {
		t.Fatalf("%s field %d: present %v, %v", tb.what, i, ok, err)
	}
	return p
}

// target returns where the object referenced by field i of tb starts.
func target(t *testing.T, tb table, i int) uint32 {
	t.Helper()
	p, ok, err := tb.indirect(i)
	if err != nil || !ok {
		t.Fatalf("%s field %d: present %v, %v", tb.what, i, ok, err)
	}
	return p
}

// element returns table k of the vector of tables in field i of tb.
func element(t *testing.T, tb table, i, k int) table {
	t.Helper()
	v := must(tb.tables(i, tb.what, 0))
	return must(v.at(k))
}

// TestCorruptedFields overwrites one field of a real model at a time and
// checks that Parse names the part of the schema that is wrong.
func TestCorruptedFields(t *testing.T) {
	const v2, ptq = "mobilenet_v2_1.0_224_quant.tflite", "tf2_mobilenet_v2_1.0_224_ptq.tflite"
	cases := []struct {
		name, model, what string
		// corrupt changes data and returns the offset written to.
		corrupt func(t *testing.T, data []byte, model, sg table)
	}{
		{"model-vtable-outside", v2, "Model", func(t *testing.T, d []byte, m, _ table) {
			put32(d, m.pos, 0x80000001)
		}},
		{"model-vtable-is-table", v2, "Model", func(t *testing.T, d []byte, m, _ table) {
			put32(d, m.pos, 0)
		}},
		{"tensor-count-4294967295", v2, "SubGraph.tensors", func(t *testing.T, d []byte, _, sg table) {
			put32(d, target(t, sg, subgraphTensors), 0xffffffff)
		}},
		{"operator-outside-file", v2, "SubGraph.operators", func(t *testing.T, d []byte, _, sg table) {
			put32(d, target(t, sg, subgraphOperators)+4, 0xffffff00)
		}},
		{"tensor-name-past-end", v2, "Tensor.name", func(t *testing.T, d []byte, _, sg table) {
			put32(d, target(t, element(t, sg, subgraphTensors, 5), tensorName), uint32(len(d)))
		}},
		{"tensor-shape-negative", v2, "Tensor.shape", func(t *testing.T, d []byte, _, sg table) {
			put32(d, target(t, element(t, sg, subgraphTensors, 0), tensorShape)+8, uint32(0xffffff20)) // -224
		}},
		{"tensor-field-outside-table", v2, "SubGraph.tensors", func(t *testing.T, d []byte, _, sg table) {
			tn := element(t, sg, subgraphTensors, 0)
			binary.LittleEndian.PutUint16(d[tn.vtab+4+2*tensorBuffer:], 0xfff0)
		}},
		{"operator-input-9999", v2, "Operator.inputs", func(t *testing.T, d []byte, _, sg table) {
			put32(d, target(t, element(t, sg, subgraphOperators, 3), operatorInputs)+4, 9999)
		}},
		{"opcode-out-of-range", v2, "Operator.opcode_index", func(t *testing.T, d []byte, _, sg table) {
			ops := must(sg.tables(subgraphOperators, "", 0))
			for k := range ops.n {
				if op := must(ops.at(k)); must(op.uint32(operatorOpcode, 0)) != 0 {
					put32(d, fieldAt(t, op, operatorOpcode), 250)
					return
				}
			}
			t.Fatal("no operator with a non-zero opcode index")
		}},
		{"buffer-past-end", v2, "Buffer.data", func(t *testing.T, d []byte, m, _ table) {
			bufs := must(m.tables(modelBuffers, "", 0))
			for k := range bufs.n {
				b := must(bufs.at(k))
				if n := must(b.bytes(bufferData, "")); len(n) > 0 {
					put32(d, target(t, b, bufferData), uint32(len(n)+len(d)))
					return
				}
			}
		}},
		{"options-outside-file", v2, "SubGraph.operators", func(t *testing.T, d []byte, _, sg table) {
			op := element(t, sg, subgraphOperators, 0)
			put32(d, fieldAt(t, op, operatorOptions), 0x7fffffff)
		}},
		{"per-channel-scale-count", ptq, "QuantizationParameters", func(t *testing.T, d []byte, _, sg table) {
			// The first CONV_2D filter has 32 per-channel scales; claim 31.
			op := element(t, sg, subgraphOperators, 1)
			filter := must(op.int32s(operatorInputs, ""))[1]
			quant, _, err := element(t, sg, subgraphTensors, int(filter)).subtable(tensorQuant, "")
			if err != nil {
				t.Fatal(err)
			}
			p := target(t, quant, quantScale)
			if n := binary.LittleEndian.Uint32(d[p:]); n != 32 {
				t.Fatalf("filter %d has %d scales, want 32", filter, n)
			}
			put32(d, p, 31)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data, model, sg := locate(t, c.model)
			c.corrupt(t, data, model, sg)
			_, err := Parse(data)
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("Parse: %v, want a *FormatError", err)
			}
			if fe.What != c.what {
				t.Errorf("Parse: %v; want the error about %s", err, c.what)
			}
			if fe.Offset < -1 || fe.Offset >= len(data) {
				t.Errorf("Parse: offset %d is outside the %d-byte file", fe.Offset, len(data))
			}
		})
	}
}

func put32(b []byte, at uint32, v uint32) { binary.LittleEndian.PutUint32(b[at:], v) }

// TestShortFiles covers what is not a model at all.
func TestShortFiles(t *testing.T) {
	for name, data := range map[string][]byte{
		"empty":        nil,
		"tfl3":         []byte("TFL3"),
		"header":       []byte("\x08\x00\x00\x00TFL3"),
		"root-at-end":  []byte("\x07\x00\x00\x00TFL3"),
		"root-zero":    []byte("\x00\x00\x00\x00TFL3"),
		"png":          []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR"),
		"zip":          []byte("PK\x03\x04\x14\x00\x00\x00\x08\x00"),
		"flatbuf-tfl2": []byte("\x10\x00\x00\x00TFL2\x00\x00\x00\x00"),
	} {
		_, err := Parse(data)
		var fe *FormatError
		if !errors.As(err, &fe) {
			t.Errorf("%s: Parse: %v, want a *FormatError", name, err)
		} else if fe.Offset >= len(data) {
			t.Errorf("%s: Parse: offset %d is outside the %d-byte file", name, fe.Offset, len(data))
		}
	}
}

// TestDecodeBudget checks that the real models decode well within the
// budget that stops aliased structures, so it refuses no honest file.
func TestDecodeBudget(t *testing.T) {
	files, _ := filepath.Glob(shared.Model(t, "*.tflite"))
	if len(files) == 0 {
		t.Fatal("no shared models")
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := parse(data, decodeBase); err != nil {
			t.Errorf("%s: does not parse within %d bytes of decoding: %v", filepath.Base(f), decodeBase, err)
		}
	}
}
