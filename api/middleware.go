package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/classifly/classifly/wire"
)

// reqInfo is what the handlers note about a request for its log line.
type reqInfo struct {
	id        string
	principal string
	model     string
	errCode   wire.Code
	err       error
}

type infoKey struct{}

func infoFrom(ctx context.Context) *reqInfo {
	info, _ := ctx.Value(infoKey{}).(*reqInfo)
	return info
}

// RequestID returns the id of the request that ctx belongs to ("" if none):
// the one echoed in X-Request-Id and logged.
func RequestID(ctx context.Context) string {
	if info := infoFrom(ctx); info != nil {
		return info.id
	}
	return ""
}

// ServeHTTP serves a request: request id, CORS, routing, then one log line
// and the metrics. A panic becomes a logged 500 that tells the client
// nothing more.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	info := &reqInfo{id: requestID(r)}
	w.Header().Set("X-Request-Id", info.id)
	r = r.WithContext(context.WithValue(r.Context(), infoKey{}, info))
	rec := &recorder{ResponseWriter: w}
	h.metrics.inFlight.Inc()
	defer h.metrics.inFlight.Dec()

	h.serveRecovering(rec, r, info)

	route := r.Pattern // set by the mux on this request
	if route == "" {
		route = "unmatched"
	}
	status := rec.status
	if status == 0 {
		status = http.StatusOK
	}
	d := time.Since(start)
	h.metrics.observeRequest(route, r.Method, status, d)
	h.logRequest(r, info, route, status, rec.bytes, d)
}

func (h *Handler) serveRecovering(w *recorder, r *http.Request, info *reqInfo) {
	defer func() {
		p := recover()
		if p == nil {
			return
		}
		if p == http.ErrAbortHandler {
			panic(p) // the server's way to abort a response; let it through
		}
		h.cfg.Logger.Error("panic serving request", "request_id", info.id, "panic", fmt.Sprint(p),
			"stack", string(debug.Stack()))
		if w.status == 0 {
			writeError(w, r, fmt.Errorf("panic: %v", p))
		}
	}()
	if h.cors(w, r) {
		return
	}
	h.root.ServeHTTP(w, r)
}

// quietRoutes are probes and scrapes, logged at debug level only.
var quietRoutes = map[string]bool{"GET /healthz": true, "GET /readyz": true, "GET /ping": true, "GET /metrics": true}

func (h *Handler) logRequest(r *http.Request, info *reqInfo, route string, status, bytes int, d time.Duration) {
	level := slog.LevelInfo
	switch {
	case info.errCode == wire.CodeOverloaded || info.errCode == wire.CodeNotReady:
		// Shedding load, or loading models: the server working as meant,
		// not a fault.
		level = slog.LevelWarn
	case status >= 500 && status != wire.StatusClientClosed:
		level = slog.LevelError
	case info.errCode == wire.CodeUploadTooSlow || info.errCode == wire.CodeIncompleteBody:
		// Clients that hold uploads open or drop them: worth watching, as a
		// slow-body attack shows up here first.
		level = slog.LevelWarn
	case quietRoutes[route] && status < 400:
		level = slog.LevelDebug
	}
	ctx := r.Context()
	if !h.cfg.Logger.Enabled(ctx, level) {
		return
	}
	attrs := []slog.Attr{
		slog.String("request_id", info.id),
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.String("route", route),
		slog.Int("status", status),
		slog.Int("bytes", bytes),
		slog.Float64("duration_ms", float64(d.Microseconds())/1000),
		slog.String("remote", r.RemoteAddr),
	}
	if info.principal != "" {
		attrs = append(attrs, slog.String("principal", info.principal))
	}
	if info.model != "" {
		attrs = append(attrs, slog.String("model", info.model))
	}
	if info.errCode != "" {
		attrs = append(attrs, slog.String("error_code", string(info.errCode)))
	}
	if info.err != nil {
		attrs = append(attrs, slog.String("error", info.err.Error()))
	}
	h.cfg.Logger.LogAttrs(ctx, level, "request", attrs...)
}

// requestID keeps a sane incoming X-Request-Id (so a proxy and its endpoint
// log the same id) or makes a new one.
func requestID(r *http.Request) string {
	if id := r.Header.Get("X-Request-Id"); id != "" && len(id) <= 128 && !strings.ContainsFunc(id, func(c rune) bool {
		return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-_.:", c))
	}) {
		return id
	}
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// cors sets the CORS headers for an allowed origin and answers preflight
// requests itself; it reports whether it answered.
func (h *Handler) cors(w http.ResponseWriter, r *http.Request) bool {
	origins := h.cfg.CORS.AllowedOrigins
	origin := r.Header.Get("Origin")
	if len(origins) == 0 || origin == "" {
		return false
	}
	hdr := w.Header()
	hdr.Add("Vary", "Origin")
	anyOrigin := slices.Contains(origins, "*")
	if !anyOrigin && !slices.Contains(origins, origin) {
		return false // no CORS headers: the browser refuses the answer
	}
	if anyOrigin {
		hdr.Set("Access-Control-Allow-Origin", "*")
	} else {
		hdr.Set("Access-Control-Allow-Origin", origin)
	}
	hdr.Set("Access-Control-Expose-Headers", "X-Request-Id, Retry-After")
	if r.Method != http.MethodOptions || r.Header.Get("Access-Control-Request-Method") == "" {
		return false
	}
	hdr.Add("Vary", "Access-Control-Request-Method")
	hdr.Add("Vary", "Access-Control-Request-Headers")
	hdr.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
	hdr.Set("Access-Control-Allow-Headers", "Content-Type, Authorization, X-API-Key, X-Request-Id")
	hdr.Set("Access-Control-Max-Age", strconv.Itoa(int(h.cfg.CORS.MaxAge.Seconds())))
	w.WriteHeader(http.StatusNoContent)
	return true
}

// recorder notes the status and size of an answer.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
