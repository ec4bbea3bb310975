package registry_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/classifly/classifly/internal/shared"
	"github.com/classifly/classifly/registry"
)

func TestResolveDownload(t *testing.T) {
	shared.Full(t) // several models
	s := newModelServer(t)
	r := resolver(t, s)
	var events []registry.Progress
	r.OnProgress = func(p registry.Progress) { events = append(events, p) }
	res, err := r.Resolve(context.Background(), "", "")
	if err != nil {
		t.Fatal(err)
	}
	m := mustLookup(t, registry.DefaultModel)
	if res.Source != registry.SourceDownload || res.Path != filepath.Join(r.CacheDir, m.File) ||
		res.LabelsPath != filepath.Join(r.CacheDir, m.Labels) {
		t.Errorf("Resolve = %+v", res)
	}
	if err := registry.Verify(res.Path, m); err != nil {
		t.Error(err)
	}
	if got, want := listDir(t, r.CacheDir), []string{m.Labels, m.File}; !slices.Equal(got, want) {
		t.Errorf("cache holds %v, want %v", got, want)
	}
	checkEvents(t, events, m.File, s.URL+"/"+m.File, 3610798)
	checkEvents(t, events, m.Labels, s.URL+"/"+m.Labels, 21686)

	// The second time, the cache answers and the server is not asked.
	before := s.requests.Load()
	res, err = r.Resolve(context.Background(), "", "")
	if err != nil {
		t.Fatal(err)
	}
	if res.Source != registry.SourceCache || s.requests.Load() != before {
		t.Errorf("second Resolve: source %s, %d more requests", res.Source, s.requests.Load()-before)
	}

	// Another model with the same labels fetches only the model.
	before = s.requests.Load()
	if _, err := r.Resolve(context.Background(), "mobilenet_v1_0.25_128_quant", ""); err != nil {
		t.Fatal(err)
	}
	if n := s.requests.Load() - before; n != 1 {
		t.Errorf("%d requests for a model whose labels are cached, want 1", n)
	}
}

func TestDownloadChunked(t *testing.T) {
	shared.Full(t) // several models
	s := newModelServer(t)
	s.noLength = true
	r := resolver(t, s)
	var events []registry.Progress
	r.OnProgress = func(p registry.Progress) { events = append(events, p) }
	if _, err := r.Resolve(context.Background(), "mobilenet_v1_0.25_128_quant", ""); err != nil {
		t.Fatal(err)
	}
	checkEvents(t, events, "mobilenet_v1_0.25_128_quant.tflite", s.URL+"/mobilenet_v1_0.25_128_quant.tflite", -1)
}

// checkEvents checks the reports of one download: Started before the
// network answers, then Receiving with the announced size and growing
// counts, then Done with every byte.
func checkEvents(t *testing.T, all []registry.Progress, file, url string, size int64) {
	t.Helper()
	var events []registry.Progress
	for _, e := range all {
		if e.File == file {
			events = append(events, e)
		}
	}
	if len(events) < 4 {
		t.Fatalf("%s: %d events, want Started, Receiving…, Done: %+v", file, len(events), events)
	}
	first, last := events[0], events[len(events)-1]
	if first.Event != registry.Started || first.URL != url || first.Received != 0 {
		t.Errorf("%s: first event %+v, want Started from %s", file, first, url)
	}
	var got int64
	for _, e := range events[1 : len(events)-1] {
		if e.Event != registry.Receiving || e.Size != size || e.Received < got {
			t.Errorf("%s: event %+v, want Receiving of %d bytes, at least %d in", file, e, size, got)
		}
		got = e.Received
	}
	if last.Event != registry.Done || last.Err != nil || size >= 0 && last.Received != size || last.Received != got {
		t.Errorf("%s: last event %+v, want Done after %d bytes", file, last, got)
	}
}

// TestDownloadStalls: a server that accepts the connection and then says
// nothing (a hanging network) is given up after StallTimeout, not after
// minutes, and the caller heard of the download before it stalled.
func TestDownloadStalls(t *testing.T) {
	for _, stage := range []string{"headers", "body"} {
		t.Run(stage, func(t *testing.T) {
			release := make(chan struct{})
			hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if stage == "body" {
					w.Header().Set("Content-Length", "3610798")
					w.Write(make([]byte, 1000))
					w.(http.Flusher).Flush()
				}
				select {
				case <-release:
				case <-r.Context().Done():
				}
			}))
			defer hang.Close()
			defer close(release)
			r := &registry.Resolver{CacheDir: t.TempDir(), BaseURL: hang.URL, Client: hang.Client(), StallTimeout: 300 * time.Millisecond}
			var events []registry.Progress
			r.OnProgress = func(p registry.Progress) { events = append(events, p) }
			start := time.Now()
			_, err := r.Resolve(context.Background(), "", "")
			took := time.Since(start)
			if !errors.Is(err, registry.ErrNotFound) || !strings.Contains(err.Error(), "no data received for 300ms") {
				t.Errorf("err = %v, want a NotFoundError saying no data came", err)
			}
			if took > 3*time.Second {
				t.Errorf("gave up after %v, want about 300ms", took)
			}
			if len(events) == 0 || events[0].Event != registry.Started || events[len(events)-1].Event != registry.Failed {
				t.Errorf("events %+v, want Started first and Failed last", events)
			}
			if left := listDir(t, r.CacheDir); len(left) != 0 {
				t.Errorf("cache holds %v after a stalled download", left)
			}
		})
	}
}

