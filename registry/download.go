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

// newClient returns an HTTP client that gives up on an unreachable or silent
// server in seconds, yet lets a slow link finish a few megabytes.
func newClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	t.TLSHandshakeTimeout = 10 * time.Second
	t.ResponseHeaderTimeout = 30 * time.Second
	return &http.Client{Transport: t, Timeout: 10 * time.Minute}
}

// download fetches url into dest. The body streams into a temporary file in
// dest's folder while its sha256 is computed and its size checked against
// limit; only a complete file with the expected sum is renamed to dest, so
// dest is either absent or right, even across concurrent downloads.
func download(ctx context.Context, client *http.Client, url, dest, wantSum string, limit int64, w io.Writer) (err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("download: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return err // a *url.Error, naming the method and URL
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	if resp.ContentLength > limit {
		return fmt.Errorf("GET %s: %w: %d bytes announced, limit %d", url, ErrTooLarge, resp.ContentLength, limit)
	}

	dir := filepath.Dir(dest)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating cache folder: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(dest)+".*.part")
	if err != nil {
		return fmt.Errorf("creating download file: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close() // may already be closed; the error is moot then
			os.Remove(tmp.Name())
		}
	}()

	p := newProgress(w, filepath.Base(dest), url, resp.ContentLength)
	defer func() { p.done(err) }()
	h := sha256.New()
	// One byte past the limit tells a body of exactly limit bytes from a longer one.
	n, err := io.Copy(io.MultiWriter(tmp, h, p), io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	if n > limit {
		return fmt.Errorf("GET %s: %w: more than %d bytes", url, ErrTooLarge, limit)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != wantSum {
		return &ChecksumError{File: url, Want: wantSum, Got: got}
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
	if err := os.Rename(tmp.Name(), dest); err != nil {
		return fmt.Errorf("download: %w", err)
	}
	return nil
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
