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
	// EnvAPIKeyHashes holds comma-separated hex SHA-256 digests of API keys.
	EnvAPIKeyHashes = "CLASSIFLY_API_KEY_HASHES"
)

// webUI is the embedded web UI, mounted at "/" in the all and proxy roles.
func webUI() http.Handler { return web.Handler() }

// runServe is `classifly serve`.
func runServe(ctx context.Context, env *Env, args []string) int {
	fs := newFlagSet(env, "serve", "")
	var cfg api.Config
	var models, fetchAllow, origins, keyHashes, audiences listFlag
	addr := fs.String("addr", "", "listen address (default :$"+EnvSageMakerPort+" if set, else :8080)")
	role := fs.String("role", "all", "all: UI + API + models; proxy: UI + API, inference at --endpoint; endpoint: SageMaker model container")
	endpoint := fs.String("endpoint", "", "proxy role: base URL of the model endpoint (e.g. http://127.0.0.1:8081)")
	fs.Var(&models, "model", "model to serve, known name or .tflite path; repeat for several (default "+
		"mobilenet_v2_1.0_224_quant; endpoint role: every .tflite in "+server.SageMakerModelDir+" if it exists)")
	offline := fs.Bool("offline", false, "never download a model")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	drain := fs.Duration("drain-timeout", server.DefaultDrainTimeout, "on SIGTERM, how long in-flight requests may take to finish")

	l := &cfg.Limits
	fs.Int64Var(&l.MaxBodyBytes, "max-body-bytes", api.DefaultMaxBodyBytes, "largest request body (413 beyond)")
	fs.Int64Var(&l.MaxPixels, "max-pixels", api.DefaultMaxPixels, "largest image, width×height from its header, checked before decoding (413 beyond)")
	fs.IntVar(&l.MaxTopK, "max-top-k", api.DefaultMaxTopK, "largest top_k (422 beyond)")
	fs.DurationVar(&l.RequestTimeout, "request-timeout", api.DefaultRequestTimeout, "deadline of one request, fetch and queue included (504 beyond)")
	fs.IntVar(&l.MaxConcurrent, "concurrency", 0, "classifications at once (default: GOMAXPROCS; proxy: 64)")
	fs.IntVar(&l.MaxQueue, "queue", api.DefaultMaxQueue, "requests waiting for a classification slot; -1 for none (503 beyond)")
	fs.DurationVar(&l.QueueTimeout, "queue-timeout", api.DefaultQueueTimeout, "longest wait in the queue (503 beyond)")
	fs.IntVar(&l.MaxInFlight, "max-in-flight", api.DefaultMaxInFlight, "/predict requests in any stage (503 beyond)")

	f := &cfg.Fetch
	fs.BoolVar(&f.Disabled, "no-fetch", false, "refuse image_url")
	fs.Int64Var(&f.MaxBytes, "fetch-max-bytes", api.DefaultFetchMaxBytes, "largest image fetched from image_url (413 beyond)")
	fs.DurationVar(&f.Timeout, "fetch-timeout", api.DefaultFetchTimeout, "image_url fetch deadline, redirects included (504 beyond)")
	fs.IntVar(&f.MaxRedirects, "fetch-max-redirects", api.DefaultFetchMaxRedirects, "redirects followed by an image_url fetch; -1 for none")
	fs.Var(&fetchAllow, "fetch-allow", "host name or CIDR that image_url may reach despite the private-address checks; repeatable")

	fs.Var(&origins, "cors-origin", "origin allowed to call the API from a browser (\"*\" for any); repeatable")
	fs.Var(&keyHashes, "api-key-hash", "hex SHA-256 of an accepted API key (printf %s KEY | sha256sum); repeatable; also $"+EnvAPIKeyHashes)
	jwksURL := fs.String("jwks-url", "", "accept RS256 JWTs signed by this JWKS (e.g. Cognito's .well-known/jwks.json)")
	fs.Var(&audiences, "jwt-audience", "accepted JWT aud or client_id; repeatable")
	issuer := fs.String("jwt-issuer", "", "required JWT iss")
	scope := fs.String("jwt-scope", "", "JWT scope required on /predict (403 without)")
	rl := &cfg.RateLimit
	fs.Float64Var(&rl.PerSecond, "rate-limit", 0, "requests per second per client on /predict; 0 for none (429 beyond)")
	fs.IntVar(&rl.Burst, "rate-burst", 0, "rate-limit bucket size (default: the rate, at least 1)")
	fs.StringVar(&rl.ClientIPHeader, "client-ip-header", "", "header a trusted proxy sets to the client address, for the rate limit")

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
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return usageError(fs, "--log-level: %v", err)
	}
	logger := slog.New(slog.NewJSONHandler(env.Stderr, &slog.HandlerOptions{Level: level}))

	f.Allow = fetchAllow
	cfg.CORS.AllowedOrigins = origins
	cfg.Auth.APIKeyHashes = append(keyHashes, splitList(env.Getenv(EnvAPIKeyHashes))...)
	if *jwksURL != "" {
		cfg.Auth.JWT = &api.JWTConfig{JWKSURL: *jwksURL, Issuer: *issuer, Audience: audiences, Scope: *scope}
	}
	if *addr == "" {
		*addr = server.DefaultAddr
		if p := env.Getenv(EnvSageMakerPort); p != "" {
			*addr = ":" + p
		}
	}
	if r == server.RoleEndpoint && len(models) == 0 {
		if st, err := os.Stat(server.SageMakerModelDir); err == nil && st.IsDir() {
			if models, err = server.ModelFiles(server.SageMakerModelDir); err != nil {
				errorf(env, "%v", err)
				return ExitFailure
			}
		}
	}
	res := resolver(env, *offline)
	s, err := server.New(server.Options{
		Role: r, Addr: *addr, Endpoint: *endpoint, Models: models, Resolver: res,
		API: cfg, UI: webUI(), Logger: logger, DrainTimeout: *drain,
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
	*l = append(*l, splitList(v)...)
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
