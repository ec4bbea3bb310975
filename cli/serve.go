package cli

import (
	"context"
	"flag"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"

	"github.com/classifly/classifly/api"
	"github.com/classifly/classifly/registry"
	"github.com/classifly/classifly/server"
	"github.com/classifly/classifly/web"
)

// Environment variables read by `classifly serve`.
const (
	// EnvSageMakerPort is the port SageMaker may ask a container to use.
	EnvSageMakerPort = "SAGEMAKER_BIND_TO_PORT"
)

// webUI is the embedded web UI, mounted at "/" in the all and proxy roles.
func webUI() http.Handler { return web.Handler() }

// runServe is `classifly serve`.
func runServe(ctx context.Context, env *Env, args []string) int {
	fs := newFlagSet(env, "serve", "")
	// Every API setting is a flag and a CLASSIFLY_ variable (api.EnvName);
	// the flag wins.
	cfg, err := api.ConfigFromEnv(env.Getenv)
	if err != nil {
		errorf(env, "%v", err)
		return ExitUsage
	}
	var models listFlag
	addr := fs.String("addr", "", "listen address (default :$"+EnvSageMakerPort+" if set, else :8080)")
	role := fs.String("role", "all", "all: UI + API + models; proxy: UI + API, inference at --endpoint; endpoint: SageMaker model container")
	endpoint := fs.String("endpoint", "", "proxy role: base URL of the model endpoint (e.g. http://127.0.0.1:8081)")
	fs.Var(&models, "model", "model to serve, known name or .tflite path; repeat for several (default "+
		"mobilenet_v2_1.0_224_quant; endpoint role: every .tflite in "+server.SageMakerModelDir+" if it exists)")
	offline := fs.Bool("offline", false, "never download a model")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	drain := fs.Duration("drain-timeout", server.DefaultDrainTimeout, "on SIGTERM, how long in-flight requests may take to finish")
	normalization := normalizationFlags(fs)

	cfg.Flags(fs)

	rest, code, ok := parse(fs, args)
	if !ok {
		return code
	}
	// SageMaker starts the container as `IMAGE serve`: accept that word.
	if len(rest) > 1 || len(rest) == 1 && rest[0] != "serve" {
		return usageError(fs, "takes no arguments (got %q); name models with --model", rest[0])
	}
	r, err := server.ParseRole(*role)
	if err != nil {
		return usageError(fs, "--role: %v", err)
	}
	norm, err := normalization()
	if err != nil {
		return usageError(fs, "%v", err)
	}
	if norm != nil && r == server.RoleProxy {
		return usageError(fs, "--input-mean and --input-std apply where the models run: the endpoint, not a proxy")
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return usageError(fs, "--log-level: %v", err)
	}
	logger := slog.New(slog.NewJSONHandler(env.Stderr, &slog.HandlerOptions{Level: level}))

	if *addr == "" {
		*addr = server.DefaultAddr
		if p := env.Getenv(EnvSageMakerPort); p != "" {
			*addr = ":" + p
		}
	}
	var defaultModel string // the model archive's, in a SageMaker container
	if r == server.RoleEndpoint && len(models) == 0 {
		if st, err := os.Stat(server.SageMakerModelDir); err == nil && st.IsDir() {
			if models, defaultModel, err = server.ModelDir(server.SageMakerModelDir); err != nil {
				errorf(env, "%v", err)
				return ExitFailure
			}
		}
	}
	res := resolver(env, *offline)
	s, err := server.New(server.Options{
		Role: r, Addr: *addr, Endpoint: *endpoint, Models: models, Default: defaultModel, Resolver: res,
		Normalization: norm, API: cfg, UI: webUI(), Logger: logger, DrainTimeout: *drain,
	})
	if err != nil {
		return usageError(fs, "%v", err)
	}
	// Find (or download) the models and take the port before listening is
	// announced, so that a missing model or a busy port is one plain line
	// and no server starts only to stop.
	if r != server.RoleProxy {
		if len(models) == 0 {
			models = []string{registry.DefaultModel}
		}
		for _, m := range models {
			if _, err := res.Resolve(ctx, m, ""); err != nil {
				return failure(ctx, env, err)
			}
		}
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return failure(ctx, env, err)
	}
	if err := s.Serve(ctx, ln); err != nil {
		// A model that failed to load is in the log already; this line is
		// the summary a person reads last.
		errorf(env, "serve: %v", err)
		return ExitFailure
	}
	return ExitOK
}

// listFlag is a repeatable string flag; each value may also be a
// comma-separated list.
type listFlag []string

var _ flag.Value = (*listFlag)(nil)

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	*l = append(*l, api.SplitModels(v)...)
	return nil
}
