//go:build !purego

// The NEON kernels (gemm_arm64.s, dwconv_arm64.s, add_arm64.s). Advanced
// SIMD is part of the arm64 baseline, so NEON is always available. The
// products are exact: bytes are widened to int16 and multiplied into int32
// lanes with SMLAL/SMLAL2, or, for GEMM on CPUs with the dot product
// extension (Graviton2 and later), summed four at a time by UDOT/SDOT; the
// requantization is requant.apply's formula (see MBQM in neon_arm64.h).

package kernels

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

func vectorBackends() []Backend { return []Backend{NEON} }

// neonRequant lays out the requantization constants of n channels as
// [channel][bias, mult, lshift, -rshift]int32, padded to whole 16-channel
// groups, so that one VLD4 yields each of the four for 4 channels, at any
// channel offset. biasAdj, when not nil, is added to the bias.
func neonRequant(q *requant, biasAdj []int32, n int) []int32 {
	np := (n + 15) / 16 * 16
	out := make([]int32, 4*np)
	for c := range n {
		b := q.Bias[c]
		if biasAdj != nil {
			b += biasAdj[c]
		}
		out[4*c], out[4*c+1], out[4*c+2], out[4*c+3] = b, q.Mult[c], q.LShift[c], -q.RShift[c]
	}
	return out
}

// gemmNEON is the NEON packing of a GEMM's weights, in panels of 16 output
// channels. Without the dot product extension, w holds [panel][k][16]int16
// (w - wz, or the int8 weight), K padded with zero weights to k8 groups of
// eight plus, when tail4 is set, one group of four. With it, wb holds the
// weight bytes as they are, [panel][k/4][16][4], K padded to a multiple
// of 4.
type gemmNEON struct {
	dot   bool
	w     []int16
	wb    []byte
	q     []int32 // neonRequant
	k8    int
	tail4 bool
	panel int // elements of w or wb per panel
}

// gemmNEONArgs is the parameter block of the GEMM kernels (gemmNEONu8,
// gemmNEONs8, gemmDotu8, gemmDots8), which compute blocks of 4 rows × 16
// channels of one panel.
type gemmNEONArgs struct {
	a      [4]*byte       // rows of the first block
	out    [4]*byte       // their outputs, at the panel's first channel
	w      unsafe.Pointer // the panel's weights (gemmNEON.w or .wb)
	q      *int32         // the panel's requantization constants
	blocks int            // row blocks to compute
	aStep  int            // bytes between blocks: 4 rows of A
	oStep  int            // and of the output
	k8     int            // SMLAL kernels: groups of 8 bytes of K
	tail4  int            // and 1 if a group of 4 follows
	k16    int            // dot kernels: steps of 16 bytes of K
	k4     int            // then steps of 4 (0..4)
	ones4  uint32         // 0x01 for each byte of the last step within K
	wzNeg  int32          // -wz, the row sums' factor (uint8)
	nValid int            // channels of the panel to store, 1..16
	outZP  int32
	min    int32
	max    int32
}

// gemmNEONRows is how many rows of A one pass over all the panels covers:
// about 16 KiB of A, which stays in the L1 cache while the weights stream.
func gemmNEONRows(k int) int { return max(4, 16384/k/4*4) }

// neonDot selects the dot product kernels; tests turn it off to check the
// baseline kernels on CPUs that have the extension.
var neonDot = cpu.ARM64.HasASIMDDP

func (g *GEMM) prepareVector() {
	if g.backend != NEON {
		return
	}
	s := &g.spec
	v := &gemmNEON{dot: neonDot, k8: (s.K + 3) / 8, tail4: s.K%8 >= 1 && s.K%8 <= 4}
	var adj []int32
	if s.Signed {
		// The kernels multiply int8 activations as they are; the folded
		// bias assumed them offset by 128 (see GEMM.packed).
		adj = make([]int32, s.N)
		for n := range s.N {
			for _, w := range s.W[n*s.K : (n+1)*s.K] {
				adj[n] += 128 * int32(int8(w))
			}
		}
	}
	v.q = neonRequant(g.q, adj, s.N)
	panels := (s.N + 15) / 16
	if v.dot {
		k4 := (s.K + 3) / 4
		v.panel = k4 * 64
		v.wb = make([]byte, panels*v.panel)
		for n := range s.N {
			p, c := n/16, n%16
			for k := range s.K {
				v.wb[p*v.panel+(k/4*16+c)*4+k%4] = s.W[n*s.K+k]
			}
		}
		g.vec = v
		return
	}
	// K%8 in 5..7 rounds up to a whole group of eight, whose 8-byte load
	// reads at most 3 bytes past the row; K%8 in 1..4 uses a 4-byte load.
	kLen := v.k8 * 8
	if v.tail4 {
		kLen += 4
	}
	v.panel = kLen * 16
	v.w = make([]int16, panels*v.panel)
	for n := range s.N {
		p, c := n/16, n%16
		for k := range s.K {
			w := int32(s.W[n*s.K+k]) - s.FilterZP
			if s.Signed {
				w = int32(int8(s.W[n*s.K+k]))
			}
			v.w[p*v.panel+k*16+c] = int16(w)
		}
	}
	g.vec = v
}

