package tflite_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/classifly/classifly/internal/tflitetest"
	"github.com/classifly/classifly/tflite"
)

// tinyModel is a one-operator model to carry metadata.
func tinyModel() tflitetest.Model {
	return tflitetest.Model{
		Tensors: []tflitetest.Tensor{
			{Name: "in", Type: tflite.Float32, Shape: []int32{1, 4}},
			{Name: "out", Type: tflite.Float32, Shape: []int32{1, 4}},
		},
		Ops:    []tflitetest.Op{{Code: tflite.OpSoftmax, Inputs: []int32{0}, Outputs: []int32{1}, Options: &tflite.SoftmaxOptions{Beta: 1}}},
		Inputs: []int32{0}, Outputs: []int32{1},
	}
}

var testMetadata = tflitetest.Metadata{
	Name: "flowers", Description: "Identifies four flowers.", Version: "v2", Author: "tests", License: "Apache-2.0",
	InputName: "image", OutputName: "probability", Mean: []float32{127.5}, Std: []float32{127.5}, LabelFile: "labels.txt",
}

func parse(t testing.TB, data []byte) *tflite.Model {
	t.Helper()
	m, err := tflite.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestMetadataRoundTrip reads back every field the writer puts, and the
// label file from the appended zip.
func TestMetadataRoundTrip(t *testing.T) {
	labels := []byte("daisy\ndandelion\nrose\ntulip\n")
	data := tinyModel().WithMetadata(testMetadata, map[string][]byte{"labels.txt": labels, "other.txt": []byte("x")}).Bytes()
	md, err := parse(t, data).ReadMetadata()
	if err != nil {
		t.Fatal(err)
	}
	if md.Name != "flowers" || md.Description != "Identifies four flowers." || md.Version != "v2" || md.Author != "tests" || md.License != "Apache-2.0" {
		t.Errorf("descriptive fields %+v", md)
	}
	if md.Input.Name != "image" || md.Input.Mean[0] != 127.5 || md.Input.Std[0] != 127.5 || md.Output.Name != "probability" {
		t.Errorf("tensors %+v %+v", md.Input, md.Output)
	}
	f, ok := md.LabelFile()
	if !ok || f.Name != "labels.txt" || f.Type != tflite.FileTensorAxisLabels {
		t.Fatalf("label file %+v %v", f, ok)
	}
	zf, err := tflite.OpenAssociatedFiles(data)
	if err != nil {
		t.Fatal(err)
	}
	got, err := zf.Read(f.Name)
	if err != nil || !bytes.Equal(got, labels) {
		t.Errorf("Read: %q, %v", got, err)
	}
	if names := zf.Names(); len(names) != 2 {
		t.Errorf("Names %v", names)
	}
	if _, err := zf.Read("missing.txt"); !isFormat(err) {
		t.Errorf("Read of a missing file: %v, want a *FormatError", err)
	}
}

// TestMetadataAbsent: no metadata is no error, and no zip is the sentinel.
func TestMetadataAbsent(t *testing.T) {
	data := tinyModel().Bytes()
	md, err := parse(t, data).ReadMetadata()
	if md != nil || err != nil {
		t.Errorf("ReadMetadata: %+v, %v; want nil, nil", md, err)
	}
	if _, err := tflite.OpenAssociatedFiles(data); !errors.Is(err, tflite.ErrNoAssociatedFiles) {
		t.Errorf("OpenAssociatedFiles: %v, want ErrNoAssociatedFiles", err)
	}
}

func isFormat(err error) bool {
	var fe *tflite.FormatError
	return errors.As(err, &fe)
}

// TestMetadataHostile checks that broken metadata and zips give typed
// errors: every truncation of the metadata buffer, bad normalization,
// oversized buffers, a corrupted zip and one with too many entries.
func TestMetadataHostile(t *testing.T) {
	good := testMetadata.Bytes()
	for n := 0; n < len(good); n++ {
		m := tinyModel()
		m.Metadata = []tflitetest.NamedBuffer{{Name: tflite.MetadataName, Data: good[:n]}}
		if _, err := parse(t, m.Bytes()).ReadMetadata(); err != nil && !isFormat(err) {
			t.Fatalf("truncated to %d bytes: untyped error %v", n, err)
		}
	}
	for _, bad := range []tflitetest.Metadata{
		{Mean: []float32{1, 2}, Std: []float32{1}},
		{Mean: []float32{1}, Std: []float32{0}},
		{Mean: []float32{1}},
	} {
		m := tinyModel().WithMetadata(bad, nil)
		if _, err := parse(t, m.Bytes()).ReadMetadata(); !isFormat(err) || !strings.Contains(err.Error(), "NormalizationOptions") {
			t.Errorf("normalization %v/%v: %v, want a *FormatError naming NormalizationOptions", bad.Mean, bad.Std, err)
		}
	}
	m := tinyModel()
	m.Metadata = []tflitetest.NamedBuffer{{Name: tflite.MetadataName, Data: make([]byte, tflite.MaxMetadataBytes+1)}}
	if _, err := parse(t, m.Bytes()).ReadMetadata(); !isFormat(err) {
		t.Errorf("oversized metadata: %v", err)
	}

	data := tinyModel().WithMetadata(testMetadata, map[string][]byte{"labels.txt": []byte("a\nb\n")}).Bytes()
	// Flip the stored file's content: the CRC check fails on Read.
	i := bytes.Index(data, []byte("a\nb\n"))
	corrupt := bytes.Clone(data)
	corrupt[i] = 'z'
	if zf, err := tflite.OpenAssociatedFiles(corrupt); err != nil {
		t.Errorf("open: %v", err)
	} else if _, err := zf.Read("labels.txt"); !isFormat(err) {
		t.Errorf("corrupt content: %v, want a *FormatError", err)
	}
	// Cut the central directory short.
	if _, err := tflite.OpenAssociatedFiles(data[:len(data)-10]); err == nil {
		t.Error("truncated zip opened")
	}
	many := map[string][]byte{}
	for i := range tflite.MaxAssociatedFiles + 1 {
		many[strings.Repeat("f", 1+i/26)+string(rune('a'+i%26))] = nil
	}
	if _, err := tflite.OpenAssociatedFiles(tinyModel().WithMetadata(testMetadata, many).Bytes()); !isFormat(err) {
		t.Errorf("%d files: %v, want a *FormatError", len(many), err)
	}
}

// FuzzReadMetadata feeds arbitrary bytes as the TFLITE_METADATA buffer.
func FuzzReadMetadata(f *testing.F) {
	f.Add(testMetadata.Bytes())
	f.Add(tflitetest.Metadata{InputName: "x", Mean: []float32{0, 1, 2}, Std: []float32{1, 1, 1}}.Bytes())
	f.Add([]byte("\x08\x00\x00\x00M001"))
	f.Fuzz(func(t *testing.T, buf []byte) {
		m := tinyModel()
		m.Metadata = []tflitetest.NamedBuffer{{Name: tflite.MetadataName, Data: buf}}
		md, err := parse(t, m.Bytes()).ReadMetadata()
		if err != nil {
			if !isFormat(err) {
				t.Fatalf("untyped error %T: %v", err, err)
			}
			return
		}
		if md != nil && md.Input.Mean != nil && len(md.Input.Mean) != len(md.Input.Std) {
			t.Fatalf("accepted mean %v std %v", md.Input.Mean, md.Input.Std)
		}
	})
}

// FuzzAssociatedFiles feeds arbitrary bytes as the appended zip.
func FuzzAssociatedFiles(f *testing.F) {
	f.Add(tflitetest.Zip(map[string][]byte{"labels.txt": []byte("a\nb\n")}))
	f.Add(tflitetest.Zip(map[string][]byte{"a": nil, "b": []byte("x")}))
	f.Add([]byte("PK\x05\x06\x00\x00\x00\x00\x01\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"))
	base := tinyModel().Bytes()
	f.Fuzz(func(t *testing.T, tail []byte) {
		zf, err := tflite.OpenAssociatedFiles(append(bytes.Clone(base), tail...))
		if err != nil {
			if !isFormat(err) && !errors.Is(err, tflite.ErrNoAssociatedFiles) {
				t.Fatalf("untyped error %T: %v", err, err)
			}
			return
		}
		for _, name := range zf.Names() {
			data, err := zf.Read(name)
			if err != nil && !isFormat(err) {
				t.Fatalf("Read(%q): untyped error %T: %v", name, err, err)
			}
			if len(data) > tflite.MaxAssociatedFileBytes {
				t.Fatalf("Read(%q) returned %d bytes", name, len(data))
			}
		}
	})
}
