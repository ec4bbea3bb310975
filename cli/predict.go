package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/classifly/classifly/api"
	"github.com/classifly/classifly/classify"
	"github.com/classifly/classifly/engine"
	"github.com/classifly/classifly/imageprep"
	"github.com/classifly/classifly/registry"
	"github.com/classifly/classifly/wire"
)

// imageExts are the names a folder walk picks up; files named on the command
// line are tried whatever their name, since formats are sniffed.
var imageExts = map[string]bool{".jpg": true, ".jpeg": true, ".png": true, ".gif": true, ".bmp": true, ".webp": true}

func runPredict(ctx context.Context, env *Env, args []string) int {
	fs := newFlagSet(env, "predict", "IMAGE|DIR...")
	model := fs.String("model", registry.DefaultModel, "known model name or path to a .tflite file")
	labels := fs.String("labels", "", "labels file (default: the model's own, or one beside the file)")
	top := fs.Int("top", classify.DefaultTopK, "how many predictions per image")
	threshold := fs.Float64("threshold", 0, "hide predictions scoring below this (0..1)")
	crop := fs.String("crop", "none", "none: whole image; center: ImageNet-style 87.5% central crop")
	asJSON := fs.Bool("json", false, "one JSON object per line instead of a table")
	maxPixels := fs.Int64("max-pixels", imageprep.DefaultMaxPixels, "refuse images with more pixels than this")
	offline := fs.Bool("offline", false, "never download a model")
	paths, code, ok := parse(fs, args)
	if !ok {
		return code
	}
	if len(paths) == 0 {
		fs.Usage()
		return ExitUsage
	}
	cropMode, err := imageprep.ParseCrop(*crop)
	if err != nil {
		errorf(env, "--crop: %v", err)
		return ExitUsage
	}
	if *top < 1 || *threshold < 0 || *threshold > 1 || *maxPixels < 1 {
		errorf(env, "--top must be at least 1, --threshold in 0..1, --max-pixels positive")
		return ExitUsage
	}
	files, failed := expand(env, paths)
	r := resolver(env, *offline)
	c, _, err := classify.Load(ctx, r, *model, *labels, engine.Options{})
	if err != nil {
		errorf(env, "%v", err)
		return ExitFailure
	}
	opts := classify.Options{TopK: *top, Threshold: float32(*threshold), Crop: cropMode, MaxPixels: *maxPixels}
	enc := json.NewEncoder(env.Stdout)
	for i, f := range files {
		res, err := predictFile(ctx, c, f, opts)
		if err != nil {
			errorf(env, "%s: %v", f, err)
			failed = true
			continue
		}
		if *asJSON {
			line := struct {
				File string `json:"file"`
				*wire.Response
			}{f, api.NewResponse(res)}
			if err := enc.Encode(line); err != nil {
				errorf(env, "writing output: %v", err)
				return ExitFailure
			}
			continue
		}
		if i > 0 {
			fmt.Fprintln(env.Stdout)
		}
		printTable(env, f, res)
	}
	if failed {
		return ExitFailure
	}
	return ExitOK
}

func predictFile(ctx context.Context, c *classify.Classifier, path string, opts classify.Options) (*classify.Result, error) {
	start := time.Now()
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	read := time.Since(start)
	res, err := c.ClassifyBytes(ctx, data, opts)
	if err != nil {
		return nil, err
	}
	res.Timings.Fetch = read
	res.Timings.Total += read
	return res, nil
}

// expand turns the arguments into a list of files: folders are walked for
// image files, sorted. Problems are reported and flagged, not fatal.
func expand(env *Env, paths []string) (files []string, failed bool) {
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			errorf(env, "%v", err)
			failed = true
			continue
		}
		if !st.IsDir() {
			files = append(files, p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				errorf(env, "%v", err)
				failed = true
				return nil
			}
			if d.Type().IsRegular() && imageExts[strings.ToLower(filepath.Ext(path))] {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			errorf(env, "%s: %v", p, err)
			failed = true
		}
		if len(found) == 0 {
			errorf(env, "%s: no image files (%s)", p, extList())
			failed = true
		}
		sort.Strings(found)
		files = append(files, found...)
	}
	return files, failed
}

func extList() string {
	var exts []string
	for e := range imageExts {
		exts = append(exts, e)
	}
	sort.Strings(exts)
	return strings.Join(exts, " ")
}

func printTable(env *Env, file string, res *classify.Result) {
	w := env.Stdout
	fmt.Fprintf(w, "%s  %dx%d %s  %s  %.1f ms (decode %.1f, preprocess %.1f, inference %.1f)\n",
		file, res.Image.Width, res.Image.Height, res.Image.Format, res.Model,
		wire.Millis(res.Timings.Total), wire.Millis(res.Timings.Decode), wire.Millis(res.Timings.Preprocess),
		wire.Millis(res.Timings.Inference))
	if len(res.Predictions) == 0 {
		fmt.Fprintln(w, "  (no prediction above the threshold)")
	}
	for i, p := range res.Predictions {
		label := p.Label
		if label == "" {
			label = "(no label)"
		}
		bar := strings.Repeat("█", int(p.Score*20+0.5))
		fmt.Fprintf(w, "  %d. %-5d %-32s %6.2f%%  %s\n", i+1, p.Index, truncate(label, 32), 100*p.Score, bar)
	}
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// resolver builds the model resolver from the environment.
func resolver(env *Env, offline bool) *registry.Resolver {
	r := registry.NewResolverFromEnv()
	r.ModelDir = env.Getenv(registry.EnvModelDir)
	r.Offline = offline
	r.Progress = env.Stderr
	return r
}
