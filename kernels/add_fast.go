package kernels

// Adder is a prepared same-shape quantized ADD for a backend.
type Adder struct {
	p       *AddParams
	signed  bool
	backend Backend
}

// NewAdder prepares p for backend b.
func NewAdder(p *AddParams, signed bool, b Backend) *Adder {
	return &Adder{p: p, signed: signed, backend: b}
}

// Run adds a and b element by element into out; all have the same length.
func (ad *Adder) Run(a, b, out []byte) {
	if len(out) == 0 {
		return
	}
	if ad.backend != Generic && ad.runVector(a, b, out) {
		return
	}
	if ad.signed {
		Add(ad.p, as8s(a), as8s(b), as8s(out))
	} else {
		Add(ad.p, a, b, out)
	}
}
