package lambdaproxy

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"mime"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/classifly/classifly/wire"
)

// deadlineMargin is kept back from the Lambda's own deadline, so that a
// request that runs out of time still gets its 504 answer out before the
// runtime kills the invocation.
const deadlineMargin = 750 * time.Millisecond

// Adapter serves API Gateway HTTP API events (payload format 2.0) with an
// http.Handler: each event becomes an *http.Request, the handler's answer
// becomes the response event. It never returns an error to the Lambda
// runtime, since API Gateway would turn that into a bare 500.
type Adapter struct {
	handler http.Handler
	metrics *Metrics // nil emits no metrics
}

// NewAdapter adapts h. metrics may be nil.
func NewAdapter(h http.Handler, metrics *Metrics) *Adapter {
	return &Adapter{handler: h, metrics: metrics}
}

// Invoke handles one event; it is the function given to lambda.Start.
func (a *Adapter) Invoke(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	start := time.Now()
	if deadline, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline.Add(-deadlineMargin))
		defer cancel()
	}
	stats := &requestStats{}
	ctx = context.WithValue(ctx, statsKey{}, stats)

	var resp events.APIGatewayV2HTTPResponse
	req, err := Request(ctx, ev)
	if err != nil {
		resp = errorResponse(wire.CodeBadRequest, err.Error())
		if id := ev.RequestContext.RequestID; id != "" {
			resp.Headers["X-Request-Id"] = id
		}
	} else {
		w := newResponseWriter()
		a.handler.ServeHTTP(w, req)
		resp = w.event()
	}
	if a.metrics != nil {
		a.metrics.Emit(ev, resp.StatusCode, time.Since(start), stats)
	}
	return resp, nil
}

// Request turns an API Gateway payload 2.0 event into the request that an
// HTTP server would have received.
func Request(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (*http.Request, error) {
	method := ev.RequestContext.HTTP.Method
	if method == "" {
		return nil, errors.New("the event has no requestContext.http.method: is the integration's payload_format_version 2.0?")
	}
	target := ev.RawPath
	if target == "" {
		target = "/"
	}
	if ev.RawQueryString != "" {
		target += "?" + ev.RawQueryString
	}
	var body []byte
	if ev.IsBase64Encoded {
		var err error
		if body, err = base64.StdEncoding.DecodeString(ev.Body); err != nil {
			return nil, errors.New("the event's body is not valid base64")
		}
	} else {
		body = []byte(ev.Body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(body))
	if err != nil {
		return nil, errors.New("the event's path or query is malformed")
	}
	req.RequestURI = target
	req.Proto, req.ProtoMajor, req.ProtoMinor = "HTTP/1.1", 1, 1
	// Header names arrive lower-cased, repeated headers joined by commas.
	for k, v := range ev.Headers {
		req.Header.Set(k, v)
	}
	if len(ev.Cookies) > 0 {
		req.Header.Set("Cookie", strings.Join(ev.Cookies, "; "))
	}
	// API Gateway's id ties the API's log line to the access log.
	if id := ev.RequestContext.RequestID; id != "" {
		req.Header.Set("X-Request-Id", id)
	}
	req.Host = req.Header.Get("Host")
	if req.Host == "" {
		req.Host = ev.RequestContext.DomainName
	}
	req.ContentLength = int64(len(body))
	req.Header.Del("Content-Length")
	if ip := ev.RequestContext.HTTP.SourceIP; ip != "" {
		req.RemoteAddr = net.JoinHostPort(ip, "0")
	}
	return req, nil
}

// responseWriter collects the handler's answer.
type responseWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newResponseWriter() *responseWriter { return &responseWriter{header: http.Header{}} }

func (w *responseWriter) Header() http.Header { return w.header }

func (w *responseWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *responseWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(p)
}

// event is the answer as a payload 2.0 response: one value per header
// (repeated ones joined by commas), Set-Cookie in cookies, a body that is
// not text sent as base64.
func (w *responseWriter) event() events.APIGatewayV2HTTPResponse {
	resp := events.APIGatewayV2HTTPResponse{StatusCode: w.status, Headers: map[string]string{}}
	if resp.StatusCode == 0 {
		resp.StatusCode = http.StatusOK
	}
	for k, vs := range w.header {
		if k == "Set-Cookie" {
			resp.Cookies = append(resp.Cookies, vs...)
			continue
		}
		resp.Headers[k] = strings.Join(vs, ",")
	}
	if isText(w.header.Get("Content-Type")) {
		resp.Body = w.body.String()
	} else if w.body.Len() > 0 {
		resp.Body = base64.StdEncoding.EncodeToString(w.body.Bytes())
		resp.IsBase64Encoded = true
	}
	return resp
}

// isText reports whether a body of this type can travel as a JSON string.
func isText(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return strings.HasPrefix(mt, "text/") || mt == "application/json" || strings.HasSuffix(mt, "+json") ||
		mt == "application/javascript" || mt == "application/xml" || strings.HasSuffix(mt, "+xml")
}

// errorResponse is the API's JSON error for events that never reach the
// handler.
func errorResponse(code wire.Code, message string) events.APIGatewayV2HTTPResponse {
	return events.APIGatewayV2HTTPResponse{StatusCode: code.Status(), Body: string(wire.MarshalError(code, message)),
		Headers: map[string]string{"Content-Type": "application/json", "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}}
}
