package cli

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/classifly/classifly/classify"
)

// TestInOrder: calls that end in random order are emitted in index order,
// never more than depth run at once, and a false from emit stops the run
// with every started call finished.
func TestInOrder(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 1))
	delays := make([]time.Duration, 50)
	for i := range delays {
		delays[i] = time.Duration(rng.IntN(3000)) * time.Microsecond
	}
	for _, depth := range []int{1, 2, 4} {
		var running, most, started, finished atomic.Int32
		work := func(ctx context.Context, i int) (*classify.Result, error) {
			started.Add(1)
			defer finished.Add(1)
			n := running.Add(1)
			defer running.Add(-1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			time.Sleep(delays[i])
			if i%7 == 3 {
				return nil, errors.New("odd one")
			}
			return &classify.Result{Model: string(rune('a' + i%26))}, nil
		}
		var got []int
		inOrder(context.Background(), len(delays), depth, work, func(i int, res *classify.Result, err error) bool {
			if (err != nil) != (i%7 == 3) || err == nil && res.Model != string(rune('a'+i%26)) {
				t.Errorf("seed %d depth %d: outcome %d is another call's", seed, depth, i)
			}
			got = append(got, i)
			return true
		})
		for i, g := range got {
			if g != i {
				t.Fatalf("seed %d depth %d: emitted %v", seed, depth, got)
			}
		}
		if len(got) != len(delays) || most.Load() > int32(depth) || depth > 1 && most.Load() < 2 {
			t.Errorf("seed %d depth %d: %d emitted, at most %d at once", seed, depth, len(got), most.Load())
		}

		started.Store(0)
		finished.Store(0)
		n := 0
		inOrder(context.Background(), len(delays), depth, work, func(int, *classify.Result, error) bool {
			n++
			return n < 5
		})
		if n != 5 || started.Load() != finished.Load() || started.Load() > int32(5+depth) {
			t.Errorf("seed %d depth %d: stopped after %d, %d started, %d finished", seed, depth, n, started.Load(), finished.Load())
		}
	}
}

// TestInOrderParentCancel: when the caller's context ends while emit still
// accepts, inOrder returns promptly: no queued call is left unanswered.
func TestInOrderParentCancel(t *testing.T) {
	for round := range 500 {
		ctx, cancel := context.WithCancel(context.Background())
		work := func(ctx context.Context, i int) (*classify.Result, error) {
			return &classify.Result{}, ctx.Err()
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			inOrder(ctx, 50, 2, work, func(i int, _ *classify.Result, _ error) bool {
				if i == 0 {
					cancel()
				}
				return true
			})
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("round %d: inOrder still waiting 5 s after its context was cancelled", round)
		}
		cancel()
	}
}
