package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/classifly/classifly/wire"
)

// readBody reads the whole request body within the size limit, under a
// read deadline that a slow client cannot stretch: after n bytes, the rest
// must come before start + UploadGrace + n/MinUploadRate (and before the
// request's deadline). The deadline is the connection's
// (http.ResponseController), so a client that stops sending is cut off by
// the kernel's timer, not by a goroutine per request. Where the writer has
// no connection (the Lambda adapter, which has the body already), only the
// size limit applies.
func (h *Handler) readBody(ctx context.Context, w http.ResponseWriter, r *http.Request) ([]byte, error) {
	l := h.cfg.Limits
	body := http.MaxBytesReader(innermost(w), r.Body, l.MaxBodyBytes)
	size := int64(512)
	if r.ContentLength > 0 {
		size = min(r.ContentLength, l.MaxBodyBytes) + 1 // +1: the read that sees EOF
	}
	buf := bytes.NewBuffer(make([]byte, 0, size))
	rc := http.NewResponseController(w)
	deadlines := true
	start := time.Now()
	ctxDeadline, hasCtxDeadline := ctx.Deadline()
	for {
		if deadlines {
			d := start.Add(l.UploadGrace + time.Duration(float64(buf.Len())/float64(l.MinUploadRate)*float64(time.Second)))
			if hasCtxDeadline && ctxDeadline.Before(d) {
				d = ctxDeadline
			}
			if err := rc.SetReadDeadline(d); errors.Is(err, http.ErrNotSupported) {
				deadlines = false
			}
		}
		if buf.Available() == 0 {
			buf.Grow(64 << 10)
		}
		n, err := body.Read(buf.AvailableBuffer()[:buf.Available()])
		buf.Write(buf.AvailableBuffer()[:n])
		switch {
		case err == io.EOF:
			if deadlines {
				rc.SetReadDeadline(time.Time{})
			}
			return buf.Bytes(), nil
		case err != nil:
			return nil, h.bodyError(ctx, err, int64(buf.Len()), r.ContentLength, time.Since(start))
		}
	}
}

// bodyError says why a body could not be read: over the limit (413), too
// slow (408), cut short by the client (400), or the request's end.
func (h *Handler) bodyError(ctx context.Context, err error, got, declared int64, took time.Duration) error {
	var (
		maxBytes *http.MaxBytesError
		netErr   net.Error
	)
	switch {
	case errors.As(err, &maxBytes):
		return err
	case errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &netErr) && netErr.Timeout():
		l := h.cfg.Limits
		return &Error{Code: wire.CodeUploadTooSlow, Err: err, Message: fmt.Sprintf(
			"the body came too slowly: %d bytes in %v; after the first %v it must average at least %d bytes per second",
			got, took.Round(time.Millisecond), l.UploadGrace, l.MinUploadRate)}
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return fmt.Errorf("reading the body: %w", ctx.Err())
	}
	// EOF before the declared length, a reset, or the server noticing the
	// closed connection (which cancels the request's context): the client
	// gave up.
	msg := fmt.Sprintf("the body ended after %d bytes", got)
	if declared > 0 {
		msg += fmt.Sprintf(" of the %d its Content-Length declared", declared)
	}
	return &Error{Code: wire.CodeIncompleteBody, Message: msg + ": the client closed the upload", Err: err}
}
