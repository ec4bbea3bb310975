package testkit

import (
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"
)

// EnvTestSeed replays the random cases of a failed run: SeededRand uses
// its value as the seed.
const EnvTestSeed = "CLASSIFLY_TEST_SEED"

// SeededRand returns a generator for random test cases. The seed changes
// from run to run; it is printed when the test fails and EnvTestSeed
// replays it.
func SeededRand(t testing.TB) *rand.Rand {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv(EnvTestSeed); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("%s=%q: %v", EnvTestSeed, s, err)
		}
		seed = v
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("random cases came from seed %d: rerun with %s=%d", seed, EnvTestSeed, seed)
		}
	})
	return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}
