//go:build !purego

package kernels

import "encoding/binary"

// directScratch is the int16 words of each of the pair kernels' three
// scratch rows (on the stack of DirectConv.Run).
const directScratch = 1024

// directConvAVX2 returns the direct kernel of the AVX2 family for p, or nil
// when p does not fit it: the shapes directConvKernel takes, 32 output
// channels as 4 vectors of 8, the weights read from memory.
//
// On AVX-VNNI, weights that fit a signed byte (every int8 model; uint8
// ones whose w - wz do) take the quad form of the AVX-512 kernel with VEX
// VPDPBUSD. Otherwise, and on AVX2, the kernel widens the window rows to
// int16 and multiplies pairs (VPMADDWD, or VEX VPDPWSSD on AVX-VNNI),
// which is exact for any weights: x (int8, or uint8 as int16) times w
// (int8, or w - wz in [-255, 255]), two products per lane, far from
// int32's limits. Then
//
//	Σ(x-xz)·v = Σ x·v - xz·Σv,   v = w or w - wz,
//
// the second term in the bias. Padding reads xz, which adds nothing.
func directConvAVX2(p *ConvParams, signed bool, w []byte, bias []int32, b Backend) func(in, out []byte, r0, r1 int) {
	const outC, rows, quads = 32, 3, 3
	seg := p.KW * p.InC
	if p.OutC != outC || p.KH > rows || seg > 4*quads || p.DilationW != 1 {
		return nil
	}
	weight := func(raw byte) int32 {
		if signed {
			return int32(int8(raw))
		}
		return int32(raw) - p.FilterZP
	}
	if b == AVX2 {
		return directConvAVX2Words(p, signed, w, bias, weight)
	}
	useQuads := true
	for _, raw := range w {
		if v := weight(raw); v < -128 || v > 127 {
			useQuads = false
		}
	}
	kind, pairs := directWordsDP5, 5
	if seg > 2*pairs {
		kind, pairs = directWordsDP6, 6
	}
	zp := p.InZP
	if useQuads {
		kind = directQuadsVEX
		if signed {
			zp += 128
		}
	}
	folded := make([]int32, outC)
	wq := make([]int8, rows*quads*4*8*4)
	wp := make([]int16, rows*pairs*4*8*2)
	for oc := range outC {
		if bias != nil {
			folded[oc] = bias[oc]
		}
		for ky := range p.KH {
			for s := range seg {
				v := weight(w[(oc*p.KH+ky)*seg+s])
				folded[oc] -= zp * v
				if useQuads {
					wq[(((ky*quads+s/4)*4+oc/8)*8+oc%8)*4+s%4] = int8(v)
				} else {
					wp[(((ky*pairs+s/2)*4+oc/8)*8+oc%8)*2+s%2] = int16(v)
				}
			}
		}
	}
	rq := newRequant(folded, p.Mult, p.Shift, p.OutZP, p.ActMin, p.ActMax, outC, 8)
	q := avx2Requant(nil, rq, 0, outC)
	proto := directConvArgs{q: &q[0]}
	if useQuads {
		proto.w = &wq[0]
	} else {
		proto.w16 = &wp[0]
	}
	return directConvRows(p, proto, rq, directConvVariant{signed: signed, kind: kind})
}

