package engine

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/classifly/classifly/internal/shared"
)

// TestProfileReportFloat logs where the time of float32 MobileNet V2 goes,
// by operator kind, on one thread and two (go test -v -run
// TestProfileReportFloat).
func TestProfileReportFloat(t *testing.T) {
	root, _ := shared.FloatTwins(t)
	const name = "mobilenet_v2_1.0_224_float32"
	var man shared.Manifest
	shared.ReadManifest(t, filepath.Join(root, name), &man)
	for _, threads := range []int{1, 2} {
		t.Run(fmt.Sprintf("threads=%d", threads), func(t *testing.T) {
			m, err := LoadFile(shared.Model(t, name+".tflite"), Options{Threads: threads})
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			logProfile(t, m, floatInput(t, man, man.Images[0].Input))
		})
	}
}

// BenchmarkRunFloat times whole inferences of float32 MobileNet V2 on one
// thread and two.
func BenchmarkRunFloat(b *testing.B) {
	root, _ := shared.FloatTwins(b)
	const name = "mobilenet_v2_1.0_224_float32"
	var man shared.Manifest
	shared.ReadManifest(b, filepath.Join(root, name), &man)
	in := floatInput(b, man, man.Images[0].Input)
	for _, threads := range []int{1, 2} {
		b.Run(fmt.Sprintf("threads=%d", threads), func(b *testing.B) {
			m, err := LoadFile(shared.Model(b, name+".tflite"), Options{Threads: threads})
			if err != nil {
				b.Fatal(err)
			}
			defer m.Close()
			out := make([]byte, m.Output().Bytes())
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if err := m.Run(ctx, in, out); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
