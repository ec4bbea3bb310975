package api

import (
	"github.com/classifly/classifly/classify"
	"github.com/classifly/classifly/wire"
)

// The conversions below rely on classify's Prediction, ImageInfo and
// Timings having the fields of wire's Prediction, ImageInfo and Stages: the
// compiler checks that they still do.

// NewResponse is res as it goes on the wire: the JSON answer of /predict
// (and of `classifly predict --json`), timings in milliseconds.
func NewResponse(res *classify.Result) *wire.Response {
	out := &wire.Response{
		Model:       res.Model,
		Predictions: make([]wire.Prediction, len(res.Predictions)),
		Image:       wire.ImageInfo(res.Image),
		Timings:     wire.Stages(res.Timings).Millis(),
	}
	for i, p := range res.Predictions {
		out.Predictions[i] = wire.Prediction(p)
	}
	return out
}

// ResultFrom is the result carried by a model endpoint's answer, for a
// backend that forwards pictures to one.
func ResultFrom(r *wire.Response) *classify.Result {
	res := &classify.Result{
		Model:       r.Model,
		Predictions: make([]classify.Prediction, len(r.Predictions)),
		Image:       classify.ImageInfo(r.Image),
		Timings:     classify.Timings(r.Timings.Stages()),
	}
	for i, p := range r.Predictions {
		res.Predictions[i] = classify.Prediction(p)
	}
	return res
}
