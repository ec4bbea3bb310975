package runtimeemu

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// MaxServerlessPayload is the request size limit of a serverless endpoint.
const MaxServerlessPayload = 4 << 20

// Emulator serves InvokeEndpoint. Set its fields before serving.
type Emulator struct {
	// Endpoints maps endpoint names to the base URLs of their containers
	// ("http://127.0.0.1:8080").
	Endpoints map[string]string
	// Credentials, when set, are the only ones accepted: every request
	// must carry a valid SigV4 signature made with them. Zero accepts any
	// request, signed or not.
	Credentials aws.Credentials
	Region      string // the signing region expected; default "us-east-1"
	Account     string // shown in ARNs and messages; default "123456789012"
	MaxPayload  int    // default MaxServerlessPayload
	// Client calls the containers; nil means a client with the service's
	// 60 s /invocations timeout.
	Client *http.Client

	mu     sync.Mutex
	faults []fault
	calls  []Call
	ready  map[string]bool
}

// Call records one InvokeEndpoint request and the emulator's answer.
type Call struct {
	Endpoint         string
	ContentType      string
	Accept           string
	CustomAttributes string
	BodyBytes        int
	Status           int    // the status the emulator answered
	ErrorType        string // X-Amzn-ErrorType of the answer; "" on success
}

type fault struct {
	errorType string
	n         int
}

// Errors the service answers, with their HTTP statuses (from the SageMaker
// Runtime API model; throttling has no modelled shape and arrives as 400).
var errorStatus = map[string]int{
	"ModelNotReadyException":      http.StatusTooManyRequests,
	"ThrottlingException":         http.StatusBadRequest,
	"ValidationError":             http.StatusBadRequest,
	"ServiceUnavailable":          http.StatusServiceUnavailable,
	"InternalFailure":             http.StatusInternalServerError,
	"InternalDependencyException": 530,
	"ModelError":                  http.StatusFailedDependency,
	"InvalidSignatureException":   http.StatusForbidden,
}

// Fail makes the next n calls answer with the named error (one of
// ModelNotReadyException, ThrottlingException, ValidationError,
// ServiceUnavailable, InternalFailure, InternalDependencyException)
// without reaching the container. Faults queue up in order.
func (e *Emulator) Fail(errorType string, n int) {
	if _, ok := errorStatus[errorType]; !ok {
		panic("runtimeemu: unknown error type " + errorType)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.faults = append(e.faults, fault{errorType, n})
}

// Calls returns the calls served so far.
func (e *Emulator) Calls() []Call {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Call(nil), e.calls...)
}

// ServeHTTP serves POST /endpoints/{EndpointName}/invocations.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	call := Call{ContentType: r.Header.Get("Content-Type"), Accept: r.Header.Get("Accept"),
		CustomAttributes: r.Header.Get("X-Amzn-Sagemaker-Custom-Attributes")}
	answer := func(status int, errorType string) {
		call.Status, call.ErrorType = status, errorType
		e.mu.Lock()
		e.calls = append(e.calls, call)
		e.mu.Unlock()
	}
	w.Header().Set("X-Amzn-Requestid", requestID())

	name, ok := endpointName(r.URL.EscapedPath())
	if !ok || r.Method != http.MethodPost {
		writeError(w, http.StatusNotFound, "UnknownOperationException", "no such operation: "+r.Method+" "+r.URL.Path, nil)
		answer(http.StatusNotFound, "UnknownOperationException")
		return
	}
	call.Endpoint = name
	body, err := io.ReadAll(io.LimitReader(r.Body, int64(e.maxPayload())+1))
	if err != nil {
		writeError(w, http.StatusBadRequest, "ValidationError", "could not read the request body", nil)
		answer(http.StatusBadRequest, "ValidationError")
		return
	}
	call.BodyBytes = len(body)
	if err := e.verify(r, body); err != nil {
		writeError(w, http.StatusForbidden, "InvalidSignatureException", err.Error(), nil)
		answer(http.StatusForbidden, "InvalidSignatureException")
		return
	}
	if len(body) > e.maxPayload() {
		msg := fmt.Sprintf("Request payload exceeds the %d byte limit of serverless endpoints", e.maxPayload())
		writeError(w, http.StatusBadRequest, "ValidationError", msg, nil)
		answer(http.StatusBadRequest, "ValidationError")
		return
	}
	if t := e.nextFault(); t != "" {
		writeError(w, errorStatus[t], t, "injected "+t, nil)
		answer(errorStatus[t], t)
		return
	}
	base, known := e.Endpoints[name]
	if !known {
		msg := fmt.Sprintf("Endpoint %s of account %s not found.", name, e.account())
		writeError(w, http.StatusBadRequest, "ValidationError", msg, nil)
		answer(http.StatusBadRequest, "ValidationError")
		return
	}
	if !e.containerReady(r.Context(), name, base) {
		writeError(w, http.StatusTooManyRequests, "ModelNotReadyException",
			"Model for endpoint "+name+" variant AllTraffic is not ready yet", nil)
		answer(http.StatusTooManyRequests, "ModelNotReadyException")
		return
	}
	status, errType := e.forward(w, r, name, base, body)
	answer(status, errType)
}

