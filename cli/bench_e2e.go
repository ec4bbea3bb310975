package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/classifly/classifly/classify"
	"github.com/classifly/classifly/engine"
	"github.com/classifly/classifly/imageprep"
)

// e2eFlags are the options `classifly bench --end-to-end` uses.
type e2eFlags struct {
	image, resize string
	runs, warmup  int
	json          bool
}

// e2eResult is the --json output of `classifly bench --end-to-end`.
type e2eResult struct {
	Image     string    `json:"image"`
	Model     string    `json:"model"`
	Threads   int       `json:"threads"`
	Runs      int       `json:"runs"`
	EndToEnd  bool      `json:"end_to_end"`
	Resize    string    `json:"resize"`
	Latency   latency   `json:"latency_ms"`
	Stages    e2eStages `json:"stages_ms"`
	PeakRSSMB float64   `json:"peak_rss_mb"`
	Backend   string    `json:"backend"`
	Top1      int       `json:"top1"`
}

// e2eStages are the median stage times.
type e2eStages struct {
	Decode     float64 `json:"decode"`
	Preprocess float64 `json:"preprocess"`
	Inference  float64 `json:"inference"`
}

// msOf is d in milliseconds.
func msOf(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }

// benchEndToEnd times the whole path from the file's bytes in memory to the
// top-5, as a server sees it: decode, resize and tensor, inference, top-k.
func benchEndToEnd(ctx context.Context, env *Env, m *engine.Model, name string, f e2eFlags) int {
	if f.image == "" {
		errorf(env, "--end-to-end needs --image FILE")
		return ExitUsage
	}
	mode, err := imageprep.ParseResize(f.resize)
	if err != nil {
		errorf(env, "--resize: %v", err)
		return ExitUsage
	}
	data, err := os.ReadFile(f.image)
	if err != nil {
		errorf(env, "%v", err)
		return ExitFailure
	}
	c, err := classify.New(name, m, nil)
	if err != nil {
		errorf(env, "%v", err)
		return ExitFailure
	}
	opts := classify.Options{TopK: classify.DefaultTopK, Resize: mode}
	var res *classify.Result
	for range f.warmup {
		if res, err = c.ClassifyBytes(ctx, data, opts); err != nil {
			errorf(env, "%s: %v", f.image, err)
			return ExitFailure
		}
	}
	total := make([]float64, f.runs)
	dec, pre, inf := make([]float64, f.runs), make([]float64, f.runs), make([]float64, f.runs)
	for i := range total {
		t0 := time.Now()
		if res, err = c.ClassifyBytes(ctx, data, opts); err != nil {
			errorf(env, "%s: %v", f.image, err)
			return ExitFailure
		}
		total[i] = msOf(time.Since(t0))
		dec[i], pre[i], inf[i] = msOf(res.Timings.Decode), msOf(res.Timings.Preprocess), msOf(res.Timings.Inference)
	}
	for _, s := range [][]float64{total, dec, pre, inf} {
		slices.Sort(s)
	}
	med := func(s []float64) float64 { return s[len(s)/2] }
	r := e2eResult{
		Image: f.image, Model: name, Threads: m.Threads(), Runs: f.runs, EndToEnd: true, Resize: mode.String(),
		Latency:   latency{Min: total[0], Median: med(total), P90: total[len(total)*9/10]},
		Stages:    e2eStages{Decode: med(dec), Preprocess: med(pre), Inference: med(inf)},
		PeakRSSMB: peakRSSMB(),
		Backend:   m.Backend(),
		Top1:      -1,
	}
	if len(res.Predictions) > 0 {
		r.Top1 = res.Predictions[0].Index
	}
	if f.json {
		if err := json.NewEncoder(env.Stdout).Encode(r); err != nil {
			errorf(env, "%v", err)
			return ExitFailure
		}
		return ExitOK
	}
	fmt.Fprintf(env.Stdout, "image      %s (%s resize), model %s, %d threads, kernels %s\n", r.Image, r.Resize, r.Model, r.Threads, r.Backend)
	fmt.Fprintf(env.Stdout, "latency    min %.3f  median %.3f  p90 %.3f ms, file bytes to top-5 (%d runs)\n", r.Latency.Min, r.Latency.Median, r.Latency.P90, r.Runs)
	fmt.Fprintf(env.Stdout, "stages     decode %.3f  preprocess %.3f  inference %.3f ms (medians)\n", r.Stages.Decode, r.Stages.Preprocess, r.Stages.Inference)
	fmt.Fprintf(env.Stdout, "peak RSS   %.1f MB\n", r.PeakRSSMB)
	return ExitOK
}
