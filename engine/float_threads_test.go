package engine

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/classifly/classifly/internal/shared"
	"github.com/classifly/classifly/tflite"
)

// TestFloatThreadsAgree runs the float32 twins on one, two and three
// threads: the workers split rows, pixels or panels of output channels,
// never a sum, so the outputs are byte-identical.
func TestFloatThreadsAgree(t *testing.T) {
	for _, name := range []string{"mobilenet_v2_1.0_224_float32", "tf2_mobilenet_v2_1.0_224_float32"} {
		man, in := floatTwin(t, name)
		var want []byte
		for _, threads := range []int{1, 2, 3} {
			m := loadWith(t, name, Options{Threads: threads, Keep: []int{man.Logits.TensorIndex}})
			_, kept, err := m.Trace(context.Background(), in)
			m.Close()
			if err != nil {
				t.Fatal(err)
			}
			got := kept[man.Logits.TensorIndex]
			if want == nil {
				want = got
			} else if !bytes.Equal(got, want) {
				t.Errorf("%s: the logits on %d threads differ from one thread's", name, threads)
			}
		}
	}
}

// TestFloatFusionsAgree runs the float32 and float16 twins as planned,
// with operators fused (fuse_float.go), and with every operator's output
// kept, which fuses none: the outputs are byte-identical, on every backend
// and on one and two threads. A float16 twin fuses as many operators as
// its float32 twin: the DEQUANTIZE of its weights is folded first.
func TestFloatFusionsAgree(t *testing.T) {
	fusedIn := map[string]int{}
	for _, name := range []string{"mobilenet_v2_1.0_224_float32", "tf2_mobilenet_v2_1.0_224_float32", "mobilenet_v2_1.0_224_float16", "tf2_mobilenet_v2_1.0_224_float16"} {
		_, in := floatTwin(t, name)
		data, err := os.ReadFile(shared.Model(t, name+".tflite"))
		if err != nil {
			t.Fatal(err)
		}
		f, err := tflite.Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		var all []int
		for _, op := range f.Subgraphs[0].Operators {
			for _, o := range op.Outputs {
				all = append(all, int(o))
			}
		}
		for _, backend := range Backends() {
			for _, threads := range []int{1, 2} {
				var outs [2][]byte
				for i, keep := range [][]int{nil, all} {
					m := loadWith(t, name, Options{Backend: backend, Threads: threads, Keep: keep})
					fused := 0
					for _, o := range m.ops {
						if o.fused {
							fused++
						}
					}
					if keep != nil && fused > 0 || keep == nil && fused == 0 {
						t.Errorf("%s on %s, keeping %d tensors: %d operators fused", name, backend, len(keep), fused)
					}
					if twin := strings.Replace(name, "float16", "float32", 1); keep == nil && twin != name && fused != fusedIn[twin+backend] {
						t.Errorf("%s on %s: %d operators fused, %s fuses %d", name, backend, fused, twin, fusedIn[twin+backend])
					}
					if keep == nil {
						fusedIn[name+backend] = fused
					}
					outs[i] = make([]byte, m.Output().Bytes())
					if err := m.Run(context.Background(), in, outs[i]); err != nil {
						t.Fatal(err)
					}
					m.Close()
				}
				if !bytes.Equal(outs[0], outs[1]) {
					t.Errorf("%s on %s, %d threads: fused and unfused outputs differ", name, backend, threads)
				}
			}
		}
	}
}
