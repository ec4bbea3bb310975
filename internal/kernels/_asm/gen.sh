#!/bin/sh
# Regenerates the amd64 assembly of package kernels, one file pair per
# kernel set. avo loads package kernels (for its parameter structs) while it
# writes, so it writes temporary files that replace the real ones only when
# it succeeded. Arguments go to the generator (-evex: see main.go; CI only).
set -e
cd "$(dirname "$0")"
for set in avx512 avx2 f32 avx2direct avxvnni_dw; do
	go run . -set "$set" "$@" -pkg kernels -out "../${set}_amd64.s.new" -stubs "../${set}_stub_amd64.go.new"
	mv "../${set}_amd64.s.new" "../${set}_amd64.s"
	mv "../${set}_stub_amd64.go.new" "../${set}_stub_amd64.go"
done
