package api

import (
	"context"
	"fmt"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/classifly/classifly/classify"
	"github.com/classifly/classifly/imageprep"
	"github.com/classifly/classifly/wire"
)

// predictHandler is POST /predict, or with invocations POST /invocations,
// which also reads the options of a raw upload from
// wire.HeaderAttributes.
func (h *Handler) predictHandler(invocations bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.predict(w, r, invocations) })
}

// predict parses, fetches, queues, classifies and answers. Every failure
// goes through writeError.
func (h *Handler) predict(w http.ResponseWriter, r *http.Request, invocations bool) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(r.Context(), h.cfg.Limits.RequestTimeout)
	defer cancel()
	mem := &reservation{b: h.budget}
	defer mem.release()

	in, err := h.receive(ctx, w, r, invocations, mem)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if !h.inFlight.tryEnter() {
		writeError(w, r, ErrOverloaded)
		return
	}
	defer h.inFlight.leave()
	info := infoFrom(ctx)
	info.model = in.model

	var fetched time.Duration
	if in.imageURL != "" {
		if err := mem.grow(ctx, h.fetcher.MaxBytes(), "the fetched image"); err != nil {
			writeError(w, r, err)
			return
		}
		t := time.Now()
		in.image, err = h.fetcher.Fetch(ctx, in.imageURL)
		fetched = time.Since(t)
		if err != nil {
			writeError(w, r, err)
			return
		}
	}
	if len(in.image) == 0 {
		writeError(w, r, errorf(wire.CodeInvalidImage, "the image is empty"))
		return
	}
	// The header decides, before a slot is taken, whether the picture is
	// one we take and what decoding it will cost.
	hdr, err := imageprep.Probe(in.image, h.probeOptions(in))
	if rd, ok := h.backend.(RemoteDecoder); ok && rd.DecodesRemotely() {
		hdr.DecodeBytes = 0
	}
	if err == nil {
		err = mem.grow(ctx, hdr.DecodeBytes, fmt.Sprintf("decoding this %dx%d %s", hdr.Width, hdr.Height, hdr.Format))
	}
	if err != nil {
		writeError(w, r, err)
		return
	}

	queued, err := h.adm.acquire(ctx)
	if err != nil {
		writeError(w, r, err)
		return
	}
	res, err := h.classify(ctx, &Request{Model: in.model, Image: in.image, Options: in.options})
	if err != nil {
		writeError(w, r, err)
		return
	}
	info.model = res.Model
	res.Timings.Fetch = fetched
	res.Timings.Total = time.Since(start)
	h.metrics.observeStages(res.Timings, queued)
	writeJSON(w, http.StatusOK, NewResponse(res))
}

// probeOptions tell Probe the limits and the path the picture will take:
// for models held here, their input size, so that a JPEG on the fast path
// is estimated at the scale it will decode at; for any other backend none,
// which estimates a full-scale decode (more than the Lambda's downscaling
// takes).
func (h *Handler) probeOptions(in *predictInput) imageprep.Options {
	o := imageprep.Options{MaxPixels: in.options.MaxPixels, MaxPixelsJPEG: in.options.MaxPixelsJPEG,
		Resize: in.options.Resize, Crop: in.options.Crop}
	if l, ok := h.backend.(*Local); ok {
		if c, err := l.lookup(in.model); err == nil {
			o.Height, o.Width = c.InputSize()
		}
	}
	return o
}

// classify runs the backend under the request deadline. The engine checks
// its context only between operators, and a backend may not check it at
// all: the answer must not wait for it. The admission slot stays taken
// until the backend really returns, so a stuck backend still counts
// against the concurrency limit.
func (h *Handler) classify(ctx context.Context, req *Request) (*classify.Result, error) {
	type outcome struct {
		res *classify.Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		// The slot is free before the answer leaves, so that a client that
		// sends its next request at once finds it free.
		var o outcome
		defer func() { done <- o }()
		defer h.adm.release()
		defer func() {
			if p := recover(); p != nil {
				h.cfg.Logger.Error("panic in the backend", "request_id", RequestID(ctx), "panic", fmt.Sprint(p),
					"stack", string(debug.Stack()))
				o = outcome{err: fmt.Errorf("backend panic: %v", p)}
			}
		}()
		o.res, o.err = h.backend.Classify(ctx, req)
	}()
	select {
	case o := <-done:
		return o.res, o.err
	case <-ctx.Done():
		return nil, fmt.Errorf("classifying: %w", ctx.Err())
	}
}
