package api

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"runtime"
	"strings"
	"time"

	"github.com/classifly/classifly/imageprep"
	"github.com/prometheus/client_golang/prometheus"
)

// Defaults of Limits and FetchConfig: the figures of DESIGN.md where it
// gives them.
const (
	DefaultMaxBodyBytes   = 10 << 20
	DefaultMaxPixels      = imageprep.DefaultMaxPixels
	DefaultMaxTopK        = 100
	DefaultRequestTimeout = 30 * time.Second
	DefaultMaxQueue       = 16
	DefaultQueueTimeout   = 5 * time.Second
	DefaultMaxInFlight    = 64

	DefaultFetchMaxBytes     = 10 << 20
	DefaultFetchTimeout      = 5 * time.Second
	DefaultFetchDialTimeout  = 3 * time.Second
	DefaultFetchMaxRedirects = 3
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

	Limits    Limits
	Fetch     FetchConfig
	CORS      CORSConfig
	Auth      AuthConfig
	RateLimit RateLimitConfig

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
	MaxBodyBytes   int64         // request body; over it 413
	MaxPixels      int64         // width*height declared by the image header, checked before decoding; over it 413
	MaxTopK        int           // largest top_k; over it 422
	RequestTimeout time.Duration // deadline of one /predict, fetch and queue included; past it 504
	// MaxConcurrent is how many classifications run at once (default
	// GOMAXPROCS). The rest wait in a queue of MaxQueue for at most
	// QueueTimeout; beyond either, 503 with Retry-After.
	MaxConcurrent int
	MaxQueue      int // a negative value means no queue
	QueueTimeout  time.Duration
	// MaxInFlight bounds /predict requests in any stage (reading the body,
	// fetching, queued, running); beyond it 503 at once. It bounds the
	// memory that bodies being read can hold.
	MaxInFlight int
}

// FetchConfig is the image_url fetcher's. Zero means the default.
type FetchConfig struct {
	Disabled     bool          // refuse image_url altogether (422)
	MaxBytes     int64         // response body cap, enforced while streaming; over it 413
	Timeout      time.Duration // whole fetch, redirects included; past it 504
	DialTimeout  time.Duration // one TCP connect
	MaxRedirects int           // each re-checked; a negative value allows none
	// Allow exempts destinations from the address checks: host names
	// ("images.internal", matched exactly, case-insensitively) and CIDR
	// prefixes ("10.1.0.0/16", "127.0.0.1/32"). The scheme, size and time
	// limits still apply.
	Allow []string
}

// CORSConfig lets browsers on other origins (the UI on CloudFront) call the
// API.
type CORSConfig struct {
	// AllowedOrigins lists origins ("https://d1234.cloudfront.net") that
	// may call the API; "*" allows any. Empty disables CORS.
	AllowedOrigins []string
	MaxAge         time.Duration // how long browsers cache a preflight; 0 means 10 minutes
}

// AuthConfig turns on authentication of /predict and /invocations when
// either field is set. A request passes with any one valid credential.
type AuthConfig struct {
	// APIKeyHashes are hex SHA-256 digests of the accepted API keys (see
	// HashAPIKey), sent as "Authorization: Bearer KEY" or "X-API-Key: KEY".
	APIKeyHashes []string
	JWT          *JWTConfig
}

// JWTConfig accepts RS256 JSON Web Tokens signed by a key of a JWKS, as
// Amazon Cognito issues them, sent as "Authorization: Bearer TOKEN".
type JWTConfig struct {
	JWKSURL string // e.g. https://cognito-idp.REGION.amazonaws.com/POOL/.well-known/jwks.json
	Issuer  string // required "iss"; "" accepts any
	// Audience, when set, must contain the token's "aud" or, for Cognito
	// access tokens that have none, its "client_id".
	Audience []string
	// Scope, when set, must be one of the token's space-separated "scope"
	// values; a valid token without it gets 403.
	Scope  string
	Client *http.Client // fetches the JWKS; nil means a client with a 5 s timeout
}

