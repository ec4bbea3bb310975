package sagemaker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemakerruntime"

	"github.com/classifly/classifly/api"
	"github.com/classifly/classifly/classify"
	"github.com/classifly/classifly/registry"
	"github.com/classifly/classifly/wire"
)

// InvokeAPI is the part of the SageMaker Runtime client that the Backend
// uses; *sagemakerruntime.Client implements it.
type InvokeAPI interface {
	InvokeEndpoint(ctx context.Context, in *sagemakerruntime.InvokeEndpointInput,
		optFns ...func(*sagemakerruntime.Options)) (*sagemakerruntime.InvokeEndpointOutput, error)
}

// MaxServerlessPayload is the largest request body a serverless endpoint
// accepts ("4 MB"; taken as 4,000,000 bytes to stay clear of it).
const MaxServerlessPayload = 4_000_000

// Options configure a Backend. Zero values mean the defaults.
type Options struct {
	EndpointName string // required
	// Models are the model names that the endpoint serves, the default
	// first, for GET /models (InvokeEndpoint cannot list them). Empty means
	// registry.DefaultModel.
	Models []string
	// MaxPayload is the largest body sent to the endpoint; larger pictures
	// are downscaled. Default MaxServerlessPayload.
	MaxPayload int
	// MaxPixels bounds width×height read from the picture's header before
	// anything is sent (413 beyond); default api.DefaultMaxPixels.
	MaxPixels int64
	// MaxPixelsJPEG replaces MaxPixels for JPEGs, which downscaling decodes
	// at a reduced DCT scale; default api.DefaultMaxPixelsJPEG.
	MaxPixelsJPEG int64
	// DownscaleTo is the longest side of a downscaled picture; default
	// 1024, several times the models' input size.
	DownscaleTo int
	Retry       RetryPolicy
	// Observe, if set, is called once per Classify that reached the
	// endpoint, with what it took: the Lambda turns it into metrics.
	Observe func(context.Context, Invocation)
	Logger  *slog.Logger // nil discards
}

// Invocation describes the calls made for one picture.
type Invocation struct {
	Attempts     int           // InvokeEndpoint calls made
	Latency      time.Duration // time spent in those calls, without the waits between them
	PayloadBytes int           // body size sent
	Downscaled   bool          // the picture was over MaxPayload and was re-encoded
	ErrorCode    string        // SageMaker's error code of the last attempt; "" on success
}

// Backend is an api.Backend that classifies through a SageMaker endpoint
// running the Classifly container. It is safe for concurrent use and does
// not bound the calls in flight (the API does); each Classify retries
// within its context's deadline.
type Backend struct {
	client InvokeAPI
	opts   Options
	models []api.ModelInfo
	sleep  func(context.Context, time.Duration) error // replaced by tests
}

var _ api.Backend = (*Backend)(nil)

// New returns a Backend calling the named endpoint through client. Give
// the client WithoutSDKRetries: the Backend retries itself, within the
// request's deadline.
func New(client InvokeAPI, opts Options) (*Backend, error) {
	if opts.EndpointName == "" {
		return nil, errors.New("sagemaker: no endpoint name")
	}
	if client == nil {
		return nil, errors.New("sagemaker: no client")
	}
	if opts.MaxPayload <= 0 {
		opts.MaxPayload = MaxServerlessPayload
	}
	if opts.MaxPixels <= 0 {
		opts.MaxPixels = api.DefaultMaxPixels
	}
	if opts.MaxPixelsJPEG <= 0 {
		opts.MaxPixelsJPEG = api.DefaultMaxPixelsJPEG
	}
	if opts.DownscaleTo <= 0 {
		opts.DownscaleTo = 1024
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	opts.Retry = opts.Retry.withDefaults()
	if len(opts.Models) == 0 {
		opts.Models = []string{registry.DefaultModel}
	}
	b := &Backend{client: client, opts: opts, sleep: sleepCtx}
	for i, name := range opts.Models {
		info := api.ModelInfo{Name: name, Default: i == 0}
		if m, ok := registry.Lookup(name); ok {
			info.Input = wire.InputSize{Width: m.InputSize, Height: m.InputSize}
		}
		b.models = append(b.models, info)
	}
	return b, nil
}

// WithoutSDKRetries turns off the SDK's own retries, for
// sagemakerruntime.NewFromConfig: the Backend decides what to retry and
// when to stop.
func WithoutSDKRetries(o *sagemakerruntime.Options) { o.Retryer = aws.NopRetryer{} }

// Models lists the configured models.
func (b *Backend) Models(context.Context) ([]api.ModelInfo, error) {
	return append([]api.ModelInfo(nil), b.models...), nil
}

// Ready reports nil: whether the endpoint can answer is known only by
// calling it, and a cold serverless endpoint answers ModelNotReady, which
// Classify maps and retries.
func (b *Backend) Ready(context.Context) error { return nil }

// Classify sends the picture to the endpoint and returns its answer.
func (b *Backend) Classify(ctx context.Context, req *api.Request) (*classify.Result, error) {
	body, contentType, downscaled, err := b.payload(req.Image)
	if err != nil {
		return nil, err
	}
	in := &sagemakerruntime.InvokeEndpointInput{
		EndpointName:     aws.String(b.opts.EndpointName),
		Body:             body,
		ContentType:      aws.String(contentType),
		Accept:           aws.String("application/json"),
		CustomAttributes: aws.String(req.Attributes()),
	}
	inv := Invocation{PayloadBytes: len(body), Downscaled: downscaled}
	out, err := b.invoke(ctx, in, &inv)
	if b.opts.Observe != nil {
		b.opts.Observe(ctx, inv)
	}
	if err != nil {
		return nil, err
	}
	var res wire.Response
	if err := json.Unmarshal(out.Body, &res); err != nil || res.Model == "" {
		return nil, &api.Error{Code: wire.CodeModelError, Message: "the model endpoint gave an unreadable answer",
			Err: fmt.Errorf("InvokeEndpoint answer (%s): %.200q: %v", aws.ToString(out.ContentType), out.Body, err)}
	}
	return api.ResultFrom(&res), nil
}

// invoke calls InvokeEndpoint, retrying what is worth retrying while the
// deadline allows.
func (b *Backend) invoke(ctx context.Context, in *sagemakerruntime.InvokeEndpointInput, inv *Invocation) (*sagemakerruntime.InvokeEndpointOutput, error) {
	p := b.opts.Retry
	for attempt := 1; ; attempt++ {
		start := time.Now()
		out, err := b.client.InvokeEndpoint(ctx, in)
		inv.Attempts = attempt
		inv.Latency += time.Since(start)
		if err == nil {
			inv.ErrorCode = ""
			return out, nil
		}
		mapped := mapError(ctx, err)
		inv.ErrorCode = mapped.sageMakerCode
		if !mapped.retryable || attempt >= p.MaxAttempts {
			return nil, mapped.err
		}
		wait := p.delay(attempt)
		if !p.timeLeft(ctx, wait) {
			b.opts.Logger.Warn("InvokeEndpoint: no time left for another attempt",
				"endpoint", b.opts.EndpointName, "attempts", attempt, "error", err.Error())
			return nil, mapped.err
		}
		b.opts.Logger.Info("InvokeEndpoint: retrying", "endpoint", b.opts.EndpointName,
			"attempt", attempt, "wait_ms", wait.Milliseconds(), "error", err.Error())
		if err := b.sleep(ctx, wait); err != nil {
			return nil, mapped.err
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