// directConvAVX2Words prepares the AVX2 kernel (_asm's
// directConvAVX2Words): window rows of up to 9 or 12 bytes (directWords9,
// directWords12), each unit a pair of int16 weights for 32 channels in 4
// vectors of 8 lanes, lane l of vector v holding channel directLane(v, l).
// The first seg units pair row 0's byte s with row 1's, the rest pair
// bytes 2m and 2m+1 of row 2.
func directConvAVX2Words(p *ConvParams, signed bool, w []byte, bias []int32, weight func(byte) int32) func(in, out []byte, r0, r1 int) {
	const outC = 32
	seg := p.KW * p.InC
	kind, k := directWords9, 9
	if seg > k {
		kind, k = directWords12, 12
	}
	units := k + (k+1)/2
	wp := make([]int16, units*4*8*2)
	folded := make([]int32, outC)
	mult, shift := make([]int32, outC), make([]int, outC)
	for v := range 4 {
		for l := range 8 {
			lane, oc := 8*v+l, directLane(v, l)
			mult[lane], shift[lane] = p.Mult[oc], p.Shift[oc]
			if bias != nil {
				folded[lane] = bias[oc]
			}
			for ky := range p.KH {
				for s := range seg {
					x := weight(w[(oc*p.KH+ky)*seg+s])
					folded[lane] -= p.InZP * x
					u, half := s, ky
					if ky == 2 {
						u, half = k+s/2, s%2
					}
					wp[((u*4+v)*8+l)*2+half] = int16(x)
				}
			}
		}
	}
	rq := newRequant(folded, mult, shift, p.OutZP, p.ActMin, p.ActMax, outC, 8)
	// The requant block, then the output constants the kernel reads from
	// memory: the zero point as 16 int16, the clamp as 32 bytes each.
	q := avx2Requant(nil, rq, 0, outC)
	var zp [16]int16
	var lo, hi [32]byte
	avx2Out(zp[:], lo[:], hi[:], rq)
	for i := range 8 {
		q = append(q, int32(uint32(uint16(zp[2*i]))|uint32(uint16(zp[2*i+1]))<<16))
	}
	for _, b := range [][32]byte{lo, hi} {
		for i := range 8 {
			q = append(q, int32(binary.LittleEndian.Uint32(b[4*i:])))
		}
	}
	general := anyLShift(rq) != 0
	for _, r := range rq.RShift {
		general = general || r == 0
	}
	proto := directConvArgs{q: &q[0], w16: &wp[0]}
	return directConvRows(p, proto, rq, directConvVariant{signed: signed, general: general, kind: kind})
}

// directLane is the channel that lane l of accumulator vector v holds in
// the AVX2 kernel: channels 4v..4v+3 in lanes 0..3, 16+4v..16+4v+3 in
// lanes 4..7. VPACKSSDW of vectors 0 and 1 (and 2 and 3) and VPACKSSWB of
// the two then leave bytes 0..15 from lanes 0..3 and bytes 16..31 from
// lanes 4..7, vector by vector: the channels in order.
func directLane(v, l int) int {
	return l/4*16 + 4*v + l%4
}

// callAVX2 runs a kernel of the AVX2 family.
func (v directConvVariant) callAVX2(args *directConvArgs) {
	switch {
	case v.kind == directQuadsVEX && v.signed:
		directConvAVXVNNIs8(args)
	case v.kind == directQuadsVEX:
		directConvAVXVNNIu8(args)
	case v.kind == directWords9 || v.kind == directWords12:
		v.callAVX2Words(args)
	case v.kind == directWordsDP5 && v.signed:
		directConvAVXVNNIWs8p5(args)
	case v.kind == directWordsDP5:
		directConvAVXVNNIWu8p5(args)
	case v.signed:
		directConvAVXVNNIWs8p6(args)
	default:
		directConvAVXVNNIWu8p6(args)
	}
}

// callAVX2Words runs one of the AVX2 kernels.
func (v directConvVariant) callAVX2Words(args *directConvArgs) {
	k12 := v.kind == directWords12
	switch {
	case v.signed && !k12 && !v.general:
		directConvAVX2s8k9(args)
	case v.signed && !k12:
		directConvAVX2s8k9gen(args)
	case v.signed && !v.general:
		directConvAVX2s8k12(args)
	case v.signed:
		directConvAVX2s8k12gen(args)
	case !k12 && !v.general:
		directConvAVX2u8k9(args)
	case !k12:
		directConvAVX2u8k9gen(args)
	case !v.general:
		directConvAVX2u8k12(args)
	default:
		directConvAVX2u8k12gen(args)
	}
}
