// Package runtimeemu is a local emulator of the Amazon SageMaker Runtime
// REST API — the InvokeEndpoint call only — for tests that cannot reach
// AWS. It stands where https://runtime.sagemaker.REGION.amazonaws.com
// would: point an SDK client at it (AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME or
// BaseEndpoint) and it forwards each invocation to a real container
// speaking the SageMaker container contract (`classifly serve --role
// endpoint`), as the service does.
//
// What it reproduces, from the service's API reference and the container
// contract:
//
//   - POST /endpoints/{EndpointName}/invocations; the body is the payload;
//     Content-Type, Accept and X-Amzn-SageMaker-Custom-Attributes reach the
//     container, other headers do not.
//   - SigV4 with signing name "sagemaker": the signature is checked against
//     the configured credentials (403 InvalidSignatureException otherwise).
//   - The payload limit of serverless endpoints (4 MB).
//   - Answers: 200 with the container's body and Content-Type and
//     x-Amzn-Invoked-Production-Variant; a container's non-2xx answer as a
//     424 ModelError carrying OriginalStatusCode and OriginalMessage; a
//     container that does not pass GET /ping yet as a 429
//     ModelNotReadyException (a serverless endpoint provisioning); an
//     unknown endpoint as a 400 ValidationError. Errors carry
//     X-Amzn-ErrorType and a JSON body, as restJson1 clients expect.
//   - Injected faults (Fail): ThrottlingException, ServiceUnavailable,
//     InternalFailure, ModelNotReadyException… for the next N calls.
//
// It is not the service: no IAM, no quotas, no scaling, no real cold start.
package runtimeemu
