package registry_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/classifly/classifly/internal/shared"
	"github.com/classifly/classifly/registry"
)

func TestResolveDownload(t *testing.T) {
	shared.Full(t) // several models
	s := newModelServer(t)
	r := resolver(t, s)
	var progress bytes.Buffer
	r.Progress = &progress
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
	out := progress.String()
	for _, want := range []string{
		"downloading " + m.File + " from " + s.URL + "/" + m.File + " (3.6 MB)",
		m.File + ": 50% ",
		m.File + ": done, 3.6 MB, sha256 verified",
		m.Labels + ": done",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("progress lacks %q:\n%s", want, out)
		}
	}
	t.Logf("progress:\n%s", out)

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
	var progress bytes.Buffer
	r.Progress = &progress
	if _, err := r.Resolve(context.Background(), "mobilenet_v1_0.25_128_quant", ""); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(progress.String(), "done, 525.6 kB, sha256 verified") {
		t.Errorf("progress:\n%s", progress.String())
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
