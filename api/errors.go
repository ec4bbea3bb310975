package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/classifly/classifly/auth"
	"github.com/classifly/classifly/imageprep"
	"github.com/classifly/classifly/registry"
	"github.com/classifly/classifly/urlfetch"
	"github.com/classifly/classifly/wire"
)

// Sentinel errors that a Backend returns (wrapped) and the API maps.
var (
	// ErrUnknownModel: the requested model is not served (404). It is the
	// registry's sentinel, so that a name refused by either is one error.
	ErrUnknownModel = registry.ErrUnknownModel
	// ErrNotReady: models are still loading or the server is draining (503).
	ErrNotReady = errors.New("not ready")
	// ErrOverloaded: no inference slot, no room in the queue or in the
	// memory budget (503).
	ErrOverloaded = errors.New("overloaded")
)

// Error is an API error: what the client sees. Its status is its code's. A
// Backend may return one to choose the answer outright (the remote
// backends do, for a model endpoint's own errors).
type Error struct {
	Code       wire.Code
	Message    string
	RetryAfter time.Duration // sets Retry-After when positive
	Err        error         // the cause, logged, never sent
}

func (e *Error) Error() string {
	if e.Err != nil {
		return string(e.Code) + ": " + e.Message + ": " + e.Err.Error()
	}
	return string(e.Code) + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Status is the HTTP status of the answer.
func (e *Error) Status() int { return e.Code.Status() }

// FromWire is the *Error that passes a model endpoint's error answer
// through unchanged, so that a client of the proxy sees what a client of
// the endpoint would. cause says where it came from, for the log.
func FromWire(e *wire.Error, cause error) *Error {
	return &Error{Code: e.Code, Message: e.Message, RetryAfter: e.RetryAfter, Err: cause}
}

// errorf builds an *Error.
func errorf(code wire.Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// paramError is a 422 for one named parameter.
func paramError(name, format string, args ...any) *Error {
	return errorf(wire.CodeInvalidParameter, name+": "+format, args...)
}

// RetryAfter is the Retry-After of 503s that the API makes itself.
const RetryAfter = time.Second

// toError maps any error to what the client sees. It is the one place where
// errors become statuses; handlers return errors and never pick a status.
func toError(err error) *Error {
	var (
		apiErr      *Error
		maxBytes    *http.MaxBytesError
		tooLarge    *imageprep.TooLargeError
		formatErr   *imageprep.FormatError
		unsupported *imageprep.UnsupportedError
	)
	wrap := func(code wire.Code, msg string) *Error { return &Error{Code: code, Message: msg, Err: err} }
	switch {
	case errors.As(err, &apiErr):
		return apiErr
	case errors.As(err, &maxBytes):
		return wrap(wire.CodeBodyTooLarge, fmt.Sprintf("request body is larger than the limit of %d bytes", maxBytes.Limit))
	}
	if e := fromLeaf(err); e != nil {
		return e
	}
	switch {
	case errors.As(err, &tooLarge):
		return wrap(wire.CodeImageTooLarge, tooLarge.Error())
	case errors.As(err, &unsupported):
		return wrap(wire.CodeUnsupportedImage, unsupported.Error())
	case errors.As(err, &formatErr):
		return wrap(wire.CodeInvalidImage, formatErr.Error())
	case errors.Is(err, ErrUnknownModel):
		return wrap(wire.CodeUnknownModel, err.Error())
	case errors.Is(err, ErrOverloaded):
		e := wrap(wire.CodeOverloaded, "too many requests in progress; retry later")
		e.RetryAfter = RetryAfter
		return e
	case errors.Is(err, ErrNotReady):
		e := wrap(wire.CodeNotReady, "not ready: models are loading or the server is stopping")
		e.RetryAfter = RetryAfter
		return e
	case errors.Is(err, context.DeadlineExceeded):
		return wrap(wire.CodeTimeout, "the request took longer than its deadline")
	case errors.Is(err, context.Canceled):
		// The client went away; nobody reads this answer, but the log and
		// the metrics should not call it a server fault.
		return wrap(wire.CodeCanceled, "request canceled")
	}
	return wrap(wire.CodeInternal, "internal error")
}

// writeError sends err as the JSON error response and notes it for the log.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := toError(err)
	if info := infoFrom(r.Context()); info != nil {
		info.errCode = e.Code
		info.err = err
	}
	hdr := w.Header()
	if e.RetryAfter > 0 {
		secs := int((e.RetryAfter + time.Second - 1) / time.Second)
		hdr.Set("Retry-After", strconv.Itoa(secs))
	}
	if e.Code == wire.CodeUnauthorized {
		hdr.Set("WWW-Authenticate", `Bearer realm="classifly"`)
	}
	setJSONHeaders(hdr)
	w.WriteHeader(e.Status())
	w.Write(wire.MarshalError(e.Code, e.Message))
}

// fromLeaf maps the errors of the packages the API leans on for fetching
// and authentication; nil if err is none of theirs.
func fromLeaf(err error) *Error {
	var (
		fetchErr *urlfetch.Error
		authErr  *auth.Error
	)
	switch {
	case errors.As(err, &fetchErr):
		code := map[urlfetch.Kind]wire.Code{urlfetch.Refused: wire.CodeURLNotAllowed, urlfetch.Failed: wire.CodeFetchFailed,
			urlfetch.Timeout: wire.CodeFetchTimeout, urlfetch.TooLarge: wire.CodeImageTooLarge}[fetchErr.Kind]
		return &Error{Code: code, Message: "image_url: " + fetchErr.Message, Err: err}
	case errors.As(err, &authErr):
		switch authErr.Kind {
		case auth.Forbidden:
			return &Error{Code: wire.CodeForbidden, Message: authErr.Message, Err: authErr.Err}
		case auth.KeysUnavailable:
			return &Error{Code: wire.CodeBackendUnavailable, Message: authErr.Message, RetryAfter: RetryAfter, Err: authErr.Err}
		}
		return &Error{Code: wire.CodeUnauthorized, Message: authErr.Message, Err: authErr.Err}
	}
	return nil
}
