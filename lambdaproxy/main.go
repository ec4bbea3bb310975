package lambdaproxy

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
)

// Main sets the function up from its environment and serves events until
// the runtime stops it. A setup error ends the process during Lambda's
// init phase, which reports it (Runtime.ExitError) with the message in the
// log.
func Main() {
	a, err := Setup(context.Background(), os.Getenv, os.Stdout, os.Stderr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "classifly lambda: %v\n", err)
		os.Exit(1)
	}
	lambda.Start(a.Invoke)
}
