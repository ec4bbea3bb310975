package wire

import "time"

// Response is the 200 answer of POST /predict and POST /invocations.
type Response struct {
	Model       string       `json:"model"`
	Predictions []Prediction `json:"predictions"`
	Image       ImageInfo    `json:"image"`
	Timings     Timings      `json:"timings_ms"`
}

// Prediction is one class and its score.
type Prediction struct {
	Index int     `json:"index"`
	Label string  `json:"label"`
	Score float32 `json:"score"`
}

// ImageInfo describes the decoded picture (after EXIF orientation).
type ImageInfo struct {
	Width  int    `json:"width"`
	Height int    `json:"height"`
	Format string `json:"format"`
}

// Timings are stage durations in milliseconds, to the microsecond.
type Timings struct {
	Fetch      float64 `json:"fetch"`
	Decode     float64 `json:"decode"`
	Preprocess float64 `json:"preprocess"`
	Inference  float64 `json:"inference"`
	Total      float64 `json:"total"`
}

// ModelList is the answer of GET /models.
type ModelList struct {
	Models []ModelInfo `json:"models"`
}

// ModelInfo describes a served model.
type ModelInfo struct {
	Name    string    `json:"name"`
	Default bool      `json:"default"`
	Input   InputSize `json:"input"`
	Labels  int       `json:"labels"`            // number of class labels
	LoadMS  float64   `json:"load_ms,omitempty"` // time taken to load, when known
}

// InputSize is a model's input image size.
type InputSize struct {
	Width  int `json:"width"`
	Height int `json:"height"`
}

// Millis is d in milliseconds, to the microsecond, as Timings hold it.
func Millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// Duration is the inverse of Millis.
func Duration(ms float64) time.Duration { return time.Duration(ms * float64(time.Millisecond)) }

// Stages are the stage durations that Timings carry in milliseconds;
// classify.Timings converts to it and back.
type Stages struct{ Fetch, Decode, Preprocess, Inference, Total time.Duration }

// Millis is s as the wire carries it.
func (s Stages) Millis() Timings {
	return Timings{Fetch: Millis(s.Fetch), Decode: Millis(s.Decode), Preprocess: Millis(s.Preprocess),
		Inference: Millis(s.Inference), Total: Millis(s.Total)}
}

// Stages is the inverse of Stages.Millis.
func (t Timings) Stages() Stages {
	return Stages{Fetch: Duration(t.Fetch), Decode: Duration(t.Decode), Preprocess: Duration(t.Preprocess),
		Inference: Duration(t.Inference), Total: Duration(t.Total)}
}
