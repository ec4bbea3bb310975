package cli

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"path"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/classifly/classifly/models"
	"github.com/classifly/classifly/registry"
)

// TestDownloadLines: a real download from a loopback server, as a pipe or
// a log shows it: what is fetched first, then quarters, then the end.
func TestDownloadLines(t *testing.T) {
	model, labels := models.Default()
	files := map[string][]byte{models.Name + ".tflite": model, "imagenet_labels.txt": labels}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, ok := files[path.Base(r.URL.Path)]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		for len(data) > 0 { // several writes, so that progress has steps
			n := min(len(data), 256<<10)
			w.Write(data[:n])
			w.(http.Flusher).Flush()
			data = data[n:]
		}
	}))
	defer srv.Close()
	var out bytes.Buffer
	r := &registry.Resolver{CacheDir: t.TempDir(), BaseURL: srv.URL, Client: srv.Client(), OnProgress: progressView(&out)}
	if _, err := r.Resolve(context.Background(), "", ""); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"downloading " + models.Name + ".tflite from " + srv.URL + "/" + models.Name + ".tflite",
		models.Name + ".tflite: 3.6 MB",
		models.Name + ".tflite: 25% (",
		models.Name + ".tflite: 50% (",
		models.Name + ".tflite: 75% (",
		models.Name + ".tflite: done, 3.6 MB, sha256 verified",
		"downloading imagenet_labels.txt from " + srv.URL + "/imagenet_labels.txt",
		"imagenet_labels.txt: done, 21.7 kB, sha256 verified",
	}
	got := out.String()
	for _, w := range want {
		i := strings.Index(got, w)
		if i < 0 {
			t.Fatalf("output lacks %q, in order:\n%s", w, out.String())
		}
		got = got[i+len(w):]
	}
}

// TestDownloadHangingNetwork: before a silent server is given up, the
// user has been told what is being fetched, from where.
func TestDownloadHangingNetwork(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	defer srv.Close()
	var out bytes.Buffer
	r := &registry.Resolver{CacheDir: t.TempDir(), BaseURL: srv.URL, Client: srv.Client(),
		OnProgress: progressView(&out), StallTimeout: 200 * time.Millisecond}
	_, err := r.Resolve(context.Background(), "", "")
	if err == nil || !strings.Contains(err.Error(), "no data received for 200ms") {
		t.Errorf("err = %v", err)
	}
	if got := out.String(); !strings.HasPrefix(got, "downloading "+models.Name+".tflite from "+srv.URL) ||
		!strings.Contains(got, "download failed after 0 B") {
		t.Errorf("output:\n%s", got)
	}
}
