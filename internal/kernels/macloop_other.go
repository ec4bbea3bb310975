//go:build purego || !(amd64 || arm64)

package kernels

// macLoop: no MAC loop in this build.
func macLoop(Backend, bool, int) int64 { return 0 }
