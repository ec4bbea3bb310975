package api

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/classifly/classifly/classify"
	"github.com/classifly/classifly/imageprep"
	"github.com/classifly/classifly/wire"
)

// Backend runs inference: the part that differs between a server holding
// its models (Local), a proxy in front of a model endpoint
// (sagemaker/endpoint.Backend) and a Lambda calling SageMaker
// (sagemaker.Backend). The API does everything else: parsing, limits,
// fetching, admission and the answer.
//
// Errors: wrap ErrUnknownModel or ErrNotReady, return the image package's
// typed errors as they are, or an *Error to choose the status outright.
//
// Concurrency: the API calls every method from many goroutines at once, so
// an implementation must be safe for concurrent use. It need not bound its
// own concurrency: the API calls Classify at most Limits.MaxConcurrent
// times at once. Classify must honour ctx (the request's deadline and the
// client's cancellation); if it does not, the API answers at the deadline
// anyway and keeps the slot taken until Classify returns. Classify must
// not keep req.Image after it returns.
type Backend interface {
	// Models lists the served models, the default one first.
	Models(ctx context.Context) ([]ModelInfo, error)
	// Classify classifies one encoded picture.
	Classify(ctx context.Context, req *Request) (*classify.Result, error)
	// Ready returns nil when Classify can serve, else why not.
	Ready(ctx context.Context) error
}

// RemoteDecoder is implemented by a Backend whose pictures are decoded in
// another process (a model endpoint): the API then reserves no decoding
// memory for them, only their bytes.
type RemoteDecoder interface {
	DecodesRemotely() bool
}

// Request is one picture to classify.
type Request struct {
	Model   string // "" means the backend's default model
	Image   []byte // encoded image bytes as received or fetched; format sniffed
	Options classify.Options
}

// Attributes encodes the options of r for wire.HeaderAttributes, as a model
// endpoint reads them; the limits are the endpoint's own. The resize mode
// goes only when it is not the default, which older endpoints lack.
func (r *Request) Attributes() string {
	o := wire.Options{Model: r.Model, TopK: r.Options.TopK, Threshold: r.Options.Threshold}
	if r.Options.Resize != imageprep.ResizeFast {
		o.Resize = r.Options.Resize.String()
	}
	return o.Attributes()
}

// ModelInfo describes a served model (GET /models).
type ModelInfo = wire.ModelInfo

// Local serves classifiers loaded in this process. Add models, then call
// Loaded; until then Ready reports ErrNotReady. It is safe for concurrent
// use.
type Local struct {
	mu      sync.RWMutex
	models  map[string]*classify.Classifier
	infos   []ModelInfo // default first
	ready   bool
	failure error
}

// NewLocal returns an empty Local.
func NewLocal() *Local { return &Local{models: map[string]*classify.Classifier{}} }

// Add serves c under its name. The first model added is the default unless
// a later one is added with isDefault. loadTime is reported in /models and
// /metrics.
func (l *Local) Add(c *classify.Classifier, loadTime time.Duration, isDefault bool) {
	h, w := c.InputSize()
	info := ModelInfo{Name: c.Name(), Input: wire.InputSize{Width: w, Height: h}, Labels: len(c.Labels()),
		LoadMS: wire.Millis(loadTime), Format: c.Format(), LabelsFrom: c.LabelsSource()}
	if n := c.Normalization(); n.Mean != nil {
		info.Normalization = &wire.Normalization{Mean: n.Mean, Std: n.Std, Source: n.Source}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, dup := l.models[c.Name()]; dup {
		l.infos = slices.DeleteFunc(l.infos, func(m ModelInfo) bool { return m.Name == c.Name() })
	}
	l.models[c.Name()] = c
	if isDefault || len(l.infos) == 0 {
		for i := range l.infos {
			l.infos[i].Default = false
		}
		info.Default = true
		l.infos = append([]ModelInfo{info}, l.infos...)
		return
	}
	l.infos = append(l.infos, info)
}

// Loaded marks the end of loading: with a nil err the backend becomes
// ready; otherwise it stays not ready and Ready reports err.
func (l *Local) Loaded(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ready, l.failure = err == nil, err
}

// Models lists the loaded models, the default first.
func (l *Local) Models(context.Context) ([]ModelInfo, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return slices.Clone(l.infos), nil
}

// Ready reports whether loading has finished well.
func (l *Local) Ready(context.Context) error {
	l.mu.RLock()
	defer l.mu.RUnlock()
	switch {
	case l.failure != nil:
		return fmt.Errorf("%w: %v", ErrNotReady, l.failure)
	case !l.ready:
		return fmt.Errorf("%w: models are loading", ErrNotReady)
	}
	return nil
}

// Classify runs req on the named (or default) model.
func (l *Local) Classify(ctx context.Context, req *Request) (*classify.Result, error) {
	c, err := l.lookup(req.Model)
	if err != nil {
		return nil, err
	}
	return c.ClassifyBytes(ctx, req.Image, req.Options)
}

func (l *Local) lookup(name string) (*classify.Classifier, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if name == "" && len(l.infos) > 0 {
		name = l.infos[0].Name
	}
	if c, ok := l.models[name]; ok {
		return c, nil
	}
	if !l.ready {
		return nil, fmt.Errorf("%w: models are loading", ErrNotReady)
	}
	names := make([]string, len(l.infos))
	for i, m := range l.infos {
		names[i] = m.Name
	}
	return nil, fmt.Errorf("%w %q; served: %s", ErrUnknownModel, name, strings.Join(names, ", "))
}
