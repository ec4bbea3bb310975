package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/classifly/classifly/classify"
	"github.com/classifly/classifly/wire"
)

// multipartBody builds a form with the given fields; "image" is sent as a
// file.
func multipartBody(t testing.TB, fields map[string][]byte) (string, *bytes.Buffer) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for name, v := range fields {
		var w io.Writer
		var err error
		if name == "image" {
			w, err = mw.CreateFormFile(name, "picture.bin")
		} else {
			w, err = mw.CreateFormField(name)
		}
		if err != nil {
			t.Fatal(err)
		}
		w.Write(v)
	}
	mw.Close()
	return mw.FormDataContentType(), &buf
}

// imageServer serves test pictures on a real loopback listener.
func imageServer(t testing.TB) *httptest.Server {
	cat := image(t, "cat.bmp")
	mux := http.NewServeMux()
	mux.HandleFunc("/cat.bmp", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain") // lies: the content is sniffed
		w.Write(cat)
	})
	mux.HandleFunc("/text.png", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png") // lies the other way
		io.WriteString(w, "<html>not a picture</html>")
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		// Streamed without Content-Length: the cap must hold while reading.
		chunk := bytes.Repeat([]byte{0xFF}, 64<<10)
		for range 64 {
			if _, err := w.Write(chunk); err != nil {
				return
			}
			w.(http.Flusher).Flush()
		}
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(5 * time.Second):
		case <-r.Context().Done():
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// TestPredictStatusesStubBackend sends one request per error class of
// docs/architecture.md (and the successful forms) and checks status and
// code. The API answers all of these itself, so a stub stands for the model:
// it answers unknown_model for a name other than its own, as a backend does,
// and records what a successful request handed it (the picture's bytes, top_k).
func TestPredictStatusesStubBackend(t *testing.T) {
	cat, jpg := image(t, "cat.bmp"), image(t, "parrot.jpg")
	srv := imageServer(t)
	b64 := base64.StdEncoding.EncodeToString(cat)
	form, formBody := func() (string, []byte) {
		ct, b := multipartBody(t, map[string][]byte{"image": cat, "top_k": []byte("2")})
		return ct, b.Bytes()
	}()
	formNoImage, formNoImageBody := multipartBody(t, map[string][]byte{"top_k": []byte("2")})
	formExtra, formExtraBody := multipartBody(t, map[string][]byte{"image": cat, "colour": []byte("red")})

	cases := []struct {
		name   string
		cfg    func(*Config)
		req    func() *http.Request
		status int
		code   wire.Code
	}{
		{"raw bmp", nil, func() *http.Request { return post("image/bmp", bytes.NewReader(cat), "/predict?top_k=3") }, 200, ""},
		{"raw octet-stream", nil, func() *http.Request { return post("application/octet-stream", bytes.NewReader(cat), "") }, 200, ""},
		{"json base64", nil, func() *http.Request { return postJSON(map[string]any{"image_base64": b64, "top_k": 1}) }, 200, ""},
		{"json data URL", nil, func() *http.Request { return postJSON(map[string]any{"image_base64": "data:image/bmp;base64," + b64}) }, 200, ""},
		{"json url-safe unpadded base64", nil, func() *http.Request {
			return postJSON(map[string]any{"image_base64": base64.RawURLEncoding.EncodeToString(cat)})
		}, 200, ""},
		{"multipart", nil, func() *http.Request { return post(form, bytes.NewReader(formBody), "") }, 200, ""},
		{"json image_url, allowlisted loopback", allowLoopback, func() *http.Request {
			return postJSON(map[string]any{"image_url": srv.URL + "/cat.bmp", "model": "stub"})
		}, 200, ""},

		{"malformed json", nil, func() *http.Request { return post("application/json", strings.NewReader(`{"image_base64":`), "") }, 400, wire.CodeBadRequest},
		{"json not an object", nil, func() *http.Request { return post("application/json", strings.NewReader(`[1,2]`), "") }, 400, wire.CodeBadRequest},
		{"empty json body", nil, func() *http.Request { return post("application/json", strings.NewReader(``), "") }, 400, wire.CodeBadRequest},
		{"unknown json field", nil, func() *http.Request { return postJSON(map[string]any{"image_base64": b64, "topk": 3}) }, 400, wire.CodeBadRequest},
		{"data after json", nil, func() *http.Request {
			return post("application/json", strings.NewReader(`{"image_base64":"`+b64+`"} {}`), "")
		}, 400, wire.CodeBadRequest},
		{"both image sources", nil, func() *http.Request {
			return postJSON(map[string]any{"image_base64": b64, "image_url": "https://example.com/x.jpg"})
		}, 400, wire.CodeBadRequest},
		{"no image", nil, func() *http.Request { return postJSON(map[string]any{"top_k": 3}) }, 400, wire.CodeBadRequest},
		{"bad base64", nil, func() *http.Request { return postJSON(map[string]any{"image_base64": "!!!notbase64"}) }, 400, wire.CodeBadRequest},
		{"data URL without base64", nil, func() *http.Request { return postJSON(map[string]any{"image_base64": "data:image/bmp,abc"}) }, 400, wire.CodeBadRequest},
		{"multipart without image", nil, func() *http.Request { return post(formNoImage, formNoImageBody, "") }, 400, wire.CodeBadRequest},
		{"multipart unknown field", nil, func() *http.Request { return post(formExtra, formExtraBody, "") }, 400, wire.CodeBadRequest},
		{"multipart without boundary", nil, func() *http.Request { return post("multipart/form-data", strings.NewReader("x"), "") }, 400, wire.CodeBadRequest},
		{"unknown query parameter", nil, func() *http.Request { return post("image/bmp", bytes.NewReader(cat), "/predict?topk=3") }, 400, wire.CodeBadRequest},
		{"query with json", nil, func() *http.Request {
			r := postJSON(map[string]any{"image_base64": b64})
			r.URL.RawQuery = "top_k=3"
			return r
		}, 400, wire.CodeBadRequest},
		{"empty raw body", nil, func() *http.Request { return post("image/jpeg", strings.NewReader(""), "") }, 400, wire.CodeInvalidImage},
		{"truncated bmp", nil, func() *http.Request { return post("image/bmp", bytes.NewReader(cat[:len(cat)/2]), "") }, 400, wire.CodeInvalidImage},
		{"truncated jpeg", nil, func() *http.Request { return post("image/jpeg", bytes.NewReader(jpg[:2000]), "") }, 400, wire.CodeInvalidImage},

		{"unknown model", nil, func() *http.Request { return postJSON(map[string]any{"image_base64": b64, "model": "resnet_9000"}) }, 404, wire.CodeUnknownModel},

		{"body over the limit", func(c *Config) { c.Limits.MaxBodyBytes = 1000 }, func() *http.Request {
			return post("image/bmp", bytes.NewReader(cat), "")
		}, 413, wire.CodeBodyTooLarge},
		{"json body over the limit", func(c *Config) { c.Limits.MaxBodyBytes = 1000 }, func() *http.Request {
			return postJSON(map[string]any{"image_base64": b64})
		}, 413, wire.CodeBodyTooLarge},
		{"multipart over the limit", func(c *Config) { c.Limits.MaxBodyBytes = 1000 }, func() *http.Request {
			return post(form, bytes.NewReader(formBody), "")
		}, 413, wire.CodeBodyTooLarge},
		{"pixels over the limit", func(c *Config) { c.Limits.MaxPixels = 512*341 - 1 }, func() *http.Request {
			return post("image/bmp", bytes.NewReader(cat), "")
		}, 413, wire.CodeImageTooLarge},
		{"fetched image over the limit", func(c *Config) { allowLoopback(c); c.Fetch.MaxBytes = 1 << 20 }, func() *http.Request {
			return postJSON(map[string]any{"image_url": srv.URL + "/big"})
		}, 413, wire.CodeImageTooLarge},

		{"no content type", nil, func() *http.Request { return post("", bytes.NewReader(cat), "") }, 415, wire.CodeUnsupportedMediaType},
		{"text/plain", nil, func() *http.Request { return post("text/plain", strings.NewReader("cat"), "") }, 415, wire.CodeUnsupportedMediaType},
		{"form-urlencoded (curl's default)", nil, func() *http.Request {
			return post("application/x-www-form-urlencoded", bytes.NewReader(cat), "")
		}, 415, wire.CodeUnsupportedMediaType},
		{"not an image", nil, func() *http.Request { return post("image/jpeg", strings.NewReader("hello, world"), "") }, 415, wire.CodeUnsupportedImage},
		{"tiff", nil, func() *http.Request { return post("image/tiff", strings.NewReader("II*\x00\x08\x00\x00\x00rest"), "") }, 415, wire.CodeUnsupportedImage},
		{"fetched text, declared png", allowLoopback, func() *http.Request {
			return postJSON(map[string]any{"image_url": srv.URL + "/text.png"})
		}, 415, wire.CodeUnsupportedImage},

		{"top_k zero", nil, func() *http.Request { return postJSON(map[string]any{"image_base64": b64, "top_k": 0}) }, 422, wire.CodeInvalidParameter},
		{"top_k over max", nil, func() *http.Request { return postJSON(map[string]any{"image_base64": b64, "top_k": 101}) }, 422, wire.CodeInvalidParameter},
		{"top_k a string", nil, func() *http.Request { return postJSON(map[string]any{"image_base64": b64, "top_k": "5"}) }, 422, wire.CodeInvalidParameter},
		{"top_k fractional", nil, func() *http.Request { return postJSON(map[string]any{"image_base64": b64, "top_k": 2.5}) }, 422, wire.CodeInvalidParameter},
		{"threshold over 1", nil, func() *http.Request { return postJSON(map[string]any{"image_base64": b64, "threshold": 2}) }, 422, wire.CodeInvalidParameter},
		{"threshold NaN in query", nil, func() *http.Request { return post("image/bmp", bytes.NewReader(cat), "/predict?threshold=NaN") }, 422, wire.CodeInvalidParameter},
		{"top_k not a number in form", nil, func() *http.Request {
			ct, b := multipartBody(t, map[string][]byte{"image": cat, "top_k": []byte("five")})
			return post(ct, b, "")
		}, 422, wire.CodeInvalidParameter},
		{"model name with a path", nil, func() *http.Request {
			return postJSON(map[string]any{"image_base64": b64, "model": "../../etc/passwd"})
		}, 422, wire.CodeInvalidParameter},
		{"image_url ftp", nil, func() *http.Request { return postJSON(map[string]any{"image_url": "ftp://example.com/cat.jpg"}) }, 422, wire.CodeURLNotAllowed},
		{"image_url file", nil, func() *http.Request { return postJSON(map[string]any{"image_url": "file:///etc/passwd"}) }, 422, wire.CodeURLNotAllowed},
		{"image_url metadata", nil, func() *http.Request {
			return postJSON(map[string]any{"image_url": "http://169.254.169.254/latest/meta-data/"})
		}, 422, wire.CodeURLNotAllowed},
		{"image_url loopback server, not allowlisted", nil, func() *http.Request {
			return postJSON(map[string]any{"image_url": srv.URL + "/cat.bmp"})
		}, 422, wire.CodeURLNotAllowed},
		{"image_url disabled", func(c *Config) { allowLoopback(c); c.Fetch.Disabled = true }, func() *http.Request {
			return postJSON(map[string]any{"image_url": srv.URL + "/cat.bmp"})
		}, 422, wire.CodeURLNotAllowed},

		{"fetch 404", allowLoopback, func() *http.Request { return postJSON(map[string]any{"image_url": srv.URL + "/missing.jpg"}) }, 502, wire.CodeFetchFailed},
		{"fetch connection refused", allowLoopback, func() *http.Request {
			return postJSON(map[string]any{"image_url": "http://127.0.0.1:1/cat.bmp"})
		}, 502, wire.CodeFetchFailed},
		{"fetch timeout", func(c *Config) { allowLoopback(c); c.Fetch.Timeout = 200 * time.Millisecond }, func() *http.Request {
			return postJSON(map[string]any{"image_url": srv.URL + "/slow"})
		}, 504, wire.CodeFetchTimeout},
	}
	wantTopK := map[string]int{"raw bmp": 3, "json base64": 1, "multipart": 2}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var cfg Config
			if c.cfg != nil {
				c.cfg(&cfg)
			}
			var got *Request
			b := &stubBackend{classify: func(_ context.Context, req *Request) (*classify.Result, error) {
				if req.Model != "" && req.Model != "stub" {
					return nil, fmt.Errorf("%w %q; served: stub", ErrUnknownModel, req.Model)
				}
				got = req
				return &classify.Result{Model: "stub", Predictions: make([]classify.Prediction, req.Options.TopK)}, nil
			}}
			h, logs := newHandler(t, b, cfg)
			a := serve(t, h, c.req())
			if a.status != c.status || a.err.Error.Code != c.code {
				t.Fatalf("got %d %q, want %d %q: %s", a.status, a.err.Error.Code, c.status, c.code, a.raw)
			}
			if c.status == 200 {
				topK, ok := wantTopK[c.name]
				if !ok {
					topK = classify.DefaultTopK
				}
				if got == nil || !bytes.Equal(got.Image, cat) || got.Options.TopK != topK || a.result.Model != "stub" || len(a.result.Predictions) != topK {
					t.Errorf("the backend got %+v (want the cat picture, top_k %d); answered %s", got, topK, a.raw)
				}
			}
			if c.status != 200 && strings.Contains(a.err.Error.Message, "goroutine") {
				t.Errorf("stack trace in the answer: %s", a.raw)
			}
			if !strings.Contains(logs.String(), fmt.Sprintf(`"status":%d`, c.status)) {
				t.Errorf("no log line with the status:\n%s", logs)
			}
		})
	}
}

