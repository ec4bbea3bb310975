package tflite

import (
	"errors"
	"testing"
)

// FuzzParse feeds arbitrary bytes to Parse: it must return a *FormatError
// that points inside the file, or a model whose every cross-reference can be
// followed. Seeds: testdata/fuzz/FuzzParse (see testdata/README.md).
func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse(data)
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("untyped error %T: %v", err, err)
			}
			if fe.Offset < -1 || fe.Offset >= max(len(data), 1) {
				t.Fatalf("error offset %d outside the %d-byte file: %v", fe.Offset, len(data), err)
			}
			_ = err.Error()
			return
		}
		checkReferences(t, m)
	})
}

// checkReferences follows every index a parsed model holds, as the engine
// does without further checks.
func checkReferences(t *testing.T, m *Model) {
	if len(m.Subgraphs) == 0 {
		t.Fatal("model without subgraphs")
	}
	for _, sg := range m.Subgraphs {
		tensor := func(i int32, omittable bool) {
			if i == -1 && omittable {
				return
			}
			tn := &sg.Tensors[i]
			m.TensorData(tn)
			for _, d := range tn.Shape {
				if d < 0 {
					t.Fatalf("tensor %d has shape %v", i, tn.Shape)
				}
			}
			if q := tn.Quantization; q != nil && len(q.Scale) > 1 {
				_ = tn.Shape[q.Dimension]
			}
		}
		for _, i := range sg.Inputs {
			tensor(i, false)
		}
		for _, i := range sg.Outputs {
			tensor(i, false)
		}
		for _, op := range sg.Operators {
			_ = m.OperatorCodes[op.OpcodeIndex].Builtin.String()
			for _, i := range op.Inputs {
				tensor(i, true)
			}
			for _, i := range op.Outputs {
				tensor(i, false)
			}
		}
	}
}
