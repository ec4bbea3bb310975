// Package sagemaker connects Classifly to Amazon SageMaker: a Backend for
// the API that runs inference through the SageMaker Runtime InvokeEndpoint
// call (what the Lambda proxy uses), and the model.tar.gz archive that a
// SageMaker model points at.
//
// The Backend sends the picture itself, as image/* bytes, with the request's
// options in the CustomAttributes header that the container reads
// (`classifly serve --role endpoint`). It refuses pictures that are not
// images or have too many pixels before paying for a call, downscales
// pictures larger than the 4 MB payload limit of serverless endpoints, and
// retries the failures that are worth retrying (the endpoint still
// provisioning, throttling, transient service errors) with capped, jittered
// backoff while the request's deadline leaves time for another attempt.
//
// SageMaker's answers become the API's statuses here and only here:
//
//	ModelNotReadyException            503 not_ready, Retry-After
//	ThrottlingException               429 rate_limited, Retry-After
//	ServiceUnavailable, InternalFailure,
//	InternalDependencyException       503 backend_unavailable, Retry-After
//	ModelError with the container's own
//	4xx JSON error                    that error, unchanged (400, 413, 415…)
//	other ModelError, ValidationError 502 model_error
//
//	cfg, _ := config.LoadDefaultConfig(ctx)
//	backend, err := sagemaker.New(sagemakerruntime.NewFromConfig(cfg, sagemaker.WithoutSDKRetries),
//		sagemaker.Options{EndpointName: "classifly"})
//	h, err := api.New(backend, api.Config{})
//
// The sub-package runtimeemu emulates the InvokeEndpoint REST call locally,
// in front of a real container, for tests.
package sagemaker
