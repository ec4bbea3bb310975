package jpegdec

import "math"

// The inverse DCTs turn one block of dequantized coefficients (natural
// order) into an N×N block of samples, N = 8, 4, 2 or 1. They follow the
// arithmetic of libjpeg's integer transforms (13-bit constants, 2 extra bits
// between passes, columns first) so that the output matches djpeg's to
// within rounding.
const (
	constBits = 13
	pass1Bits = 2
)

// Fixed-point constants of the Loeffler-Ligtenberg-Moschytz 8-point IDCT,
// round(c * 2^13).
const (
	fix0298631336 = 2446
	fix0390180644 = 3196
	fix0541196100 = 4433
	fix0765366865 = 6270
	fix0899976223 = 7373
	fix1175875602 = 9633
	fix1501321110 = 12299
	fix1847759065 = 15137
	fix1961570560 = 16069
	fix2053119869 = 16819
	fix2562915447 = 20995
	fix3072711026 = 25172
)

// clamp maps a centred sample to 0..255.
func clamp(v int32, warn *int) byte {
	if uint32(v+128) > 255 {
		return clampSlow(v, warn)
	}
	return byte(v + 128)
}

// clampSlow saturates as libjpeg's range-limit table does: only within
// ±512 of the range; beyond, which no valid picture reaches, the table wraps
// (T.81 leaves it open), and that is counted as a warning.
func clampSlow(v int32, warn *int) byte {
	if w := (v+512)&1023 - 512; w != v {
		*warn++
		v = w
	}
	if v < -128 {
		return 0
	}
	if v > 127 {
		return 255
	}
	return byte(v + 128)
}

// idct8 is the full 8×8 inverse DCT (LL&M, as libjpeg's "islow").
func idct8(blk *[64]int32, dst []byte, stride int, warn *int) {
	var ws [64]int32
	for c := 0; c < 8; c++ {
		in := blk[c:]
		if in[8]|in[16]|in[24]|in[32]|in[40]|in[48]|in[56] == 0 {
			dc := in[0] << pass1Bits
			for r := 0; r < 8; r++ {
				ws[r*8+c] = dc
			}
			continue
		}
		o := idct1D(in[0], in[8], in[16], in[24], in[32], in[40], in[48], in[56])
		const sh = constBits - pass1Bits
		const rnd = 1 << (sh - 1)
		for r := 0; r < 8; r++ {
			ws[r*8+c] = (o[r] + rnd) >> sh
		}
	}
	const sh = constBits + pass1Bits + 3
	const rnd = 1 << (sh - 1)
	for r := 0; r < 8; r++ {
		w := ws[r*8 : r*8+8 : r*8+8]
		d := dst[r*stride : r*stride+8 : r*stride+8]
		if w[1]|w[2]|w[3]|w[4]|w[5]|w[6]|w[7] == 0 {
			v := clamp((w[0]+1<<(pass1Bits+2))>>(pass1Bits+3), warn)
			for i := range d {
				d[i] = v
			}
			continue
		}
		o := idct1D(w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7])
		for i := range d {
			d[i] = clamp((o[i]+rnd)>>sh, warn)
		}
	}
}

// idct1D is one 8-point LL&M pass, outputs scaled by 2^13.
func idct1D(i0, i1, i2, i3, i4, i5, i6, i7 int32) [8]int32 {
	// Even part.
	z1 := (i2 + i6) * fix0541196100
	t2 := z1 - i6*fix1847759065
	t3 := z1 + i2*fix0765366865
	t0 := (i0 + i4) << constBits
	t1 := (i0 - i4) << constBits
	t10, t13 := t0+t3, t0-t3
	t11, t12 := t1+t2, t1-t2
	// Odd part.
	o0, o1, o2, o3 := i7, i5, i3, i1
	z1 = o0 + o3
	z2 := o1 + o2
	z3 := o0 + o2
	z4 := o1 + o3
	z5 := (z3 + z4) * fix1175875602
	o0 *= fix0298631336
	o1 *= fix2053119869
	o2 *= fix3072711026
	o3 *= fix1501321110
	z1 *= -fix0899976223
	z2 *= -fix2562915447
	z3 = z3*-fix1961570560 + z5
	z4 = z4*-fix0390180644 + z5
	o0 += z1 + z3
	o1 += z2 + z4
	o2 += z2 + z3
	o3 += z1 + z4
	return [8]int32{t10 + o3, t11 + o2, t12 + o1, t13 + o0, t13 - o0, t12 - o1, t11 - o2, t10 - o3}
}

// reduced holds the matrices of the 4- and 2-point reduced IDCTs: output k
// is the mean of the 8-point IDCT's outputs 8/N*k .. 8/N*(k+1)-1, which is
// what libjpeg's scaled transforms compute (so coefficient 4, and for N=2
// all even ones but DC, drop out). Entries are scaled by 2^13.
type reduced struct {
	m4 [4][8]int32
	m2 [2][8]int32
}

