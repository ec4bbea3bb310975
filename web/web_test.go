package web_test

import (
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/classifly/classifly/web"
)

func get(t *testing.T, h http.Handler, method, target string, header ...string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func TestHandlerFiles(t *testing.T) {
	h := web.Handler()
	for _, tc := range []struct {
		path, contentType, cache, contains string
	}{
		{"/", "text/html; charset=utf-8", "no-cache", `<script src="config.js">`},
		{"/index.html", "text/html; charset=utf-8", "no-cache", "What's in the picture?"},
		{"/config.js", "text/javascript; charset=utf-8", "no-cache", "window.CLASSIFLY_CONFIG"},
		{"/app.js", "text/javascript; charset=utf-8", "public, max-age=300", "/predict"},
		{"/api.js", "text/javascript; charset=utf-8", "public, max-age=300", "export async function predict"},
		{"/style.css", "text/css; charset=utf-8", "public, max-age=300", ":focus-visible"},
		{"/results.css", "text/css; charset=utf-8", "public, max-age=300", ".predictions"},
		{"/favicon.svg", "image/svg+xml", "public, max-age=300", "<svg"},
	} {
		res := get(t, h, http.MethodGet, tc.path)
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET %s: status %d", tc.path, res.StatusCode)
			continue
		}
		if got := res.Header.Get("Content-Type"); got != tc.contentType {
			t.Errorf("GET %s: Content-Type %q, want %q", tc.path, got, tc.contentType)
		}
		if got := res.Header.Get("Cache-Control"); got != tc.cache {
			t.Errorf("GET %s: Cache-Control %q, want %q", tc.path, got, tc.cache)
		}
		if res.Header.Get("ETag") == "" || res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: missing ETag or nosniff: %v", tc.path, res.Header)
		}
		if !strings.Contains(string(body), tc.contains) {
			t.Errorf("GET %s: body lacks %q", tc.path, tc.contains)
		}
	}
	if csp := get(t, h, http.MethodGet, "/").Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("page has no script policy: %q", csp)
	}
}

func TestHandlerRevalidates(t *testing.T) {
	h := web.Handler()
	etag := get(t, h, http.MethodGet, "/config.js").Header.Get("ETag")
	if res := get(t, h, http.MethodGet, "/config.js", "If-None-Match", etag); res.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match with the current ETag: status %d, want 304", res.StatusCode)
	}
	if res := get(t, h, http.MethodGet, "/config.js", "If-None-Match", `"stale"`); res.StatusCode != http.StatusOK {
		t.Errorf("If-None-Match with an old ETag: status %d, want 200", res.StatusCode)
	}
	res := get(t, h, http.MethodHead, "/app.js")
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || len(body) != 0 || res.Header.Get("Content-Length") == "0" {
		t.Errorf("HEAD /app.js: status %d, %d body bytes, Content-Length %q", res.StatusCode, len(body), res.Header.Get("Content-Length"))
	}
}

func TestHandlerRejects(t *testing.T) {
	h := web.Handler()
	for _, p := range []string{"/missing.js", "/static/index.html", "/../go.mod", "/web.go"} {
		if res := get(t, h, http.MethodGet, p); res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", p, res.StatusCode)
		}
	}
	res := get(t, h, http.MethodPost, "/")
	if res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST /: status %d, Allow %q", res.StatusCode, res.Header.Get("Allow"))
	}
}

// TestFilesSelfContained keeps the page working offline and on S3: nothing is
// loaded from another host, and every file the page names is shipped.
func TestFilesSelfContained(t *testing.T) {
	fsys := web.FS()
	page, err := fs.ReadFile(fsys, "index.html")
	if err != nil {
		t.Fatal(err)
	}
	refs := regexp.MustCompile(`<(?:script|link|img)\b[^>]*\b(?:src|href)="([^"]*)"`).FindAllStringSubmatch(string(page), -1)
	if len(refs) < 4 { // icon, style, config, app
		t.Fatalf("index.html names only %d files", len(refs))
	}
	for _, m := range refs {
		ref := m[1]
		if strings.Contains(ref, "//") || strings.HasPrefix(ref, "/") {
			t.Errorf("index.html loads %q: use a relative path to a shipped file", ref)
			continue
		}
		if _, err := fs.Stat(fsys, ref); err != nil {
			t.Errorf("index.html names %q, which is not shipped: %v", ref, err)
		}
	}
	imports := regexp.MustCompile(`(?m)^import .* from "([^"]+)";$`)
	modules := 0
	err = fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		for _, m := range imports.FindAllStringSubmatch(string(data), -1) {
			modules++
			mod, ok := strings.CutPrefix(m[1], "./")
			if _, err := fs.Stat(fsys, mod); !ok || err != nil {
				t.Errorf("%s imports %q: want a relative path to a shipped module", name, m[1])
			}
		}
		if regexp.MustCompile(`@import|url\(\s*["']?(https?:)?//|fonts\.googleapis|cdn\.`).Match(data) {
			t.Errorf("%s loads something from another host", name)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if modules < 2 {
		t.Errorf("found %d module imports, want app.js's imports of api.js and render.js", modules)
	}
}

func ExampleHandler() {
	mux := http.NewServeMux()
	// The API's routes (POST /predict, GET /models, ...) go beside it.
	mux.Handle("/", web.Handler())

	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	fmt.Println(rec.Code, rec.Header().Get("Content-Type"))
	// Output: 200 text/html; charset=utf-8
}
