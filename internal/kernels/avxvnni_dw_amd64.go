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
// (overlapping the one before it): per half j, the vectors of
// dwVNNIBlock's fields with 8 dwords each, dword k of half j for channel
// off + 8·(k/4) + 4j + k%4 (the order of the kernel's unpacks), except
// that dwBlockNegEn holds the count of the logical shift that gives the
// correction for negative values: 31 where the right shift is not 0, else
// 32.
func avxvnniDWBlocks(d *DWConv, qb *requant) [][]int32 {
	c := d.p.OutC
	var blocks [][]int32
	for off := 0; off < c; off += 16 {
		off := min(off, c-16)
		data := make([]int32, 2*dwBlockFields*8)
		for j := range 2 {
			vec := func(f int) []int32 { return data[(j*dwBlockFields+f)*8:][:8] }
			ch := func(k int) int { return off + 8*(k/4) + 4*j + k%4 }
			for k := range 8 {
				c := ch(k)
				vec(dwBlockBias)[k] = qb.Bias[c]
				vec(dwBlockMult)[k] = qb.Mult[c]
				vec(dwBlockNegEn)[k] = 32 + qb.NegEn[c]
				vec(dwBlockRShift)[k] = qb.RShift[c]
				for kx := range 3 {
					var w uint32
					for ky := range 3 {
						w |= uint32(uint8(int8(d.w[(ky*3+kx)*d.cpad+c]))) << (8 * ky)
					}
					vec(dwBlockW + kx)[k] = int32(w)
				}
				if k%2 == 1 {
					continue
				}
				odd := ch(k + 1)
				vec(dwBlockMultOdd)[k] = qb.Mult[odd]
				for f, c := range map[int]int{dwBlockNudge: c, dwBlockNudgeOdd: odd} {
					nudge := uint64(1)<<30 + uint64(qb.Round[c])<<31
					vec(f)[k], vec(f)[k+1] = int32(uint32(nudge)), int32(uint32(nudge>>32))
				}
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
	zpRow := make([]byte, p.InW*c)
	Fill(zpRow, byte(p.InZP))
	zp := uint32(byte(p.InZP) ^ 0x80)
	proto := dwArgs{
		n: p.OutW, colStep: c, padL: p.PadW * c, padR: padR, zpCol: int32(zp * 0x010101),
		outZP: d.q.OutZP, min: d.q.Min, max: d.q.Max,
	}
	return func(in, out []byte, r0, r1 int) {
		args := proto
		for r := r0; r < r1; r++ {
			b, oy := r/p.OutH, r%p.OutH
			var rows [3][]byte
			for ky := range rows {
				rows[ky] = zpRow
				if y := oy*p.StrideH - p.PadH + ky; y >= 0 && y < p.InH {
					rows[ky] = in[(b*p.InH+y)*p.InW*c:]
				}
			}
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
