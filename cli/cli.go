package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Exit statuses.
const (
	ExitOK      = 0
	ExitFailure = 1 // some input failed; the rest were answered
	ExitUsage   = 2
)

// ExitInterrupted is the status after SIGINT or SIGTERM ended a run, as
// shells report a process killed by SIGINT (128+2).
const ExitInterrupted = 130

// Env is what a command may touch: its streams and environment lookups, so
// tests can run commands in-process.
type Env struct {
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	// Version is the program's version when the build set one (-ldflags
	// "-X main.version=v1.2.3"); "" means: from the build information.
	Version string
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
		"models":  {"list the known models (or those named): where each was found, format, input, normalization, labels", runModels},
		"bench":   {"measure load time, latency and throughput of the engine", runBench},
		"serve":   {"serve the web UI and the HTTP API (roles: all, proxy, endpoint)", runServe},
		"image":   {"build the SageMaker container image and the Lambda zip; push the image to ECR", runImage},
		"model":   {"package models as the model.tar.gz of a SageMaker model", runModel},
		"version": {"print the version (also --version)", runVersion},
	}
}

// Main runs the classifly command line and returns the exit status.
func Main(ctx context.Context, args []string, env *Env) int {
	if env.Getenv == nil {
		env.Getenv = os.Getenv
	}
	cmds := commands()
	if len(args) == 0 {
		fmt.Fprintln(env.Stderr, "classifly: no command given")
		usage(env.Stderr, cmds)
		return ExitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		usage(env.Stdout, cmds)
		return ExitOK
	case "-version", "--version":
		return runVersion(ctx, env, args[1:])
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
	fmt.Fprintln(w, "\nThe default model is built in; other models are looked up in $CLASSIFLY_MODEL_DIR,")
	fmt.Fprintln(w, "then the user cache, then downloaded (unless --offline).")
	fmt.Fprintln(w, "Run 'classifly COMMAND -h' for a command's flags; 'classifly --version' for the version.")
}

// newFlagSet makes a command's flag set. Its Usage prints the help on
// stdout, for -h; its output is stderr, where usageError reports.
func newFlagSet(env *Env, name, argsUsage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() { printHelp(env.Stdout, fs, argsUsage) }
	return fs
}

// printHelp writes a command's help, flags spelled --name as the README
// writes them.
func printHelp(w io.Writer, fs *flag.FlagSet, argsUsage string) {
	line := "Usage: classifly " + fs.Name()
	hasFlags := false
	fs.VisitAll(func(*flag.Flag) { hasFlags = true })
	if hasFlags {
		line += " [flags]"
	}
	if argsUsage != "" {
		line += " " + argsUsage
	}
	fmt.Fprintln(w, line)
	if text := about(fs.Name()); text != "" {
		fmt.Fprintf(w, "\n%s\n", text)
	}
	if !hasFlags {
		return
	}
	fmt.Fprintln(w, "\nFlags:")
	fs.VisitAll(func(f *flag.Flag) {
		arg, text := flag.UnquoteUsage(f)
		if arg == "value" { // a repeatable list flag: each value a string
			arg = "string"
		}
		head := "  --" + f.Name
		if arg != "" {
			head += " " + arg
		}
		if def := f.DefValue; def != "" && def != "0" && def != "false" && def != "[]" {
			if arg == "string" {
				def = strconv.Quote(def)
			}
			text += " (default " + def + ")"
		}
		fmt.Fprintf(w, "%s\n    \t%s\n", head, strings.ReplaceAll(text, "\n", "\n    \t"))
	})
}

// about is the longer description some commands' help starts with.
func about(name string) string {
	switch name {
	case "predict":
		return `Classifies each picture and prints its top predictions. A folder is searched
recursively for files named *.jpg, *.jpeg, *.png, *.gif, *.bmp or *.webp
(symbolic links to files are followed, links to folders are not); other files
are skipped and counted. Only regular files up to --max-bytes are read: a
device, a named pipe or a link loop is reported and the run goes on. The exit
status is 1 if any picture failed, 2 for a usage error.`
	case "models":
		return `Lists the known models: where each was found ($CLASSIFLY_MODEL_DIR, built into
the binary, the user cache) or the URL it downloads from on first use.`
	}
	return ""
}

// parse parses flags, allowing them after positional arguments too
// (classifly predict cat.bmp --top 3). It prints the help for -h and the
// reason for a bad flag; ok is false when the command must return code.
func parse(fs *flag.FlagSet, args []string) (pos []string, code int, ok bool) {
	// The flag package prints errors and calls Usage on its own; quiet it,
	// so that -h prints the help alone and an error its reason alone.
	help, stderr := fs.Usage, fs.Output()
	fs.Usage = func() {}
	fs.SetOutput(io.Discard)
	defer func() { fs.Usage = help; fs.SetOutput(stderr) }()
	// After "--" everything is an argument, even what starts with "-".
	var tail []string
	if i := slices.Index(args, "--"); i >= 0 {
		args, tail = args[:i], args[i+1:]
	}
	defer func() { pos = append(pos, tail...) }()
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				help()
				return nil, ExitOK, false
			}
			fs.SetOutput(stderr)
			return nil, usageError(fs, "%s", doubleDash(err.Error())), false
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, 0, true
		}
		// Collect the run of positional arguments up to the next flag.
		for len(args) > 0 && (args[0] == "-" || !strings.HasPrefix(args[0], "-")) {
			pos = append(pos, args[0])
			args = args[1:]
		}
		if len(args) == 0 {
			return pos, 0, true
		}
	}
}

// parseNoArgs is parse for a command that takes flags only: it refuses
// positional arguments, with hint (if any) saying where they belong.
func parseNoArgs(fs *flag.FlagSet, args []string, hint string) (code int, ok bool) {
	rest, code, ok := parse(fs, args)
	if !ok {
		return code, false
	}
	if len(rest) > 0 {
		return usageError(fs, "takes no arguments (got %q)%s", rest[0], hint), false
	}
	return 0, true
}

// flagInMessage is a flag name as the flag package's errors write it:
// "-name" after a space, as in "flag provided but not defined: -bogus".
var flagInMessage = regexp.MustCompile(`(^| )-([A-Za-z][A-Za-z0-9-]*)`)

// doubleDash respells the flag package's "-name" as "--name", the way the
// README and the help spell flags (both forms are accepted). Quoted text
// is the user's value and stays as it was.
func doubleDash(msg string) string {
	parts := strings.Split(msg, `"`)
	for i := 0; i < len(parts); i += 2 {
		parts[i] = flagInMessage.ReplaceAllString(parts[i], "$1--$2")
	}
	return strings.Join(parts, `"`)
}

// usageError reports a usage error of fs's command — the reason, then where
// to find the flags — on the flag set's output (stderr) and returns
// ExitUsage.
func usageError(fs *flag.FlagSet, format string, args ...any) int {
	w := fs.Output()
	fmt.Fprintf(w, "classifly %s: %s\n", fs.Name(), fmt.Sprintf(format, args...))
	fmt.Fprintf(w, "Run 'classifly %s -h' for help.\n", fs.Name())
	return ExitUsage
}

// errorf prints a command error.
func errorf(env *Env, format string, args ...any) {
	fmt.Fprintf(env.Stderr, "classifly: "+format+"\n", args...)
}
