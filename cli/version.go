package cli

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
)

// runVersion is `classifly version` and `classifly --version`.
func runVersion(_ context.Context, env *Env, args []string) int {
	fs := newFlagSet(env, "version", "")
	if code, ok := parseNoArgs(fs, args, ""); !ok {
		return code
	}
	fmt.Fprintf(env.Stdout, "classifly %s (%s, %s/%s)\n", version(env.Version), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return ExitOK
}

// version is set, if the build set it, else the module version that go
// install records, else the VCS revision go build stamps in a checkout
// ("devel 1a2b3c4d5e6f+dirty 2026-12-04T15:30:00Z"), else "devel".
func version(set string) string {
	if set != "" {
		return set
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, at, dirty string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = " " + s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if rev == "" {
		return "devel"
	}
	return "devel " + rev[:min(12, len(rev))] + dirty + at
}
