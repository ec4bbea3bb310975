package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/classifly/classifly/api"
	"github.com/classifly/classifly/classify"
	"github.com/classifly/classifly/engine"
	"github.com/classifly/classifly/imageprep"
	"github.com/classifly/classifly/loader"
	"github.com/classifly/classifly/registry"
	"github.com/classifly/classifly/wire"
)

func runPredict(ctx context.Context, env *Env, args []string) int {
	fs := newFlagSet(env, "predict", "PICTURE|FOLDER...")
	model := fs.String("model", registry.DefaultModel, "known model name or path to a .tflite file")
	labels := fs.String("labels", "", "labels file (default: the model's own, or one beside the file)")
	top := fs.Int("top", classify.DefaultTopK, "how many predictions per picture")
	threshold := fs.Float64("threshold", 0, "hide predictions scoring below this (0..1)")
	crop := fs.String("crop", "none", "none: whole picture; center: ImageNet-style 87.5% central crop")
	asJSON := fs.Bool("json", false, "one JSON object per line instead of a table")
	maxPixels := fs.Int64("max-pixels", imageprep.DefaultMaxPixels, "refuse pictures with more pixels than this (JPEGs with --resize fast: --max-pixels-jpeg)")
	maxPixelsJPEG := fs.Int64("max-pixels-jpeg", imageprep.DefaultMaxPixelsJPEG, "refuse JPEGs with more pixels than this with --resize fast, which decodes them at a reduced scale")
	maxBytes := fs.Int64("max-bytes", api.DefaultMaxBodyBytes, "refuse picture files larger than this, as the server does")
	offline := fs.Bool("offline", false, "never download a model")
	resize := fs.String("resize", "fast", "fast: JPEG decoded at a reduced DCT scale; exact: full decode, bilinear only (as the golden tensors)")
	normalization := normalizationFlags(fs)
	paths, code, ok := parse(fs, args)
	if !ok {
		return code
	}
	if len(paths) == 0 {
		return usageError(fs, "name at least one picture or folder")
	}
	cropMode, err := imageprep.ParseCrop(*crop)
	if err != nil {
		return usageError(fs, "--crop: %v", err)
	}
	resizeMode, err := imageprep.ParseResize(*resize)
	if err != nil {
		return usageError(fs, "--resize: %v", err)
	}
	switch {
	case *top < 1:
		return usageError(fs, "--top must be at least 1 (got %d)", *top)
	case *threshold < 0 || *threshold > 1 || math.IsNaN(*threshold):
		return usageError(fs, "--threshold must be between 0 and 1 (got %v)", *threshold)
	case *maxPixels < 1:
		return usageError(fs, "--max-pixels must be positive (got %d)", *maxPixels)
	case *maxPixelsJPEG < 1:
		return usageError(fs, "--max-pixels-jpeg must be positive (got %d)", *maxPixelsJPEG)
	case *maxBytes < 1:
		return usageError(fs, "--max-bytes must be positive (got %d)", *maxBytes)
	}
	norm, err := normalization()
	if err != nil {
		return usageError(fs, "%v", err)
	}
	files, failed := expand(env, paths)
	c, _, err := loader.LoadWith(ctx, resolver(env, *offline), *model, loader.Options{Labels: *labels, Normalization: norm, Engine: engine.Options{}})
	if err != nil {
		return failure(ctx, env, err)
	}
	opts := classify.Options{TopK: *top, Threshold: float32(*threshold), Crop: cropMode, MaxPixels: *maxPixels,
		MaxPixelsJPEG: *maxPixelsJPEG, Resize: resizeMode}
	enc := json.NewEncoder(env.Stdout)
	code = ExitOK
	var running sync.Mutex
	work := func(ctx context.Context, i int) (*classify.Result, error) {
		return predictFile(ctx, c, files[i], *maxBytes, opts, &running)
	}
	inOrder(ctx, len(files), predictDepth, work, func(i int, res *classify.Result, err error) bool {
		if ctx.Err() != nil {
			code = failure(ctx, env, ctx.Err())
			return false
		}
		if err != nil {
			errorf(env, "%v", err)
			failed = true
			return true
		}
		if *asJSON {
			if err := enc.Encode(jsonResult(files[i], res)); err != nil {
				errorf(env, "writing output: %v", err)
				code = ExitFailure
				return false
			}
			return true
		}
		if i > 0 {
			fmt.Fprintln(env.Stdout)
		}
		printTable(env, files[i], res)
		return true
	})
	if code != ExitOK {
		return code
	}
	if failed {
		return ExitFailure
	}
	return ExitOK
}

// failure reports err and returns the status for it: ExitInterrupted when
// a signal cancelled ctx, else ExitFailure.
func failure(ctx context.Context, env *Env, err error) int {
	if ctx.Err() != nil {
		errorf(env, "interrupted")
		return ExitInterrupted
	}
	errorf(env, "%v", err)
	return ExitFailure
}