// RateLimitConfig limits each client's request rate on /predict; beyond it
// 429 with Retry-After. The client is the authenticated principal, else
// the client address.
type RateLimitConfig struct {
	PerSecond float64 // sustained requests per second per client; 0 disables
	Burst     int     // bucket size; 0 means max(1, ceil(PerSecond))
	// ClientIPHeader names a header that a trusted proxy in front sets to
	// the client address ("X-Real-IP"; first entry if comma-separated).
	// Empty uses the connection's address. Set it only behind such a proxy:
	// clients can send any header.
	ClientIPHeader string
	MaxClients     int // clients tracked at once; 0 means 10000
}

// withDefaults fills the zero fields and checks the rest.
func (c Config) withDefaults() (Config, error) {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	l := &c.Limits
	setDefault(&l.MaxBodyBytes, DefaultMaxBodyBytes)
	setDefault(&l.MaxPixels, DefaultMaxPixels)
	setDefault(&l.MaxTopK, DefaultMaxTopK)
	setDefault(&l.RequestTimeout, DefaultRequestTimeout)
	setDefault(&l.MaxConcurrent, runtime.GOMAXPROCS(0))
	setDefault(&l.MaxQueue, DefaultMaxQueue)
	setDefault(&l.QueueTimeout, DefaultQueueTimeout)
	setDefault(&l.MaxInFlight, DefaultMaxInFlight)
	if l.MaxQueue < 0 {
		l.MaxQueue = 0
	}
	f := &c.Fetch
	setDefault(&f.MaxBytes, DefaultFetchMaxBytes)
	setDefault(&f.Timeout, DefaultFetchTimeout)
	setDefault(&f.DialTimeout, DefaultFetchDialTimeout)
	setDefault(&f.MaxRedirects, DefaultFetchMaxRedirects)
	if f.MaxRedirects < 0 {
		f.MaxRedirects = 0
	}
	if c.CORS.MaxAge == 0 {
		c.CORS.MaxAge = 10 * time.Minute
	}
	if rl := &c.RateLimit; rl.PerSecond > 0 {
		setDefault(&rl.Burst, max(1, int(rl.PerSecond+0.999)))
		setDefault(&rl.MaxClients, 10000)
	}
	for _, n := range []int64{l.MaxBodyBytes, l.MaxPixels, int64(l.MaxTopK), int64(l.MaxConcurrent), int64(l.MaxInFlight),
		int64(l.RequestTimeout), int64(l.QueueTimeout), f.MaxBytes, int64(f.Timeout), int64(f.DialTimeout)} {
		if n < 0 {
			return c, fmt.Errorf("api: negative limit %d", n)
		}
	}
	if c.RateLimit.PerSecond < 0 {
		return c, fmt.Errorf("api: negative rate limit %g", c.RateLimit.PerSecond)
	}
	if _, _, err := parseAllow(f.Allow); err != nil {
		return c, err
	}
	if j := c.Auth.JWT; j != nil && !strings.HasPrefix(j.JWKSURL, "https://") && !strings.HasPrefix(j.JWKSURL, "http://") {
		return c, fmt.Errorf("api: JWKS URL %q is not http(s)", j.JWKSURL)
	}
	return c, nil
}

func setDefault[T int | int64 | time.Duration](p *T, def T) {
	if *p == 0 {
		*p = def
	}
}

// parseAllow splits FetchConfig.Allow into host names and prefixes.
func parseAllow(entries []string) (hosts map[string]bool, prefixes []netip.Prefix, err error) {
	hosts = map[string]bool{}
	for _, e := range entries {
		e = strings.TrimSpace(e)
		switch {
		case e == "":
		case strings.Contains(e, "/"):
			p, err := netip.ParsePrefix(e)
			if err != nil {
				return nil, nil, fmt.Errorf("api: fetch allowlist entry %q: %w", e, err)
			}
			prefixes = append(prefixes, p.Masked())
		default:
			if a, err := netip.ParseAddr(e); err == nil {
				prefixes = append(prefixes, netip.PrefixFrom(a, a.BitLen()))
			} else {
				hosts[strings.ToLower(e)] = true
			}
		}
	}
	return hosts, prefixes, nil
}
