package engine

import (
	"context"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/classifly/classifly/internal/shared"
)

// BenchmarkRun times whole inferences of the shared models on a real input.
func BenchmarkRun(b *testing.B) {
	for _, name := range []string{"mobilenet_v2_1.0_224_quant", "tf2_mobilenet_v2_1.0_224_ptq", "mobilenet_v1_0.25_128_quant"} {
		b.Run(name, func(b *testing.B) {
			benchRuns(b, loadModel(b, name), catInput(b, name))
		})
	}
}

// benchRuns times whole inferences of m on in.
func benchRuns(b *testing.B, m *Model, in []byte) {
	out := make([]byte, m.Output().Bytes())
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := m.Run(ctx, in, out); err != nil {
			b.Fatal(err)
		}
	}
}

// TestProfileReport logs where the time goes, by operator kind (go test -v
// -run TestProfileReport). It checks only that every operator was timed.
func TestProfileReport(t *testing.T) {
	for _, name := range []string{"mobilenet_v2_1.0_224_quant", "tf2_mobilenet_v2_1.0_224_ptq"} {
		t.Run(name, func(t *testing.T) { profileReport(t, name) })
	}
}

func profileReport(t *testing.T, name string) {
	logProfile(t, loadModel(t, name), catInput(t, name))
}

// catInput returns the shared model name's golden input of the cat picture
// (cat.input.bin).
func catInput(tb testing.TB, name string) []byte {
	tb.Helper()
	in, err := os.ReadFile(shared.Golden(tb, name, "cat.input.bin"))
	if err != nil {
		tb.Fatal(err)
	}
	return in
}

// logProfile logs the best of 5 profiles of m on in, by operator kind.
func logProfile(t *testing.T, m *Model, in []byte) {
	best := map[int]time.Duration{}
	var ops []OpTiming
	for range 5 {
		var err error
		ops, err = m.Profile(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		for i, o := range ops {
			if d, ok := best[i]; !ok || o.Time < d {
				best[i] = o.Time
			}
		}
	}
	byKind := map[string]time.Duration{}
	var total time.Duration
	for i, o := range ops {
		if best[i] <= 0 {
			t.Errorf("operator %d (%s) has no time", o.Index, o.Op)
		}
		byKind[o.Op] += best[i]
		total += best[i]
	}
	kinds := make([]string, 0, len(byKind))
	for k := range byKind {
		kinds = append(kinds, k)
	}
	sort.Slice(kinds, func(i, j int) bool { return byKind[kinds[i]] > byKind[kinds[j]] })
	for _, k := range kinds {
		t.Logf("%-20s %8.3f ms  %4.1f%%", k, float64(byKind[k].Microseconds())/1000, 100*float64(byKind[k])/float64(total))
	}
	t.Logf("total %.3f ms (best of 5 per operator)", float64(total.Microseconds())/1000)
	slow := make([]int, len(ops))
	for i := range slow {
		slow[i] = i
	}
	sort.Slice(slow, func(i, j int) bool { return best[slow[i]] > best[slow[j]] })
	for _, i := range slow[:min(len(slow), 12)] {
		t.Logf("  operator %3d %-20s %6.3f ms", ops[i].Index, ops[i].Op, float64(best[i].Microseconds())/1000)
	}
}
