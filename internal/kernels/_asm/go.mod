module github.com/classifly/classifly/internal/kernels/_asm

go 1.26.8

require github.com/mmcloughlin/avo v0.5.0

require golang.org/x/sync v0.25.0 // indirect

require (
	github.com/classifly/classifly v0.0.0-00010101000000-000000000000
	golang.org/x/mod v0.42.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
	golang.org/x/tools v0.52.0 // indirect
)

replace github.com/classifly/classifly => ../../..
