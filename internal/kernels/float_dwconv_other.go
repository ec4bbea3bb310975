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

// Streams reports whether RunRow serves the layer: never here.
func (d *DWConvF32) Streams() bool { return false }

func (d *DWConvF32) RunRow(rows *[3][]float32, out []float32, r int) {
	panic("kernels: DWConvF32.RunRow without vector kernels")
}
