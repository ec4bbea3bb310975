package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/classifly/classifly/imageprep"
)

// Error codes: the "code" member of every error response. The list is the
// API's contract (openapi.json enumerates it; a test keeps the two equal).
const (
	CodeBadRequest           = "bad_request"            // 400 malformed request: JSON, multipart, base64, missing image
	CodeInvalidImage         = "invalid_image"          // 400 image data empty, truncated or corrupt
	CodeUnauthorized         = "unauthorized"           // 401 missing or invalid credentials
	CodeForbidden            = "forbidden"              // 403 valid credentials without the required scope
	CodeNotFound             = "not_found"              // 404 no such path
	CodeUnknownModel         = "unknown_model"          // 404 the model is not served
	CodeMethodNotAllowed     = "method_not_allowed"     // 405
	CodeBodyTooLarge         = "body_too_large"         // 413 request body over the limit
	CodeImageTooLarge        = "image_too_large"        // 413 fetched image or pixel count over the limit
	CodeUnsupportedMediaType = "unsupported_media_type" // 415 Content-Type not accepted
	CodeUnsupportedImage     = "unsupported_image"      // 415 not an image, or a format not handled
	CodeInvalidParameter     = "invalid_parameter"      // 422 top_k, threshold, model… out of range or of the wrong type
	CodeURLNotAllowed        = "url_not_allowed"        // 422 image_url scheme or address refused
	CodeRateLimited          = "rate_limited"           // 429
	CodeInternal             = "internal"               // 500 a bug; details only in the log
	CodeFetchFailed          = "fetch_failed"           // 502 image_url could not be fetched
	CodeModelError           = "model_error"            // 502 the model endpoint failed on this request
	CodeOverloaded           = "overloaded"             // 503 queue full; retry after Retry-After
	CodeNotReady             = "not_ready"              // 503 models loading or server draining
	CodeBackendUnavailable   = "backend_unavailable"    // 503 the model endpoint cannot be reached
	CodeFetchTimeout         = "fetch_timeout"          // 504 image_url too slow
	CodeTimeout              = "timeout"                // 504 request deadline passed
	CodeCanceled             = "canceled"               // 499 the client closed the request (logged; nobody reads it)
)

// StatusClientClosed is nginx's non-standard status for a request that the
// client abandoned; it keeps such requests apart from real 5xx in metrics.
const StatusClientClosed = 499

// codeStatus is the status of each code.
var codeStatus = map[string]int{
	CodeBadRequest:           http.StatusBadRequest,
	CodeInvalidImage:         http.StatusBadRequest,
	CodeUnauthorized:         http.StatusUnauthorized,
	CodeForbidden:            http.StatusForbidden,
	CodeNotFound:             http.StatusNotFound,
	CodeUnknownModel:         http.StatusNotFound,
	CodeMethodNotAllowed:     http.StatusMethodNotAllowed,
	CodeBodyTooLarge:         http.StatusRequestEntityTooLarge,
	CodeImageTooLarge:        http.StatusRequestEntityTooLarge,
	CodeUnsupportedMediaType: http.StatusUnsupportedMediaType,
	CodeUnsupportedImage:     http.StatusUnsupportedMediaType,
	CodeInvalidParameter:     http.StatusUnprocessableEntity,
	CodeURLNotAllowed:        http.StatusUnprocessableEntity,
	CodeRateLimited:          http.StatusTooManyRequests,
	CodeModelError:           http.StatusBadGateway,
	CodeInternal:             http.StatusInternalServerError,
	CodeFetchFailed:          http.StatusBadGateway,
	CodeOverloaded:           http.StatusServiceUnavailable,
	CodeNotReady:             http.StatusServiceUnavailable,
	CodeBackendUnavailable:   http.StatusServiceUnavailable,
	CodeFetchTimeout:         http.StatusGatewayTimeout,
	CodeTimeout:              http.StatusGatewayTimeout,
	CodeCanceled:             StatusClientClosed,
}

// Codes returns every error code and its HTTP status.
func Codes() map[string]int {
	m := make(map[string]int, len(codeStatus))
	for c, s := range codeStatus {
		m[c] = s
	}
	return m
}

