// Command _asm generates the amd64 assembly of package kernels with avo.
//
//	go generate ./kernels   (runs: cd _asm && go run . -out ../kernels_amd64.s -stubs ../kernels_stub_amd64.go)
package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
)

func main() {
	Package("github.com/classifly/classifly/kernels")
	ConstraintExpr("!purego")
	nudge = GLOBL("nudge30", RODATA|NOPTR)
	DATA(0, U64(1<<30))
	gemmVNNI("gemmVNNIu8", false)
	gemmVNNI("gemmVNNIs8", true)
	dwconvAVX512("dwconvAVX512u8", false)
	dwconvAVX512("dwconvAVX512s8", true)
	addAVX512("addAVX512u8", false)
	addAVX512("addAVX512s8", true)
	Generate()
}
