package engine

import (
	"fmt"
	"testing"
)

// TestProfileReportFloat logs where the time of float32 MobileNet V2 goes,
// by operator kind, on one thread and two (go test -v -run
// TestProfileReportFloat).
func TestProfileReportFloat(t *testing.T) {
	const name = "mobilenet_v2_1.0_224_float32"
	_, in := floatTwin(t, name)
	for _, threads := range []int{1, 2} {
		t.Run(fmt.Sprintf("threads=%d", threads), func(t *testing.T) {
			m := loadWith(t, name, Options{Threads: threads})
			defer m.Close()
			logProfile(t, m, in)
		})
	}
}

// BenchmarkRunFloat times whole inferences of float32 MobileNet V2 on one
// thread and two.
func BenchmarkRunFloat(b *testing.B) {
	const name = "mobilenet_v2_1.0_224_float32"
	_, in := floatTwin(b, name)
	for _, threads := range []int{1, 2} {
		b.Run(fmt.Sprintf("threads=%d", threads), func(b *testing.B) {
			m := loadWith(b, name, Options{Threads: threads})
			defer m.Close()
			benchRuns(b, m, in)
		})
	}
}
