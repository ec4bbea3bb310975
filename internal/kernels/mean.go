package kernels

import (
	"encoding/binary"
	"unsafe"
)

// MeanHWParams describes TFLite's specialised MEAN over the height and width
// of an NHWC tensor (keep_dims, axes {1, 2}).
type MeanHWParams struct {
	Batch, H, W, C int
	InZP, OutZP    int32
	Mult           int32
	Shift          int
	// Bias is the uint8 path's folded zero-point term.
	Bias int32
}

// NewMeanHWParams prepares the uint8 or int8 specialised mean. The two types
// use different recipes in TFLite: uint8 (optimized_ops::Mean) folds the
// window size into the multiplier and the input zero point into a bias;
// int8 (reference_integer_ops::Mean) rescales by inScale/outScale and then
// divides by the window size with rounding.
func NewMeanHWParams(signed bool, batch, h, w, c int, inScale float32, inZP int32, outScale float32, outZP int32) *MeanHWParams {
	p := &MeanHWParams{Batch: batch, H: h, W: w, C: c, InZP: inZP, OutZP: outZP}
	if signed {
		p.Mult, p.Shift = quantizeMultiplier(float64(inScale) / float64(outScale))
		return p
	}
	n := float32(h * w)
	p.Bias = outZP - int32(float32(inZP)*inScale/outScale)
	p.Mult, p.Shift = quantizeMultiplier(float64(inScale / (n * outScale)))
	return p
}

// MeanHW averages each channel over H×W.
func MeanHW[T Q8](p *MeanHWParams, in, out []T) {
	lo, hi := Range[T]()
	for b := 0; b < p.Batch; b++ {
		for c := 0; c < p.C; c++ {
			var sum int32
			for i := 0; i < p.H*p.W; i++ {
				sum += int32(in[(b*p.H*p.W+i)*p.C+c])
			}
			out[b*p.C+c] = T(clamp(p.finish(sum, lo < 0), lo, hi))
		}
	}
}

// finish turns a channel's sum of raw values into its mean, before the
// clamp, by the type's recipe (see NewMeanHWParams). int8 subtracts the
// input zero point from the sum: n·zp at once equals zp per value in int32
// arithmetic, wrapping included.
func (p *MeanHWParams) finish(sum int32, signed bool) int32 {
	n := int32(p.H * p.W)
	if !signed {
		return multiplyByQuantizedMultiplier(sum, p.Mult, p.Shift) + p.Bias
	}
	v := multiplyByQuantizedMultiplier(sum-n*p.InZP, p.Mult, p.Shift)
	if v > 0 {
		v = (v + n/2) / n
	} else {
		v = (v - n/2) / n
	}
	return v + p.OutZP
}

// MeanGeneric is TFLite's QuantizedMeanOrSum for any axes: outer × axis ×
// inner layout, integer sum of raw values, then in float32
// round(sum/n * scale + bias) + outZP with scale = inScale/outScale and
// bias = -inZP*scale; when scales and zero points match, the integer mean
// truncated toward zero.
func MeanGeneric[T Q8](outer, n, inner int, inScale float32, inZP int32, outScale float32, outZP int32, in, out []T) {
	lo, hi := Range[T]()
	same := inScale == outScale && inZP == outZP
	scale := inScale / outScale
	bias := -float32(inZP) * scale
	for o := 0; o < outer; o++ {
		for i := 0; i < inner; i++ {
			var sum int32
			for k := 0; k < n; k++ {
				sum += int32(in[(o*n+k)*inner+i])
			}
			var q int32
			if same {
				// reference_ops::Mean: the integer sum over the count, with
				// C++ division (truncation toward zero, as Go's).
				q = sum / int32(n)
			} else {
				mean := float32(sum) / float32(n)
				q = int32(roundf(mean*scale+bias)) + outZP
			}
			out[o*inner+i] = T(clamp(q, lo, hi))
		}
	}
}

