package kernels

import (
	"fmt"
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

var backendNames = [...]string{Generic: "generic", AVX2: "avx2", AVX512VNNI: "avx512vnni", NEON: "neon"}

func (b Backend) String() string {
	if b < 0 || int(b) >= len(backendNames) {
		return "unknown"
	}
	return backendNames[b]
}

// Available lists the backends this CPU and build can run, best last. CPU
// features do not change while a process runs, so neither does the list.
func Available() []Backend {
	return append([]Backend{Generic}, vectorBackends()...)
}

// ChooseBackend returns the backend called name, or the best available one
// when name is empty. A name that is unknown, or that this CPU or build
// cannot run, is an error naming the backends it can.
func ChooseBackend(name string) (Backend, error) {
	avail := Available()
	if name == "" {
		return avail[len(avail)-1], nil
	}
	names := make([]string, len(avail))
	for i, b := range avail {
		if b.String() == strings.ToLower(name) {
			return b, nil
		}
		names[i] = b.String()
	}
	have := strings.Join(names, ", ")
	for _, known := range backendNames {
		if known == strings.ToLower(name) {
			return 0, fmt.Errorf("kernels: backend %q cannot run here (this CPU and build have %s)", name, have)
		}
	}
	return 0, fmt.Errorf("kernels: unknown backend %q (this CPU and build have %s)", name, have)
}

// View reinterprets bytes as a slice of T without copying, as many whole
// elements as fit. b must be aligned for T: arena offsets are.
func View[T Q8 | int32 | float32](b []byte) []T {
	n := len(b) / int(unsafe.Sizeof(*new(T)))
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*T)(unsafe.Pointer(&b[0])), n)
}
