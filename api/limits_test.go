package api

import (
	"bufio"
	"bytes"
	"context"
	"hash/crc32"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/classifly/classifly/classify"
	"github.com/classifly/classifly/internal/testkit"
	"github.com/classifly/classifly/wire"
)

// fastStub answers at once; the tests here are about what happens before
// the backend. (Emulated backend: the answer does not matter.)
func fastStub() *stubBackend {
	return &stubBackend{classify: func(context.Context, *Request) (*classify.Result, error) {
		return &classify.Result{Model: "stub"}, nil
	}}
}

// rawRequest sends head and then body over a fresh connection to srv,
// closing the sending side when close is set, and returns the answer.
func rawRequest(t *testing.T, srv *httptest.Server, head string, body []byte, halfClose bool) (*http.Response, error) {
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.Write([]byte(head))
	conn.Write(body)
	if halfClose {
		conn.(*net.TCPConn).CloseWrite()
	}
	return http.ReadResponse(bufio.NewReader(conn), nil)
}

// TestAbortedRawUploadIs400: a client that declares 100000 bytes, sends
// 100 and closes gets 400 incomplete_body, logged at WARN, not a 500.
func TestAbortedRawUploadIs400(t *testing.T) {
	h, logs := newHandler(t, fastStub(), Config{})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	resp, err := rawRequest(t, srv, "POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nContent-Length: 100000\r\n\r\n",
		bytes.Repeat([]byte{0x89}, 100), true)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	if e := wire.ReadError(resp.StatusCode, resp.Header, b); resp.StatusCode != 400 || e.Code != wire.CodeIncompleteBody {
		t.Errorf("got %d %s", resp.StatusCode, b)
	}
	waitForLog(t, logs, `"level":"WARN"`, `"error_code":"incomplete_body"`)
	if strings.Contains(logs.String(), `"level":"ERROR"`) {
		t.Errorf("an abort was logged as an error:\n%s", logs)
	}
}

// waitForLog waits for a log line holding every one of parts (the line is
// written after the answer).
func waitForLog(t *testing.T, logs *testkit.LogBuffer, parts ...string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		for _, line := range strings.Split(logs.String(), "\n") {
			ok := true
			for _, p := range parts {
				ok = ok && strings.Contains(line, p)
			}
			if ok {
				return
			}
		}
	}
	t.Errorf("no log line with %q:\n%s", parts, logs)
}

// TestSlowUploadsCannotStarveOthers: with fewer inference slots and
// in-flight places than slow clients, uploads that trickle one byte at a
// time end with 408 after the grace period, and the normal requests sent
// meanwhile are all served. (The e2e tag runs the full-size version.)
func TestSlowUploadsCannotStarveOthers(t *testing.T) {
	h, logs := newHandler(t, fastStub(), Config{Limits: Limits{MaxConcurrent: 1, MaxInFlight: 2, MaxUploads: 40,
		UploadGrace: 500 * time.Millisecond, MinUploadRate: 1000}})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	const slow = 20
	statuses := make(chan int, slow)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	for range slow {
		go func() {
			statuses <- testkit.Trickle(srv.Listener.Addr().String(), "image/png", 524000, 50*time.Millisecond, ctx.Done())
		}()
	}
	time.Sleep(200 * time.Millisecond) // all slow uploads under way
	body := tinyPNG()
	for i := range 20 {
		resp, err := http.Post(srv.URL+"/predict", "image/png", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("normal request %d: %d %s", i, resp.StatusCode, b)
		}
	}
	for range slow {
		if s := <-statuses; s != http.StatusRequestTimeout {
			t.Errorf("slow upload ended with %d, want 408", s)
		}
	}
	waitForLog(t, logs, `"level":"WARN"`, `"error_code":"upload_too_slow"`)
	if strings.Contains(logs.String(), `"status":500`) {
		t.Error("a slow upload was answered 500")
	}
}

// TestMemoryBudgetStubBackend: a picture whose decoding could never fit
// the budget is 413 from its header; while the budget is taken, another
// request waits the queue timeout and gets 503 with Retry-After. The
// backend is emulated, to hold a reservation on demand.
func TestMemoryBudgetStubBackend(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	b := &stubBackend{classify: func(ctx context.Context, req *Request) (*classify.Result, error) {
		once.Do(func() { close(started) })
		<-release
		return &classify.Result{Model: "stub"}, nil
	}}
	// 80 MiB less the 64 MiB headroom: 16 MiB for requests.
	h, _ := newHandler(t, b, Config{Limits: Limits{MemoryBudget: 80 << 20, QueueTimeout: 200 * time.Millisecond}})
	if h.budget.capacity != 16<<20 {
		t.Fatalf("capacity %d", h.budget.capacity)
	}
	big := hugePNG(3000, 3000) // 9 MP × (4+6) bytes: ~90 MB to decode
	if a := serve(t, h, post("image/png", bytes.NewReader(big), "")); a.status != 413 || a.err.Error.Code != wire.CodeImageTooLarge ||
		!strings.Contains(a.err.Error.Message, "memory budget") {
		t.Errorf("picture over the budget: %d %s", a.status, a.raw)
	}
	// 9 MB of body reserved by the first; the second's 9 MB does not fit.
	body := append(tinyPNG(), make([]byte, 9<<20)...)
	first := make(chan answer, 1)
	go func() { first <- serve(t, h, post("image/png", bytes.NewReader(body), "")) }()
	select {
	case <-started:
	case a := <-first:
		t.Fatalf("first request: %d %s", a.status, a.raw)
	}
	if a := serve(t, h, post("image/png", bytes.NewReader(body), "")); a.status != 503 || a.err.Error.Code != wire.CodeOverloaded ||
		a.header.Get("Retry-After") == "" {
		t.Errorf("second request while the budget is taken: %d %s", a.status, a.raw)
	}
	close(release)
	if a := <-first; a.status != 200 {
		t.Errorf("first request: %d %s", a.status, a.raw)
	}
	if n := h.budget.reserved(); n != 0 {
		t.Errorf("%d bytes still reserved after the requests", n)
	}
}

