//go:build !amd64 || purego

package kernels

func dwF32Vector(*ConvParams, Backend) bool { return false }

func (d *DWConvF32) runVector(in, out []float32, r int) { d.runPixels(in, out, r, 0, d.p.OutW) }
