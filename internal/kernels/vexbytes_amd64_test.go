//go:build !purego && !avxvnnievex

package kernels

import (
	"bufio"
	"bytes"
	"debug/elf"
	"debug/gosym"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/classifly/classifly/internal/shared"
)

// vexInsn is one AVX-VNNI instruction that the generator writes as bytes
// (the Go assembler knows only the EVEX forms): the instruction in objdump's
// AT&T syntax and its bytes.
type vexInsn struct {
	text  string
	bytes string
}

// TestVEXBytesDecode disassembles this test binary with binutils objdump and
// checks that the bytes of every AVX-VNNI instruction in the generated
// assembly (_asm's vpdpbusdVEX, vpdpbusdVEXMem, vexVNNI) decode, kernel by
// kernel and in order, to the instruction the comment above them names, in
// its VEX form, and to nothing else. CPUs without AVX-VNNI cannot run these
// kernels; CI runs them on AVX-512 machines from an EVEX build (.ci/run),
// which has none of these bytes, so their encoding is checked here.
func TestVEXBytesDecode(t *testing.T) {
	objdump := shared.Tool(t, "objdump", "binutils")
	want := vexFromAssembly(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// The binary go test runs has no symbol table; Go's own function table
	// gives the kernels' addresses.
	funcs, lo, hi := kernelAddresses(t, exe, want)
	out, err := exec.Command(objdump, "-d", "--insn-width=16", fmt.Sprintf("--start-address=%#x", lo), fmt.Sprintf("--stop-address=%#x", hi), exe).Output()
	if err != nil {
		t.Fatalf("objdump -d %s: %v", exe, err)
	}
	got := vexFromDisassembly(t, out, funcs)
	total := 0
	for fn, w := range want {
		if _, ok := funcs[fn]; !ok {
			t.Errorf("%s: not in the test binary", fn)
			continue
		}
		g := got[fn]
		if len(g) != len(w) {
			t.Errorf("%s: %d AVX-VNNI instructions in the assembly's comments, %d disassembled", fn, len(w), len(g))
		}
		for i := range min(len(g), len(w)) {
			if g[i].text != w[i].text {
				t.Errorf("%s, instruction %d: the bytes %s decode as %q, want %q", fn, i, g[i].bytes, g[i].text, w[i].text)
			}
			if g[i].bytes != w[i].bytes {
				t.Errorf("%s, instruction %d (%s): objdump decoded the bytes %s, the assembly has %s", fn, i, w[i].text, g[i].bytes, w[i].bytes)
			}
		}
		total += len(w)
	}
	// The gemm, direct convolution and depthwise AVX-VNNI kernels: a count
	// far below this means the comments were not found.
	if total < 500 {
		t.Errorf("only %d AVX-VNNI instructions found in the assembly", total)
	}
	t.Logf("%d AVX-VNNI instructions in %d kernels decode as their comments say", total, len(want))
}

var (
	asmText  = regexp.MustCompile(`^TEXT ·(\w+)\(SB\)`)
	asmVEX   = regexp.MustCompile(`^\s*// (VPDPBUSD|VPDPWSSD) (.*)$`)
	asmByte  = regexp.MustCompile(`^\s*BYTE\s+\$0x([0-9a-f]{2})$`)
	goMemory = regexp.MustCompile(`^(-?\d+)\((\w+)\)$`)
	dumpInsn = regexp.MustCompile(`^\s*([0-9a-f]+):\t([0-9a-f ]+?)\s*\t(.*)$`)
)

// vexFromAssembly reads the package's generated assembly: per function, each
// comment naming an AVX-VNNI instruction with the BYTE lines that follow it,
// the comment's operands (Go syntax) written as objdump writes them.
func vexFromAssembly(t *testing.T) map[string][]vexInsn {
	files, err := filepath.Glob("*_amd64.s")
	if err != nil || len(files) == 0 {
		t.Fatalf("no assembly files: %v", err)
	}
	want := map[string][]vexInsn{}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var fn string
		var cur *vexInsn
		for line := range strings.Lines(string(src)) {
			line = strings.TrimRight(line, "\n")
			if m := asmText.FindStringSubmatch(line); m != nil {
				fn, cur = m[1], nil
				continue
			}
			if m := asmVEX.FindStringSubmatch(line); m != nil {
				ops := strings.Split(m[2], ", ")
				for i, op := range ops {
					ops[i] = attOperand(t, op)
				}
				want[fn] = append(want[fn], vexInsn{text: "{vex} " + strings.ToLower(m[1]) + " " + strings.Join(ops, ",")})
				cur = &want[fn][len(want[fn])-1]
				continue
			}
			if m := asmByte.FindStringSubmatch(line); m != nil && cur != nil {
				cur.bytes = strings.TrimSpace(cur.bytes + " " + m[1])
				continue
			}
			cur = nil
		}
	}
	return want
}

