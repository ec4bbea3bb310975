package api

import (
	"github.com/classifly/classifly/classify"
	"github.com/classifly/classifly/wire"
)

// NewResponse is res as it goes on the wire: the JSON answer of /predict
// (and of `classifly predict --json`), timings in milliseconds.
func NewResponse(res *classify.Result) *wire.Response {
	out := &wire.Response{
		Model:       res.Model,
		Predictions: make([]wire.Prediction, len(res.Predictions)),
		Image:       wire.ImageInfo{Width: res.Image.Width, Height: res.Image.Height, Format: res.Image.Format},
		Timings: wire.Timings{
			Fetch:      wire.Millis(res.Timings.Fetch),
			Decode:     wire.Millis(res.Timings.Decode),
			Preprocess: wire.Millis(res.Timings.Preprocess),
			Inference:  wire.Millis(res.Timings.Inference),
			Total:      wire.Millis(res.Timings.Total),
		},
	}
	for i, p := range res.Predictions {
		out.Predictions[i] = wire.Prediction{Index: p.Index, Label: p.Label, Score: p.Score}
	}
	return out
}

// ResultFrom is the result carried by a model endpoint's answer, for a
// backend that forwards pictures to one.
func ResultFrom(r *wire.Response) *classify.Result {
	res := &classify.Result{
		Model:       r.Model,
		Predictions: make([]classify.Prediction, len(r.Predictions)),
		Image:       classify.ImageInfo{Width: r.Image.Width, Height: r.Image.Height, Format: r.Image.Format},
		Timings: classify.Timings{
			Fetch:      wire.Duration(r.Timings.Fetch),
			Decode:     wire.Duration(r.Timings.Decode),
			Preprocess: wire.Duration(r.Timings.Preprocess),
			Inference:  wire.Duration(r.Timings.Inference),
			Total:      wire.Duration(r.Timings.Total),
		},
	}
	for i, p := range r.Predictions {
		res.Predictions[i] = classify.Prediction{Index: p.Index, Label: p.Label, Score: p.Score}
	}
	return res
}
