//go:build !amd64 || purego

package kernels

func dwF32Vector(*ConvParams, Backend) bool { return false }

// dwF32Window is empty: no vector kernel gathers border windows here.
type dwF32Window struct{}

func (d *DWConvF32) runVector(in, out []float32, r int, _ *dwF32Window) {
	d.runPixels(in, out, r, 0, d.p.OutW)
}
