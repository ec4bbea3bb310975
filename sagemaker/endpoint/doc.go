// Package endpoint is the HTTP client of a Classifly model endpoint: an
// api.Backend for `classifly serve --role proxy`, which forwards each
// picture to a `classifly serve --role endpoint` (or anything speaking the
// SageMaker container contract) with POST /invocations. Package sagemaker
// reaches the same container through InvokeEndpoint; both read its answers
// with package wire.
package endpoint
