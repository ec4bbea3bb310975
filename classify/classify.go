package classify

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/classifly/classifly/engine"
	"github.com/classifly/classifly/imageprep"
	"github.com/classifly/classifly/tflite"
)

// Options are per-request choices.
type Options struct {
	TopK      int            // how many predictions; 0 means 5
	Threshold float32        // drop predictions scoring below this
	Crop      imageprep.Crop // CropNone (whole image) or CropCenter
	MaxPixels int64          // decoded-image cap for every format; 0 means imageprep.DefaultMaxPixels
	// MaxPixelsJPEG caps a JPEG on the fast path, whose memory follows the
	// model input; 0 means imageprep.DefaultMaxPixelsJPEG.
	MaxPixelsJPEG int64
	// Resize is ResizeFast (JPEG decoded at a reduced DCT scale, area
	// prefilter, bilinear) or ResizeExact (full decode, bilinear only: what
	// the golden tensors use).
	Resize imageprep.ResizeMode
}

// DefaultTopK is the number of predictions when Options.TopK is 0.
const DefaultTopK = 5

// Prediction is one class and its score, the dequantized model output.
type Prediction struct {
	Index int
	Label string
	Score float32
}

// ImageInfo describes the decoded picture (after EXIF orientation).
type ImageInfo struct {
	Width  int
	Height int
	Format string
}

// Timings are stage durations.
type Timings struct {
	Fetch      time.Duration
	Decode     time.Duration
	Preprocess time.Duration
	Inference  time.Duration
	Total      time.Duration
}

// Result is the answer for one picture.
type Result struct {
	Model       string
	Predictions []Prediction
	Image       ImageInfo
	Timings     Timings
}

// Classifier is a loaded model with its labels. It is safe for concurrent use.
type Classifier struct {
	name       string
	model      *engine.Model
	labels     []string
	h, w       int
	norm       Normalization // float inputs only
	labelsFrom string
}

// New wraps a loaded model. The model must take one NHWC RGB image
// ([1, H, W, 3], uint8, int8 or float32) and give one row of class scores
// (quantized, or float32).
func New(name string, m *engine.Model, labels []string, settings ...Setting) (*Classifier, error) {
	in, out := m.Input(), m.Output()
	if len(in.Shape) != 4 || in.Shape[0] != 1 || in.Shape[3] != 3 || in.Shape[1] < 1 || in.Shape[2] < 1 {
		return nil, fmt.Errorf("classify: model %s input shape %v is not one RGB image [1 H W 3]", name, in.Shape)
	}
	switch in.Type {
	case tflite.UInt8, tflite.Int8, tflite.Float32:
	default:
		return nil, fmt.Errorf("classify: model %s input type %v is not uint8, int8 or float32", name, in.Type)
	}
	if out.Elements() < 1 || out.Shape[0] != 1 || (out.Type != tflite.UInt8 && out.Type != tflite.Int8 && out.Type != tflite.Float32) {
		return nil, fmt.Errorf("classify: model %s output %v %v is not one row of scores", name, out.Type, out.Shape)
	}
	c := &Classifier{name: name, model: m, labels: labels, h: in.Shape[1], w: in.Shape[2]}
	if in.Type == tflite.Float32 {
		c.norm = NormalizeMinusOneToOne
	}
	for _, s := range settings {
		if err := s(c); err != nil {
			return nil, fmt.Errorf("classify: model %s: %w", name, err)
		}
	}
	if in.Type != tflite.Float32 {
		c.norm = Normalization{}
	}
	return c, nil
}

// Name is the model's name.
func (c *Classifier) Name() string { return c.name }

// Model is the loaded engine model.
func (c *Classifier) Model() *engine.Model { return c.model }

// Labels are the class labels (may be empty).
func (c *Classifier) Labels() []string { return c.labels }

// InputSize is the model's input height and width.
func (c *Classifier) InputSize() (h, w int) { return c.h, c.w }

// ClassifyBytes decodes, prepares and classifies one encoded picture.
func (c *Classifier) ClassifyBytes(ctx context.Context, data []byte, opts Options) (*Result, error) {
	start := time.Now()
	img, err := c.Decode(data, opts)
	if err != nil {
		return nil, err
	}
	decoded := time.Now()
	res, err := c.ClassifyImage(ctx, img, opts)
	if err != nil {
		return nil, err
	}
	res.Timings.Decode = decoded.Sub(start)
	res.Timings.Total = time.Since(start)
	return res, nil
}

