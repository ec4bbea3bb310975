package api

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/classifly/classifly/wire"
)

// budget is the memory that requests may reserve, in bytes: their bodies
// and their decoding, each reserved before it is allocated. A request that
// does not fit waits up to the queue timeout for others to finish, then
// gets 503; one that could never fit gets 413. A nil budget admits all.
type budget struct {
	capacity int64
	timeout  time.Duration

	mu   sync.Mutex
	used int64
	wake chan struct{} // closed and replaced whenever memory is released
}

// budgetHeadroom is kept out of the requests' share for what the process
// holds anyway: the runtime, the models, buffers between GC cycles.
func budgetHeadroom(total int64) int64 { return max(64<<20, total/4) }

func newBudget(total int64, timeout time.Duration) *budget {
	if total <= 0 {
		return nil
	}
	return &budget{capacity: max(total-budgetHeadroom(total), 1<<20), timeout: timeout, wake: make(chan struct{})}
}

// errNeverFits is a reservation larger than the whole budget.
var errNeverFits = errors.New("more memory than the server's whole budget")

// reserve takes n bytes, waiting while others hold too much.
func (b *budget) reserve(ctx context.Context, n int64) error {
	if b == nil || n <= 0 {
		return nil
	}
	if n > b.capacity {
		return fmt.Errorf("%w: %d bytes needed, %d available to requests", errNeverFits, n, b.capacity)
	}
	var timer *time.Timer
	for {
		b.mu.Lock()
		if b.used+n <= b.capacity {
			b.used += n
			b.mu.Unlock()
			return nil
		}
		wake := b.wake
		b.mu.Unlock()
		if timer == nil {
			timer = time.NewTimer(b.timeout)
			defer timer.Stop()
		}
		select {
		case <-wake:
		case <-timer.C:
			return fmt.Errorf("%w: memory budget full (%d bytes wanted)", ErrOverloaded, n)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (b *budget) release(n int64) {
	if b == nil || n <= 0 {
		return
	}
	b.mu.Lock()
	b.used -= n
	close(b.wake)
	b.wake = make(chan struct{})
	b.mu.Unlock()
}

func (b *budget) reserved() int64 {
	if b == nil {
		return 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}

// reservation is one request's share of the budget.
type reservation struct {
	b    *budget
	held int64
}

// grow reserves n more bytes. Its errors are the client's answer: 503
// when the budget is busy, 413 when n could never fit.
func (r *reservation) grow(ctx context.Context, n int64, what string) error {
	err := r.b.reserve(ctx, n)
	switch {
	case errors.Is(err, errNeverFits):
		return &Error{Code: wire.CodeImageTooLarge, Err: err,
			Message: fmt.Sprintf("%s needs about %d MB, more than this server's memory budget allows", what, n>>20)}
	case errors.Is(err, ErrOverloaded):
		return &Error{Code: wire.CodeOverloaded, RetryAfter: RetryAfter, Err: err,
			Message: "the server's memory budget is taken by other requests; retry later"}
	case err != nil:
		return err
	}
	r.held += n
	return nil
}

// shrink gives back what the request holds beyond n bytes.
func (r *reservation) shrink(n int64) {
	if n < r.held {
		r.b.release(r.held - n)
		r.held = n
	}
}

func (r *reservation) release() {
	r.b.release(r.held)
	r.held = 0
}

// DefaultMemoryBudget is the budget when Limits.MemoryBudget is zero: the
// container's memory limit (cgroup v2 memory.max, or v1
// memory.limit_in_bytes), else GOMEMLIMIT, else half the machine's memory,
// else 1 GiB.
func DefaultMemoryBudget() int64 {
	for _, f := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		if b, err := os.ReadFile(f); err == nil {
			if n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil && n > 0 && n < 1<<50 {
				return n
			}
		}
	}
	if n := debug.SetMemoryLimit(-1); n > 0 && n < math.MaxInt64 {
		return n
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemTotal:" {
				if kb, err := strconv.ParseInt(f[1], 10, 64); err == nil && kb > 0 {
					return kb << 10 / 2
				}
			}
		}
	}
	return 1 << 30
}
