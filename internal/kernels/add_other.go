//go:build purego || !amd64

package kernels

// prepareVector has nothing to prepare where ADD has no vector kernel.
func (ad *Adder) prepareVector() {}