func (g *GEMM) runVector(a []byte, lda, m0, m1 int, out []byte, ldc int) bool {
	if g.backend != NEON {
		return false
	}
	v := g.vec.(*gemmNEON)
	s := &g.spec
	args := gemmNEONArgs{aStep: 4 * lda, oStep: 4 * ldc, outZP: g.q.OutZP, min: g.q.Min, max: g.q.Max}
	var kern func(*gemmNEONArgs)
	if v.dot {
		kern = gemmDotu8
		if s.Signed {
			kern = gemmDots8
		}
		args.k16, args.k4 = s.K/16, (s.K%16+3)/4
		for i := range (s.K-1)%4 + 1 {
			args.ones4 |= 1 << (8 * i)
		}
		args.wzNeg = -s.FilterZP
	} else {
		kern = gemmNEONu8
		if s.Signed {
			kern = gemmNEONs8
		}
		args.k8 = v.k8
		if v.tail4 {
			args.tail4 = 1
		}
	}
	chunk := gemmNEONRows(s.K)
	for mc := m0; mc < m1; mc += chunk {
		me := min(mc+chunk, m1)
		full := (me - mc) / 4
		for p := 0; p*16 < s.N; p++ {
			if v.dot {
				args.w = unsafe.Pointer(&v.wb[p*v.panel])
			} else {
				args.w = unsafe.Pointer(&v.w[p*v.panel])
			}
			args.q = &v.q[p*64]
			args.nValid = min(16, s.N-p*16)
			if full > 0 {
				for r := range 4 {
					args.a[r] = &a[(mc+r)*lda]
					args.out[r] = &out[(mc+r)*ldc+p*16]
				}
				args.blocks = full
				kern(&args)
			}
			if m := mc + 4*full; m < me {
				// The last rows, with the last one repeated.
				for r := range 4 {
					row := min(m+r, me-1)
					args.a[r] = &a[row*lda]
					args.out[r] = &out[row*ldc+p*16]
				}
				args.blocks = 1
				kern(&args)
			}
		}
	}
	return true
}

// dwNEON is the NEON form of a depthwise convolution's constants.
type dwNEON struct {
	w      []int16 // [tap][cpad]: w - wz
	q      []int32 // neonRequant
	groups []int64 // channel offsets of the 16-channel groups, then of the 8-channel ones
	n16    int
	n8     int
}

// dwNEONArgs is the parameter block of dwconvNEONu8 and dwconvNEONs8.
type dwNEONArgs struct {
	in      *byte  // padded input at the first pixel's window origin
	out     *byte  // first output pixel
	w       *int16 // dwNEON.w
	q       *int32 // dwNEON.q
	offs    *int64 // [taps] byte offsets of the taps from the window origin
	groups  *int64 // dwNEON.groups
	taps    int
	n16     int
	n8      int
	n       int // output pixels
	inStep  int // bytes between consecutive pixels' window origins
	outStep int // bytes between consecutive output pixels
	wStep   int // bytes between taps' weight rows
	outZP   int32
	min     int32
	max     int32
}

func (d *DWConv) prepareVector() {
	c := d.p.OutC
	if d.backend != NEON || c < 8 {
		return // fewer than 8 channels run the generic code
	}
	v := &dwNEON{w: make([]int16, len(d.w)), q: neonRequant(d.q, nil, c)}
	for i, w := range d.w {
		v.w[i] = int16(w) // w - wz fits: |w - wz| ≤ 255
	}
	// Channels in groups of 16; a remainder is covered by one more group
	// ending at the last channel, overlapping the one before (it computes
	// the same values again), so that no load or store passes the pixel.
	if c >= 16 {
		for g := 0; g+16 <= c; g += 16 {
			v.groups = append(v.groups, int64(g))
		}
		if c%16 != 0 {
			v.groups = append(v.groups, int64(c-16))
		}
		v.n16 = len(v.groups)
	} else {
		v.groups = append(v.groups, 0)
		if c > 8 {
			v.groups = append(v.groups, int64(c-8))
		}
		v.n8 = len(v.groups)
	}
	d.vec = v
}

