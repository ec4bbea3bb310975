package api

import (
	"bytes"
	"context"
	"encoding/json"
	goimage "image"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/classifly/classifly/classify"
	"github.com/classifly/classifly/engine"
	"github.com/classifly/classifly/internal/shared"
	"github.com/classifly/classifly/internal/testkit"
	"github.com/classifly/classifly/loader"
	"github.com/classifly/classifly/registry"
	"github.com/classifly/classifly/wire"
)

// smallModel is the fastest real model at hand (see shared.SmallModel), for tests where the answer does not
// matter. Loaded once per test binary.
var smallModel = shared.SmallModel()

var (
	smallOnce sync.Once
	small     *classify.Classifier
	smallErr  error
)

func smallClassifier(t testing.TB) *classify.Classifier {
	t.Helper()
	dir := shared.ModelDir(t)
	smallOnce.Do(func() {
		r := &registry.Resolver{ModelDir: dir, Offline: true}
		small, _, smallErr = loader.Load(context.Background(), r, smallModel, "", engine.Options{})
	})
	if smallErr != nil {
		t.Fatal(smallErr)
	}
	return small
}

// localBackend serves the small model, ready.
func localBackend(t testing.TB) *Local {
	l := NewLocal()
	l.Add(smallClassifier(t), 42*time.Millisecond, true)
	l.Loaded(nil)
	return l
}

// image returns a test picture's bytes.
func image(t testing.TB, name string) []byte { return shared.ReadImage(t, name) }

func newHandler(t testing.TB, b Backend, cfg Config) (*Handler, *testkit.LogBuffer) {
	t.Helper()
	logs := &testkit.LogBuffer{}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	h, err := New(b, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return h, logs
}

// answer is a decoded response: the status, headers, and either body.
type answer struct {
	status int
	header http.Header
	result classify.Result
	err    wire.ErrorBody
	raw    []byte
}

func serve(t testing.TB, h http.Handler, r *http.Request) answer {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	a := answer{status: w.Code, header: w.Header(), raw: w.Body.Bytes()}
	if strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
		if a.status == http.StatusOK {
			json.Unmarshal(a.raw, &a.result)
		} else if err := json.Unmarshal(a.raw, &a.err); err != nil || a.err.Error.Code == "" {
			t.Errorf("error answer %d is not {\"error\":{code,message}}: %s", a.status, a.raw)
		}
	}
	return a
}

func post(ctype string, body io.Reader, target string) *http.Request {
	if target == "" {
		target = "/predict"
	}
	r := httptest.NewRequest(http.MethodPost, target, body)
	if ctype != "" {
		r.Header.Set("Content-Type", ctype)
	}
	return r
}

func postJSON(v any) *http.Request {
	b, _ := json.Marshal(v)
	return post("application/json", bytes.NewReader(b), "")
}

// stubBackend emulates a backend for the cases a real one cannot produce
// on demand (a panic, a model that blocks) and for tables whose answers do
// not depend on the model; the name of each test that uses it says so.
type stubBackend struct {
	classify func(ctx context.Context, req *Request) (*classify.Result, error)
}

func (s *stubBackend) Models(context.Context) ([]ModelInfo, error) {
	return []ModelInfo{{Name: "stub", Default: true}}, nil
}

func (s *stubBackend) Ready(context.Context) error { return nil }

func (s *stubBackend) Classify(ctx context.Context, req *Request) (*classify.Result, error) {
	return s.classify(ctx, req)
}

// tinyPNG is a valid 2×2 picture, for stub-backend tests, where only the
// header checks that the API makes itself must pass.
func tinyPNG() []byte {
	var b bytes.Buffer
	png.Encode(&b, goimage.NewGray(goimage.Rect(0, 0, 2, 2)))
	return b.Bytes()
}
