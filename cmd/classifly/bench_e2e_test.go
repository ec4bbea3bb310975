package main

import (
	"encoding/json"
	"testing"

	"github.com/classifly/classifly/internal/shared"
)

// TestBenchEndToEnd runs `classifly bench --end-to-end` on a photo with both
// resize modes and checks the JSON it prints.
func TestBenchEndToEnd(t *testing.T) {
	photo := shared.Image(t, "parrot.jpg")
	for _, mode := range []string{"fast", "exact"} {
		stdout, stderr, code := classifly(t, "bench", "--model", shared.SmallModel(), "--image", photo,
			"--end-to-end", "--resize", mode, "--threads", "1", "--runs", "3", "--warmup", "1", "--json")
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", mode, code, stderr)
		}
		var r struct {
			Image, Model, Backend, Resize string
			Threads, Runs                 int
			EndToEnd                      bool                                            `json:"end_to_end"`
			Latency                       struct{ Min, Median, P90 float64 }              `json:"latency_ms"`
			Stages                        struct{ Decode, Preprocess, Inference float64 } `json:"stages_ms"`
			PeakRSSMB                     float64                                         `json:"peak_rss_mb"`
			Top1                          int
		}
		if err := json.Unmarshal([]byte(stdout), &r); err != nil {
			t.Fatalf("%s: %v in %q", mode, err, stdout)
		}
		if !r.EndToEnd || r.Image != photo || r.Threads != 1 || r.Runs != 3 || r.Resize != mode || r.Backend == "" {
			t.Errorf("%s: fields %+v", mode, r)
		}
		l, s := r.Latency, r.Stages
		if !(0 < l.Min && l.Min <= l.Median && l.Median <= l.P90) || s.Decode <= 0 || s.Preprocess <= 0 || s.Inference <= 0 || r.PeakRSSMB <= 0 {
			t.Errorf("%s: implausible timings %+v %+v, RSS %.1f", mode, l, s, r.PeakRSSMB)
		}
		if r.Top1 < 0 {
			t.Errorf("%s: no top-1", mode)
		}
	}
	if _, _, code := classifly(t, "bench", "--image", photo, "--end-to-end", "--resize", "nearest"); code != 2 {
		t.Errorf("--resize nearest: exit %d, want 2", code)
	}
	if _, _, code := classifly(t, "bench", "--end-to-end"); code != 2 {
		t.Errorf("--end-to-end without --image: exit %d, want 2", code)
	}
}