var red = func() (r reduced) {
	basis := func(n, u int) float64 {
		c := 1.0
		if u == 0 {
			c = 1 / math.Sqrt2
		}
		return 0.5 * c * math.Cos(float64(2*n+1)*float64(u)*math.Pi/16)
	}
	fix := func(v float64) int32 { return int32(math.Round(v * (1 << constBits))) }
	for u := 0; u < 8; u++ {
		for k := 0; k < 4; k++ {
			r.m4[k][u] = fix((basis(2*k, u) + basis(2*k+1, u)) / 2)
		}
		for k := 0; k < 2; k++ {
			s := 0.0
			for n := 4 * k; n < 4*k+4; n++ {
				s += basis(n, u)
			}
			r.m2[k][u] = fix(s / 4)
		}
	}
	return r
}()

// idct4 is the 4×4 reduced IDCT (scale 1/2).
func idct4(blk *[64]int32, dst []byte, stride int, warn *int) {
	var ws [4][8]int32 // [output row][column]
	for c := 0; c < 8; c++ {
		if c == 4 {
			continue
		}
		in := blk[c:]
		if in[8]|in[16]|in[24]|in[40]|in[48]|in[56] == 0 {
			v := in[0] * red.m4[0][0]
			v = (v + 1<<(constBits-pass1Bits-1)) >> (constBits - pass1Bits)
			ws[0][c], ws[1][c], ws[2][c], ws[3][c] = v, v, v, v
			continue
		}
		for k := 0; k < 4; k++ {
			m := &red.m4[k]
			s := in[0]*m[0] + in[8]*m[1] + in[16]*m[2] + in[24]*m[3] + in[40]*m[5] + in[48]*m[6] + in[56]*m[7]
			ws[k][c] = (s + 1<<(constBits-pass1Bits-1)) >> (constBits - pass1Bits)
		}
	}
	const sh = constBits + pass1Bits
	for k := 0; k < 4; k++ {
		w := &ws[k]
		d := dst[k*stride : k*stride+4 : k*stride+4]
		for j := 0; j < 4; j++ {
			m := &red.m4[j]
			s := w[0]*m[0] + w[1]*m[1] + w[2]*m[2] + w[3]*m[3] + w[5]*m[5] + w[6]*m[6] + w[7]*m[7]
			d[j] = clamp((s+1<<(sh-1))>>sh, warn)
		}
	}
}

// idct2 is the 2×2 reduced IDCT (scale 1/4). Only rows and columns 0, 1,
// 3, 5 and 7 contribute; columns with no coefficient are skipped.
func idct2(blk *[64]int32, dst []byte, stride int, warn *int) {
	var ws [2][8]int32
	m0, m1 := &red.m2[0], &red.m2[1]
	const sh1 = constBits - pass1Bits
	for _, c := range [...]int{0, 1, 3, 5, 7} {
		in := blk[c : c+57 : c+57]
		a0, a1, a3, a5, a7 := in[0], in[8], in[24], in[40], in[56]
		if a1|a3|a5|a7 == 0 {
			if a0 == 0 {
				continue
			}
			v := (a0*m0[0] + 1<<(sh1-1)) >> sh1
			ws[0][c], ws[1][c] = v, v
			continue
		}
		ws[0][c] = (a0*m0[0] + a1*m0[1] + a3*m0[3] + a5*m0[5] + a7*m0[7] + 1<<(sh1-1)) >> sh1
		ws[1][c] = (a0*m1[0] + a1*m1[1] + a3*m1[3] + a5*m1[5] + a7*m1[7] + 1<<(sh1-1)) >> sh1
	}
	const sh = constBits + pass1Bits
	for k := 0; k < 2; k++ {
		w := &ws[k]
		s0 := w[0]*m0[0] + w[1]*m0[1] + w[3]*m0[3] + w[5]*m0[5] + w[7]*m0[7]
		s1 := w[0]*m1[0] + w[1]*m1[1] + w[3]*m1[3] + w[5]*m1[5] + w[7]*m1[7]
		d := dst[k*stride : k*stride+2 : k*stride+2]
		d[0] = clamp((s0+1<<(sh-1))>>sh, warn)
		d[1] = clamp((s1+1<<(sh-1))>>sh, warn)
	}
}

// idct1 is the DC-only transform (scale 1/8): the block's mean.
func idct1(blk *[64]int32, dst []byte, _ int, warn *int) {
	dst[0] = clamp((blk[0]+4)>>3, warn)
}

// dcOnly is the value every sample of an s×s output block takes when only
// the DC coefficient is non-zero, with the rounding of the full transforms.
func dcOnly(dc int32, s int, warn *int) byte {
	switch s {
	case 4:
		m := red.m4[0][0]
		w := (dc*m + 1<<(constBits-pass1Bits-1)) >> (constBits - pass1Bits)
		return clamp((w*m+1<<(constBits+pass1Bits-1))>>(constBits+pass1Bits), warn)
	case 2:
		m := red.m2[0][0]
		w := (dc*m + 1<<(constBits-pass1Bits-1)) >> (constBits - pass1Bits)
		return clamp((w*m+1<<(constBits+pass1Bits-1))>>(constBits+pass1Bits), warn)
	}
	// 8 (LL&M: DC<<2, then descaled by 5 bits) and 1 agree: (dc+4)>>3.
	return clamp((dc+4)>>3, warn)
}
