package engine

import (
	"fmt"
	"testing"
)

// TestProfileReportFloat logs where the time of float32 MobileNet V2 goes,
// by operator kind, on one thread and two (go test -v -run
// TestProfileReportFloat).
func TestProfileReportFloat(t *testing.T) { onFloatThreads(t, logProfile) }

// BenchmarkRunFloat times whole inferences of float32 MobileNet V2 on one
// thread and two.
func BenchmarkRunFloat(b *testing.B) { onFloatThreads(b, benchRuns) }

// subRunner is *testing.T or *testing.B.
type subRunner[T any] interface {
	testing.TB
	Run(name string, f func(T)) bool
}

// onFloatThreads runs f in a subtest (or sub-benchmark) per thread count,
// one and two, on float32 MobileNet V2 and its first golden input.
func onFloatThreads[T subRunner[T]](tb T, f func(T, *Model, []byte)) {
	const name = "mobilenet_v2_1.0_224_float32"
	_, in := floatTwin(tb, name)
	for _, threads := range []int{1, 2} {
		tb.Run(fmt.Sprintf("threads=%d", threads), func(tb T) {
			m := loadWith(tb, name, Options{Threads: threads})
			defer m.Close()
			f(tb, m, in)
		})
	}
}
