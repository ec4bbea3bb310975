package api

import (
	"bytes"
	"testing"

	"github.com/classifly/classifly/internal/testpics"
	"github.com/classifly/classifly/wire"
)

// TestPixelCapsFollowThePath: a 60 MP baseline JPEG is over the 40 MP cap
// of every other format but under the fast path's JPEG cap, whose memory
// follows the model input: it is classified with the default resize,
// refused (413, from the header) with resize exact, and a PNG declaring
// the same size is refused too. The reservation for the JPEG is the fast
// path's, a few MB, not a full decode's.
func TestPixelCapsFollowThePath(t *testing.T) {
	const side = 7744 // 59.97 MP
	jpg, png := testpics.FlatJPEG(side, side), testpics.PNGHeader(side, side)
	// A budget far below what a full decode takes (side² × 3 bytes and
	// more; 64 MB of it for requests): only the fast path's estimate fits.
	h, _ := newHandler(t, localBackend(t), Config{Limits: Limits{MemoryBudget: 128 << 20}})
	for _, c := range []struct {
		name, ctype, target string
		body                []byte
		status              int
		code                wire.Code
	}{
		{"JPEG, fast", "image/jpeg", "/predict", jpg, 200, ""},
		{"JPEG, exact", "image/jpeg", "/predict?resize=exact", jpg, 413, wire.CodeImageTooLarge},
		{"PNG", "image/png", "/predict", png, 413, wire.CodeImageTooLarge},
	} {
		a := serve(t, h, post(c.ctype, bytes.NewReader(c.body), c.target))
		if a.status != c.status || c.code != "" && a.err.Error.Code != c.code {
			t.Errorf("%s: %d %s, want %d %s", c.name, a.status, a.raw, c.status, c.code)
			continue
		}
		if a.status == 200 && (a.result.Image.Width != side || a.result.Image.Height != side) {
			t.Errorf("%s: image %dx%d, want the full size", c.name, a.result.Image.Width, a.result.Image.Height)
		}
	}
	// The cap is a limit: lowered, it refuses the JPEG on the fast path too.
	h, _ = newHandler(t, localBackend(t), Config{Limits: Limits{MaxPixelsJPEG: 50_000_000}})
	if a := serve(t, h, post("image/jpeg", bytes.NewReader(jpg), "/predict")); a.status != 413 {
		t.Errorf("over --max-pixels-jpeg: %d %s", a.status, a.raw)
	}
}
