package cli

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/classifly/classifly/loader"
	"github.com/classifly/classifly/registry"
)

// runModels is `classifly models`: every known model and where it is, or
// the models named (known names or .tflite paths); for each one found, its
// format, input size, input normalization and where its labels come from.
func runModels(ctx context.Context, env *Env, args []string) int {
	fs := newFlagSet(env, "models", "[MODEL...]")
	rest, code, ok := parse(fs, args)
	if !ok {
		return code
	}
	r := resolver(env, true)
	tw := tabwriter.NewWriter(env.Stdout, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tINPUT\tFOUND IN\tFORMAT\tNORMALIZATION\tLABELS\tPATH / SOURCE")
	status := ExitOK
	if len(rest) > 0 {
		for _, name := range rest {
			res, err := r.Resolve(ctx, name, "")
			if err != nil {
				errorf(env, "%v", err)
				status = ExitFailure
				continue
			}
			d, err := loader.Describe(ctx, res)
			if err != nil {
				errorf(env, "%v", err)
				status = ExitFailure
				continue
			}
			where := res.Path
			if res.Source == registry.SourceEmbedded {
				where = "built into this classifly binary"
			}
			fmt.Fprintf(tw, "%s\t%dx%d\t%s\t%s\t%s\t%s\t%s\n", res.Name, d.Width, d.Height, res.Source, d.Format, d.Normalization, d.Labels, where)
		}
	} else {
		for _, m := range registry.Known() {
			where, source := m.URL, "not found (downloads on first use)"
			d := loader.Description{Format: "-", Width: m.InputSize, Height: m.InputSize, Normalization: "-", Labels: m.Labels}
			if p, src, ok := r.Locate(m); ok {
				where, source = p, src
				if src == registry.SourceEmbedded {
					where = "built into this classifly binary"
				}
				if res, err := r.Resolve(ctx, m.Name, ""); err == nil {
					if got, err := loader.Describe(ctx, res); err == nil {
						d = got
					}
				}
			}
			name := m.Name
			if name == registry.DefaultModel {
				name += " (default)"
			}
			fmt.Fprintf(tw, "%s\t%dx%d\t%s\t%s\t%s\t%s\t%s\n", name, d.Width, d.Height, source, d.Format, d.Normalization, d.Labels, where)
		}
	}
	if err := tw.Flush(); err != nil {
		errorf(env, "%v", err)
		return ExitFailure
	}
	if len(rest) > 0 {
		return status
	}
	dir := r.ModelDir
	switch {
	case dir == "":
		dir = "not set"
	case r.CheckModelDir() != nil:
		dir += " (missing: see the warning above)"
	}
	fmt.Fprintf(env.Stdout, "\n$%s: %s; cache: %s\n", registry.EnvModelDir, dir, r.CacheDir)
	return status
}