// sumPixels adds up c channels over pixels, walking the NHWC data in
// memory order: pixel px's channels start at in[px*stride] (acc has one
// entry per channel and is overwritten). Integer
// sums do not depend on the order, so this gives the same totals as the
// channel-by-channel loops above, with contiguous reads.
//
// Eight channels at a time it adds words rather than bytes: each 8-byte
// load is split into its even and odd bytes, four 16-bit lanes apiece, four
// pixels are added in registers, and the lanes are emptied into acc every
// 256 pixels, before a sum of 255s could carry out of them. int8 values have their top bit
// flipped (x + 128) to be summed unsigned, and 128 per pixel is taken back
// at the end.
func sumPixels[T Q8](in []T, pixels, stride, c int, acc []int32) {
	acc = acc[:c]
	for i := range acc {
		acc[i] = 0
	}
	if pixels == 0 || c == 0 {
		return
	}
	_ = in[(pixels-1)*stride+c-1] // the unsafe view below stays inside in
	b := unsafe.Slice((*byte)(unsafe.Pointer(&in[0])), (pixels-1)*stride+c)
	var flip uint64
	if lo, _ := Range[T](); lo < 0 {
		flip = 0x8080808080808080
	}
	const lanes, block = 0x00FF00FF00FF00FF, 256 // 256·255 < 2^16
	groups := c / 8
	var words [2 * 256]uint64 // even and odd lanes of up to 256 groups
	for g0 := 0; g0 < groups; g0 += 256 {
		ng := min(groups-g0, 256)
		for p0 := 0; p0 < pixels; p0 += block {
			w := words[:2*ng]
			clear(w)
			p1 := min(p0+block, pixels)
			px := p0
			for ; px+4 <= p1; px += 4 {
				r0 := b[px*stride+8*g0:][:8*ng]
				r1, r2, r3 := b[(px+1)*stride+8*g0:][:8*ng], b[(px+2)*stride+8*g0:][:8*ng], b[(px+3)*stride+8*g0:][:8*ng]
				for g := range ng {
					x0 := binary.LittleEndian.Uint64(r0[8*g:]) ^ flip
					x1 := binary.LittleEndian.Uint64(r1[8*g:]) ^ flip
					x2 := binary.LittleEndian.Uint64(r2[8*g:]) ^ flip
					x3 := binary.LittleEndian.Uint64(r3[8*g:]) ^ flip
					w[2*g] += x0&lanes + x1&lanes + x2&lanes + x3&lanes
					w[2*g+1] += x0>>8&lanes + x1>>8&lanes + x2>>8&lanes + x3>>8&lanes
				}
			}
			for ; px < p1; px++ {
				r := b[px*stride+8*g0:][:8*ng]
				for g := range ng {
					x := binary.LittleEndian.Uint64(r[8*g:]) ^ flip
					w[2*g] += x & lanes
					w[2*g+1] += x >> 8 & lanes
				}
			}
			for g := range ng {
				a := acc[8*(g0+g):][:8]
				for i := range 4 {
					a[2*i] += int32(uint16(w[2*g] >> (16 * i)))
					a[2*i+1] += int32(uint16(w[2*g+1] >> (16 * i)))
				}
			}
		}
	}
	if flip != 0 {
		for i := range acc[:8*groups] {
			acc[i] -= int32(128 * pixels)
		}
	}
	for ch := 8 * groups; ch < c; ch++ {
		var sum int32
		for px := range pixels {
			sum += int32(in[px*stride+ch])
		}
		acc[ch] = sum
	}
}

// MeanHWFast is MeanHW with the sums taken by sumPixels into acc (at least
// C entries), for one batch at a time.
func MeanHWFast[T Q8](p *MeanHWParams, in, out []T, acc []int32) {
	MeanHWChannels(p, in, out, acc, 0, p.C)
}

// MeanHWChannels is MeanHWFast for channels [c0, c1) alone, acc at least
// c1 - c0 entries: workers share a wide mean's channels.
func MeanHWChannels[T Q8](p *MeanHWParams, in, out []T, acc []int32, c0, c1 int) {
	if c1 <= c0 {
		return
	}
	lo, hi := Range[T]()
	for b := 0; b < p.Batch; b++ {
		sumPixels(in[b*p.H*p.W*p.C+c0:], p.H*p.W, p.C, c1-c0, acc)
		for c := c0; c < c1; c++ {
			out[b*p.C+c] = T(clamp(p.finish(acc[c-c0], lo < 0), lo, hi))
		}
	}
}

// GlobalAveragePool is AveragePool for a window that covers the whole
// input (one output pixel per batch), with contiguous reads.
func GlobalAveragePool[T Q8](p *PoolParams, in, out []T, acc []int32) {
	n := int32(p.InH * p.InW)
	for b := 0; b < p.Batch; b++ {
		sumPixels(in[b*p.InH*p.InW*p.C:], p.InH*p.InW, p.C, p.C, acc)
		for c := 0; c < p.C; c++ {
			sum := acc[c]
			var avg int32
			if sum >= 0 {
				avg = (sum + n/2) / n
			} else {
				avg = (sum - n/2) / n
			}
			out[b*p.C+c] = T(clamp(avg, p.ActMin, p.ActMax))
		}
	}
}