func TestDownloadCorrupt(t *testing.T) {
	s := newModelServer(t)
	s.corrupt = true
	r := resolver(t, s)
	_, err := r.Resolve(context.Background(), "", "")
	var ce *registry.ChecksumError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want a ChecksumError", err)
	}
	m := mustLookup(t, registry.DefaultModel)
	if ce.Want != m.SHA256 || ce.Got == m.SHA256 || !strings.Contains(err.Error(), ce.Want) || !strings.Contains(err.Error(), ce.Got) {
		t.Errorf("ChecksumError %+v, message %q", ce, err)
	}
	if !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("err = %v, want it to match ErrNotFound too", err)
	}
	if left := listDir(t, r.CacheDir); len(left) != 0 {
		t.Errorf("cache holds %v after a failed download", left)
	}
}

func TestDownloadTooLarge(t *testing.T) {
	for _, chunked := range []bool{false, true} {
		t.Run(map[bool]string{false: "announced", true: "streamed"}[chunked], func(t *testing.T) {
			s := newModelServer(t)
			s.noLength = chunked
			r := resolver(t, s)
			r.MaxDownload = 1 << 20 // the default model is 3.6 MB
			_, err := r.Resolve(context.Background(), "", "")
			if !errors.Is(err, registry.ErrTooLarge) {
				t.Fatalf("err = %v, want ErrTooLarge", err)
			}
			if left := listDir(t, r.CacheDir); len(left) != 0 {
				t.Errorf("cache holds %v after a refused download", left)
			}
		})
	}
}

// TestServerDown: with the server gone, the one error names the variable to
// set and the exact URL to fetch.
func TestServerDown(t *testing.T) {
	s := newModelServer(t)
	r := resolver(t, s)
	s.Close()
	_, err := r.Resolve(context.Background(), "", "")
	if !errors.Is(err, registry.ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
	msg := err.Error()
	t.Logf("message: %s", msg)
	for _, want := range []string{
		"model " + registry.DefaultModel + " not found in $CLASSIFLY_MODEL_DIR (" + r.ModelDir + ") or " + r.CacheDir,
		"download from " + s.URL + "/" + registry.DefaultModel + ".tflite failed: ",
		"connection refused",
		"set CLASSIFLY_MODEL_DIR to a folder holding " + registry.DefaultModel + ".tflite and imagenet_labels.txt",
		"fetch them from " + s.URL + "/" + registry.DefaultModel + ".tflite and " + s.URL + "/imagenet_labels.txt",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q", want)
		}
	}
	if strings.Count(msg, `Get "`) != 0 {
		t.Errorf("message repeats the URL error prefix: %s", msg)
	}
}

func TestOffline(t *testing.T) {
	s := newModelServer(t)
	r := resolver(t, nil) // offline, with the real public base URL
	r.ModelDir = ""
	r.Client = s.Client()
	_, err := r.Resolve(context.Background(), "", "")
	var nf *registry.NotFoundError
	if !errors.As(err, &nf) || !nf.Offline || nf.Err != nil {
		t.Fatalf("err = %v, want an offline NotFoundError", err)
	}
	msg := err.Error()
	t.Logf("message: %s", msg)
	for _, want := range []string{
		"$CLASSIFLY_MODEL_DIR (unset)",
		"offline",
		"set CLASSIFLY_MODEL_DIR to a folder holding",
		"https://github.com/google-coral/test_data/raw/master/" + registry.DefaultModel + ".tflite",
		"https://github.com/google-coral/test_data/raw/master/imagenet_labels.txt",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q", want)
		}
	}
	if n := s.requests.Load(); n != 0 {
		t.Errorf("offline resolver made %d requests", n)
	}
}

func TestNoCacheFolder(t *testing.T) {
	r := &registry.Resolver{}
	_, err := r.Resolve(context.Background(), "", "")
	if !errors.Is(err, registry.ErrNotFound) || !strings.Contains(err.Error(), "no cache folder") {
		t.Errorf("err = %v", err)
	}
}

func TestDownloadNotFoundStatus(t *testing.T) {
	s := newModelServer(t)
	r := resolver(t, s)
	r.BaseURL = s.URL + "/missing/"
	s.dir = t.TempDir() // serves nothing
	_, err := r.Resolve(context.Background(), "", "")
	if !errors.Is(err, registry.ErrNotFound) || !strings.Contains(err.Error(), "404 Not Found") ||
		!strings.Contains(err.Error(), s.URL+"/missing/"+registry.DefaultModel+".tflite") {
		t.Errorf("err = %v", err)
	}
}

func TestDownloadCancelled(t *testing.T) {
	s := newModelServer(t)
	r := resolver(t, s)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := r.Resolve(ctx, "", "")
	if !errors.Is(err, context.Canceled) || errors.Is(err, registry.ErrNotFound) {
		t.Errorf("err = %v, want a plain context.Canceled", err)
	}
}