// Sentinel errors that a Backend returns (wrapped) and the API maps.
var (
	// ErrUnknownModel: the requested model is not served (404).
	ErrUnknownModel = errors.New("unknown model")
	// ErrNotReady: models are still loading or the server is draining (503).
	ErrNotReady = errors.New("not ready")
	// ErrOverloaded: no inference slot and no room in the queue (503).
	ErrOverloaded = errors.New("overloaded")
)

// Error is an API error: what the client sees. A Backend may return one to
// pass a status through unchanged (the remote backend does, for the
// endpoint's own errors).
type Error struct {
	Status     int
	Code       string
	Message    string
	RetryAfter time.Duration // sets Retry-After when positive
	Err        error         // the cause, logged, never sent
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Code + ": " + e.Message + ": " + e.Err.Error()
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// errorf builds an *Error with the status of its code.
func errorf(code, format string, args ...any) *Error {
	return &Error{Status: codeStatus[code], Code: code, Message: fmt.Sprintf(format, args...)}
}

// paramError is a 422 for one named parameter.
func paramError(name, format string, args ...any) *Error {
	return errorf(CodeInvalidParameter, name+": "+format, args...)
}

// retryAfter is the Retry-After of 503s that the API makes itself.
const retryAfter = time.Second

// toError maps any error to what the client sees. It is the one place where
// errors become statuses; handlers return errors and never pick a status.
func toError(err error) *Error {
	var (
		apiErr      *Error
		maxBytes    *http.MaxBytesError
		tooLarge    *imageprep.TooLargeError
		formatErr   *imageprep.FormatError
		unsupported *imageprep.UnsupportedError
		fetchErr    *FetchError
	)
	switch {
	case errors.As(err, &apiErr):
		return apiErr
	case errors.As(err, &maxBytes):
		return &Error{Status: http.StatusRequestEntityTooLarge, Code: CodeBodyTooLarge,
			Message: fmt.Sprintf("request body is larger than the limit of %d bytes", maxBytes.Limit), Err: err}
	case errors.As(err, &fetchErr):
		return fetchErr.apiError()
	case errors.As(err, &tooLarge):
		return &Error{Status: http.StatusRequestEntityTooLarge, Code: CodeImageTooLarge, Message: tooLarge.Error(), Err: err}
	case errors.As(err, &unsupported):
		return &Error{Status: http.StatusUnsupportedMediaType, Code: CodeUnsupportedImage, Message: unsupported.Error(), Err: err}
	case errors.As(err, &formatErr):
		return &Error{Status: http.StatusBadRequest, Code: CodeInvalidImage, Message: formatErr.Error(), Err: err}
	case errors.Is(err, ErrUnknownModel):
		return &Error{Status: http.StatusNotFound, Code: CodeUnknownModel, Message: err.Error(), Err: err}
	case errors.Is(err, ErrOverloaded):
		return &Error{Status: http.StatusServiceUnavailable, Code: CodeOverloaded,
			Message: "too many requests in progress; retry later", RetryAfter: retryAfter, Err: err}
	case errors.Is(err, ErrNotReady):
		return &Error{Status: http.StatusServiceUnavailable, Code: CodeNotReady,
			Message: "not ready: models are loading or the server is stopping", RetryAfter: retryAfter, Err: err}
	case errors.Is(err, context.DeadlineExceeded):
		return &Error{Status: http.StatusGatewayTimeout, Code: CodeTimeout, Message: "the request took longer than its deadline", Err: err}
	case errors.Is(err, context.Canceled):
		// The client went away; nobody reads this answer, but the log and
		// the metrics should not call it a server fault.
		return &Error{Status: StatusClientClosed, Code: CodeCanceled, Message: "request canceled", Err: err}
	}
	return &Error{Status: http.StatusInternalServerError, Code: CodeInternal, Message: "internal error", Err: err}
}

// errorBody is the JSON of every error response.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// writeError sends err as the JSON error response and notes it for the log.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := toError(err)
	if info := infoFrom(r.Context()); info != nil {
		info.errCode = e.Code
		info.err = err
	}
	if e.RetryAfter > 0 {
		secs := int((e.RetryAfter + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
	}
	if e.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="classifly"`)
	}
	var body errorBody
	body.Error.Code = e.Code
	body.Error.Message = e.Message
	writeJSON(w, e.Status, body)
}
