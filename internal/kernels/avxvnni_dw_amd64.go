//go:build !purego

package kernels

// prepareAVXVNNI prepares a depthwise convolution for the AVX-VNNI
// backend: the AVX2 kernels, and for int8 3×3 layers that
// dwconv3x3AVXVNNI can run (dilation 1, stride 1 or 2, at most a column of
// padding a side, at least 16 channels, no left shift) its direct kernel
// in their place. uint8 layers keep the AVX2 kernels: their weights less
// the zero point do not fit VPDPBUSD's signed bytes.
func (d *DWConv) prepareAVXVNNI() {
	d.prepareAVX2()
	p := &d.p
	if !d.signed || p.KH != 3 || p.KW != 3 || p.DilationH != 1 || p.DilationW != 1 || p.StrideW > 2 || p.OutC < 16 {
		return
	}
	over := (p.OutW-1)*p.StrideW + 3 - p.PadW - p.InW
	if p.PadW > 1 || over > 1 {
		return
	}
	// Σ(x-xz)·w = Σ(x+128)·w - (128+xz)·Σw: the bias already holds
	// -xz·Σw; take 128·Σw too.
	bias := make([]int32, p.OutC)
	for c := range bias {
		bias[c] = d.q.Bias[c]
		for t := range 9 {
			bias[c] -= 128 * d.w[t*d.cpad+c]
		}
	}
	qb := newRequant(bias, p.Mult, p.Shift, p.OutZP, p.ActMin, p.ActMax, p.OutC, 16)
	if anyLShift(qb) != 0 {
		return
	}
	d.direct = d.directAVXVNNI(avxvnniDWBlocks(d, qb), max(over, 0))
}

// avxvnniDWBlocks lays out the constants of dwconv3x3AVXVNNI for each
// block of 16 channels, the last block ending at the last channel
// (overlapping the one before it): per half j, the avx2Requant block of
// its 8 channels, then the weights (w0, w1, w2, 0) of the three filter
// columns, dword k of half j for channel off + 8·(k/4) + 4j + k%4 (the
// order of the kernel's unpacks).
func avxvnniDWBlocks(d *DWConv, qb *requant) [][]int32 {
	c := d.p.OutC
	var blocks [][]int32
	for off := 0; off < c; off += 16 {
		off := min(off, c-16)
		var data []int32
		for j := range 2 {
			h := &requant{}
			var w [3][8]int32
			for k := range 8 {
				c := off + 8*(k/4) + 4*j + k%4
				h.Bias = append(h.Bias, qb.Bias[c])
				h.Mult = append(h.Mult, qb.Mult[c])
				h.LShift = append(h.LShift, qb.LShift[c])
				h.RShift = append(h.RShift, qb.RShift[c])
				h.Round = append(h.Round, qb.Round[c])
				h.NegEn = append(h.NegEn, qb.NegEn[c])
				for kx := range w {
					var q uint32
					for ky := range 3 {
						q |= uint32(uint8(int8(d.w[(ky*3+kx)*d.cpad+c]))) << (8 * ky)
					}
					w[kx][k] = int32(q)
				}
			}
			data = avx2Requant(data, h, 0, 8)
			for kx := range w {
				data = append(data, w[kx][:]...)
			}
		}
		blocks = append(blocks, data)
	}
	return blocks
}

// directAVXVNNI returns DWConv.direct for dwconv3x3AVXVNNI, one call per
// row and block of 16 channels, with padR the padding columns right of
// the last window (0 or 1).
func (d *DWConv) directAVXVNNI(blocks [][]int32, padR int) func(in, out []byte, r0, r1 int) {
	p := &d.p
	c := p.OutC
	// zpCol as the gather lays out a column: dwords (x0, x1, x2, 0).
	proto, zpRow := d.unpaddedArgs(padR, 0x010101)
	return func(in, out []byte, r0, r1 int) {
		args := proto
		for r := r0; r < r1; r++ {
			rows := d.unpaddedRows(in, zpRow, r)
			orow := out[r*p.OutW*c:]
			for i, data := range blocks {
				off := min(16*i, c-16)
				args.in, args.in1, args.in2 = &rows[0][off], &rows[1][off], &rows[2][off]
				args.out = &orow[off]
				args.w = &data[0]
				if p.StrideW == 1 {
					dwconv3x3AVXVNNIs1(&args)
				} else {
					dwconv3x3AVXVNNIs2(&args)
				}
			}
		}
	}
}
