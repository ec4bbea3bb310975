// Command _asm generates the amd64 assembly of package kernels with avo.
// Each kernel set goes to its own file, so sets can be worked on apart:
//
//	go generate ./internal/kernels   (runs _asm/gen.sh: one `go run . -set NAME` per set)
package main

import (
	"flag"
	"fmt"
	"os"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
)

// sets maps a kernel set to its generator.
var sets = map[string]func(){
	"avx512": func() {
		packPerm512Data()
		for nv := 1; nv <= 4; nv++ {
			gemmVNNI(fmt.Sprintf("gemmVNNIu8x%d", nv), false, false, nv)
			gemmVNNI(fmt.Sprintf("gemmVNNIs8x%d", nv), true, false, nv)
			gemmVNNI(fmt.Sprintf("gemmVNNIs8xorx%d", nv), true, true, nv)
		}
		gemvVNNI("gemvVNNIu8", false, false)
		gemvVNNI("gemvVNNIs8", true, false)
		gemvVNNI("gemvVNNIs8xor", true, true)
		dwconvAVX512("dwconvAVX512u8", false)
		dwconvAVX512("dwconvAVX512s8", true)
		dwconv3x3AVX512("dwconv3x3AVX512u8", false)
		dwconv3x3AVX512("dwconv3x3AVX512s8", true)
		dwShufData()
		dwconv3x3VNNI("dwconv3x3VNNIs1", 1)
		dwconv3x3VNNI("dwconv3x3VNNIs2", 2)
		for _, offset := range []bool{false, true} {
			sfx := map[bool]string{false: "", true: "r"}[offset]
			for _, lanes := range []int{1, 2, 4} {
				dwconv3x3VNNIBlock(fmt.Sprintf("dwconv3x3VNNIs1x%d%s", 16*lanes, sfx), 1, lanes, offset)
				dwconv3x3VNNIBlock(fmt.Sprintf("dwconv3x3VNNIs2x%d%s", 16*lanes, sfx), 2, lanes, offset)
			}
			dwconv3x3VNNIPairs("dwconv3x3VNNIs1x32p"+sfx, offset)
			dwconv3x3VNNIPairs2("dwconv3x3VNNIs2x32p"+sfx, offset)
		}
		addAVX512("addAVX512u8", false)
		addAVX512("addAVX512s8", true)
		addSplitAVX512("addSplitAVX512u8", false)
		addSplitAVX512("addSplitAVX512s8", true)
		directConvVNNI("directConvVNNIu8", false, false)
		directConvVNNI("directConvVNNIu8shl", false, true)
		directConvVNNI("directConvVNNIs8", true, false)
		directConvVNNI("directConvVNNIs8shl", true, true)
		for _, pairs := range []int{5, 6} {
			directConvVNNIWords(fmt.Sprintf("directConvVNNIWordsu8p%d", pairs), pairs, false)
			directConvVNNIWords(fmt.Sprintf("directConvVNNIWordsu8p%dshl", pairs), pairs, true)
		}
		macLoopsAVX512()
	},
	"avx2": avx2,
	"f32":  f32,

	"avx2direct": avx2Direct,
	"avxvnni_dw": avxvnniDW,
}

// avxvnniEVEX (-evex) has the AVX-VNNI kernels use the EVEX encoding of
// VPDPBUSD and VPDPWSSD (AVX-512 VNNI and VL: the same operation on
// YMM0..15) instead of their VEX bytes, so that CI can run them on AVX-512
// machines (.ci/run, with package kernels' build tag avxvnnievex). Files
// generated so are never committed.
var avxvnniEVEX bool

// evexUsed records that the set has a kernel in that form.
var evexUsed bool

// evexVNNI emits the AVX-VNNI instruction mnemonic (Go operand order w,
// u, acc) in its EVEX encoding and reports true under -evex, else does
// nothing and reports false.
func evexVNNI(mnemonic string, w, u, acc Op) bool {
	if !avxvnniEVEX {
		return false
	}
	raw(mnemonic, []Op{w, u, acc}, acc, w, u, acc)
	evexUsed = true
	return true
}

func main() {
	set := flag.String("set", "avx512", "kernel set to generate")
	flag.BoolVar(&avxvnniEVEX, "evex", false, "AVX-VNNI kernels in the EVEX encoding, for CI on AVX-512 machines (never committed)")
	name := *set
	// avo's Generate parses the command line; peek at -set and -evex first.
	flag.CommandLine.Init(os.Args[0], flag.ContinueOnError)
	for i, a := range os.Args {
		if a == "-set" && i+1 < len(os.Args) {
			name = os.Args[i+1]
		}
		avxvnniEVEX = avxvnniEVEX || a == "-evex"
	}
	gen, ok := sets[name]
	if !ok {
		fmt.Fprintln(os.Stderr, "_asm: unknown -set")
		os.Exit(2)
	}
	Package("github.com/classifly/classifly/internal/kernels")
	ConstraintExpr("!purego")
	nudge = GLOBL("nudge30", RODATA|NOPTR)
	DATA(0, U64(1<<30))
	gen()
	if evexUsed {
		// Package kernels' avxvnnievex build refers to it, so it does not
		// compile against the VEX kernels, which this CPU may lack.
		TEXT("avxvnniEVEX_"+name, NOSPLIT, "func()")
		Doc("avxvnniEVEX_" + name + " marks the set generated with -evex.")
		RET()
	}
	Generate()
}
