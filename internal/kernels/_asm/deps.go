//go:build tools

package main

// The generator reads the parameter structs of package kernels by name
// (avo loads the package's types); this import, built only for `go mod
// tidy`, keeps the module requirement that makes that load work.
import _ "github.com/classifly/classifly/internal/kernels"
