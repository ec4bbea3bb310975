package engine

import (
	"strings"
	"testing"

	"github.com/classifly/classifly/internal/shared"
	"github.com/classifly/classifly/tflite"
)

// TestModelFormat names the format of every shared model from its file
// name's convention.
func TestModelFormat(t *testing.T) {
	shared.Full(t)
	for file, want := range map[string]string{
		"mobilenet_v2_1.0_224_quant.tflite":           FormatUInt8,
		"tf2_mobilenet_v2_1.0_224_ptq.tflite":         FormatInt8,
		"mobilenet_v2_1.0_224_float32.tflite":         FormatFloat32,
		"tf2_mobilenet_v2_1.0_224_float16.tflite":     FormatFloat16,
		"mobilenet_v1_0.25_128_dynamic.tflite":        FormatDynamic,
		"tf2_mobilenet_v2_1.0_224_dynamic.tflite":     FormatDynamic,
		"mobilenet_v1_0.25_128_float16.tflite":        FormatFloat16,
		"mobilenet_v2_1.0_224_inat_bird_quant.tflite": FormatUInt8,
	} {
		data := shared.ReadModel(t, file)
		f, err := tflite.Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		if got := ModelFormat(f); got != want {
			t.Errorf("%s: %s, want %s", file, got, want)
		}
		if strings.Contains(file, "v1_0.25") {
			m, err := Load(data, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if m.Format() != want {
				t.Errorf("%s: Model.Format %s, want %s", file, m.Format(), want)
			}
			m.Close()
		}
	}
}
