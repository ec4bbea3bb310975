package engine

import (
	"bytes"
	"context"
	"testing"
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
