package sagemaker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/sagemakerruntime/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/classifly/classifly/api"
	"github.com/classifly/classifly/wire"
)

// Retry-After values of the errors mapped here.
const (
	// RetryAfterNotReady: a serverless endpoint takes seconds to tens of
	// seconds to provision compute and load the model.
	RetryAfterNotReady = 5 * time.Second
	// RetryAfterThrottled: throttling clears within a second or so.
	RetryAfterThrottled = time.Second
	// RetryAfterUnavailable: transient service errors.
	RetryAfterUnavailable = time.Second
)

// mapped is an InvokeEndpoint failure as the API sees it.
type mapped struct {
	err           error  // what Classify returns: an *api.Error or a context error
	retryable     bool   // another attempt may succeed
	sageMakerCode string // SageMaker's error code, for metrics and logs
}

// mapError maps an InvokeEndpoint error. It is the one place where
// SageMaker's answers become the API's statuses.
func mapError(ctx context.Context, err error) mapped {
	if ctx.Err() != nil {
		// The request's own deadline or cancellation: the API maps these
		// (504, 499).
		return mapped{err: fmt.Errorf("InvokeEndpoint: %w", ctx.Err()), sageMakerCode: "Canceled"}
	}
	var (
		notReady    *types.ModelNotReadyException
		modelErr    *types.ModelError
		validation  *types.ValidationError
		unavailable *types.ServiceUnavailable
		internal    *types.InternalFailure
		dependency  *types.InternalDependencyException
		apiErr      smithy.APIError
		respErr     *smithyhttp.ResponseError
	)
	switch {
	case errors.As(err, &notReady):
		return mapped{retryable: true, sageMakerCode: notReady.ErrorCode(), err: &api.Error{
			Code: wire.CodeNotReady, RetryAfter: RetryAfterNotReady,
			Message: "the model endpoint is starting; retry shortly", Err: err}}
	case errors.As(err, &modelErr):
		return fromModelError(modelErr, err)
	case errors.As(err, &validation):
		return mapped{sageMakerCode: validation.ErrorCode(), err: &api.Error{
			Code:    wire.CodeModelError,
			Message: "the model endpoint refused the call", Err: err}}
	case errors.As(err, &unavailable), errors.As(err, &internal), errors.As(err, &dependency):
		return unavailableErr(err, errors.As(err, &apiErr))
	case errors.As(err, &apiErr):
		if _, throttled := retry.DefaultThrottleErrorCodes[apiErr.ErrorCode()]; throttled {
			return mapped{retryable: true, sageMakerCode: apiErr.ErrorCode(), err: &api.Error{
				Code: wire.CodeRateLimited, RetryAfter: RetryAfterThrottled,
				Message: "the model endpoint is throttling requests; retry shortly", Err: err}}
		}
		if errors.As(err, &respErr) && respErr.HTTPStatusCode() >= 500 {
			return unavailableErr(err, true)
		}
		return mapped{sageMakerCode: apiErr.ErrorCode(), err: &api.Error{
			Code:    wire.CodeModelError,
			Message: "the model endpoint call failed", Err: err}}
	}
	// No answer from the service at all (connection refused or reset, DNS):
	// transient as far as we can tell.
	return mapped{retryable: true, sageMakerCode: "Transport", err: &api.Error{
		Code: wire.CodeBackendUnavailable, RetryAfter: RetryAfterUnavailable,
		Message: "the model endpoint cannot be reached", Err: err}}
}

func unavailableErr(err error, isAPI bool) mapped {
	code := "Transport"
	var apiErr smithy.APIError
	if isAPI && errors.As(err, &apiErr) {
		code = apiErr.ErrorCode()
	}
	return mapped{retryable: true, sageMakerCode: code, err: &api.Error{
		Code: wire.CodeBackendUnavailable, RetryAfter: RetryAfterUnavailable,
		Message: "the model endpoint is unavailable; retry shortly", Err: err}}
}

// fromModelError handles the container's own non-2xx answers, which
// SageMaker wraps in a ModelError (HTTP 424) with the container's status and
// body. The container is Classifly's: a client error it found in the
// picture (400 invalid_image, 413, 415…) goes back to the client as it
// came, and what wire.Error.Temporary calls temporary (its 503s and 429s)
// is retried. Its 500s and anything that is not its JSON error are a 502.
func fromModelError(me *types.ModelError, err error) mapped {
	status := int(aws.ToInt32(me.OriginalStatusCode))
	we := wire.ReadError(status, nil, []byte(aws.ToString(me.OriginalMessage)))
	if we.Code != "" && we.Code != wire.CodeInternal {
		e := api.FromWire(we, fmt.Errorf("model endpoint answered %d: %w", status, err))
		retryable := we.Temporary()
		if retryable && e.RetryAfter == 0 {
			e.RetryAfter = RetryAfterUnavailable
		}
		return mapped{err: e, retryable: retryable, sageMakerCode: me.ErrorCode()}
	}
	return mapped{sageMakerCode: me.ErrorCode(), err: &api.Error{Code: wire.CodeModelError,
		Message: fmt.Sprintf("the model endpoint failed on this request (status %d)", status), Err: err}}
}
