package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/classifly/classifly/engine"
	"github.com/classifly/classifly/loader"
)

// runRaw is `classifly run`: raw tensor bytes through the engine, for
// debugging and comparison with other runtimes.
func runRaw(ctx context.Context, env *Env, args []string) int {
	fs := newFlagSet(env, "run", "--model M --in IN --out OUT")
	model := fs.String("model", "", "path to a .tflite file (or a known model name)")
	in := fs.String("in", "", "input tensor file, or a folder of NAME.input.bin files")
	out := fs.String("out", "", "output tensor file, or a folder for NAME.output.bin files")
	offline := fs.Bool("offline", false, "never download a model")
	rest, code, ok := parse(fs, args)
	if !ok {
		return code
	}
	var missing []string
	for _, f := range []struct{ name, value string }{{"--model", *model}, {"--in", *in}, {"--out", *out}} {
		if f.value == "" {
			missing = append(missing, f.name)
		}
	}
	switch {
	case len(missing) > 0:
		return usageError(fs, "%s required", strings.Join(missing, ", "))
	case len(rest) > 0:
		return usageError(fs, "takes no arguments (got %q); name the input with --in", rest[0])
	}
	res, err := resolver(env, *offline).Resolve(ctx, *model, "")
	if err != nil {
		return failure(ctx, env, err)
	}
	m, err := loader.Model(ctx, res, engine.Options{})
	if err != nil {
		return failure(ctx, env, err)
	}
	st, err := os.Stat(*in)
	if err != nil {
		errorf(env, "%v", err)
		return ExitFailure
	}
	if !st.IsDir() {
		if err := runOne(ctx, m, *in, *out); err != nil {
			return failure(ctx, env, err)
		}
		return ExitOK
	}
	inputs, err := filepath.Glob(filepath.Join(*in, "*.input.bin"))
	if err != nil || len(inputs) == 0 {
		errorf(env, "%s: no NAME.input.bin files", *in)
		return ExitFailure
	}
	sort.Strings(inputs)
	if err := os.MkdirAll(*out, 0o755); err != nil {
		errorf(env, "%v", err)
		return ExitFailure
	}
	status := ExitOK
	for _, p := range inputs {
		name := strings.TrimSuffix(filepath.Base(p), ".input.bin")
		if err := runOne(ctx, m, p, filepath.Join(*out, name+".output.bin")); err != nil {
			errorf(env, "%v", err)
			status = ExitFailure
			continue
		}
		fmt.Fprintf(env.Stdout, "%s.input.bin -> %s.output.bin\n", name, name)
	}
	return status
}

func runOne(ctx context.Context, m *engine.Model, inPath, outPath string) error {
	// A right input has exactly the tensor's size: no need to read more.
	in, err := loader.ReadFile(ctx, inPath, int64(m.Input().Bytes()))
	if err != nil {
		return fmt.Errorf("input tensor %w", err)
	}
	out := make([]byte, m.Output().Bytes())
	if err := m.Run(ctx, in, out); err != nil {
		return fmt.Errorf("%s: %w", inPath, err)
	}
	return os.WriteFile(outPath, out, 0o644)
}
