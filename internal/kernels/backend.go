package kernels

import (
	"os"
	"strings"
	"unsafe"
)

// Backend names a set of kernel implementations.
type Backend int

const (
	Generic    Backend = iota // portable Go
	AVX2                      // amd64 AVX2
	AVX512VNNI                // amd64 AVX-512 (F, BW, VL) with VNNI
	NEON                      // arm64
)

func (b Backend) String() string {
	switch b {
	case Generic:
		return "generic"
	case AVX2:
		return "avx2"
	case AVX512VNNI:
		return "avx512vnni"
	case NEON:
		return "neon"
	}
	return "unknown"
}

// EnvBackend names the variable that forces a backend ("generic", or any
// name of Available()), for tests and for ruling a kernel out in the field.
const EnvBackend = "CLASSIFLY_KERNELS"

// Current is the backend new kernels use: the best the CPU supports, unless
// EnvBackend asks for another available one. It is decided at start-up
// (cpu features do not change) and read-only afterwards.
func Current() Backend { return current }

var current = chooseBackend()

func chooseBackend() Backend {
	avail := Available()
	if want := strings.ToLower(os.Getenv(EnvBackend)); want != "" {
		for _, b := range avail {
			if b.String() == want {
				return b
			}
		}
	}
	return avail[len(avail)-1]
}

// Available lists the backends this CPU and build can run, best last.
func Available() []Backend {
	return append([]Backend{Generic}, vectorBackends()...)
}

// as8s views bytes as int8 values without copying.
func as8s(b []byte) []int8 {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Slice((*int8)(unsafe.Pointer(&b[0])), len(b))
}
