package tflite

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/classifly/classifly/internal/shared"
)

func TestParseSharedModels(t *testing.T) {
	dir := shared.ModelDir(t)
	files, _ := filepath.Glob(filepath.Join(dir, "*.tflite"))
	if len(files) == 0 {
		t.Fatalf("no .tflite files in %s", dir)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m, err := Parse(data)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		sg := m.Subgraphs[0]
		counts := map[string]int{}
		for _, op := range sg.Operators {
			counts[m.OperatorCodes[op.OpcodeIndex].Builtin.String()]++
		}
		t.Logf("%s: v%d, %d tensors, %d ops %v, in %v out %v", filepath.Base(f), m.Version, len(sg.Tensors), len(sg.Operators), counts, sg.Inputs, sg.Outputs)
	}
}