// predictFile reads one picture, within the server's size limit, decodes
// it, and classifies it holding running: one picture at a time runs the
// network (on every core the engine uses) while the next is read and
// decoded.
func predictFile(ctx context.Context, c *classify.Classifier, path string, maxBytes int64, opts classify.Options,
	running *sync.Mutex) (*classify.Result, error) {
	start := time.Now()
	data, err := loader.ReadFile(ctx, path, maxBytes)
	if errors.Is(err, loader.ErrTooLarge) {
		return nil, fmt.Errorf("%w (--max-bytes)", err)
	}
	if err != nil {
		return nil, err // it names the path
	}
	read := time.Since(start)
	img, err := c.Decode(data, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	decoded := time.Since(start) - read
	running.Lock()
	res, err := c.ClassifyImage(ctx, img, opts)
	running.Unlock()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	res.Timings.Fetch, res.Timings.Decode = read, decoded
	res.Timings.Total += read + decoded
	return res, nil
}

// millis is a duration in milliseconds, written rounded to 0.01 ms.
type millis float64

func (m millis) MarshalJSON() ([]byte, error) {
	return strconv.AppendFloat(nil, math.Round(float64(m)*100)/100, 'f', -1, 64), nil
}

// predictLine is one line of `predict --json`: the API's answer with the
// file's name, timings rounded.
type predictLine struct {
	File        string            `json:"file"`
	Model       string            `json:"model"`
	Predictions []wire.Prediction `json:"predictions"`
	Image       wire.ImageInfo    `json:"image"`
	Timings     struct {
		Fetch      millis `json:"fetch"`
		Decode     millis `json:"decode"`
		Preprocess millis `json:"preprocess"`
		Inference  millis `json:"inference"`
		Total      millis `json:"total"`
	} `json:"timings_ms"`
}

func jsonResult(file string, res *classify.Result) predictLine {
	r := api.NewResponse(res)
	l := predictLine{File: file, Model: r.Model, Predictions: r.Predictions, Image: r.Image}
	t := r.Timings
	l.Timings.Fetch, l.Timings.Decode, l.Timings.Preprocess = millis(t.Fetch), millis(t.Decode), millis(t.Preprocess)
	l.Timings.Inference, l.Timings.Total = millis(t.Inference), millis(t.Total)
	return l
}

// printTable writes one picture's answer for people. Rows that would show
// 0.00% are left out: they say nothing and crowd the ones that do.
func printTable(env *Env, file string, res *classify.Result) {
	w := env.Stdout
	fmt.Fprintf(w, "%s  %dx%d %s  %s  %.1f ms (decode %.1f, preprocess %.1f, inference %.1f)\n",
		file, res.Image.Width, res.Image.Height, res.Image.Format, res.Model,
		wire.Millis(res.Timings.Total), wire.Millis(res.Timings.Decode), wire.Millis(res.Timings.Preprocess),
		wire.Millis(res.Timings.Inference))
	shown := 0
	for i, p := range res.Predictions {
		if 100*p.Score < 0.005 {
			continue
		}
		label := p.Label
		if label == "" {
			label = "(no label)"
		}
		bar := strings.Repeat("█", int(p.Score*20+0.5))
		fmt.Fprintf(w, "  %d. %-5d %-32s %6.2f%%  %s\n", i+1, p.Index, truncate(label, 32), 100*p.Score, bar)
		shown++
	}
	if shown == 0 {
		fmt.Fprintln(w, "  (no prediction above the threshold)")
	}
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// normalizationFlags declares --input-mean and --input-std on fs, for
// `predict` and `serve`; the function it returns parses them once fs is
// parsed: nil when neither is given, which leaves a model's metadata (or
// the default) in force.
func normalizationFlags(fs *flag.FlagSet) func() (*classify.Normalization, error) {
	mean := fs.String("input-mean", "", "float models: pixel mean, one value or three (R,G,B); default: the model's metadata, else 127.5")
	std := fs.String("input-std", "", "float models: pixel standard deviation, as --input-mean; default: the metadata's, else 127.5 (use 0 and 255 for [0, 1] inputs)")
	return func() (*classify.Normalization, error) { return parseNormalization(*mean, *std) }
}

// parseNormalization parses --input-mean and --input-std: both or neither,
// each one number or three separated by commas.
func parseNormalization(mean, std string) (*classify.Normalization, error) {
	if mean == "" && std == "" {
		return nil, nil
	}
	if mean == "" || std == "" {
		return nil, errors.New("--input-mean and --input-std go together")
	}
	var n classify.Normalization
	for _, f := range []struct {
		name, value string
		into        *[]float32
	}{{"--input-mean", mean, &n.Mean}, {"--input-std", std, &n.Std}} {
		for _, part := range strings.Split(f.value, ",") {
			v, err := strconv.ParseFloat(strings.TrimSpace(part), 32)
			if err != nil {
				return nil, fmt.Errorf("%s: %q is not a number", f.name, part)
			}
			*f.into = append(*f.into, float32(v))
		}
	}
	if err := n.Check(); err != nil {
		return nil, fmt.Errorf("--input-mean %s --input-std %s: %w", mean, std, err)
	}
	return &n, nil
}
