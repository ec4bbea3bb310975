package sagemaker

import (
	"context"
	"math/rand/v2"
	"time"
)

// RetryPolicy bounds the retries of one Classify. Zero values mean the
// defaults.
type RetryPolicy struct {
	// MaxAttempts counts the first call; default 5.
	MaxAttempts int
	// BaseDelay and MaxDelay shape the backoff: attempt n waits a random
	// time up to min(MaxDelay, BaseDelay·2^(n-1)) ("full jitter"), so that
	// many Lambdas throttled together do not come back together. Defaults
	// 200 ms and 3 s.
	BaseDelay, MaxDelay time.Duration
	// MinAttempt is the least time an attempt needs: no retry starts when
	// the request's deadline is nearer than the wait plus this. Default 2 s.
	MinAttempt time.Duration
	// jitter returns a number in [0, 1); nil means math/rand.
	jitter func() float64
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 5
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = 200 * time.Millisecond
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = 3 * time.Second
	}
	if p.MinAttempt <= 0 {
		p.MinAttempt = 2 * time.Second
	}
	if p.jitter == nil {
		p.jitter = rand.Float64
	}
	return p
}

// delay is the wait after the given failed attempt (1-based).
func (p RetryPolicy) delay(attempt int) time.Duration {
	ceiling := p.MaxDelay
	if attempt < 31 {
		if d := p.BaseDelay << (attempt - 1); d > 0 && d < ceiling {
			ceiling = d
		}
	}
	return time.Duration(p.jitter() * float64(ceiling))
}

// timeLeft reports whether ctx's deadline leaves room for waiting wait and
// then one more attempt. No deadline means yes.
func (p RetryPolicy) timeLeft(ctx context.Context, wait time.Duration) bool {
	if ctx.Err() != nil {
		return false
	}
	deadline, ok := ctx.Deadline()
	return !ok || time.Until(deadline) >= wait+p.MinAttempt
}
