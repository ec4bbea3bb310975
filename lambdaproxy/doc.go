// Package lambdaproxy runs Classifly's API as an AWS Lambda function behind
// an API Gateway HTTP API (payload format 2.0). It is an adapter, not a
// second API: each event becomes an *http.Request for the same api.Handler
// that `classifly serve` runs, and the handler's answer becomes the
// response event (Adapter).
//
// Where inference runs is chosen by CLASSIFLY_INFERENCE:
//
//	sagemaker (default)  sagemaker.Backend: InvokeEndpoint on the endpoint
//	                     named by CLASSIFLY_SAGEMAKER_ENDPOINT
//	lambda               the engine in the function, with the models of
//	                     $LAMBDA_TASK_ROOT/model (the zip's model/ folder)
//
// Every request also writes one CloudWatch Embedded Metric Format line to
// stdout (Metrics): latency, 4xx, 5xx and 429 counts, and the time and
// attempts spent calling SageMaker, in the Classifly namespace with the
// dimension FunctionName.
//
// The package links neither the web UI nor the CLI: cmd/lambda is the whole
// function, built as `bootstrap` for the provided.al2023 runtime:
//
//	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -tags lambda.norpc -o bootstrap ./cmd/lambda
package lambdaproxy
