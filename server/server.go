package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"github.com/classifly/classifly/api"
	"github.com/classifly/classifly/classify"
	"github.com/classifly/classifly/engine"
	"github.com/classifly/classifly/loader"
	"github.com/classifly/classifly/registry"
	"github.com/classifly/classifly/sagemaker/endpoint"
)

// Role is what a server process does.
type Role string

// Roles.
const (
	// RoleAll serves the UI, the API and the models in one process.
	RoleAll Role = "all"
	// RoleProxy serves the UI and the API, and forwards inference to a
	// model endpoint over HTTP.
	RoleProxy Role = "proxy"
	// RoleEndpoint is the model endpoint: the SageMaker container contract
	// (GET /ping, POST /invocations) beside the API routes, no UI.
	RoleEndpoint Role = "endpoint"
)

// ParseRole parses "all", "proxy" or "endpoint".
func ParseRole(s string) (Role, error) {
	switch r := Role(s); r {
	case RoleAll, RoleProxy, RoleEndpoint:
		return r, nil
	}
	return "", fmt.Errorf("unknown role %q: want all, proxy or endpoint", s)
}

// SageMakerModelDir is where SageMaker extracts the model archive.
const SageMakerModelDir = "/opt/ml/model"

// Defaults of Options.
const (
	DefaultAddr         = ":8080"
	DefaultDrainTimeout = 25 * time.Second // SageMaker kills 30 s after SIGTERM
	// DefaultProxyConcurrency bounds concurrent calls from a proxy to its
	// endpoint; the endpoint bounds its own inference.
	DefaultProxyConcurrency = 64
)

// Options configure a server.
type Options struct {
	Role     Role   // "" means RoleAll
	Addr     string // listen address; "" means DefaultAddr
	Endpoint string // RoleProxy: base URL of the model endpoint
	// Models are known model names or .tflite paths to serve (RoleAll,
	// RoleEndpoint), or the names a proxy reports if its endpoint has no
	// /models. The default model is Default, or registry.DefaultModel if
	// listed, else the first. Empty means registry.DefaultModel.
	Models []string
	// Default names the model that answers requests naming none (the
	// model archive's default, see ModelDir); "" for the rule above.
	Default  string
	Resolver *registry.Resolver // finds model files; nil means registry.NewResolverFromEnv()
	Engine   engine.Options
	// Normalization, when not nil, replaces the metadata's (or the default)
	// for the input of every float model served.
	Normalization *classify.Normalization

	API api.Config // limits, auth, CORS…; Logger and Fallback are set from here
	// UI serves the web UI at "/" (RoleAll and RoleProxy), for instance
	// web.Handler(). Nil serves none.
	UI           http.Handler
	Logger       *slog.Logger  // nil discards
	DrainTimeout time.Duration // longest wait for in-flight requests on shutdown
}

// Server is a configured Classifly server: one API handler over a local or
// remote backend.
type Server struct {
	opts  Options
	log   *slog.Logger
	api   *api.Handler
	http  http.Handler // api, and for an endpoint Batch Transform's route
	local *api.Local   // nil for a proxy
}