// Decode decodes one encoded picture for this model's input, by
// opts.Resize: ClassifyBytes is Decode then ClassifyImage, which a caller
// may run apart (decoding the next picture while one runs).
func (c *Classifier) Decode(data []byte, opts Options) (*imageprep.Image, error) {
	o := imageprep.Options{MaxPixels: opts.MaxPixels, MaxPixelsJPEG: opts.MaxPixelsJPEG}
	if opts.Resize == imageprep.ResizeFast {
		return imageprep.DecodeFor(data, c.w, c.h, opts.Crop, o)
	}
	return imageprep.Decode(data, o)
}

// ClassifyImage prepares and classifies a decoded picture.
func (c *Classifier) ClassifyImage(ctx context.Context, img *imageprep.Image, opts Options) (*Result, error) {
	start := time.Now()
	resize := imageprep.ResizeFor
	if opts.Resize == imageprep.ResizeExact {
		resize = imageprep.Resize
	}
	rgb := resize(img, c.w, c.h, opts.Crop)
	in := c.tensor(rgb)
	prepared := time.Now()
	out := make([]byte, c.model.Output().Bytes())
	if err := c.model.Run(ctx, in, out); err != nil {
		return nil, fmt.Errorf("classify: %s: %w", c.name, err)
	}
	done := time.Now()
	k := opts.TopK
	if k <= 0 {
		k = DefaultTopK
	}
	return &Result{
		Model:       c.name,
		Predictions: TopK(out, c.model.Output(), c.labels, k, opts.Threshold),
		Image:       imageInfo(img),
		Timings: Timings{
			Preprocess: prepared.Sub(start),
			Inference:  done.Sub(prepared),
			Total:      done.Sub(start),
		},
	}, nil
}

// imageInfo describes the picture at full size, even when it was decoded
// at a reduced scale.
func imageInfo(img *imageprep.Image) ImageInfo {
	w, h := img.FullWidth, img.FullHeight
	if w == 0 || h == 0 {
		w, h = img.Width, img.Height
	}
	return ImageInfo{Width: w, Height: h, Format: string(img.Format)}
}

// tensor converts RGB bytes to the model's input type. uint8 models take the
// pixels as they are; int8 models the same values shifted by 128 (how TFLite's
// converter maps a uint8 input to int8); float32 models (p - mean) / std
// with the classifier's Normalization.
func (c *Classifier) tensor(rgb []byte) []byte {
	switch c.model.Input().Type {
	case tflite.Int8:
		out := make([]byte, len(rgb))
		for i, p := range rgb {
			out[i] = p ^ 0x80 // p - 128 as two's complement
		}
		return out
	case tflite.Float32:
		return c.floatTensor(rgb)
	}
	return rgb
}

// TopK returns the k highest-scoring classes at or above threshold, scores
// dequantized as scale*(raw - zero point) (float32 outputs as they are),
// ties broken by the lower index.
func TopK(out []byte, info engine.TensorInfo, labels []string, k int, threshold float32) []Prediction {
	if info.Type == tflite.Float32 {
		return topKFloat(floatScores(out, info), labels, k, threshold)
	}
	n := info.Elements()
	raw := make([]int32, n)
	for i := range raw {
		if info.Type == tflite.Int8 {
			raw[i] = int32(int8(out[i]))
		} else {
			raw[i] = int32(out[i])
		}
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return raw[idx[a]] > raw[idx[b]] })
	scale := info.Scale
	if scale == 0 {
		scale = 1
	}
	preds := make([]Prediction, 0, k)
	for _, i := range idx {
		if len(preds) == k {
			break
		}
		score := scale * float32(raw[i]-info.ZeroPoint)
		if score < threshold {
			break
		}
		label := ""
		if i < len(labels) {
			label = labels[i]
		}
		preds = append(preds, Prediction{Index: i, Label: label, Score: score})
	}
	return preds
}

func putFloat32(b []byte, f float32) { binary.LittleEndian.PutUint32(b, math.Float32bits(f)) }
