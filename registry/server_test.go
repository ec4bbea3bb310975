package registry_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/classifly/classifly/internal/shared"
	"github.com/classifly/classifly/registry"
)

// modelServer is a real HTTP server on loopback serving the shared models
// folder the way the public repository does, with knobs to misbehave.
type modelServer struct {
	*httptest.Server
	dir      string
	requests atomic.Int64
	corrupt  bool // flip one byte of every body
	noLength bool // stream without Content-Length, as a chunked reply
}

func newModelServer(t *testing.T) *modelServer {
	t.Helper()
	s := &modelServer{dir: shared.ModelDir(t)}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *modelServer) serve(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	data, err := os.ReadFile(filepath.Join(s.dir, path.Base(r.URL.Path)))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	if s.corrupt {
		data[len(data)/2] ^= 0xff
	}
	if !s.noLength {
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	}
	for len(data) > 0 { // several writes, so progress sees several steps
		n := min(len(data), 256<<10)
		if _, err := w.Write(data[:n]); err != nil {
			return
		}
		w.(http.Flusher).Flush()
		data = data[n:]
	}
}

// resolver returns a Resolver with an empty model folder and an empty cache
// (both temporary), downloading from s when s is not nil and from nowhere
// reachable otherwise.
func resolver(t *testing.T, s *modelServer) *registry.Resolver {
	t.Helper()
	r := &registry.Resolver{
		ModelDir: filepath.Join(t.TempDir(), "models"),
		CacheDir: filepath.Join(t.TempDir(), "cache"),
		Offline:  s == nil,
	}
	if s != nil {
		r.BaseURL = s.URL
		r.Client = s.Client()
	}
	return r
}

// copyFiles copies the named shared model files into dir.
func copyFiles(t *testing.T, dir string, names ...string) {
	t.Helper()
	src := shared.ModelDir(t)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join(src, n))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, n), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// listDir returns the names in dir, or nothing if it does not exist.
func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}
