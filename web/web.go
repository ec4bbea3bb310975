package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"
)

//go:embed static
var static embed.FS

// FS returns the UI's static files at its root, as they are deployed:
// index.html, config.js, the ES modules app.js, api.js, auth.js and render.js, the
// style sheets and the icon.
func FS() fs.FS {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the embedded folder is always there
	}
	return sub
}

// ConfigFile is the file that tells the page where the API is. Deployments
// replace it (Terraform writes one with the API Gateway URL), so browsers must
// always revalidate it.
const ConfigFile = "config.js"

// contentTypes fixes the types of the files we ship, so they do not depend on
// the host's /etc/mime.types (where .js may be mapped to a legacy type).
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".svg":  "image/svg+xml",
	".png":  "image/png",
	".ico":  "image/x-icon",
	".json": "application/json",
	".txt":  "text/plain; charset=utf-8",
}

// securityPolicy allows only the page's own scripts and styles. Pictures may
// come from anywhere (a URL the user typed, or a blob: preview of a local
// file), and the API may be on another origin (config.js), so img-src and
// connect-src are open.
const securityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' blob: data: http: https:; connect-src 'self' http: https:; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// file is one static file with the headers it is served with.
type file struct {
	data        []byte
	contentType string
	etag        string
	cache       string
}

// files reads the embedded files once.
var files = sync.OnceValue(func() map[string]*file {
	files := map[string]*file{}
	err := fs.WalkDir(FS(), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(FS(), name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		f := &file{
			data:        data,
			contentType: typeOf(name),
			etag:        `"` + hex.EncodeToString(sum[:12]) + `"`,
			// Names carry no content hash, so assets are reused only briefly.
			cache: "public, max-age=300",
		}
		if name == "index.html" || name == ConfigFile {
			f.cache = "no-cache"
		}
		files[name] = f
		return nil
	})
	if err != nil {
		panic(err) // embedded files are always readable
	}
	return files
})

// Handler serves the UI's files: "/" is index.html, other paths name files.
// Every answer has an exact Content-Type, a strong ETag (so revalidation is a
// 304) and a Cache-Control suited to the file: the page and config.js are
// revalidated on every load, other assets may be reused for five minutes.
// Only GET and HEAD are allowed; unknown paths are 404. Mount it at "/" beside
// the API's routes.
func Handler() http.Handler {
	files := files()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
		if name == "" {
			name = "index.html"
		}
		f, ok := files[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Type", f.contentType)
		h.Set("Cache-Control", f.cache)
		h.Set("ETag", f.etag)
		h.Set("X-Content-Type-Options", "nosniff")
		if path.Ext(name) == ".html" {
			h.Set("Content-Security-Policy", securityPolicy)
			h.Set("Referrer-Policy", "no-referrer")
		}
		// ServeContent answers If-None-Match with 304, and HEAD and Range.
		http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(f.data))
	})
}

func typeOf(name string) string {
	ext := path.Ext(name)
	if t, ok := contentTypes[ext]; ok {
		return t
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return "application/octet-stream"
}
