package cli

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/classifly/classifly/registry"
)

// runModels is `classifly models`: every known model and where it is.
func runModels(_ context.Context, env *Env, args []string) int {
	fs := newFlagSet(env, "models", "")
	if code, ok := parseNoArgs(fs, args, ""); !ok {
		return code
	}
	r := resolver(env, true)
	tw := tabwriter.NewWriter(env.Stdout, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tINPUT\tFOUND IN\tPATH / SOURCE")
	for _, m := range registry.Known() {
		where, source := m.URL, "not found (downloads on first use)"
		if p, src, ok := r.Locate(m); ok {
			where, source = p, src
			if src == registry.SourceEmbedded {
				where = "built into this classifly binary"
			}
		}
		name := m.Name
		if name == registry.DefaultModel {
			name += " (default)"
		}
		fmt.Fprintf(tw, "%s\t%dx%d\t%s\t%s\n", name, m.InputSize, m.InputSize, source, where)
	}
	if err := tw.Flush(); err != nil {
		errorf(env, "%v", err)
		return ExitFailure
	}
	dir := r.ModelDir
	switch {
	case dir == "":
		dir = "not set"
	case r.CheckModelDir() != nil:
		dir += " (missing: see the warning above)"
	}
	fmt.Fprintf(env.Stdout, "\n$%s: %s; cache: %s\n", registry.EnvModelDir, dir, r.CacheDir)
	return ExitOK
}
