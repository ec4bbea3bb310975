package kernels

import "fmt"

// GEMMSpec describes a quantized matrix product, the core of 1×1
// convolutions, im2col convolutions and fully connected layers:
//
//	out[m][n] = clamp(OutZP + MBQM(Bias[n] + Σ_k (A[m][k] - InZP)·(W[n][k] - FilterZP), Mult[n], Shift[n]))
//
// A holds M rows of K activations (uint8, or int8 when Signed), W is [N][K]
// (same type; int8 weights are symmetric, FilterZP = 0).
type GEMMSpec struct {
	N, K   int
	Signed bool
	W      []byte  // N×K raw weight bytes
	Bias   []int32 // may be nil
	// Rows is how many rows each Run usually computes, if known (else 0).
	// Backends may pack for it; any Run gives the same result.
	Rows int
	Requantization
}

// GEMM is a prepared matrix product: weights packed for one backend, zero
// points folded into the bias. Safe for concurrent use.
type GEMM struct {
	spec    GEMMSpec
	backend Backend
	q       *requant
	// Weights as signed bytes: W - 128 for uint8 models, W for int8 models.
	// The fast formulation multiplies unsigned activations by signed weights:
	//   uint8: Σ(x-xz)(w-wz) = Σ x·(w-128) + (128-wz)·Σx - xz·Σ(w-wz)
	//   int8:  Σ(x-xz)·w     = Σ (x+128)·w - (128+xz)·Σw      (x+128 = x^0x80)
	// so only uint8 layers whose wz != 128 need per-row sums (rowCorr).
	packed  []int8
	rowCorr int32
	k4      int // K in groups of 4, rounded up
	panels  int // N in panels of gemmNR channels, rounded up
	// vec is the backend's own form of the weights and constants, which
	// the backend builds (prepareVector) and alone reads.
	vec any
}

// Panel geometry of the packed weights: [panel][k4][gemmNR][4] signed bytes,
// the layout the vector kernels load directly.
const (
	gemmNR = 64 // channels per panel
	gemmMR = 4  // rows per block in the vector kernels
)

// NewGEMM packs weights for backend b.
func NewGEMM(s GEMMSpec, b Backend) (*GEMM, error) {
	if s.N < 1 || s.K < 1 || len(s.W) != s.N*s.K || len(s.Mult) != s.N || len(s.Shift) != s.N || (s.Bias != nil && len(s.Bias) != s.N) {
		return nil, fmt.Errorf("kernels: GEMM spec N=%d K=%d with %d weights, %d multipliers", s.N, s.K, len(s.W), len(s.Mult))
	}
	g := &GEMM{spec: s, backend: b, k4: (s.K + 3) / 4, panels: (s.N + gemmNR - 1) / gemmNR}
	bias := make([]int32, s.N)
	sumAbsW := make([]int64, s.N)
	for n := range s.N {
		var sumW int32 // Σ_k (w - wz) or Σ_k w
		for _, w := range s.W[n*s.K : (n+1)*s.K] {
			d := int32(w) - s.FilterZP
			if s.Signed {
				d = int32(int8(w))
			}
			sumW += d
			sumAbsW[n] += abs64(int64(d))
		}
		if s.Bias != nil {
			bias[n] = s.Bias[n]
		}
		if s.Signed {
			bias[n] -= (128 + s.InZP) * sumW
		} else {
			bias[n] -= s.InZP * sumW
		}
	}
	if !s.Signed {
		g.rowCorr = 128 - s.FilterZP
	}
	g.q = newRequant(bias, s.Mult, s.Shift, s.OutZP, s.ActMin, s.ActMax, s.N, gemmNR)
	if err := g.q.checkRange(s.Bias, sumAbsW, s.InZP, s.Signed); err != nil {
		return nil, err
	}
	g.packed = make([]int8, g.panels*g.k4*gemmNR*4)
	for n := range s.N {
		p, c := n/gemmNR, n%gemmNR
		for k := range s.K {
			w := int8(s.W[n*s.K+k])
			if !s.Signed {
				w = int8(int32(s.W[n*s.K+k]) - 128)
			}
			g.packed[((p*g.k4+k/4)*gemmNR+c)*4+k%4] = w
		}
	}
	g.prepareVector()
	return g, nil
}

// Run computes rows [m0, m1) of the product. Row m of A starts at a[m*lda],
// row m of the output at out[m*ldc]. a's storage must extend MaxOverread
// readable bytes past the last row.
func (g *GEMM) Run(a []byte, lda, m0, m1 int, out []byte, ldc int) {
	if m1 <= m0 {
		return
	}
	// The assembly does not check bounds: the last row's ends do, so a
	// planner's mistake panics here instead of writing past out.
	_ = a[(m1-1)*lda+g.spec.K-1]
	_ = out[(m1-1)*ldc+g.spec.N-1]
	if g.backend != Generic && g.runVector(a, lda, m0, m1, out, ldc) {
		return
	}
	g.runGeneric(a, lda, m0, m1, out, ldc)
}

// runGeneric is the portable kernel: the same formulation as the vector
// kernels, in plain Go, four rows at a time so each weight is loaded once
// for four products.
func (g *GEMM) runGeneric(a []byte, lda, m0, m1 int, out []byte, ldc int) {
	s := &g.spec
	var xor byte
	if s.Signed {
		xor = 0x80
	}
	for m := m0; m < m1; m++ {
		row := a[m*lda : m*lda+s.K]
		var corr int32
		if g.rowCorr != 0 {
			var sum int32
			for _, x := range row {
				sum += int32(x)
			}
			corr = sum * g.rowCorr
		}
		o := out[m*ldc : m*ldc+s.N]
		for n := range s.N {
			p, c := n/gemmNR, n%gemmNR
			panel := g.packed[p*g.k4*gemmNR*4:]
			acc := corr
			for k, x := range row {
				acc += int32(x^xor) * int32(panel[((k/4)*gemmNR+c)*4+k%4])
			}
			o[n] = byte(g.q.apply(acc, n))
		}
	}
}
