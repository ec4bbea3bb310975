package imageprep

import (
	"fmt"
	"slices"
	"strings"
)

// parseName returns the value of the small enum T whose name is s; names
// lists the names of T's values 0, 1, … in order. what names T in the error.
func parseName[T ~int](what, s string, names ...string) (T, error) {
	if i := slices.Index(names, s); i >= 0 {
		return T(i), nil
	}
	return 0, fmt.Errorf("imageprep: unknown %s %q, want %s", what, s, strings.Join(names, " or "))
}

// nameOf returns the name of v (see parseName), or typ(v) for a value
// without one.
func nameOf[T ~int](v T, typ string, names ...string) string {
	if v >= 0 && int(v) < len(names) {
		return names[v]
	}
	return fmt.Sprintf("%s(%d)", typ, int(v))
}
