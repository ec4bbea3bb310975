package cli

import "time"

// measureClockMHz estimates the core clock while busy, which turbo and
// virtualisation make differ from the nominal figure of /proc/cpuinfo: it
// times a chain of dependent add/xor pairs, 2 cycles an iteration on any
// core that runs simple integer operations in 1 cycle. The best of many
// short trials (under a millisecond each), so that on a busy machine some
// run without being preempted.
func measureClockMHz() (float64, string) {
	const n = 1_000_000
	best := fastest(100, func() { addXorChain(n, uint64(time.Now().UnixNano())) })
	return 2 * n / best.Seconds() / 1e6, "measured (dependent add+xor chain, 2 cycles per iteration)"
}

// fastest runs run trials times and returns its shortest time: the trials
// that ran without being preempted, on a busy machine too.
func fastest(trials int, run func()) time.Duration {
	best := time.Duration(1<<63 - 1)
	for range trials {
		start := time.Now()
		run()
		best = min(best, time.Since(start))
	}
	return best
}

// addXorChain is the timed loop; noinline keeps the compiler from
// removing or reshaping it.
//
//go:noinline
func addXorChain(n int, x uint64) uint64 {
	y := x | 1
	for i := range n {
		x += y
		x ^= uint64(i)
	}
	return x
}