// attOperand writes a Go assembler operand (Y3, 288(AX), R8) as objdump's
// AT&T syntax does (%ymm3, 0x120(%rax), %r8).
func attOperand(t *testing.T, op string) string {
	if m := goMemory.FindStringSubmatch(op); m != nil {
		disp, err := strconv.Atoi(m[1])
		if err != nil {
			t.Fatal(err)
		}
		sign := ""
		if disp < 0 {
			sign, disp = "-", -disp
		}
		return fmt.Sprintf("%s%#x(%s)", sign, disp, attOperand(t, m[2]))
	}
	if n, ok := strings.CutPrefix(op, "Y"); ok {
		return "%ymm" + n
	}
	if n, ok := strings.CutPrefix(op, "R"); ok {
		return "%r" + n
	}
	if len(op) == 2 && strings.Contains("AX BX CX DX SI DI BP SP", op) {
		return "%r" + strings.ToLower(op)
	}
	t.Fatalf("operand %q: not a YMM register, a general one or a displacement and base", op)
	return ""
}

// kernelAddresses returns where the functions of want start and end in the
// binary exe, from its Go function table, and the range that holds them all.
func kernelAddresses(t *testing.T, exe string, want map[string][]vexInsn) (funcs map[string][2]uint64, lo, hi uint64) {
	f, err := elf.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pcln, text := f.Section(".gopclntab"), f.Section(".text")
	if pcln == nil || text == nil {
		t.Fatalf("%s: no .gopclntab or .text section", exe)
	}
	data, err := pcln.Data()
	if err != nil {
		t.Fatal(err)
	}
	tab, err := gosym.NewTable(nil, gosym.NewLineTable(data, text.Addr))
	if err != nil {
		t.Fatalf("%s: reading the function table: %v", exe, err)
	}
	funcs, lo = map[string][2]uint64{}, math.MaxUint64
	for _, fn := range tab.Funcs {
		name, ok := strings.CutPrefix(fn.Name, "github.com/classifly/classifly/internal/kernels.")
		if _, in := want[name]; ok && in {
			funcs[name] = [2]uint64{fn.Entry, fn.End}
			lo, hi = min(lo, fn.Entry), max(hi, fn.End)
		}
	}
	if len(funcs) == 0 {
		t.Fatalf("%s: none of the AVX-VNNI kernels in its function table", exe)
	}
	return funcs, lo, hi
}

// vexFromDisassembly returns, for each function of funcs, its instructions
// in objdump's output that are of the AVX-VNNI family (in any encoding) or
// that objdump could not decode.
func vexFromDisassembly(t *testing.T, out []byte, funcs map[string][2]uint64) map[string][]vexInsn {
	got := map[string][]vexInsn{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		m := dumpInsn.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		text := strings.Join(strings.Fields(m[3]), " ")
		if !strings.Contains(text, "vpdp") && !strings.Contains(text, "(bad)") {
			continue
		}
		addr, err := strconv.ParseUint(m[1], 16, 64)
		if err != nil {
			t.Fatal(err)
		}
		for name, r := range funcs {
			if addr >= r[0] && addr < r[1] {
				got[name] = append(got[name], vexInsn{text: text, bytes: m[2]})
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return got
}