func allowLoopback(c *Config) { c.Fetch.Allow = []string{"127.0.0.1/32"} }

func TestNotFoundAndMethodNotAllowed(t *testing.T) {
	h, _ := newHandler(t, localBackend(t), Config{})
	if a := serve(t, h, httptest.NewRequest("GET", "/nowhere", nil)); a.status != 404 || a.err.Error.Code != wire.CodeNotFound {
		t.Errorf("unknown path: %d %s", a.status, a.raw)
	}
	a := serve(t, h, httptest.NewRequest("GET", "/predict", nil))
	if a.status != 405 || a.err.Error.Code != wire.CodeMethodNotAllowed || a.header.Get("Allow") != "POST" {
		t.Errorf("GET /predict: %d %v %s", a.status, a.header, a.raw)
	}
	if a := serve(t, h, httptest.NewRequest("POST", "/models", nil)); a.status != 405 || a.header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST /models: %d %v", a.status, a.header)
	}
	// SageMaker routes exist only when asked for.
	if a := serve(t, h, httptest.NewRequest("GET", "/ping", nil)); a.status != 404 {
		t.Errorf("/ping without SageMaker: %d", a.status)
	}
}

// TestPanicIsALogged500StubBackend: a backend that panics (emulated: no
// real one does on purpose) gives a bare 500, a log line with the stack,
// and the server goes on.
func TestPanicIsALogged500StubBackend(t *testing.T) {
	b := &stubBackend{classify: func(context.Context, *Request) (*classify.Result, error) {
		panic("secret detail 42")
	}}
	h, logs := newHandler(t, b, Config{Limits: Limits{MaxConcurrent: 1, MaxQueue: -1}})
	for range 3 { // the admission slot must be released each time
		a := serve(t, h, post("image/png", bytes.NewReader(tinyPNG()), ""))
		if a.status != 500 || a.err.Error.Code != wire.CodeInternal || strings.Contains(string(a.raw), "secret") {
			t.Fatalf("got %d %s", a.status, a.raw)
		}
	}
	if !strings.Contains(logs.String(), "secret detail 42") || !strings.Contains(logs.String(), "goroutine") {
		t.Errorf("panic not logged with its stack:\n%s", logs)
	}
}