func (d *DWConv) runVector(padded, out []byte, r0, r1 int) bool {
	if d.backend != NEON || d.vec == nil {
		return false
	}
	v := d.vec.(*dwNEON)
	p := &d.p
	c := p.OutC
	args := dwNEONArgs{
		w: &v.w[0], q: &v.q[0], offs: &d.offs[0], groups: &v.groups[0], taps: len(d.offs),
		n16: v.n16, n8: v.n8, n: p.OutW, inStep: p.StrideW * c, outStep: c, wStep: 2 * d.cpad,
		outZP: d.q.OutZP, min: d.q.Min, max: d.q.Max,
	}
	kern := dwconvNEONu8
	if d.signed {
		kern = dwconvNEONs8
	}
	for r := r0; r < r1; r++ {
		b, oy := r/p.OutH, r%p.OutH
		args.in = &padded[(b*d.hp+oy*p.StrideH)*d.wp*c]
		args.out = &out[r*p.OutW*c]
		kern(&args)
	}
	return true
}

// addNEONArgs is the parameter block of addNEONu8 and addNEONs8: for each
// rescale (of input a, input b, the sum) the multiplier, the left shift
// (for the inputs including AddParams.LeftShift) and minus the right shift.
type addNEONArgs struct {
	a, b, out           *byte
	n                   int // a multiple of 16
	aZP, bZP            int32
	outZP, min, max     int32
	aMult, aL, aR       int32
	bMult, bL, bR       int32
	outMult, outL, outR int32
}

func (ad *Adder) runVector(a, b, out []byte) bool {
	if ad.backend != NEON {
		return false
	}
	p := ad.p
	args := addNEONArgs{aZP: p.In1ZP, bZP: p.In2ZP, outZP: p.OutZP, min: p.ActMin, max: p.ActMax}
	// (x << 20) << lshift is x << (20 + lshift) in wrapping arithmetic (and
	// zero from 32 on, as SSHL gives), so one shift does both.
	args.aMult, args.aL, args.aR = neonShift(p.In1Mult, p.In1Shift, p.LeftShift)
	args.bMult, args.bL, args.bR = neonShift(p.In2Mult, p.In2Shift, p.LeftShift)
	args.outMult, args.outL, args.outR = neonShift(p.OutMult, p.OutShift, 0)
	kern := addNEONu8
	if ad.signed {
		kern = addNEONs8
	}
	n := len(out)
	body := n &^ 15
	if body > 0 {
		args.a, args.b, args.out, args.n = &a[0], &b[0], &out[0], body
		kern(&args)
	}
	if body < n {
		// The tail goes through a copy: the inputs may be constants that
		// end where the tensor does, so the kernel must not read past them.
		var ta, tb, to [16]byte
		copy(ta[:], a[body:n])
		copy(tb[:], b[body:n])
		args.a, args.b, args.out, args.n = &ta[0], &tb[0], &to[0], 16
		kern(&args)
		copy(out[body:n], to[:])
	}
	return true
}

// neonShift splits a multiplier and shift into the NEON form, with extra
// bits of left shift applied first.
func neonShift(mult int32, shift, extra int) (m, l, r int32) {
	q := newRequant(nil, []int32{mult}, []int{shift}, 0, 0, 0, 1, 1)
	return q.Mult[0], q.LShift[0] + int32(extra), -q.RShift[0]
}

// Implemented in gemm_arm64.s, dwconv_arm64.s and add_arm64.s.

//go:noescape
func gemmNEONu8(p *gemmNEONArgs)

//go:noescape
func gemmNEONs8(p *gemmNEONArgs)

//go:noescape
func gemmDotu8(p *gemmNEONArgs)

//go:noescape
func gemmDots8(p *gemmNEONArgs)

//go:noescape
func dwconvNEONu8(p *dwNEONArgs)

//go:noescape
func dwconvNEONs8(p *dwNEONArgs)

//go:noescape
func addNEONu8(p *addNEONArgs)

//go:noescape
func addNEONs8(p *addNEONArgs)
