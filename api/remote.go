package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/classifly/classifly/classify"
)

// HeaderCustomAttributes carries the options of a raw-image /invocations
// request: SageMaker's InvokeEndpoint passes this header (its
// CustomAttributes field) through to the container and strips the query.
// The value is URL-query encoded: "model=M&top_k=5&threshold=0.1".
const HeaderCustomAttributes = "X-Amzn-SageMaker-Custom-Attributes"

// Remote is a Backend that forwards each picture to a model endpoint (a
// `classifly serve --role endpoint`, or anything speaking the SageMaker
// container contract) over HTTP: POST {URL}/invocations with the image
// bytes and the options in HeaderCustomAttributes.
type Remote struct {
	base   *url.URL
	client *http.Client
	static []ModelInfo

	mu       sync.Mutex
	models   []ModelInfo
	fetched  time.Time
	cacheTTL time.Duration
}

// RemoteOptions tune NewRemote.
type RemoteOptions struct {
	// Client makes the calls; nil means a client without a global timeout
	// (each call is bounded by its request's deadline).
	Client *http.Client
	// Models, if set, is the list /models reports when the endpoint has
	// no /models of its own (SageMaker-style containers).
	Models []string
}

// maxRemoteAnswer bounds an endpoint's answer: a top-100 result is ~10 KB.
const maxRemoteAnswer = 1 << 20

// NewRemote returns a Backend for the endpoint at baseURL.
func NewRemote(baseURL string, opts RemoteOptions) (*Remote, error) {
	u, err := url.Parse(strings.TrimSuffix(baseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("api: endpoint URL %q is not an http(s) URL", baseURL)
	}
	r := &Remote{base: u, client: opts.Client, cacheTTL: 30 * time.Second}
	if r.client == nil {
		r.client = &http.Client{Transport: &http.Transport{
			Proxy:               http.ProxyFromEnvironment,
			MaxIdleConnsPerHost: 64,
			IdleConnTimeout:     90 * time.Second,
		}}
	}
	for i, m := range opts.Models {
		r.static = append(r.static, ModelInfo{Name: m, Default: i == 0})
	}
	return r, nil
}

func (r *Remote) endpoint(path string) string { return r.base.JoinPath(path).String() }

// Classify posts the image to /invocations.
func (r *Remote) Classify(ctx context.Context, req *Request) (*classify.Result, error) {
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, r.endpoint("/invocations"), bytes.NewReader(req.Image))
	if err != nil {
		return nil, err
	}
	hreq.Header.Set("Content-Type", "application/octet-stream")
	hreq.Header.Set("Accept", "application/json")
	hreq.Header.Set(HeaderCustomAttributes, encodeOptions(req))
	if info := infoFrom(ctx); info != nil {
		hreq.Header.Set("X-Request-Id", info.id)
	}
	resp, err := r.client.Do(hreq)
	if err != nil {
		return nil, r.callError(ctx, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxRemoteAnswer))
	if err != nil {
		return nil, r.callError(ctx, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, remoteError(resp, body)
	}
	var res classify.Result
	if err := json.Unmarshal(body, &res); err != nil {
		return nil, &Error{Status: http.StatusServiceUnavailable, Code: CodeBackendUnavailable,
			Message: "the model endpoint gave an unreadable answer", RetryAfter: retryAfter, Err: err}
	}
	return &res, nil
}

// encodeOptions writes the options the endpoint needs; the limits are the
// endpoint's own.
func encodeOptions(req *Request) string {
	v := url.Values{}
	if req.Model != "" {
		v.Set("model", req.Model)
	}
	if req.Options.TopK > 0 {
		v.Set("top_k", strconv.Itoa(req.Options.TopK))
	}
	if req.Options.Threshold > 0 {
		v.Set("threshold", strconv.FormatFloat(float64(req.Options.Threshold), 'g', -1, 32))
	}
	return v.Encode()
}

// callError maps a failed call: the request's own deadline or cancellation
// stays what it is; anything else means the endpoint cannot be reached.
func (r *Remote) callError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("calling the model endpoint: %w", ctx.Err())
	}
	return &Error{Status: http.StatusServiceUnavailable, Code: CodeBackendUnavailable,
		Message: "the model endpoint cannot be reached", RetryAfter: retryAfter, Err: err}
}

// remoteError passes an endpoint's JSON error through unchanged, so that a
// client of the proxy sees what a client of the endpoint would.
func remoteError(resp *http.Response, body []byte) error {
	var e errorBody
	if err := json.Unmarshal(body, &e); err == nil && e.Error.Code != "" {
		if status, known := codeStatus[e.Error.Code]; known && status == resp.StatusCode {
			out := &Error{Status: status, Code: e.Error.Code, Message: e.Error.Message,
				Err: fmt.Errorf("model endpoint answered %s", resp.Status)}
			if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
				out.RetryAfter = time.Duration(s) * time.Second
			}
			return out
		}
	}
	return &Error{Status: http.StatusServiceUnavailable, Code: CodeBackendUnavailable,
		Message: "the model endpoint failed", RetryAfter: retryAfter,
		Err: fmt.Errorf("model endpoint answered %s: %.200q", resp.Status, body)}
}

// Ready asks the endpoint's /ping.
func (r *Remote) Ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.endpoint("/ping"), nil)
	if err != nil {
		return err
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return fmt.Errorf("%w: model endpoint: %v", ErrNotReady, err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%w: model endpoint /ping answered %s", ErrNotReady, resp.Status)
	}
	return nil
}

// Models asks the endpoint's /models (cached for a while), else reports
// the models given in RemoteOptions.
func (r *Remote) Models(ctx context.Context) ([]ModelInfo, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.models != nil && time.Since(r.fetched) < r.cacheTTL {
		return slices.Clone(r.models), nil
	}
	models, err := r.fetchModels(ctx)
	if err != nil {
		if r.static != nil {
			return slices.Clone(r.static), nil
		}
		if r.models != nil {
			return slices.Clone(r.models), nil // stale beats nothing
		}
		return nil, &Error{Status: http.StatusServiceUnavailable, Code: CodeBackendUnavailable,
			Message: "the model endpoint cannot list its models", RetryAfter: retryAfter, Err: err}
	}
	r.models, r.fetched = models, time.Now()
	return slices.Clone(models), nil
}

func (r *Remote) fetchModels(ctx context.Context) ([]ModelInfo, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.endpoint("/models"), nil)
	if err != nil {
		return nil, err
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("model endpoint /models answered %s", resp.Status)
	}
	var list modelList
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxRemoteAnswer)).Decode(&list); err != nil {
		return nil, err
	}
	if len(list.Models) == 0 {
		return nil, errors.New("model endpoint serves no model")
	}
	return list.Models, nil
}

// modelList is the body of GET /models.
type modelList struct {
	Models []ModelInfo `json:"models"`
}
