//go:build nodeploy

package cli

import (
	"context"
	"fmt"
)

// runImage stands in for the deploy commands in the container's binary,
// which is built without them (container.EndpointTag).
func runImage(_ context.Context, env *Env, _ []string) int {
	fmt.Fprintln(env.Stderr, "classifly image: this binary is the model endpoint's and has no deploy commands; use a full build of classifly")
	return ExitUsage
}
