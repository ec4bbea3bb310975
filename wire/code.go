package wire

import "net/http"

// Code is the "code" member of an error answer. The list below is the
// API's contract: openapi.json enumerates it, and the web UI's tables name
// only codes from it (tests keep the three equal).
type Code string

// The error codes, each with the one status it is sent with.
const (
	CodeBadRequest           Code = "bad_request"            // 400 malformed request: JSON, multipart, base64, missing image
	CodeInvalidImage         Code = "invalid_image"          // 400 image data empty, truncated or corrupt
	CodeIncompleteBody       Code = "incomplete_body"        // 400 the client ended the upload before its declared length
	CodeUnauthorized         Code = "unauthorized"           // 401 missing or invalid credentials
	CodeForbidden            Code = "forbidden"              // 403 valid credentials without the required scope
	CodeNotFound             Code = "not_found"              // 404 no such path (in this role)
	CodeUnknownModel         Code = "unknown_model"          // 404 the model is not served
	CodeMethodNotAllowed     Code = "method_not_allowed"     // 405
	CodeUploadTooSlow        Code = "upload_too_slow"        // 408 the body came slower than the minimum upload rate
	CodeBodyTooLarge         Code = "body_too_large"         // 413 request body over the limit
	CodeImageTooLarge        Code = "image_too_large"        // 413 fetched image, pixel count or decoding memory over the limit
	CodeUnsupportedMediaType Code = "unsupported_media_type" // 415 Content-Type not accepted
	CodeUnsupportedImage     Code = "unsupported_image"      // 415 not an image, or a format not handled
	CodeInvalidParameter     Code = "invalid_parameter"      // 422 top_k, threshold, model… out of range or of the wrong type
	CodeURLNotAllowed        Code = "url_not_allowed"        // 422 image_url scheme or address refused
	CodeRateLimited          Code = "rate_limited"           // 429
	CodeCanceled             Code = "canceled"               // 499 the client closed the request (logged; nobody reads it)
	CodeInternal             Code = "internal"               // 500 a bug; details only in the log
	CodeFetchFailed          Code = "fetch_failed"           // 502 image_url could not be fetched
	CodeModelError           Code = "model_error"            // 502 the model endpoint failed on this request
	CodeOverloaded           Code = "overloaded"             // 503 queue or memory budget full; retry after Retry-After
	CodeNotReady             Code = "not_ready"              // 503 models loading or server draining
	CodeBackendUnavailable   Code = "backend_unavailable"    // 503 the model endpoint cannot be reached
	CodeFetchTimeout         Code = "fetch_timeout"          // 504 image_url too slow
	CodeTimeout              Code = "timeout"                // 504 request deadline passed
)

// StatusClientClosed is nginx's non-standard status for a request that the
// client abandoned; it keeps such requests apart from real 5xx in metrics.
const StatusClientClosed = 499

var statuses = map[Code]int{
	CodeBadRequest:           http.StatusBadRequest,
	CodeInvalidImage:         http.StatusBadRequest,
	CodeIncompleteBody:       http.StatusBadRequest,
	CodeUnauthorized:         http.StatusUnauthorized,
	CodeForbidden:            http.StatusForbidden,
	CodeNotFound:             http.StatusNotFound,
	CodeUnknownModel:         http.StatusNotFound,
	CodeMethodNotAllowed:     http.StatusMethodNotAllowed,
	CodeUploadTooSlow:        http.StatusRequestTimeout,
	CodeBodyTooLarge:         http.StatusRequestEntityTooLarge,
	CodeImageTooLarge:        http.StatusRequestEntityTooLarge,
	CodeUnsupportedMediaType: http.StatusUnsupportedMediaType,
	CodeUnsupportedImage:     http.StatusUnsupportedMediaType,
	CodeInvalidParameter:     http.StatusUnprocessableEntity,
	CodeURLNotAllowed:        http.StatusUnprocessableEntity,
	CodeRateLimited:          http.StatusTooManyRequests,
	CodeCanceled:             StatusClientClosed,
	CodeInternal:             http.StatusInternalServerError,
	CodeFetchFailed:          http.StatusBadGateway,
	CodeModelError:           http.StatusBadGateway,
	CodeOverloaded:           http.StatusServiceUnavailable,
	CodeNotReady:             http.StatusServiceUnavailable,
	CodeBackendUnavailable:   http.StatusServiceUnavailable,
	CodeFetchTimeout:         http.StatusGatewayTimeout,
	CodeTimeout:              http.StatusGatewayTimeout,
}

// Status is the HTTP status that c is sent with; 500 for a code not in the
// list.
func (c Code) Status() int {
	if s, ok := statuses[c]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// Known reports whether c is one of the codes above.
func (c Code) Known() bool {
	_, ok := statuses[c]
	return ok
}

// temporary reports whether an answer with this code may succeed when the
// same request is sent again later: the server was busy, starting, or
// could not reach its model endpoint. Nothing about the request was wrong.
func (c Code) temporary() bool {
	switch c {
	case CodeRateLimited, CodeOverloaded, CodeNotReady, CodeBackendUnavailable:
		return true
	}
	return false
}

// Codes returns every code and its status.
func Codes() map[Code]int {
	m := make(map[Code]int, len(statuses))
	for c, s := range statuses {
		m[c] = s
	}
	return m
}
