package api

import (
	"testing"

	"github.com/classifly/classifly/internal/testkit"
)

// TestNoWebImport keeps the web UI, the server and the CLI out of the API's
// dependencies: the Lambda binary links the API and must not carry them.
func TestNoWebImport(t *testing.T) {
	const mod = "github.com/classifly/classifly/"
	testkit.Deps(t, ".", "", []string{mod + "web", mod + "server", mod + "cli"}, []string{mod + "wire"})
}
