package endpoint

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
	"strings"
	"sync"
	"time"

	"github.com/classifly/classifly/api"
	"github.com/classifly/classifly/classify"
	"github.com/classifly/classifly/internal/httpx"
	"github.com/classifly/classifly/wire"
)

// Backend is an api.Backend that forwards each picture to a model
// endpoint over plain HTTP — a `classifly serve --role endpoint`, or
// anything speaking the SageMaker container contract: POST {URL}/invocations
// with the image bytes and the options in wire.HeaderAttributes. It is the
// HTTP twin of sagemaker.Backend, which reaches the same container through
// InvokeEndpoint.
//
// Concurrency: a Backend is safe for concurrent use; its connections are
// pooled (up to 64 idle per host) and it does not bound the calls in
// flight, which the API's Limits.MaxConcurrent does. Each call is bounded
// by its context only. It does not retry: the endpoint's 503s and 429s
// (wire.Error.Temporary) go back to the client with their Retry-After,
// because the endpoint sheds load on purpose and a proxy retrying would
// double it.
type Backend struct {
	base   *url.URL
	client *http.Client
	static []api.ModelInfo

	mu       sync.Mutex
	models   []api.ModelInfo
	fetched  time.Time
	cacheTTL time.Duration
}

var _ api.Backend = (*Backend)(nil)

// DecodesRemotely reports true: the endpoint decodes the pictures, so the
// proxy reserves no decoding memory for them.
func (e *Backend) DecodesRemotely() bool { return true }

// Options tune New.
type Options struct {
	// Client makes the calls; nil means a client without a global timeout
	// (each call is bounded by its request's deadline).
	Client *http.Client
	// Models, if set, is the list /models reports when the endpoint has
	// no /models of its own (SageMaker-style containers).
	Models []string
}

// maxEndpointAnswer bounds an endpoint's answer: a top-100 result is ~10 KB.
const maxEndpointAnswer = 1 << 20

// New returns a Backend for the endpoint at baseURL.
func New(baseURL string, opts Options) (*Backend, error) {
	u, err := url.Parse(strings.TrimSuffix(baseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("endpoint: URL %q is not an http(s) URL", baseURL)
	}
	e := &Backend{base: u, client: opts.Client, cacheTTL: 30 * time.Second}
	if e.client == nil {
		e.client = &http.Client{Transport: &http.Transport{
			Proxy:               http.ProxyFromEnvironment,
			MaxIdleConnsPerHost: 64,
			IdleConnTimeout:     90 * time.Second,
		}}
	}
	for i, m := range opts.Models {
		e.static = append(e.static, api.ModelInfo{Name: m, Default: i == 0})
	}
	return e, nil
}

func (e *Backend) endpoint(path string) string { return e.base.JoinPath(path).String() }

// Classify posts the image to /invocations.
func (e *Backend) Classify(ctx context.Context, req *api.Request) (*classify.Result, error) {
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, e.endpoint("/invocations"), bytes.NewReader(req.Image))
	if err != nil {
		return nil, err
	}
	hreq.Header.Set("Content-Type", "application/octet-stream")
	hreq.Header.Set("Accept", "application/json")
	hreq.Header.Set(wire.HeaderAttributes, req.Attributes())
	if id := api.RequestID(ctx); id != "" {
		hreq.Header.Set("X-Request-Id", id)
	}
	resp, err := e.client.Do(hreq)
	if err != nil {
		return nil, callError(ctx, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxEndpointAnswer))
	if err != nil {
		return nil, callError(ctx, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, endpointError(wire.ReadError(resp.StatusCode, resp.Header, body))
	}
	var res wire.Response
	if err := json.Unmarshal(body, &res); err != nil {
		return nil, &api.Error{Code: wire.CodeBackendUnavailable, Message: "the model endpoint gave an unreadable answer",
			RetryAfter: api.RetryAfter, Err: err}
	}
	return api.ResultFrom(&res), nil
}

// callError maps a failed call: the request's own deadline or cancellation
// stays what it is; anything else means the endpoint cannot be reached.
func callError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("calling the model endpoint: %w", ctx.Err())
	}
	return &api.Error{Code: wire.CodeBackendUnavailable, Message: "the model endpoint cannot be reached",
		RetryAfter: api.RetryAfter, Err: err}
}

// endpointError passes a Classifly error answer through unchanged, except
// a 500 (the endpoint's own bug is not the client's), and turns anything
// else into 503 backend_unavailable.
func endpointError(we *wire.Error) error {
	if we.Code != "" && we.Code != wire.CodeInternal {
		return api.FromWire(we, we)
	}
	return &api.Error{Code: wire.CodeBackendUnavailable, Message: "the model endpoint failed",
		RetryAfter: api.RetryAfter, Err: we}
}

// Ready asks the endpoint's /ping.
func (e *Backend) Ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.endpoint("/ping"), nil)
	if err != nil {
		return err
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return fmt.Errorf("%w: model endpoint: %v", api.ErrNotReady, err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%w: model endpoint /ping answered %s", api.ErrNotReady, resp.Status)
	}
	return nil
}

// Models asks the endpoint's /models (cached for a while), else reports
// the models given in Options.
func (e *Backend) Models(ctx context.Context) ([]api.ModelInfo, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.models != nil && time.Since(e.fetched) < e.cacheTTL {
		return slices.Clone(e.models), nil
	}
	models, err := e.fetchModels(ctx)
	if err != nil {
		if e.static != nil {
			return slices.Clone(e.static), nil
		}
		if e.models != nil {
			return slices.Clone(e.models), nil // stale beats nothing
		}
		return nil, &api.Error{Code: wire.CodeBackendUnavailable, Message: "the model endpoint cannot list its models",
			RetryAfter: api.RetryAfter, Err: err}
	}
	e.models, e.fetched = models, time.Now()
	return slices.Clone(models), nil
}

func (e *Backend) fetchModels(ctx context.Context) ([]api.ModelInfo, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var list wire.ModelList
	if err := httpx.GetJSON(ctx, e.client, e.endpoint("/models"), maxEndpointAnswer, &list); err != nil {
		return nil, fmt.Errorf("model endpoint: %w", err)
	}
	if len(list.Models) == 0 {
		return nil, errors.New("model endpoint serves no model")
	}
	return list.Models, nil
}
