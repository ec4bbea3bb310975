#!/bin/sh
# Regenerates the amd64 assembly of package kernels. avo loads package
# kernels (for its parameter structs) while it writes, so it writes to
# temporary files that replace the real ones only when it succeeded.
set -e
cd "$(dirname "$0")"
go run . -pkg kernels -out ../kernels_amd64.s.new -stubs ../kernels_stub_amd64.go.new
mv ../kernels_amd64.s.new ../kernels_amd64.s
mv ../kernels_stub_amd64.go.new ../kernels_stub_amd64.go