// hugePNG is a PNG header declaring w×h 8-bit RGBA pixels, with no data.
func hugePNG(w, h int) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := []byte{0, 0, 0, 13, 'I', 'H', 'D', 'R', byte(w >> 24), byte(w >> 16), byte(w >> 8), byte(w),
		byte(h >> 24), byte(h >> 16), byte(h >> 8), byte(h), 8, 6, 0, 0, 0}
	b.Write(ihdr)
	b.Write(crc(ihdr[4:]))
	return b.Bytes()
}

// TestJSONErrorsEverywhere: unknown paths, wrong methods and routes of
// another role answer JSON errors with the documented codes, also where
// the UI (here a file server standing in for it) would answer in text.
func TestJSONErrorsEverywhere(t *testing.T) {
	ui := http.FileServerFS(fstest.MapFS{"index.html": {Data: []byte("<p>hi</p>")}})
	textUI := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		ui.ServeHTTP(w, r)
	})
	for _, c := range []struct {
		cfg          Config
		method, path string
		code         wire.Code
	}{
		{Config{Fallback: textUI}, "GET", "/nope", wire.CodeNotFound},
		{Config{Fallback: textUI}, "GET", "/debug/pprof/", wire.CodeNotFound},
		{Config{Fallback: textUI}, "POST", "/", wire.CodeMethodNotAllowed},
		{Config{Fallback: textUI}, "POST", "/invocations", wire.CodeNotFound},
		{Config{Fallback: textUI}, "GET", "/ping", wire.CodeNotFound},
		{Config{}, "POST", "/invocations", wire.CodeNotFound},
		{Config{}, "DELETE", "/predict", wire.CodeMethodNotAllowed},
		{Config{SageMaker: true}, "GET", "/invocations", wire.CodeMethodNotAllowed},
		{Config{SageMaker: true}, "GET", "/nope", wire.CodeNotFound},
	} {
		h, _ := newHandler(t, fastStub(), c.cfg)
		a := serve(t, h, httptest.NewRequest(c.method, c.path, nil))
		if a.err.Error.Code != c.code || a.status != c.code.Status() || !strings.HasPrefix(a.header.Get("Content-Type"), "application/json") {
			t.Errorf("%s %s (sagemaker=%v, ui=%v): %d %q %s", c.method, c.path, c.cfg.SageMaker, c.cfg.Fallback != nil,
				a.status, a.header.Get("Content-Type"), a.raw)
		}
	}
	// The UI itself is untouched.
	h, _ := newHandler(t, fastStub(), Config{Fallback: textUI})
	if a := serve(t, h, httptest.NewRequest("GET", "/", nil)); a.status != 200 || !strings.Contains(string(a.raw), "hi") {
		t.Errorf("UI: %d %s", a.status, a.raw)
	}
}

// TestMultipartWrongFieldName: `curl -F file=@cat.bmp` is told which field
// to use (issue 12), not that "file" is too long.
func TestMultipartWrongFieldName(t *testing.T) {
	h, _ := newHandler(t, fastStub(), Config{})
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	w, _ := mw.CreateFormFile("file", "cat.png")
	w.Write(append(tinyPNG(), make([]byte, 4096)...))
	mw.Close()
	a := serve(t, h, post(mw.FormDataContentType(), &buf, ""))
	if a.status != 400 || !strings.Contains(a.err.Error.Message, `send the picture in the field "image"`) {
		t.Errorf("got %d %s", a.status, a.raw)
	}
}

// TestRefusedURLNamesTheAllowFlag: a refused private address says how an
// operator allows it, in the answer and in the log (issue 12).
func TestRefusedURLNamesTheAllowFlag(t *testing.T) {
	h, logs := newHandler(t, fastStub(), Config{})
	a := serve(t, h, postJSON(map[string]any{"image_url": "http://127.0.0.1:9/cat.png"}))
	if a.status != 422 || !strings.Contains(a.err.Error.Message, "--fetch-allow") {
		t.Errorf("got %d %s", a.status, a.raw)
	}
	waitForLog(t, logs, `"error_code":"url_not_allowed"`, "--fetch-allow")
}

func crc(b []byte) []byte {
	c := crc32.ChecksumIEEE(b)
	return []byte{byte(c >> 24), byte(c >> 16), byte(c >> 8), byte(c)}
}
