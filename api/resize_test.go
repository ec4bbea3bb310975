package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http"
	"testing"

	"github.com/classifly/classifly/classify"
	"github.com/classifly/classifly/imageprep"
	"github.com/classifly/classifly/wire"
)

// TestResizeOption passes "resize" from JSON and the query to the backend
// (a stub that records the options, since what matters is the parsing),
// and refuses unknown values.
func TestResizeOption(t *testing.T) {
	cat := image(t, "cat.bmp")
	b64 := base64.StdEncoding.EncodeToString(cat)
	var got imageprep.ResizeMode
	stub := &stubBackend{classify: func(_ context.Context, req *Request) (*classify.Result, error) {
		got = req.Options.Resize
		return &classify.Result{Model: "stub"}, nil
	}}
	h, _ := newHandler(t, stub, Config{})
	for _, c := range []struct {
		name string
		req  func() *http.Request
		want imageprep.ResizeMode
	}{
		{"JSON exact", func() *http.Request { return postJSON(map[string]any{"image_base64": b64, "resize": "exact"}) }, imageprep.ResizeExact},
		{"JSON fast", func() *http.Request { return postJSON(map[string]any{"image_base64": b64, "resize": "fast"}) }, imageprep.ResizeFast},
		{"default", func() *http.Request { return postJSON(map[string]any{"image_base64": b64}) }, imageprep.ResizeFast},
		{"query exact", func() *http.Request { return post("image/bmp", bytes.NewReader(cat), "/predict?resize=exact") }, imageprep.ResizeExact},
	} {
		got = -1
		if a := serve(t, h, c.req()); a.status != 200 || got != c.want {
			t.Errorf("%s: status %d, backend saw %v, want %v", c.name, a.status, got, c.want)
		}
	}
	// A proxy forwards the mode to the model endpoint in the attributes
	// header, which the endpoint reads back.
	h2, _ := newHandler(t, stub, Config{SageMaker: true})
	for _, want := range []imageprep.ResizeMode{imageprep.ResizeExact, imageprep.ResizeFast} {
		r := post("image/bmp", bytes.NewReader(cat), "/invocations")
		r.Header.Set(wire.HeaderAttributes, (&Request{Options: classify.Options{Resize: want}}).Attributes())
		got = -1
		if a := serve(t, h2, r); a.status != 200 || got != want {
			t.Errorf("attributes %v: status %d, endpoint saw %v", want, a.status, got)
		}
	}
	a := serve(t, h, postJSON(map[string]any{"image_base64": b64, "resize": "nearest"}))
	if a.status != 422 || a.err.Error.Code != wire.CodeInvalidParameter {
		t.Errorf("resize nearest: %d %s, want 422 %s", a.status, a.err.Error.Code, wire.CodeInvalidParameter)
	}
}
