package api

import (
	"context"
	"math"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// admission bounds the classifications running at once and the requests
// waiting for one. A request that finds the queue full, or waits longer
// than the queue timeout, is refused (ErrOverloaded → 503 Retry-After):
// excess load is shed at once instead of piling up.
type admission struct {
	slots   chan struct{} // one token per running classification
	waiting chan struct{} // one token per queued request
	timeout time.Duration
	running atomic.Int64
	queued  atomic.Int64
}

func newAdmission(concurrent, queue int, timeout time.Duration) *admission {
	return &admission{
		slots:   make(chan struct{}, concurrent),
		waiting: make(chan struct{}, queue),
		timeout: timeout,
	}
}

// acquire takes a slot, waiting in the queue if there is room. On success
// the caller must call release. wait is the time spent queued.
func (a *admission) acquire(ctx context.Context) (wait time.Duration, err error) {
	select {
	case a.slots <- struct{}{}:
		a.running.Add(1)
		return 0, nil
	default:
	}
	select {
	case a.waiting <- struct{}{}:
	default:
		return 0, ErrOverloaded
	}
	a.queued.Add(1)
	defer func() { a.queued.Add(-1); <-a.waiting }()
	start := time.Now()
	timer := time.NewTimer(a.timeout)
	defer timer.Stop()
	select {
	case a.slots <- struct{}{}:
		a.running.Add(1)
		return time.Since(start), nil
	case <-timer.C:
		return time.Since(start), ErrOverloaded
	case <-ctx.Done():
		return time.Since(start), ctx.Err()
	}
}

func (a *admission) release() {
	a.running.Add(-1)
	<-a.slots
}

// gate is a plain counter bound: tryEnter fails at once when full.
type gate struct {
	max int64
	cur atomic.Int64
}

func (g *gate) tryEnter() bool {
	if g.cur.Add(1) > g.max {
		g.cur.Add(-1)
		return false
	}
	return true
}

func (g *gate) leave() { g.cur.Add(-1) }

// clientLimiter is a token bucket per client. Idle clients are forgotten
// when the table fills, so it stays bounded without a background goroutine.
type clientLimiter struct {
	cfg     RateLimitConfig
	mu      sync.Mutex
	clients map[string]*clientBucket
}

type clientBucket struct {
	lim  *rate.Limiter
	seen time.Time
}

func newClientLimiter(cfg RateLimitConfig) *clientLimiter {
	if cfg.PerSecond <= 0 {
		return nil
	}
	return &clientLimiter{cfg: cfg, clients: map[string]*clientBucket{}}
}

// allow takes a token for client, or says how long until one is free.
func (l *clientLimiter) allow(client string, now time.Time) (bool, time.Duration) {
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
func (l *clientLimiter) sweep(now time.Time) {
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

// clientKey identifies the client for rate limiting: the authenticated
// principal, else the trusted header's address, else the peer address.
func (l *clientLimiter) clientKey(r *http.Request) string {
	if info := infoFrom(r.Context()); info != nil && info.principal != "" {
		return "p:" + info.principal
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

// ceilSeconds rounds d up to whole seconds, at least 1, for Retry-After.
func ceilSeconds(d time.Duration) time.Duration {
	return time.Duration(math.Max(1, math.Ceil(d.Seconds()))) * time.Second
}