// TestOverloadAndDeadlineStubBackend: with one slot and no queue, a second
// request while the first runs gets 503 with Retry-After; a classification
// past the request deadline gets 504. The backend is emulated, to block on
// demand.
func TestOverloadAndDeadlineStubBackend(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	b := &stubBackend{classify: func(ctx context.Context, req *Request) (*classify.Result, error) {
		if req.Model == "deadline" {
			<-ctx.Done()
			return nil, fmt.Errorf("engine: run stopped: %w", ctx.Err())
		}
		close(started)
		<-release
		return &classify.Result{Model: "stub"}, nil
	}}
	h, _ := newHandler(t, b, Config{Limits: Limits{MaxConcurrent: 1, MaxQueue: -1, RequestTimeout: 300 * time.Millisecond}})
	first := make(chan answer)
	go func() { first <- serve(t, h, post("image/png", bytes.NewReader(tinyPNG()), "")) }()
	<-started
	a := serve(t, h, post("image/png", bytes.NewReader(tinyPNG()), ""))
	if a.status != 503 || a.err.Error.Code != wire.CodeOverloaded || a.header.Get("Retry-After") != "1" {
		t.Errorf("second request: %d %v %s", a.status, a.header, a.raw)
	}
	close(release)
	if a := <-first; a.status != 200 {
		t.Errorf("first request: %d %s", a.status, a.raw)
	}
	a = serve(t, h, post("image/png", bytes.NewReader(tinyPNG()), "/predict?model=deadline"))
	if a.status != 504 || a.err.Error.Code != wire.CodeTimeout {
		t.Errorf("deadline: %d %s", a.status, a.raw)
	}
}

