package api

import (
	"context"
	"math"
	"sync/atomic"
	"time"
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

// ceilSeconds rounds d up to whole seconds, at least 1, for Retry-After.
func ceilSeconds(d time.Duration) time.Duration {
	return time.Duration(math.Max(1, math.Ceil(d.Seconds()))) * time.Second
}
