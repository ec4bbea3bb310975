package api

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/classifly/classifly/auth"
	"github.com/classifly/classifly/ratelimit"
	"github.com/classifly/classifly/urlfetch"
	"github.com/classifly/classifly/wire"
)

// Handler is the Classifly HTTP API. Create it with New.
type Handler struct {
	cfg      Config
	backend  Backend
	root     http.Handler
	adm      *admission
	inFlight *gate
	uploads  *gate
	budget   *budget
	limiter  *ratelimit.Limiter
	auth     *auth.Authenticator
	fetcher  *urlfetch.Fetcher
	metrics  *metrics
	draining atomic.Bool
}

// New returns the API over backend.
func New(backend Backend, cfg Config) (*Handler, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	h := &Handler{
		cfg:      cfg,
		backend:  backend,
		adm:      newAdmission(cfg.Limits.MaxConcurrent, cfg.Limits.MaxQueue, cfg.Limits.QueueTimeout),
		inFlight: &gate{max: int64(cfg.Limits.MaxInFlight)},
		uploads:  &gate{max: int64(cfg.Limits.MaxUploads)},
		budget:   newBudget(cfg.Limits.MemoryBudget, cfg.Limits.QueueTimeout),
	}
	if h.auth, err = auth.New(cfg.Auth); err != nil {
		return nil, fmt.Errorf("api: %w", err)
	}
	if h.limiter, err = ratelimit.New(cfg.RateLimit); err != nil {
		return nil, fmt.Errorf("api: %w", err)
	}
	if h.fetcher, err = urlfetch.New(cfg.Fetch); err != nil {
		return nil, fmt.Errorf("api: %w", err)
	}
	h.metrics = newMetrics(cfg.Registry, backend, h.adm, h.budget, h.uploads)
	h.root = h.routes()
	return h, nil
}

// Routes lists the API's own routes as "METHOD /path" patterns.
func (h *Handler) Routes() []string {
	r := []string{"POST /predict", "GET /healthz", "GET /readyz", "GET /models", "GET /metrics", "GET /openapi.json"}
	if h.cfg.SageMaker {
		r = append(r, "GET /ping", "POST /invocations")
	}
	return r
}

func (h *Handler) routes() http.Handler {
	mux := http.NewServeMux()
	handlers := map[string]http.Handler{
		"POST /predict":     h.guard(h.predictHandler(false)),
		"GET /healthz":      http.HandlerFunc(h.healthz),
		"GET /readyz":       http.HandlerFunc(h.readyz),
		"GET /models":       http.HandlerFunc(h.models),
		"GET /metrics":      h.metrics.handler(),
		"GET /openapi.json": http.HandlerFunc(h.openapi),
		"GET /ping":         http.HandlerFunc(h.readyz),
		"POST /invocations": h.guard(h.predictHandler(true)),
	}
	for _, pattern := range h.Routes() {
		method, path, _ := strings.Cut(pattern, " ")
		mux.Handle(pattern, handlers[pattern])
		// The same path with another method: 405 in JSON, not the mux's text.
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			allow := method
			if method == http.MethodGet {
				allow += ", HEAD"
			}
			w.Header().Set("Allow", allow)
			writeError(w, r, errorf(wire.CodeMethodNotAllowed, "%s does not take %s; use %s", path, r.Method, method))
		})
	}
	if !h.cfg.SageMaker {
		// The model-container routes exist only in the endpoint role; say
		// so rather than let the UI answer.
		for _, path := range []string{"/ping", "/invocations"} {
			mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
				writeError(w, r, errorf(wire.CodeNotFound, "%s is served by a model endpoint only (classifly serve --role endpoint)", path))
			})
		}
	}
	notFound := func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, errorf(wire.CodeNotFound, "no such path: %s", r.URL.Path))
	}
	if h.cfg.Fallback == nil {
		mux.HandleFunc("/", notFound)
	} else {
		mux.Handle("/", jsonRefusals(h.cfg.Fallback, notFound))
	}
	return mux
}

// jsonRefusals serves with next, but answers its 404s and 405s with the
// API's JSON errors instead of next's own body, so that every path,
// method and role answers errors the same way.
func jsonRefusals(next http.Handler, notFound http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(&refusalWriter{ResponseWriter: w, r: r, notFound: notFound}, r)
	})
}

// refusalWriter replaces a 404 or 405 answer with the JSON one.
type refusalWriter struct {
	http.ResponseWriter
	r        *http.Request
	notFound http.HandlerFunc
	replaced bool
}

func (w *refusalWriter) WriteHeader(status int) {
	switch {
	case w.replaced:
	case status == http.StatusNotFound:
		w.replaced = true
		w.notFound(w.ResponseWriter, w.r)
	case status == http.StatusMethodNotAllowed:
		w.replaced = true
		writeError(w.ResponseWriter, w.r, errorf(wire.CodeMethodNotAllowed, "%s does not take %s", w.r.URL.Path, w.r.Method))
	default:
		w.ResponseWriter.WriteHeader(status)
	}
}

func (w *refusalWriter) Write(b []byte) (int, error) {
	if w.replaced {
		return len(b), nil // next's own text, replaced
	}
	return w.ResponseWriter.Write(b)
}

func (w *refusalWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// MemoryBudget is the memory budget in force (bytes; 0 for none), for
// GOMEMLIMIT.
func (h *Handler) MemoryBudget() int64 { return max(h.cfg.Limits.MemoryBudget, 0) }

// SetDraining makes /readyz and /ping fail (503) from now on, so that load
// balancers stop sending traffic while in-flight requests finish.
func (h *Handler) SetDraining() { h.draining.Store(true) }

// guard applies auth and the per-client rate limit.
func (h *Handler) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info := infoFrom(r.Context())
		if h.auth != nil {
			principal, err := h.auth.Authenticate(r.Context(), r)
			if err != nil {
				writeError(w, r, err)
				return
			}
			info.principal = principal
		}
		if h.limiter != nil {
			if ok, wait := h.limiter.Allow(h.limiter.Key(r, info.principal), time.Now()); !ok {
				writeError(w, r, &Error{Code: wire.CodeRateLimited, Message: "rate limit exceeded; retry later",
					RetryAfter: ceilSeconds(wait)})
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func (h *Handler) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz is also SageMaker's /ping: 200 once the models are loaded.
func (h *Handler) readyz(w http.ResponseWriter, r *http.Request) {
	if h.draining.Load() {
		writeError(w, r, fmt.Errorf("%w: the server is stopping", ErrNotReady))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := h.backend.Ready(ctx); err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func (h *Handler) models(w http.ResponseWriter, r *http.Request) {
	models, err := h.backend.Models(r.Context())
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wire.ModelList{Models: models})
}

//go:embed openapi.json
var openAPIDoc []byte

func (h *Handler) openapi(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(openAPIDoc)
}

// OpenAPI returns the OpenAPI 3.1 description served at /openapi.json.
func OpenAPI() []byte { return append([]byte(nil), openAPIDoc...) }

// writeJSON sends v with status. API answers are never cached and never
// sniffed as something else.
func writeJSON(w http.ResponseWriter, status int, v any) {
	setJSONHeaders(w.Header())
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.Encode(v)
}

func setJSONHeaders(hdr http.Header) {
	hdr.Set("Content-Type", "application/json")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Content-Type-Options", "nosniff")
}
