//go:build e2e

package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"github.com/classifly/classifly/web"
)

// TestBrowserStubbedAPI checks what a real server does not give on demand:
// an API on another origin (config.js apiBase, with CORS), a /models answer
// that is a bare list, a proxy's HTML error page, a 429 with Retry-After and
// a dropped connection; then that a dropped file, a pasted picture and an
// image URL each reach /predict in the form docs/architecture.md gives. The API here is
// a stub; the real one is in TestBrowser.
func TestBrowserStubbedAPI(t *testing.T) {
	// mode is how the stub answers /predict; the test sets it before each
	// step (by mode, not by count, as a browser may retry a dropped request).
	var mode atomic.Value
	mode.Store("ok")
	stub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Access-Control-Expose-Headers", "Retry-After")
		if r.Method == http.MethodOptions {
			w.Header().Set("Access-Control-Allow-Methods", "GET, POST")
			w.Header().Set("Access-Control-Allow-Headers", "Content-Type, Accept")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		switch {
		case r.URL.Path == "/models":
			fmt.Fprint(w, `["small", "large"]`)
		case r.URL.Path == "/predict":
			switch mode.Load() {
			case "html": // a gateway's own page, not the API's JSON
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(http.StatusBadGateway)
				fmt.Fprint(w, "<html><body><h1>502 Bad Gateway</h1></body></html>")
			case "busy":
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("Retry-After", "7")
				w.WriteHeader(http.StatusTooManyRequests)
				fmt.Fprint(w, `{"error":{"code":"rate_limited","message":"rate limit exceeded; retry later"}}`)
			case "drop": // the connection drops
				conn, _, err := http.NewResponseController(w).Hijack()
				if err == nil {
					conn.Close()
				}
			default: // a result whose label says what the request was
				label, err := describeRequest(r)
				if err != nil {
					t.Errorf("/predict: %v", err)
				}
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprintf(w, `{"model":"large","predictions":[{"index":1,"label":%q,"score":0.75}],"image":{"width":1,"height":1,"format":"png"},"timings_ms":{"fetch":0,"decode":1,"preprocess":1,"inference":1,"total":3}}`, label)
			}
		default:
			http.NotFound(w, r)
		}
	}))
	defer stub.Close()

	mux := http.NewServeMux()
	mux.HandleFunc("GET /config.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		fmt.Fprintf(w, "window.CLASSIFLY_CONFIG = { apiBase: %q };\n", stub.URL+"/")
	})
	mux.Handle("/", web.Handler())
	// localhost, not 127.0.0.1, so the page and the API are different origins.
	site := httptest.NewServer(mux)
	defer site.Close()
	pageURL := strings.Replace(site.URL, "127.0.0.1", "localhost", 1)

	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	ctx = newBrowser(t, ctx)
	console := watchConsole(t, ctx)

	step(t, ctx, "open the page",
		chromedp.Navigate(pageURL+"/"),
		chromedp.WaitReady(chromedp.CSS(`#model option[value="large"]`)),
		chromedp.SetValue(chromedp.ID("model"), "large"),
	)
	picture := filepath.Join(t.TempDir(), "pixel.png")
	if err := os.WriteFile(picture, []byte("\x89PNG\r\n\x1a\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, mode string
		want       []string
	}{
		{"HTML error page", "html", []string{"The server could not answer", "something other than the expected JSON", "HTTP 502"}},
		{"rate limited", "busy", []string{"Too many requests", "Rate limit exceeded", "Try again in 7 seconds", "HTTP 429 · rate_limited"}},
		{"connection dropped", "drop", []string{"Could not reach the server", "No answer from " + stub.URL}},
	} {
		mode.Store(tc.mode)
		step(t, ctx, tc.name,
			chromedp.Evaluate[chromedp.Void](`document.getElementById("error").hidden = true`),
			chromedp.SetUploadFiles(chromedp.ID("file"), []string{picture}),
			chromedp.WaitVisible(chromedp.ID("error")),
		)
		shown := text(t, ctx, "#error")
		t.Logf("%s:\n%s", tc.name, shown)
		for _, w := range tc.want {
			if !strings.Contains(shown, w) {
				t.Errorf("%s: error lacks %q:\n%s", tc.name, w, shown)
			}
		}
		if strings.Contains(shown, "<") {
			t.Errorf("%s: error shows markup:\n%s", tc.name, shown)
		}
	}

	// The ways in besides the file input; each answer names what the stub got.
	mode.Store("ok")
	dropFile := chromedp.Func(func(ctx context.Context, tgt *chromedp.Target) error {
		data := &input.DragData{Items: []*input.DragDataItem{}, Files: []string{picture}, DragOperationsMask: 1}
		for _, typ := range []input.DispatchDragEventType{input.DispatchDragEventTypeDragEnter, input.DispatchDragEventTypeDragOver, input.DispatchDragEventTypeDrop} {
			if _, err := cdp.Call(ctx, tgt, input.DispatchDragEvent, input.DispatchDragEventParams{Type: typ, X: 200, Y: 200, Data: data}); err != nil {
				return err
			}
		}
		return nil
	})
	pasteFile := chromedp.Evaluate[chromedp.Void](`(() => {
		const data = new DataTransfer();
		data.items.add(new File([new Uint8Array([0x89, 0x50, 0x4e, 0x47])], "pasted.png", { type: "image/png" }));
		document.body.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true }));
	})()`)
	for _, tc := range []struct {
		name   string
		action chromedp.Action[chromedp.Void]
		want   string
	}{
		{"drop", dropFile, "raw image/png 8 bytes"},
		{"paste", pasteFile, "raw image/png 4 bytes"},
		{"URL", chromedp.Steps(
			chromedp.SendKeys(chromedp.ID("url"), stub.URL+"/cat.jpg"),
			chromedp.Click(chromedp.CSS("#url-form button")),
		), "json " + stub.URL + "/cat.jpg"},
	} {
		step(t, ctx, tc.name,
			chromedp.Evaluate[chromedp.Void](`document.getElementById("results").replaceChildren()`),
			tc.action,
			chromedp.WaitVisible(chromedp.CSS("#predictions li")),
		)
		got := text(t, ctx, "#predictions")
		t.Logf("%s: %s", tc.name, got)
		if !strings.Contains(got, tc.want) {
			t.Errorf("%s: result shows %q, want %q", tc.name, got, tc.want)
		}
	}
	console.check(t)
}

// describeRequest checks a /predict request against the API contract and
// names it: "raw TYPE N bytes" or "json IMAGE_URL".
func describeRequest(r *http.Request) (string, error) {
	q := r.URL.Query()
	switch ct := r.Header.Get("Content-Type"); ct {
	case "application/json":
		var req struct {
			ImageURL string `json:"image_url"`
			Model    string `json:"model"`
			TopK     int    `json:"top_k"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			return "", err
		}
		if req.Model != "large" || req.TopK != 5 {
			return "", fmt.Errorf("JSON asks for model %q, top_k %d; want large, 5", req.Model, req.TopK)
		}
		return "json " + req.ImageURL, nil
	default:
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return "", err
		}
		if q.Get("model") != "large" || q.Get("top_k") != "5" {
			return "", fmt.Errorf("query %q: want model=large and top_k=5", r.URL.RawQuery)
		}
		return fmt.Sprintf("raw %s %d bytes", ct, len(body)), nil
	}
}
