package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/classifly/classifly/api"
	"github.com/classifly/classifly/engine"
	"github.com/classifly/classifly/imageprep"
	"github.com/classifly/classifly/loader"
	"github.com/classifly/classifly/registry"
)

// benchResult is the --json output of `classifly bench`.
type benchResult struct {
	Model      string  `json:"model"`
	Threads    int     `json:"threads"`
	Batch      int     `json:"batch"`
	Runs       int     `json:"runs"`
	LoadMS     float64 `json:"load_ms"`
	Latency    latency `json:"latency_ms"`
	ImagesPerS float64 `json:"images_per_s"`
	PeakRSSMB  float64 `json:"peak_rss_mb"`
	Backend    string  `json:"backend"`
	CPU        string  `json:"cpu"`
	// Backends lists the kernels this CPU can run, for --kernels.
	Backends []string `json:"backends"`
}

type latency struct {
	Min    float64 `json:"min"`
	Median float64 `json:"median"`
	P90    float64 `json:"p90"`
}

// runBench is `classifly bench`: load time, latency and throughput of the
// engine alone on one model.
func runBench(ctx context.Context, env *Env, args []string) int {
	fs := newFlagSet(env, "bench", "")
	model := fs.String("model", registry.DefaultModel, "known model name or path to a .tflite file")
	threads := fs.Int("threads", runtime.GOMAXPROCS(0), "goroutines per inference")
	batch := fs.Int("batch", 1, "images per timed run (run side by side, one per thread)")
	runs := fs.Int("runs", 200, "timed runs")
	warmup := fs.Int("warmup", 20, "untimed runs first")
	image := fs.String("image", "", "picture to classify (default: a fixed pseudo-random input)")
	asJSON := fs.Bool("json", false, "one JSON object instead of a table")
	offline := fs.Bool("offline", false, "never download a model")
	e2e := fs.Bool("end-to-end", false, "with --image: time file bytes -> decode -> tensor -> inference -> top-5")
	resize := fs.String("resize", "fast", "with --end-to-end: fast (JPEG decoded at a reduced DCT scale) or exact")
	kernels := fs.String("kernels", "", "kernels to run with, one of "+strings.Join(engine.Backends(), ", ")+" (default: $"+engine.EnvBackend+", else the best)")
	profile := fs.Bool("profile", false, "time each operator (median over --runs) and compare each layer with the kernels' peak")
	if code, ok := parseNoArgs(fs, args, ""); !ok {
		return code
	}
	switch {
	case *threads < 1:
		return usageError(fs, "--threads must be at least 1 (got %d)", *threads)
	case *batch < 1:
		return usageError(fs, "--batch must be at least 1 (got %d)", *batch)
	case *runs < 1:
		return usageError(fs, "--runs must be at least 1 (got %d)", *runs)
	case *warmup < 0:
		return usageError(fs, "--warmup must not be negative (got %d)", *warmup)
	case *profile && (*batch > 1 || *e2e):
		return usageError(fs, "--profile times the operators of one image at a time: it takes neither --batch nor --end-to-end")
	}
	res, err := resolver(env, *offline).Resolve(ctx, *model, "")
	if err != nil {
		return failure(ctx, env, err)
	}
	data := res.ModelBytes
	if data == nil {
		if data, err = loader.ReadModel(ctx, res.Path); err != nil {
			return failure(ctx, env, err)
		}
	}
	start := time.Now()
	m, err := engine.Load(data, engine.Options{Threads: *threads, Backend: *kernels})
	loadTime := time.Since(start)
	if err != nil {
		errorf(env, "%s: %v", res.Name, err)
		return ExitFailure
	}
	defer m.Close()
	if *e2e {
		return benchEndToEnd(ctx, env, m, res.Name, e2eFlags{image: *image, resize: *resize, runs: *runs, warmup: *warmup, json: *asJSON})
	}
	in, err := benchInput(ctx, m, *image)
	if err != nil {
		errorf(env, "%v", err)
		return ExitFailure
	}
	if *profile {
		return benchProfile(ctx, env, m, res.Name, in, *warmup, *runs, *asJSON)
	}
	ins, outs := make([][]byte, *batch), make([][]byte, *batch)
	for i := range ins {
		ins[i], outs[i] = in, make([]byte, m.Output().Bytes())
	}
	run := func() error {
		if *batch == 1 {
			return m.Run(ctx, in, outs[0])
		}
		return m.RunBatch(ctx, ins, outs)
	}
	for range *warmup {
		if err := run(); err != nil {
			errorf(env, "%v", err)
			return ExitFailure
		}
	}
	times := make([]float64, *runs)
	total := time.Now()
	for i := range times {
		t0 := time.Now()
		if err := run(); err != nil {
			errorf(env, "%v", err)
			return ExitFailure
		}
		times[i] = float64(time.Since(t0).Nanoseconds()) / 1e6
	}
	elapsed := time.Since(total)
	slices.Sort(times)
	r := benchResult{
		Model: res.Name, Threads: m.Threads(), Batch: *batch, Runs: *runs,
		LoadMS:     float64(loadTime.Microseconds()) / 1000,
		Latency:    latency{Min: times[0], Median: times[len(times)/2], P90: times[len(times)*9/10]},
		ImagesPerS: float64(*runs**batch) / elapsed.Seconds(),
		PeakRSSMB:  peakRSSMB(),
		Backend:    m.Backend(),
		CPU:        cpuName(),
		Backends:   engine.Backends(),
	}
	if *asJSON {
		if err := json.NewEncoder(env.Stdout).Encode(r); err != nil {
			errorf(env, "%v", err)
			return ExitFailure
		}
		return ExitOK
	}
	fmt.Fprintf(env.Stdout, "model      %s (%d MMAC per image)\n", r.Model, m.MACs()/1e6)
	fmt.Fprintf(env.Stdout, "machine    %s, %s, kernels %s\n", r.CPU, plural(r.Threads, "thread"), r.Backend)
	fmt.Fprintf(env.Stdout, "load       %.2f ms (parse, plan, pack weights)\n", r.LoadMS)
	fmt.Fprintf(env.Stdout, "latency    min %.3f  median %.3f  p90 %.3f ms per batch of %d (%d runs)\n", r.Latency.Min, r.Latency.Median, r.Latency.P90, r.Batch, r.Runs)
	fmt.Fprintf(env.Stdout, "throughput %.1f images/s\n", r.ImagesPerS)
	fmt.Fprintf(env.Stdout, "peak RSS   %.1f MB\n", r.PeakRSSMB)
	return ExitOK
}

// benchInput is the model input from a picture, or a fixed pseudo-random
// tensor (kernels take the same time whatever the values).
func benchInput(ctx context.Context, m *engine.Model, image string) ([]byte, error) {
	info := m.Input()
	if image == "" {
		in := make([]byte, info.Bytes())
		r := rand.New(rand.NewPCG(1, 2))
		for i := range in {
			in[i] = byte(r.IntN(256))
		}
		return in, nil
	}
	data, err := loader.ReadFile(ctx, image, api.DefaultMaxBodyBytes)
	if err != nil {
		return nil, err
	}
	img, err := imageprep.Decode(data, imageprep.Options{})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", image, err)
	}
	if len(info.Shape) != 4 || info.Bytes() != info.Shape[1]*info.Shape[2]*3 {
		return nil, fmt.Errorf("--image needs a model with one uint8 RGB input, this one takes %v %v", info.Type, info.Shape)
	}
	return imageprep.Resize(img, info.Shape[2], info.Shape[1], imageprep.CropNone), nil
}

// peakRSSMB is the process's peak resident set size (Linux reports KiB).
func peakRSSMB() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Maxrss) / 1024
}

// plural writes "1 thread", "2 threads".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
