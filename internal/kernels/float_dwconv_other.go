//go:build !amd64 || purego

package kernels

func dwF32Vector(*ConvParams, Backend) bool { return false }

// dwF32Cols is empty: no vector kernel here.
type dwF32Cols struct{}

func dwF32Geometry(*ConvParams) dwF32Cols { return dwF32Cols{} }

func (d *DWConvF32) runVector(in, out []float32, r0, r1 int) {
	for r := r0; r < r1; r++ {
		d.runPixels(in, out, r, 0, d.p.OutW)
	}
}
