//go:build !purego

package kernels

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
	useQuads := b == AVXVNNI
	for _, raw := range w {
		if v := weight(raw); v < -128 || v > 127 {
			useQuads = false
		}
	}
	kind := directWords5
	pairs := 5
	if seg > 2*pairs {
		kind, pairs = directWords6, 6
	}
	if b == AVXVNNI {
		kind += directWordsDP5 - directWords5
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

// callAVX2 runs a kernel of the AVX2 family.
func (v directConvVariant) callAVX2(args *directConvArgs) {
	switch {
	case v.kind == directQuadsVEX && v.signed:
		directConvAVXVNNIs8(args)
	case v.kind == directQuadsVEX:
		directConvAVXVNNIu8(args)
	case v.kind == directWords5 && v.signed:
		directConvAVX2s8p5(args)
	case v.kind == directWords5:
		directConvAVX2u8p5(args)
	case v.kind == directWords6 && v.signed:
		directConvAVX2s8p6(args)
	case v.kind == directWords6:
		directConvAVX2u8p6(args)
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