// TestQueueTimeoutStubBackend: a queued request that waits longer than the
// queue timeout gets 503.
func TestQueueTimeoutStubBackend(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	b := &stubBackend{classify: func(ctx context.Context, req *Request) (*classify.Result, error) {
		close(started)
		<-release
		return &classify.Result{Model: "stub"}, nil
	}}
	h, _ := newHandler(t, b, Config{Limits: Limits{MaxConcurrent: 1, MaxQueue: 1, QueueTimeout: 100 * time.Millisecond}})
	done := make(chan struct{})
	go func() { serve(t, h, post("image/png", bytes.NewReader(tinyPNG()), "")); close(done) }()
	<-started
	a := serve(t, h, post("image/png", bytes.NewReader(tinyPNG()), ""))
	close(release)
	<-done
	if a.status != 503 || a.err.Error.Code != wire.CodeOverloaded {
		t.Errorf("queued request: %d %s", a.status, a.raw)
	}
}

func TestNotReadyAndProbes(t *testing.T) {
	l := NewLocal()
	h, _ := newHandler(t, l, Config{SageMaker: true})
	cat := image(t, "cat.bmp")
	for _, path := range []string{"/readyz", "/ping"} {
		if a := serve(t, h, httptest.NewRequest("GET", path, nil)); a.status != 503 || a.err.Error.Code != wire.CodeNotReady || a.header.Get("Retry-After") == "" {
			t.Errorf("%s while loading: %d %s", path, a.status, a.raw)
		}
	}
	if a := serve(t, h, post("image/bmp", bytes.NewReader(cat), "")); a.status != 503 || a.err.Error.Code != wire.CodeNotReady {
		t.Errorf("predict while loading: %d %s", a.status, a.raw)
	}
	if a := serve(t, h, httptest.NewRequest("GET", "/healthz", nil)); a.status != 200 {
		t.Errorf("healthz while loading: %d", a.status)
	}
	l.Add(smallClassifier(t), time.Second, false)
	l.Loaded(nil)
	for _, path := range []string{"/readyz", "/ping", "/healthz"} {
		if a := serve(t, h, httptest.NewRequest("GET", path, nil)); a.status != 200 {
			t.Errorf("%s when ready: %d %s", path, a.status, a.raw)
		}
	}
	h.SetDraining()
	if a := serve(t, h, httptest.NewRequest("GET", "/readyz", nil)); a.status != 503 {
		t.Errorf("readyz while draining: %d", a.status)
	}
}

