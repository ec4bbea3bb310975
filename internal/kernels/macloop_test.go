package kernels

import (
	"runtime"
	"testing"
)

// TestMACLoop runs the multiply-accumulate loop of every amd64 backend
// this CPU has and checks the count it reports: n iterations of 12
// instructions of the backend's width, nothing for n ≤ 0, and nothing for
// the portable backend, which has no such loop (NEON: macloop_arm64_test).
func TestMACLoop(t *testing.T) {
	perIter := map[Backend][2]int64{AVX2: {192, 96}, AVXVNNI: {384, 96}, AVX512VNNI: {768, 192}}
	for _, b := range Available() {
		if b == NEON {
			continue
		}
		for i, float := range []bool{false, true} {
			got := MACLoop(b, float, 1000)
			want := 1000 * perIter[b][i]
			if runtime.GOARCH != "amd64" || b == Generic {
				want = 0
			}
			if got != want {
				t.Errorf("%s float=%v: %d MACs in 1000 iterations, want %d", b, float, got, want)
			}
			if n := MACLoop(b, float, 0); n != 0 {
				t.Errorf("%s float=%v: %d MACs in no iterations", b, float, n)
			}
		}
	}
}
