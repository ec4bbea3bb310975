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
	AVXVNNI                   // amd64 AVX2 with AVX-VNNI (the VEX VPDPBUSD), no AVX-512 needed
)

var backendNames = [...]string{Generic: "generic", AVX2: "avx2", AVX512VNNI: "avx512vnni", NEON: "neon", AVXVNNI: "avxvnni"}

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

// The over-read contract: vector kernels load whole vectors, and at the end
// of an input may read bytes past it (never write them). What they read
// there is multiplied by zero weights or dropped, so any values do; the
// memory only has to be readable. TestKernelsStayInBounds holds the
// figures, which are exact (one byte less of slack faults).
const (
	// gemmOverread: GEMM kernels load a row's K values in groups of 4
	// (AVX-512 VNNI) or 8 (NEON): up to 3 bytes past a row.
	gemmOverread = 3
	// dwconvOverread: the AVX-512 depthwise kernels load the last pixel's
	// channels as a whole group of 16.
	dwconvOverread = 15
	// MaxOverread is how many readable bytes must follow the input of
	// GEMM.Run and the padded input of DWConv.Run.
	MaxOverread = max(gemmOverread, dwconvOverread)
)

// View reinterprets bytes as a slice of T without copying, as many whole
// elements as fit. b must be aligned for T: arena offsets are.
func View[T Q8 | int32 | float32](b []byte) []T {
	n := len(b) / int(unsafe.Sizeof(*new(T)))
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*T)(unsafe.Pointer(&b[0])), n)
}
