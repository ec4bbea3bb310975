package kernels

import "slices"

// MACLoop runs n iterations of backend b's multiply-accumulate instructions
// alone (int8, or float32 when float), as its kernels issue them but with
// no loads, stores or requantization, and returns how many multiply-adds
// that was: 0 where b has no such loop in this build or cannot run on
// this CPU. Timed, it measures the ceiling of b's kernels on the CPU at
// hand (`classifly bench --profile`), which the instructions' published
// rates only suggest: a VM's or a core's own limits show.
func MACLoop(b Backend, float bool, n int) int64 {
	if n <= 0 || !slices.Contains(Available(), b) {
		return 0
	}
	return int64(n) * macLoop(b, float, n)
}
