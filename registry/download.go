package registry

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// DefaultMaxDownload caps the bytes fetched per file when
// Resolver.MaxDownload is zero. The largest known model is about 4 MB.
const DefaultMaxDownload = 64 << 20

// DefaultStallTimeout is how long a download may go without receiving a
// byte — connecting and waiting for the answer included — before it is
// given up, when Resolver.StallTimeout is zero. A network that drops
// packets then fails in seconds instead of sitting silent.
const DefaultStallTimeout = 15 * time.Second

// errStalled is the cause given to a download's context by its watchdog.
var errStalled = errors.New("stalled")

// newClient returns an HTTP client that gives up on an unreachable server in
// seconds, yet lets a slow link finish a few megabytes; a silent server is
// caught by the download's stall watchdog.
func newClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	t.TLSHandshakeTimeout = 10 * time.Second
	t.ResponseHeaderTimeout = 30 * time.Second
	return &http.Client{Transport: t, Timeout: 10 * time.Minute}
}

// fetch says what to download and how.
type fetch struct {
	client   *http.Client
	url      string
	dest     string // final path; the body streams into a temporary file beside it
	sha256   string // expected hex sum
	limit    int64  // most bytes accepted
	stall    time.Duration
	progress func(Progress)
}

// download fetches f.url into f.dest. The body streams into a temporary file
// in dest's folder while its sha256 is computed and its size checked against
// the limit; only a complete file with the expected sum is renamed to dest,
// so dest is either absent or right, even across concurrent downloads. The
// whole transfer runs under a watchdog that cancels it when no byte has
// arrived for f.stall.
func download(ctx context.Context, f fetch) (err error) {
	p := Progress{File: filepath.Base(f.dest), URL: f.url, Size: -1}
	report(f.progress, p)
	defer func() {
		if err != nil {
			p.Event, p.Err = Failed, err
			report(f.progress, p)
		}
	}()

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	watchdog := time.AfterFunc(f.stall, func() { cancel(errStalled) })
	defer watchdog.Stop()
	// stalled rewrites an error caused by the watchdog into one that says so.
	stalled := func(err error) error {
		if errors.Is(context.Cause(ctx), errStalled) {
			return fmt.Errorf("GET %s: no data received for %v (network down or server not answering)", f.url, f.stall)
		}
		return err
	}

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.url, nil)
	if err != nil {
		return fmt.Errorf("download: %w", err)
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return stalled(err) // a *url.Error, naming the method and URL
	}
	defer resp.Body.Close()
	watchdog.Reset(f.stall)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", f.url, resp.Status)
	}
	if resp.ContentLength > f.limit {
		return fmt.Errorf("GET %s: %w: %d bytes announced, limit %d", f.url, ErrTooLarge, resp.ContentLength, f.limit)
	}
	p.Event, p.Size = Receiving, resp.ContentLength
	report(f.progress, p)

	dir := filepath.Dir(f.dest)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating cache folder: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(f.dest)+".*.part")
	if err != nil {
		return fmt.Errorf("creating download file: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close() // may already be closed; the error is moot then
			os.Remove(tmp.Name())
		}
	}()

	h := sha256.New()
	body := &progressReader{r: resp.Body, onRead: func(n int) {
		watchdog.Reset(f.stall)
		p.Received += int64(n)
		report(f.progress, p)
	}}
	// One byte past the limit tells a body of exactly limit bytes from a longer one.
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(body, f.limit+1))
	if err != nil {
		return stalled(fmt.Errorf("GET %s: %w", f.url, err))
	}
	if n > f.limit {
		return fmt.Errorf("GET %s: %w: more than %d bytes", f.url, ErrTooLarge, f.limit)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != f.sha256 {
		return &ChecksumError{File: f.url, Want: f.sha256, Got: got}
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("writing %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", tmp.Name(), err)
	}
	// CreateTemp makes the file private; a cached model is no secret.
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("download: %w", err)
	}
	if err := os.Rename(tmp.Name(), f.dest); err != nil {
		return fmt.Errorf("download: %w", err)
	}
	p.Event = Done
	report(f.progress, p)
	return nil
}

// progressReader calls onRead after every read that returned bytes.
type progressReader struct {
	r      io.Reader
	onRead func(n int)
}

func (pr *progressReader) Read(b []byte) (int, error) {
	n, err := pr.r.Read(b)
	if n > 0 {
		pr.onRead(n)
	}
	return n, err
}

// Verify checks that the file at path has the sha256 of model m's .tflite
// file, for callers that do not trust files found by name. It returns a
// *ChecksumError on a mismatch.
func Verify(path string, m Model) error {
	got, err := fileSHA256(path)
	if err != nil {
		return err
	}
	if got != m.SHA256 {
		return &ChecksumError{File: path, Want: m.SHA256, Got: got}
	}
	return nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("verify: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("verify %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// isContextError reports whether err comes from ctx being done, in which case
// the caller asked to stop and needs no advice about where to find models.
func isContextError(ctx context.Context, err error) bool {
	return ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded))
}