// forward posts the payload to the container's /invocations and relays
// its answer the way the service does.
func (e *Emulator) forward(w http.ResponseWriter, r *http.Request, name, base string, body []byte) (int, string) {
	req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, strings.TrimSuffix(base, "/")+"/invocations", bytes.NewReader(body))
	if err != nil {
		writeError(w, http.StatusInternalServerError, "InternalFailure", err.Error(), nil)
		return http.StatusInternalServerError, "InternalFailure"
	}
	// Only the headers InvokeEndpoint carries reach the container.
	for _, h := range []string{"Content-Type", "Accept", "X-Amzn-SageMaker-Custom-Attributes"} {
		if v := r.Header.Get(h); v != "" {
			req.Header.Set(h, v)
		}
	}
	resp, err := e.client().Do(req)
	if err != nil {
		e.setReady(name, false)
		writeError(w, http.StatusTooManyRequests, "ModelNotReadyException", "the container did not answer: "+err.Error(), nil)
		return http.StatusTooManyRequests, "ModelNotReadyException"
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, 6<<20))
	if err != nil {
		writeError(w, http.StatusInternalServerError, "InternalFailure", "reading the container's answer: "+err.Error(), nil)
		return http.StatusInternalServerError, "InternalFailure"
	}
	if resp.StatusCode/100 != 2 {
		kind := "client"
		if resp.StatusCode >= 500 {
			kind = "server"
		}
		msg := fmt.Sprintf("Received %s error (%d) from primary with message %q. See %s in account %s for more information.",
			kind, resp.StatusCode, out, e.logStreamARN(name), e.account())
		writeError(w, http.StatusFailedDependency, "ModelError", msg, map[string]any{
			"OriginalStatusCode": resp.StatusCode,
			"OriginalMessage":    string(out),
			"LogStreamArn":       e.logStreamARN(name),
		})
		return http.StatusFailedDependency, "ModelError"
	}
	hdr := w.Header()
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		hdr.Set("Content-Type", ct)
	}
	if ca := resp.Header.Get("X-Amzn-SageMaker-Custom-Attributes"); ca != "" {
		hdr.Set("X-Amzn-Sagemaker-Custom-Attributes", ca)
	}
	hdr.Set("X-Amzn-Invoked-Production-Variant", "AllTraffic")
	w.WriteHeader(http.StatusOK)
	w.Write(out)
	return http.StatusOK, ""
}

// containerReady reports whether the container has passed GET /ping, as a
// serverless endpoint must before it takes invocations.
func (e *Emulator) containerReady(ctx context.Context, name, base string) bool {
	e.mu.Lock()
	ok := e.ready[name]
	e.mu.Unlock()
	if ok {
		return true
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second) // the contract's /ping timeout
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(base, "/")+"/ping", nil)
	if err != nil {
		return false
	}
	resp, err := e.client().Do(req)
	if err != nil {
		return false
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	ok = resp.StatusCode == http.StatusOK
	e.setReady(name, ok)
	return ok
}

func (e *Emulator) setReady(name string, ok bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.ready == nil {
		e.ready = map[string]bool{}
	}
	e.ready[name] = ok
}

func (e *Emulator) nextFault() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	for len(e.faults) > 0 && e.faults[0].n <= 0 {
		e.faults = e.faults[1:]
	}
	if len(e.faults) == 0 {
		return ""
	}
	e.faults[0].n--
	return e.faults[0].errorType
}

// endpointName extracts the name from /endpoints/{EndpointName}/invocations.
func endpointName(escapedPath string) (string, bool) {
	rest, ok := strings.CutPrefix(escapedPath, "/endpoints/")
	if !ok {
		return "", false
	}
	name, ok := strings.CutSuffix(rest, "/invocations")
	if !ok || name == "" || strings.Contains(name, "/") {
		return "", false
	}
	return name, true
}

// writeError answers in the restJson1 error shape: the type in
// X-Amzn-ErrorType and a JSON body with the message and any members.
func writeError(w http.ResponseWriter, status int, errorType, message string, members map[string]any) {
	body := map[string]any{"Message": message}
	for k, v := range members {
		body[k] = v
	}
	w.Header().Set("X-Amzn-Errortype", errorType)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(body)
}

func (e *Emulator) client() *http.Client {
	if e.Client != nil {
		return e.Client
	}
	return &http.Client{Timeout: 60 * time.Second}
}

func (e *Emulator) maxPayload() int {
	if e.MaxPayload > 0 {
		return e.MaxPayload
	}
	return MaxServerlessPayload
}

func (e *Emulator) region() string {
	if e.Region != "" {
		return e.Region
	}
	return "us-east-1"
}

func (e *Emulator) account() string {
	if e.Account != "" {
		return e.Account
	}
	return "123456789012"
}

func (e *Emulator) logStreamARN(name string) string {
	return fmt.Sprintf("arn:aws:logs:%s:%s:log-group:/aws/sagemaker/Endpoints/%s", e.region(), e.account(), name)
}

func requestID() string {
	var b [16]byte
	rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
