package server

import (
	"encoding/json"
	"net/http"
	"runtime"

	"github.com/classifly/classifly/api"
)

// ExecutionParameters is the answer to SageMaker Batch Transform's
// optional GET /execution-parameters ("Use your own inference code with
// batch transform"): the tuning a job uses unless CreateTransformJob sets
// its own.
type ExecutionParameters struct {
	// MaxConcurrentTransforms: /invocations sent at once, as many as the
	// endpoint classifies at once (more would only queue).
	MaxConcurrentTransforms int
	// BatchStrategy: SINGLE_RECORD, one picture per request; a picture
	// cannot be split into records.
	BatchStrategy string
	// MaxPayloadInMB: the body limit, whole megabytes (SageMaker allows up
	// to 100; a larger picture would get 413).
	MaxPayloadInMB int
}

// executionParameters derives the answer from the API's limits; zero
// limits mean api's defaults.
func executionParameters(l api.Limits) ExecutionParameters {
	p := ExecutionParameters{MaxConcurrentTransforms: l.MaxConcurrent, BatchStrategy: "SINGLE_RECORD",
		MaxPayloadInMB: int(min(l.MaxBodyBytes, 100<<20) >> 20)}
	if p.MaxConcurrentTransforms <= 0 {
		p.MaxConcurrentTransforms = runtime.GOMAXPROCS(0) // api's default
	}
	if l.MaxBodyBytes <= 0 {
		p.MaxPayloadInMB = api.DefaultMaxBodyBytes >> 20
	}
	return p
}

// withBatchTransform serves GET /execution-parameters beside the endpoint's
// API, so that the same image runs Batch Transform jobs.
func withBatchTransform(h http.Handler, l api.Limits) http.Handler {
	body, _ := json.Marshal(executionParameters(l))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /execution-parameters", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	})
	mux.Handle("/", h)
	return mux
}
