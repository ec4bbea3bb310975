package tflite

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/classifly/classifly/internal/shared"
)

// TestMetadataTwins reads the metadata of the float twins (converted
// models that keep the source's metadata, with the input normalization
// patched to the twin's float input): name, normalization and the label
// file packed in the appended zip.
func TestMetadataTwins(t *testing.T) {
	shared.Full(t)
	labels := shared.ReadModel(t, "imagenet_labels.txt")
	for _, tc := range []struct {
		file      string
		mean, std float32
	}{
		{"mobilenet_v2_1.0_224_float32.tflite", 128, 128},
		{"mobilenet_v1_0.25_128_dynamic.tflite", 128, 128},
		{"tf2_mobilenet_v2_1.0_224_float16.tflite", 127, 1 / 0.007843137718737125},
	} {
		t.Run(tc.file, func(t *testing.T) {
			data := shared.ReadModel(t, tc.file)
			m, err := Parse(data)
			if err != nil {
				t.Fatal(err)
			}
			md, err := m.ReadMetadata()
			if err != nil || md == nil {
				t.Fatalf("ReadMetadata: %v, %v", md, err)
			}
			if md.Name == "" || md.Input.Name != "image" || md.Output.Name != "probability" {
				t.Errorf("name %q, input %q, output %q", md.Name, md.Input.Name, md.Output.Name)
			}
			if len(md.Input.Mean) != 1 || len(md.Input.Std) != 1 || md.Input.Mean[0] != tc.mean || !near(md.Input.Std[0], tc.std) {
				t.Errorf("normalization mean %v std %v, want %v %v", md.Input.Mean, md.Input.Std, tc.mean, tc.std)
			}
			f, ok := md.LabelFile()
			if !ok {
				t.Fatalf("no label file among %+v", md.Output.Files)
			}
			zf, err := OpenAssociatedFiles(data)
			if err != nil {
				t.Fatal(err)
			}
			got, err := zf.Read(f.Name)
			if err != nil {
				t.Fatal(err)
			}
			// The packed file lists the same classes as the shared label
			// file (which may differ in its trailing newline).
			if !bytes.Equal(bytes.TrimSpace(got), bytes.TrimSpace(labels)) {
				gl, wl := strings.Split(string(got), "\n"), strings.Split(string(labels), "\n")
				t.Errorf("%s: %d lines (%q...), want %d (%q...)", filepath.Base(f.Name), len(gl), gl[:min(3, len(gl))], len(wl), wl[:3])
			}
		})
	}
}

func near(a, b float32) bool { d := a - b; return d < 1e-3*b && d > -1e-3*b }
