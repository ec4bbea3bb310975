package engine

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// pool is a persistent set of worker goroutines that run one parallel phase
// of an operator at a time. Waking a parked goroutine costs more than some
// whole layers take, so between phases workers spin for a while before they
// park, and the caller works on its own share instead of waiting.
type pool struct {
	n       int        // workers, the caller included
	mu      sync.Mutex // one parallel run at a time
	phase   func(mem []byte, w, n int)
	mem     []byte
	gen     atomic.Uint64 // bumped for each phase
	pending atomic.Int32  // workers yet to finish the phase
	stopped atomic.Bool
	parked  []atomic.Bool
	wake    []chan struct{}
	once    sync.Once
}

// spinRounds is how long an idle worker polls (each round yields the
// processor) before it parks.
const spinRounds = 2000

func newPool(n int) *pool {
	p := &pool{n: n, parked: make([]atomic.Bool, n), wake: make([]chan struct{}, n)}
	for i := range p.wake {
		p.wake[i] = make(chan struct{}, 1)
	}
	return p
}

// start launches the workers on first use, so that models that are loaded
// but never run cost no goroutines.
func (p *pool) start() {
	p.once.Do(func() {
		// Workers start from the generation before the first phase, which
		// run bumps only after start returns.
		gen := p.gen.Load()
		for w := 1; w < p.n; w++ {
			go p.worker(w, gen)
		}
	})
}

func (p *pool) worker(w int, seen uint64) {
	for {
		for i := 0; p.gen.Load() == seen; i++ {
			if p.stopped.Load() {
				return
			}
			if i < spinRounds {
				runtime.Gosched()
				continue
			}
			// Swap, a read-modify-write, orders this store before the load of
			// gen below on every architecture and emulator (a Dekker-style
			// handshake with run, which bumps gen and then checks parked).
			p.parked[w].Swap(true)
			if p.gen.Load() != seen || p.stopped.Load() {
				if !p.parked[w].CompareAndSwap(true, false) {
					<-p.wake[w] // a waker claimed us: take its token
				}
				continue
			}
			<-p.wake[w]
			i = 0
		}
		// A new phase: run it even if stop has been asked for since, or
		// run would wait forever for this worker's share.
		seen = p.gen.Load()
		p.phase(p.mem, w, p.n)
		p.pending.Add(-1)
	}
}

// run executes phase on all workers and returns when all are done.
func (p *pool) run(phase func(mem []byte, w, n int), mem []byte) {
	p.phase, p.mem = phase, mem
	p.pending.Store(int32(p.n - 1))
	p.gen.Add(1)
	for w := 1; w < p.n; w++ {
		if p.parked[w].CompareAndSwap(true, false) {
			p.wake[w] <- struct{}{}
		}
	}
	phase(mem, 0, p.n)
	for i := 0; p.pending.Load() != 0; i++ {
		if i > 64 {
			runtime.Gosched()
		}
	}
	p.phase, p.mem = nil, nil
}

// stop ends the workers. It takes mu, so it waits for a parallel run in
// progress and no phase starts after it.
func (p *pool) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stopped.Store(true)
	for w := 1; w < p.n; w++ {
		if p.parked[w].CompareAndSwap(true, false) {
			p.wake[w] <- struct{}{}
		}
	}
}

// share splits n items (in steps of align) among workers: worker w gets
// [lo, hi).
func share(n, align, w, workers int) (lo, hi int) {
	blocks := (n + align - 1) / align
	lo = blocks * w / workers * align
	hi = blocks * (w + 1) / workers * align
	return min(lo, n), min(hi, n)
}
