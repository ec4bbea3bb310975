package classify

import (
	"fmt"
	"math"
	"sort"

	"github.com/classifly/classifly/engine"
)

// Normalization maps a pixel value p (0..255) of a float model's input to
// (p - Mean[c]) / Std[c], per channel c when Mean and Std hold three values,
// else with their one value for all. TFLite metadata's
// NormalizationOptions mean the same.
type Normalization struct {
	Mean, Std []float32
	// Source says where it came from: "metadata", "flags" or "default".
	Source string
}

// Common conventions for float image models without metadata.
var (
	// NormalizeMinusOneToOne maps 0..255 to [-1, 1]: MobileNet, Inception,
	// EfficientNet-lite and most TF Hub classifiers. The default.
	NormalizeMinusOneToOne = Normalization{Mean: []float32{127.5}, Std: []float32{127.5}, Source: "default"}
	// NormalizeZeroToOne maps 0..255 to [0, 1] (mean 0, std 255): many
	// Keras models exported as they were trained.
	NormalizeZeroToOne = Normalization{Mean: []float32{0}, Std: []float32{255}}
)

// Check reports a normalization that cannot apply to RGB input.
func (n Normalization) Check() error {
	if len(n.Mean) != len(n.Std) || (len(n.Mean) != 1 && len(n.Mean) != 3) {
		return fmt.Errorf("classify: normalization needs 1 or 3 means and as many standard deviations, got %d and %d", len(n.Mean), len(n.Std))
	}
	for i := range n.Mean {
		if n.Std[i] == 0 || math.IsNaN(float64(n.Std[i])) || math.IsNaN(float64(n.Mean[i])) || math.IsInf(float64(n.Mean[i]), 0) || math.IsInf(float64(n.Std[i]), 0) {
			return fmt.Errorf("classify: normalization mean %v std %v", n.Mean[i], n.Std[i])
		}
	}
	return nil
}

// String is "mean 127.5, std 127.5".
func (n Normalization) String() string {
	return fmt.Sprintf("mean %v, std %v", trimList(n.Mean), trimList(n.Std))
}

func trimList(v []float32) string {
	if len(v) == 1 {
		return fmt.Sprint(v[0])
	}
	return fmt.Sprint(v)
}

// Setting is an optional choice for New.
type Setting func(*Classifier) error

// WithNormalization sets how a float model's input is computed from pixels
// (the default is NormalizeMinusOneToOne; quantized models ignore it).
func WithNormalization(n Normalization) Setting {
	return func(c *Classifier) error {
		if err := n.Check(); err != nil {
			return err
		}
		c.norm = n
		return nil
	}
}

// WithLabelsSource records where the labels came from ("metadata", a file
// path, "embedded"), for listings.
func WithLabelsSource(s string) Setting {
	return func(c *Classifier) error {
		c.labelsFrom = s
		return nil
	}
}

// Format names the model's weight format: uint8, int8, float32, float16 or
// dynamic (see engine.ModelFormat).
func (c *Classifier) Format() string { return c.model.Format() }

// Normalization is how a float model's input is computed from pixels; its
// Source is "" for quantized models, which take pixels as they are.
func (c *Classifier) Normalization() Normalization { return c.norm }

// LabelsSource says where the labels came from, "" when there are none.
func (c *Classifier) LabelsSource() string { return c.labelsFrom }

// floatTensor normalizes RGB pixels into a float32 input tensor.
func (c *Classifier) floatTensor(rgb []byte) []byte {
	var mean, std [3]float32
	for ch := range 3 {
		k := min(ch, len(c.norm.Mean)-1)
		mean[ch], std[ch] = c.norm.Mean[k], c.norm.Std[k]
	}
	out := make([]byte, 4*len(rgb))
	for i, p := range rgb {
		// Divide rather than multiply by 1/std, so that a std of 128 gives
		// exactly TFLite's (p - 128) * 0.0078125.
		putFloat32(out[4*i:], (float32(p)-mean[i%3])/std[i%3])
	}
	return out
}

// topKFloat is TopK for float32 scores (probabilities as the model gives
// them), ties broken by the lower index.
func topKFloat(scores []float32, labels []string, k int, threshold float32) []Prediction {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return scores[idx[a]] > scores[idx[b]] })
	preds := make([]Prediction, 0, k)
	for _, i := range idx {
		if len(preds) == k || scores[i] < threshold || math.IsNaN(float64(scores[i])) {
			break
		}
		label := ""
		if i < len(labels) {
			label = labels[i]
		}
		preds = append(preds, Prediction{Index: i, Label: label, Score: scores[i]})
	}
	return preds
}

// floatScores decodes a float32 output.
func floatScores(out []byte, info engine.TensorInfo) []float32 {
	v := make([]float32, info.Elements())
	for i := range v {
		v[i] = math.Float32frombits(uint32(out[4*i]) | uint32(out[4*i+1])<<8 | uint32(out[4*i+2])<<16 | uint32(out[4*i+3])<<24)
	}
	return v
}