// New builds the server; models are loaded by LoadModels (Serve does it).
func New(opts Options) (*Server, error) {
	if opts.Role == "" {
		opts.Role = RoleAll
	}
	if _, err := ParseRole(string(opts.Role)); err != nil {
		return nil, err
	}
	if opts.Addr == "" {
		opts.Addr = DefaultAddr
	}
	if opts.DrainTimeout == 0 {
		opts.DrainTimeout = DefaultDrainTimeout
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Resolver == nil {
		opts.Resolver = registry.NewResolverFromEnv()
	}
	s := &Server{opts: opts, log: opts.Logger}
	cfg := opts.API
	cfg.Logger = opts.Logger
	var backend api.Backend
	switch opts.Role {
	case RoleProxy:
		if opts.Endpoint == "" {
			return nil, errors.New("the proxy role needs an endpoint URL")
		}
		remote, err := endpoint.New(opts.Endpoint, endpoint.Options{Models: opts.Models})
		if err != nil {
			return nil, err
		}
		backend = remote
		if cfg.Limits.MaxConcurrent == 0 {
			cfg.Limits.MaxConcurrent = DefaultProxyConcurrency
		}
	default:
		if opts.Endpoint != "" {
			return nil, fmt.Errorf("an endpoint URL is only for the proxy role, not %s", opts.Role)
		}
		if len(s.opts.Models) == 0 {
			s.opts.Models = []string{registry.DefaultModel}
		}
		s.local = api.NewLocal()
		backend = s.local
	}
	if opts.Role == RoleEndpoint {
		cfg.SageMaker = true
	} else {
		cfg.Fallback = opts.UI
	}
	h, err := api.New(backend, cfg)
	if err != nil {
		return nil, err
	}
	s.api, s.http = h, h
	if opts.Role == RoleEndpoint {
		s.http = withBatchTransform(h, cfg.Limits)
	}
	return s, nil
}

// Handler is the server's HTTP handler: the API, with the UI if any (and
// an endpoint's Batch Transform route).
func (s *Server) Handler() http.Handler { return s.http }

// LoadModels loads the models of a local role, one after the other, and
// marks the backend ready (or failed). It does nothing for a proxy.
func (s *Server) LoadModels(ctx context.Context) error {
	if s.local == nil {
		return nil
	}
	for _, m := range s.opts.Models {
		start := time.Now()
		c, res, err := loader.LoadWith(ctx, s.opts.Resolver, m, loader.Options{Normalization: s.opts.Normalization, Engine: s.opts.Engine})
		if err != nil {
			// The loader's errors name the model already.
			s.local.Loaded(err)
			return err
		}
		took := time.Since(start)
		// The first model is the default unless Default or the usual
		// default is served.
		s.local.Add(c, took, c.Name() == s.defaultModel())
		s.log.Info("model loaded", "model", c.Name(), "path", res.Path, "source", res.Source,
			"labels", len(c.Labels()), "load_ms", float64(took.Microseconds())/1000)
	}
	s.local.Loaded(nil)
	return nil
}

// defaultModel is the name that Options.Default's rule prefers.
func (s *Server) defaultModel() string {
	if s.opts.Default != "" {
		return s.opts.Default
	}
	return registry.DefaultModel
}

// Run listens on Options.Addr and serves until ctx is done; see Serve.
func (s *Server) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.opts.Addr)
	if err != nil {
		return err
	}
	return s.Serve(ctx, ln)
}

// Serve serves on ln, loading the models in the background (/readyz says
// when they are in), until ctx is done — SIGTERM, in the command. Then it
// stops accepting connections, fails /readyz, lets in-flight requests
// finish within DrainTimeout and returns nil. A model that fails to load
// stops the server with that error.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.http,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      s.writeTimeout(),
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		// Requests must outlive ctx: cancelling it starts the drain, and
		// the drain lets them finish.
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	// The Go heap is held to the same figure as the requests' budget,
	// unless the operator set GOMEMLIMIT.
	if b := s.api.MemoryBudget(); b > 0 && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(b)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	s.log.Info("listening", "addr", ln.Addr().String(), "role", string(s.opts.Role),
		"models", strings.Join(s.opts.Models, ","), "endpoint", s.opts.Endpoint, "memory_budget", s.api.MemoryBudget())

	loadCtx, stopLoading := context.WithCancel(ctx)
	defer stopLoading()
	loaded := make(chan error, 1)
	go func() { loaded <- s.LoadModels(loadCtx) }()

	var failure error
	for waiting := true; waiting; {
		select {
		case err := <-served:
			return err // the listener failed; nothing to drain
		case err := <-loaded:
			loaded = nil
			if err != nil && ctx.Err() == nil {
				s.log.Error("model loading failed; stopping", "error", err.Error())
				failure, waiting = err, false
			}
		case <-ctx.Done():
			waiting = false
		}
	}

	s.api.SetDraining()
	s.log.Info("draining", "timeout", s.opts.DrainTimeout.String())
	drainCtx, cancel := context.WithTimeout(context.Background(), s.opts.DrainTimeout)
	defer cancel()
	if err := srv.Shutdown(drainCtx); err != nil {
		srv.Close()
		return errors.Join(failure, fmt.Errorf("drain: requests still running after %v: %w", s.opts.DrainTimeout, err))
	}
	<-served
	s.log.Info("stopped")
	return failure
}

// writeTimeout leaves a request its deadline and some time to send the
// answer.
func (s *Server) writeTimeout() time.Duration {
	d := s.opts.API.Limits.RequestTimeout
	if d == 0 {
		d = api.DefaultRequestTimeout
	}
	return d + 15*time.Second
}

// ModelFiles lists the .tflite files in dir (sorted), for an endpoint
// serving whatever SageMaker extracted into /opt/ml/model.
func ModelFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".tflite") {
			files = append(files, filepath.Join(dir, e.Name()))
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no .tflite file in %s", dir)
	}
	sort.Strings(files)
	return files, nil
}