// TestDeadlineWithABackendThatIgnoresItStubBackend: a backend stuck past
// the deadline (emulated; a real one would be an engine bug) still gets the
// client a 504 on time, and keeps its slot until it returns.
func TestDeadlineWithABackendThatIgnoresItStubBackend(t *testing.T) {
	release := make(chan struct{})
	b := &stubBackend{classify: func(ctx context.Context, req *Request) (*classify.Result, error) {
		<-release
		return &classify.Result{Model: "stub"}, nil
	}}
	h, _ := newHandler(t, b, Config{Limits: Limits{MaxConcurrent: 1, MaxQueue: -1, RequestTimeout: 100 * time.Millisecond}})
	start := time.Now()
	a := serve(t, h, post("image/png", bytes.NewReader(tinyPNG()), ""))
	if a.status != 504 || a.err.Error.Code != wire.CodeTimeout || time.Since(start) > 5*time.Second {
		t.Errorf("got %d %s after %v", a.status, a.raw, time.Since(start))
	}
	if a := serve(t, h, post("image/png", bytes.NewReader(tinyPNG()), "")); a.status != 503 {
		t.Errorf("the stuck backend's slot was given away: %d %s", a.status, a.raw)
	}
	close(release)
	time.Sleep(50 * time.Millisecond)
	if a := serve(t, h, post("image/png", bytes.NewReader(tinyPNG()), "")); a.status != 200 {
		t.Errorf("slot not released: %d %s", a.status, a.raw)
	}
}
