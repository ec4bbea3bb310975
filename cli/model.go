package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/classifly/classifly/registry"
	"github.com/classifly/classifly/sagemaker"
)

// runModel is `classifly model SUBCOMMAND`.
func runModel(ctx context.Context, env *Env, args []string) int {
	const usage = "Usage: classifly model package [--out dist/model.tar.gz] [--model NAME]... [--offline]"
	switch {
	case len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help"):
		fmt.Fprintln(env.Stdout, usage)
		return ExitOK
	case len(args) == 0:
		fmt.Fprintf(env.Stderr, "classifly model: name a subcommand\n%s\n", usage)
		return ExitUsage
	case args[0] != "package":
		fmt.Fprintf(env.Stderr, "classifly model: unknown subcommand %q\n%s\n", args[0], usage)
		return ExitUsage
	}
	return runModelPackage(ctx, env, args[1:])
}

// runModelPackage writes the model.tar.gz of a SageMaker model.
func runModelPackage(ctx context.Context, env *Env, args []string) int {
	fs := newFlagSet(env, "model package", "")
	out := fs.String("out", filepath.Join("dist", "model.tar.gz"), "archive to write")
	var models listFlag
	fs.Var(&models, "model", "model to include, known name or .tflite path; repeatable, the first is the default (default "+registry.DefaultModel+")")
	offline := fs.Bool("offline", false, "never download a model")
	if code, ok := parseNoArgs(fs, args, "; name models with --model"); !ok {
		return code
	}
	entries, err := resolveModels(ctx, env, models, *offline)
	if err != nil {
		errorf(env, "%v", err)
		return ExitFailure
	}
	if err := writeFileAtomic(*out, func(f *os.File) error {
		m, err := sagemaker.WriteModelArchive(f, entries)
		if err == nil {
			for _, mm := range m.Models {
				fmt.Fprintf(env.Stderr, "  %s  %s (%d bytes, labels %s)\n", mm.SHA256[:12], mm.File, mm.Bytes, or(mm.Labels, "none"))
			}
		}
		return err
	}); err != nil {
		errorf(env, "%v", err)
		return ExitFailure
	}
	st, _ := os.Stat(*out)
	fmt.Fprintf(env.Stdout, "%s: %d bytes, %d model(s), default %s\n", *out, st.Size(), len(entries), entries[0].Name)
	return ExitOK
}

// resolveModels finds the files of the named models (default: the default
// model), downloading known ones unless offline.
func resolveModels(ctx context.Context, env *Env, names []string, offline bool) ([]sagemaker.ArchiveModel, error) {
	if len(names) == 0 {
		names = []string{registry.DefaultModel}
	}
	r := resolver(env, offline)
	var out []sagemaker.ArchiveModel
	for _, n := range names {
		res, err := r.Resolve(ctx, n, "")
		if err != nil {
			return nil, err
		}
		out = append(out, sagemaker.ArchiveModel{Name: res.Name, Path: res.Path, LabelsPath: res.LabelsPath})
	}
	return out, nil
}

// writeFileAtomic writes path through a temporary file in the same folder,
// so that an interrupted run never leaves half a file behind.
func writeFileAtomic(path string, write func(*os.File) error) error {
	return writePathAtomic(path, func(tmp string) error {
		f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_TRUNC, 0)
		if err != nil {
			return err
		}
		if err := write(f); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	})
}

// writePathAtomic lets write fill a temporary path, then renames it to path.
func writePathAtomic(path string, write func(tmp string) error) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	f.Close()
	defer os.Remove(tmp)
	if err := write(tmp); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
