package kernels

// Adder is a prepared same-shape quantized ADD for a backend.
type Adder struct {
	p       *AddParams
	signed  bool
	backend Backend
	vec     any  // backend-specific constants (see prepareVector)
	swap    bool // the vector kernel takes the inputs the other way round
}

// NewAdder prepares p for backend b.
func NewAdder(p *AddParams, signed bool, b Backend) *Adder {
	ad := &Adder{p: p, signed: signed, backend: b}
	ad.prepareVector()
	return ad
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
		Add(ad.p, View[int8](a), View[int8](b), View[int8](out))
	} else {
		Add(ad.p, a, b, out)
	}
}
