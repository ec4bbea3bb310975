package wire

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// ErrorBody is the JSON of every error answer: {"error":{"code","message"}}.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the member "error" of an ErrorBody.
type ErrorDetail struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
}

// MarshalError is the JSON of an error answer, with a final newline as
// encoding/json's Encoder writes it.
func MarshalError(code Code, message string) []byte {
	b, err := json.Marshal(ErrorBody{ErrorDetail{Code: code, Message: message}})
	if err != nil {
		panic(err) // two strings always marshal
	}
	return append(b, '\n')
}

// Error is an error answer as a client of the API receives it.
type Error struct {
	Status     int
	Code       Code   // "" when the body was not a Classifly error of that status
	Message    string // the server's message; for Code "", a prefix of the raw body
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("HTTP %d: %q", e.Status, e.Message)
	}
	return fmt.Sprintf("HTTP %d %s: %s", e.Status, e.Code, e.Message)
}

// Temporary reports whether sending the same request again later may
// succeed: a known temporary code (overloaded, not_ready,
// backend_unavailable, rate_limited), or, for an answer that is not a
// Classifly error (a load balancer's page), a 429, 502, 503 or 504 status.
func (e *Error) Temporary() bool {
	if e.Code != "" {
		return e.Code.temporary()
	}
	switch e.Status {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// ReadError decodes an error answer. A body is believed only if it is a
// Classifly error whose code belongs to the status it came with; anything
// else keeps the status and a short prefix of the body, with Code "".
// header may be nil.
func ReadError(status int, header http.Header, body []byte) *Error {
	e := &Error{Status: status}
	if s, err := strconv.Atoi(header.Get("Retry-After")); err == nil && s > 0 {
		e.RetryAfter = time.Duration(s) * time.Second
	}
	var b ErrorBody
	if json.Unmarshal(body, &b) == nil && b.Error.Code.Known() && b.Error.Code.Status() == status {
		e.Code, e.Message = b.Error.Code, b.Error.Message
		return e
	}
	if len(body) > 200 {
		body = body[:200]
	}
	e.Message = string(body)
	return e
}
