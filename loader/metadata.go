package loader

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/classifly/classifly/classify"
	"github.com/classifly/classifly/engine"
	"github.com/classifly/classifly/registry"
	"github.com/classifly/classifly/tflite"
)

// Options are what LoadWith takes besides the model's name.
type Options struct {
	// Labels names a label file that replaces the model's own.
	Labels string
	// Normalization, when not nil, replaces the metadata's (or the
	// default) for a float model's input.
	Normalization *classify.Normalization
	Engine        engine.Options
}

// LoadWith is Load with Options. A model's labels come from, in order: the
// Labels option, the TENSOR_AXIS_LABELS file packed in its TFLite
// metadata, the label file the resolver found (a known model's, or one
// beside the file), else none. A float model's input normalization comes
// from the Normalization option, the metadata's NormalizationOptions, else
// classify.NormalizeMinusOneToOne. A malformed metadata or packed label
// file fails the load.
func LoadWith(ctx context.Context, r *registry.Resolver, nameOrPath string, o Options) (*classify.Classifier, registry.Resolved, error) {
	res, err := r.Resolve(ctx, nameOrPath, o.Labels)
	if err != nil {
		return nil, res, err
	}
	data := res.ModelBytes
	if data == nil {
		if data, err = ReadModel(ctx, res.Path); err != nil {
			return nil, res, err
		}
	}
	m, err := engine.Load(data, o.Engine)
	if err != nil {
		return nil, res, fmt.Errorf("loading model %s: %w", res.Name, err)
	}
	settings, labels, err := fromMetadata(data, res, o)
	if err == nil && labels == nil {
		if labels, err = Labels(res); err == nil && labels != nil {
			settings = append(settings, classify.WithLabelsSource(labelsSource(res)))
		}
	}
	if err != nil {
		m.Close()
		return nil, res, err
	}
	c, err := classify.New(res.Name, m, labels, settings...)
	if err != nil {
		m.Close()
	}
	return c, res, err
}

// fromMetadata reads the model's TFLite metadata: its normalization (unless
// overridden) and its packed labels (unless a label file is given; nil when
// it packs none).
func fromMetadata(data []byte, res registry.Resolved, o Options) ([]classify.Setting, []string, error) {
	var settings []classify.Setting
	if o.Normalization != nil {
		n := *o.Normalization
		n.Source = "flags"
		settings = append(settings, classify.WithNormalization(n))
	}
	f, err := tflite.Parse(data)
	if err != nil {
		return nil, nil, fmt.Errorf("loading model %s: %w", res.Name, err)
	}
	md, err := f.ReadMetadata()
	if err != nil {
		return nil, nil, fmt.Errorf("reading the metadata of %s: %w", res.Name, err)
	}
	if md == nil {
		return settings, nil, nil
	}
	if o.Normalization == nil && md.Input.Mean != nil {
		settings = append(settings, classify.WithNormalization(classify.Normalization{Mean: md.Input.Mean, Std: md.Input.Std, Source: "metadata"}))
	}
	lf, ok := md.LabelFile()
	if !ok || o.Labels != "" {
		return settings, nil, nil
	}
	zf, err := tflite.OpenAssociatedFiles(data)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the labels packed in %s: %w", res.Name, err)
	}
	raw, err := zf.Read(lf.Name)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the labels packed in %s: %w", res.Name, err)
	}
	labels, err := registry.ParseLabels(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("the labels packed in %s (%s): %w", res.Name, lf.Name, err)
	}
	return append(settings, classify.WithLabelsSource("metadata ("+lf.Name+")")), labels, nil
}

// labelsSource says where the resolver's labels came from.
func labelsSource(res registry.Resolved) string {
	if res.LabelsPath != "" {
		return "file (" + filepath.Base(res.LabelsPath) + ")"
	}
	return "embedded"
}

// Description is what `classifly models` shows of a model file without
// loading it into the engine.
type Description struct {
	Format        string // engine.ModelFormat
	Width, Height int    // input size
	Normalization string // "mean 127.5, std 127.5 (metadata)", "-" for quantized inputs
	Labels        string // where the labels come from: "metadata (FILE)", "file (NAME)", "embedded" or "none"
}

// Describe reads a resolved model's header and metadata: its format, input
// size, normalization and where its labels would come from.
func Describe(ctx context.Context, res registry.Resolved) (Description, error) {
	data := res.ModelBytes
	if data == nil {
		var err error
		if data, err = ReadModel(ctx, res.Path); err != nil {
			return Description{}, err
		}
	}
	f, err := tflite.Parse(data)
	if err != nil {
		return Description{}, fmt.Errorf("%s: %w", res.Name, err)
	}
	d := Description{Format: engine.ModelFormat(f), Normalization: "-", Labels: "none"}
	var in *tflite.Tensor
	if sg := f.Subgraphs[0]; len(sg.Inputs) > 0 {
		in = &sg.Tensors[sg.Inputs[0]]
		if len(in.Shape) == 4 {
			d.Height, d.Width = int(in.Shape[1]), int(in.Shape[2])
		}
	}
	md, err := f.ReadMetadata()
	if err != nil {
		return d, fmt.Errorf("%s: %w", res.Name, err)
	}
	if in != nil && in.Type == tflite.Float32 {
		n := classify.NormalizeMinusOneToOne
		if md != nil && md.Input.Mean != nil {
			n = classify.Normalization{Mean: md.Input.Mean, Std: md.Input.Std, Source: "metadata"}
		}
		d.Normalization = n.String() + " (" + n.Source + ")"
	}
	if res.LabelsPath != "" || res.LabelsBytes != nil {
		d.Labels = labelsSource(res)
	}
	if md != nil {
		if lf, ok := md.LabelFile(); ok {
			d.Labels = "metadata (" + lf.Name + ")"
		}
	}
	return d, nil
}
