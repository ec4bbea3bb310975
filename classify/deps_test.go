package classify_test

import (
	"testing"

	"github.com/classifly/classifly/internal/testkit"
)

// TestDomainHasNoEdgeDependencies keeps the domain free of how programs
// find models and talk to people: no registry (folders, caches,
// downloads), no progress bar, no terminal, no HTTP. Package loader
// assembles them.
func TestDomainHasNoEdgeDependencies(t *testing.T) {
	const mod = "github.com/classifly/classifly/"
	testkit.Deps(t, ".", "",
		[]string{mod + "registry", mod + "loader", "github.com/schollz/progressbar", "golang.org/x/term", "net/http"},
		[]string{mod + "engine", mod + "imageprep"})
}
