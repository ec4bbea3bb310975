package ratelimit

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Config limits each client's request rate. The client is the
// authenticated principal, else the client address.
type Config struct {
	PerSecond float64 // sustained requests per second per client; 0 disables
	Burst     int     // bucket size; 0 means max(1, ceil(PerSecond))
	// ClientIPHeader names a header that a trusted proxy in front sets to
	// the client address ("X-Real-IP"; first entry if comma-separated).
	// Empty uses the connection's address. Set it only behind such a proxy:
	// clients can send any header.
	ClientIPHeader string
	MaxClients     int // clients tracked at once; 0 means 10000
}

// Limiter is a token bucket per client. It is safe for concurrent use. Idle clients are forgotten
// when the table fills, so it stays bounded without a background goroutine.
type Limiter struct {
	cfg     Config
	mu      sync.Mutex
	clients map[string]*clientBucket
}

type clientBucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// New returns the Limiter for cfg, or nil when cfg sets no rate.
func New(cfg Config) (*Limiter, error) {
	if cfg.PerSecond < 0 {
		return nil, fmt.Errorf("ratelimit: negative rate %g", cfg.PerSecond)
	}
	if cfg.PerSecond == 0 {
		return nil, nil
	}
	if cfg.Burst == 0 {
		cfg.Burst = max(1, int(cfg.PerSecond+0.999))
	}
	if cfg.MaxClients == 0 {
		cfg.MaxClients = 10000
	}
	return &Limiter{cfg: cfg, clients: map[string]*clientBucket{}}, nil
}

// Allow takes a token for client, or says how long until one is free.
func (l *Limiter) Allow(client string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.clients[client]
	if !ok {
		if len(l.clients) >= l.cfg.MaxClients {
			l.sweep(now)
		}
		b = &clientBucket{lim: rate.NewLimiter(rate.Limit(l.cfg.PerSecond), l.cfg.Burst)}
		l.clients[client] = b
	}
	b.seen = now
	r := b.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// sweep forgets clients whose bucket has refilled (they lose nothing), and
// if that frees nothing, the oldest half.
func (l *Limiter) sweep(now time.Time) {
	full := time.Duration(float64(l.cfg.Burst) / l.cfg.PerSecond * float64(time.Second))
	for k, b := range l.clients {
		if now.Sub(b.seen) > full {
			delete(l.clients, k)
		}
	}
	if len(l.clients) < l.cfg.MaxClients {
		return
	}
	var total time.Duration
	for _, b := range l.clients {
		total += now.Sub(b.seen) / time.Duration(len(l.clients))
	}
	for k, b := range l.clients {
		if now.Sub(b.seen) >= total {
			delete(l.clients, k)
		}
	}
}

// Key identifies the client of r: the authenticated principal (""
// if none), else the trusted header's address, else the peer address.
func (l *Limiter) Key(r *http.Request, principal string) string {
	if principal != "" {
		return "p:" + principal
	}
	if h := l.cfg.ClientIPHeader; h != "" {
		if v := r.Header.Get(h); v != "" {
			first, _, _ := strings.Cut(v, ",")
			return "ip:" + hostOnly(strings.TrimSpace(first))
		}
	}
	return "ip:" + hostOnly(r.RemoteAddr)
}

func hostOnly(addr string) string {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return h
	}
	return addr
}
