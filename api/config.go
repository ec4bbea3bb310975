package api

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"time"

	"github.com/classifly/classifly/auth"
	"github.com/classifly/classifly/imageprep"
	"github.com/classifly/classifly/ratelimit"
	"github.com/classifly/classifly/urlfetch"
	"github.com/prometheus/client_golang/prometheus"
)

// Defaults of Limits: the figures of docs/architecture.md, "Limits and safety", where it gives them.
const (
	DefaultMaxBodyBytes   = 10 << 20
	DefaultMaxPixels      = imageprep.DefaultMaxPixels
	DefaultMaxPixelsJPEG  = imageprep.DefaultMaxPixelsJPEG
	DefaultMaxTopK        = 100
	DefaultRequestTimeout = 30 * time.Second
	DefaultMaxQueue       = 16
	DefaultQueueTimeout   = 5 * time.Second
	DefaultMaxInFlight    = 64
	DefaultMaxUploads     = 256
	DefaultMinUploadRate  = 16 << 10 // a slow mobile link; a 10 MB body then has ~10 min
	DefaultUploadGrace    = 5 * time.Second
)

// Config configures the API. The zero value serves with the defaults, no
// auth, no rate limit, no CORS and no SageMaker routes.
type Config struct {
	// Logger receives one line per request and every failure; nil
	// discards.
	Logger *slog.Logger
	// Registry collects the metrics served at /metrics; nil makes a new
	// one with the Go and process collectors.
	Registry *prometheus.Registry

	Limits Limits
	// Fetch is the image_url fetcher's configuration.
	Fetch urlfetch.Config
	CORS  CORSConfig
	// Auth turns on authentication of /predict and /invocations.
	Auth auth.Config
	// RateLimit limits each client's rate on /predict and /invocations;
	// beyond it 429 with Retry-After.
	RateLimit ratelimit.Config

	// SageMaker adds the model-container routes GET /ping and
	// POST /invocations.
	SageMaker bool
	// Fallback serves the paths the API does not own, such as the web UI
	// at "/". Nil answers them with a JSON 404. It gets no auth and no
	// rate limit.
	Fallback http.Handler
}

// Limits bound the work one request may cause. Zero means the default.
type Limits struct {
	MaxBodyBytes int64 // request body; over it 413
	MaxPixels    int64 // width*height declared by the image header, checked before decoding; over it 413
	// MaxPixelsJPEG replaces MaxPixels for a JPEG on the fast resize path,
	// which decodes at a reduced DCT scale in memory that follows the
	// model input.
	MaxPixelsJPEG  int64
	MaxTopK        int           // largest top_k; over it 422
	RequestTimeout time.Duration // deadline of one /predict, fetch and queue included; past it 504
	// MaxConcurrent is how many classifications run at once (default
	// GOMAXPROCS). The rest wait in a queue of MaxQueue for at most
	// QueueTimeout; beyond either, 503 with Retry-After.
	MaxConcurrent int
	MaxQueue      int // a negative value means no queue
	QueueTimeout  time.Duration
	// MaxInFlight bounds /predict requests past their upload (fetching,
	// queued, running); beyond it 503 at once.
	MaxInFlight int
	// MaxUploads bounds the request bodies being received at once; beyond
	// it 503 at once. A slow client holds only one of these, never an
	// inference slot.
	MaxUploads int
	// MinUploadRate (bytes per second) and UploadGrace set the read
	// deadline of a body: after n bytes, the rest must arrive before
	// start + UploadGrace + n/MinUploadRate. A client that falls behind
	// gets 408.
	MinUploadRate int64
	UploadGrace   time.Duration
	// MemoryBudget is the memory that requests may reserve for their
	// bodies and for decoding (estimated from the picture's header) before
	// they allocate; what does not fit waits in the queue or gets 503, what
	// could never fit gets 413. Zero means DefaultMemoryBudget(); negative
	// means no budget.
	MemoryBudget int64
}

// CORSConfig lets browsers on other origins (the UI on CloudFront) call the
// API.
type CORSConfig struct {
	// AllowedOrigins lists origins ("https://d1234.cloudfront.net") that
	// may call the API; "*" allows any. Empty disables CORS.
	AllowedOrigins []string
	MaxAge         time.Duration // how long browsers cache a preflight; 0 means 10 minutes
}

// withDefaults fills the zero fields and checks the rest.
func (c Config) withDefaults() (Config, error) {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	l := &c.Limits
	setDefault(&l.MaxBodyBytes, DefaultMaxBodyBytes)
	setDefault(&l.MaxPixels, DefaultMaxPixels)
	setDefault(&l.MaxPixelsJPEG, DefaultMaxPixelsJPEG)
	setDefault(&l.MaxTopK, DefaultMaxTopK)
	setDefault(&l.RequestTimeout, DefaultRequestTimeout)
	setDefault(&l.MaxConcurrent, runtime.GOMAXPROCS(0))
	setDefault(&l.MaxQueue, DefaultMaxQueue)
	setDefault(&l.QueueTimeout, DefaultQueueTimeout)
	setDefault(&l.MaxInFlight, DefaultMaxInFlight)
	setDefault(&l.MaxUploads, DefaultMaxUploads)
	setDefault(&l.MinUploadRate, DefaultMinUploadRate)
	setDefault(&l.UploadGrace, DefaultUploadGrace)
	if l.MemoryBudget == 0 {
		l.MemoryBudget = DefaultMemoryBudget()
	}
	if l.MaxQueue < 0 {
		l.MaxQueue = 0
	}
	if c.CORS.MaxAge == 0 {
		c.CORS.MaxAge = 10 * time.Minute
	}
	for _, n := range []int64{l.MaxBodyBytes, l.MaxPixels, l.MaxPixelsJPEG, int64(l.MaxTopK), int64(l.MaxConcurrent), int64(l.MaxInFlight),
		int64(l.MaxUploads), l.MinUploadRate, int64(l.UploadGrace), int64(l.RequestTimeout), int64(l.QueueTimeout)} {
		if n < 0 {
			return c, fmt.Errorf("api: negative limit %d", n)
		}
	}
	return c, nil
}

func setDefault[T int | int64 | time.Duration](p *T, def T) {
	if *p == 0 {
		*p = def
	}
}
