package cli

import (
	"context"
	"sync"

	"github.com/classifly/classifly/classify"
)

// predictDepth is how many pictures `predict` has in flight: the next one
// is read and decoded on one core while the current one runs the network
// on another.
const predictDepth = 2

// outcome is one picture's answer.
type outcome struct {
	res *classify.Result
	err error
}

// inOrder runs work(0), …, work(n-1) with at most depth calls at once and
// hands each outcome to emit in index order, whatever order the calls end
// in. It stops starting calls once emit returns false or ctx ends, cancels
// the context of the calls still running, and returns when they are done.
func inOrder(ctx context.Context, n, depth int, work func(ctx context.Context, i int) (*classify.Result, error),
	emit func(i int, res *classify.Result, err error) bool) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The consumer holds one call's answer channel and the queue the rest:
	// depth calls in flight.
	queue := make(chan chan outcome, max(depth, 1)-1)
	var wg sync.WaitGroup
	go func() {
		defer close(queue)
		for i := range n {
			ch := make(chan outcome, 1)
			select {
			case queue <- ch:
			case <-ctx.Done():
				return
			}
			// select picks at random among ready cases: while the consumer
			// drains the queue after cancelling, a send can still win. Start
			// nothing then, but answer the queued call: when the caller's
			// context ended, the consumer may still be waiting on it.
			if err := ctx.Err(); err != nil {
				ch <- outcome{err: err}
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := work(ctx, i)
				ch <- outcome{res, err}
			}()
		}
	}()
	i := 0
	for ch := range queue {
		o := <-ch
		if !emit(i, o.res, o.err) {
			break
		}
		i++
	}
	cancel()
	for range queue { // let the producer see the cancellation and close
	}
	wg.Wait()
}
