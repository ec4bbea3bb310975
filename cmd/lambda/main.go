// Command lambda is Classifly's AWS Lambda function: the API behind API
// Gateway, with inference on a SageMaker endpoint or in the function
// (package lambdaproxy says how it is configured). Build it as the
// provided.al2023 runtime's bootstrap:
//
//	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -tags lambda.norpc -trimpath -o bootstrap ./cmd/lambda
//
// or with `classifly image lambda --out lambda.zip`, which also zips it.
package main

import "github.com/classifly/classifly/lambdaproxy"

func main() { lambdaproxy.Main() }
