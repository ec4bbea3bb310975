package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// Exit statuses.
const (
	ExitOK      = 0
	ExitFailure = 1 // some input failed; the rest were answered
	ExitUsage   = 2
)

// Env is what a command may touch: its streams and environment lookups, so
// tests can run commands in-process.
type Env struct {
	Stdout, Stderr io.Writer
	Getenv         func(string) string
}

// command is one subcommand.
type command struct {
	summary string
	run     func(ctx context.Context, env *Env, args []string) int
}

func commands() map[string]command {
	return map[string]command{
		"predict": {"classify pictures: top-k labels and scores", runPredict},
		"run":     {"run a model on raw input tensors (the golden files' format)", runRaw},
		"models":  {"list the known models and where each was found", runModels},
		"bench":   {"measure load time, latency and throughput of the engine", runBench},
		"serve":   {"serve the web UI and the HTTP API (roles: all, proxy, endpoint)", runServe},
		"image":   {"build the SageMaker container image and the Lambda zip; push the image to ECR", runImage},
		"model":   {"package models as the model.tar.gz of a SageMaker model", runModel},
	}
}

// Main runs the classifly command line and returns the exit status.
func Main(ctx context.Context, args []string, env *Env) int {
	if env.Getenv == nil {
		env.Getenv = os.Getenv
	}
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(env.Stderr, cmds)
		if len(args) == 0 {
			return ExitUsage
		}
		return ExitOK
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(env.Stderr, "classifly: unknown command %q\n\n", args[0])
		usage(env.Stderr, cmds)
		return ExitUsage
	}
	return cmd.run(ctx, env, args[1:])
}

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "classifly: image classification with a pure-Go TFLite engine")
	fmt.Fprintln(w, "\nUsage: classifly COMMAND [flags] [args]\n\nCommands:")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nModels are looked up in $CLASSIFLY_MODEL_DIR, then the user cache, then downloaded.")
	fmt.Fprintln(w, "Run 'classifly COMMAND -h' for a command's flags.")
}

// newFlagSet makes a flag set that reports to env.Stderr.
func newFlagSet(env *Env, name, argsUsage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(env.Stderr, "Usage: classifly %s [flags] %s\n\nFlags:\n", name, argsUsage)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags, allowing them after positional arguments too
// (classifly predict cat.bmp --top 3), and maps errors to an exit status.
func parse(fs *flag.FlagSet, args []string) ([]string, int, bool) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, ExitOK, false
			}
			return nil, ExitUsage, false
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, 0, true
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), 0, true
		}
		pos = append(pos, args[0])
		args = args[1:]
		if len(args) == 0 || !strings.HasPrefix(args[0], "-") {
			// Collect the run of positional arguments up to the next flag.
			for len(args) > 0 && !strings.HasPrefix(args[0], "-") {
				pos = append(pos, args[0])
				args = args[1:]
			}
			if len(args) == 0 {
				return pos, 0, true
			}
		}
	}
}

// errorf prints a command error.
func errorf(env *Env, format string, args ...any) {
	fmt.Fprintf(env.Stderr, "classifly: "+format+"\n", args...)
}
