package classify

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"

	"github.com/classifly/classifly/engine"
	"github.com/classifly/classifly/registry"
)

// Load finds a model by known name or path (see registry.Resolver.Resolve),
// loads it and its labels, and returns the classifier and where it was found.
func Load(ctx context.Context, r *registry.Resolver, nameOrPath, labelsPath string, opts engine.Options) (*Classifier, registry.Resolved, error) {
	res, err := r.Resolve(ctx, nameOrPath, labelsPath)
	if err != nil {
		return nil, res, err
	}
	m, err := engine.LoadFile(res.Path, opts)
	if err != nil {
		return nil, res, fmt.Errorf("loading model %s: %w", res.Name, err)
	}
	var labels []string
	if res.LabelsPath != "" {
		if labels, err = registry.LoadLabels(res.LabelsPath); err != nil {
			return nil, res, fmt.Errorf("loading labels of %s: %w", res.Name, err)
		}
	}
	c, err := New(res.Name, m, labels)
	return c, res, err
}

func putFloat32(b []byte, f float32) { binary.LittleEndian.PutUint32(b, math.Float32bits(f)) }
