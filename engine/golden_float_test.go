package engine

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/classifly/classifly/internal/shared"
)

// floatTolerance is golden-float/README.md's: probabilities, logits, and the
// lead of TFLite's top-1 over its top-2 above which our top-1 must agree.
func floatTolerance(kind string) (prob, logit, lead float64) {
	if kind == "dynamic" {
		return 5e-2, 0.25, 0.05
	}
	return 1e-4, 1e-3, 0
}

// floatInput dequantizes the quantized model's golden input as TFLite's
// DEQUANTIZE does: float32((u8 - zero point) * scale).
func floatInput(t testing.TB, m shared.Manifest, image string) []byte {
	t.Helper()
	src := filepath.Join(shared.GoldenDir(t), m.SourceModel[:len(m.SourceModel)-len(".tflite")], image)
	raw, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]byte, 4*len(raw))
	for i, u := range raw {
		binary.LittleEndian.PutUint32(out[4*i:], math.Float32bits(float32(int(u)-m.Input.ZeroPoint)*m.Input.Scale))
	}
	return out
}

// floatTwin returns the manifest of the float twin name and the float
// input of its first picture.
func floatTwin(tb testing.TB, name string) (shared.Manifest, []byte) {
	tb.Helper()
	root, _ := shared.FloatTwins(tb)
	var man shared.Manifest
	shared.ReadManifest(tb, filepath.Join(root, name), &man)
	return man, floatInput(tb, man, man.Images[0].Input)
}

func decodeFloats(b []byte) []float32 {
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v
}

// compareFloats returns the largest absolute difference.
func compareFloats(got, want []float32) float64 {
	var d float64
	for i := range want {
		d = max(d, math.Abs(float64(got[i])-float64(want[i])))
	}
	return d
}

// top2 returns the index of the largest value and its lead over the second.
func top2(v []float32) (int, float64) {
	best, second := 0, -1
	for i := range v {
		if v[i] > v[best] {
			best, second = i, best
		} else if i != best && (second < 0 || v[i] > v[second]) {
			second = i
		}
	}
	if second < 0 {
		return best, math.Inf(1)
	}
	return best, float64(v[best]) - float64(v[second])
}

// TestGoldenFloat runs every float32, float16 and dynamic-range twin on
// every golden picture and holds the probabilities, the logits and the
// top-1 to TensorFlow Lite's within golden-float/README.md's tolerance, with
// each kernel backend this machine has.
func TestGoldenFloat(t *testing.T) {
	root, twins := shared.FloatTwins(t)
	for _, backend := range []string{"generic", ""} {
		for _, name := range twins {
			t.Run(fmt.Sprintf("%s/%s", cmp(backend, "best"), name), func(t *testing.T) {
				t.Parallel()
				dir := filepath.Join(root, name)
				var man shared.Manifest
				shared.ReadManifest(t, dir, &man)
				probTol, logitTol, lead := floatTolerance(man.Kind)
				m, err := LoadFile(shared.Model(t, name+".tflite"), Options{Backend: backend, Keep: []int{man.Logits.TensorIndex}, Threads: 1})
				if err != nil {
					t.Fatal(err)
				}
				defer m.Close()
				var worstP, worstL float64
				for _, img := range man.Images {
					out, kept, err := m.Trace(context.Background(), floatInput(t, man, img.Input))
					if err != nil {
						t.Fatal(err)
					}
					wantP := shared.ReadFile(t, dir, img.Output)
					wantL := shared.ReadFile(t, dir, img.Logits)
					gp, wp := decodeFloats(out), decodeFloats(wantP)
					dp := compareFloats(gp, wp)
					dl := compareFloats(decodeFloats(kept[man.Logits.TensorIndex]), decodeFloats(wantL))
					worstP, worstL = max(worstP, dp), max(worstL, dl)
					if dp > probTol || dl > logitTol {
						t.Errorf("%s: max |Δ| probabilities %.3g (tolerance %g), logits %.3g (tolerance %g)", img.Image, dp, probTol, dl, logitTol)
					}
					g1, _ := top2(gp)
					w1, wlead := top2(wp)
					if g1 != w1 && wlead > lead {
						t.Errorf("%s: top-1 %d, TensorFlow Lite %d (leading by %.3f)", img.Image, g1, w1, wlead)
					}
				}
				t.Logf("%s on %s: worst |Δ| probabilities %.3g, logits %.3g over %d pictures", name, m.Backend(), worstP, worstL, len(man.Images))
			})
		}
	}
}

func cmp(s, empty string) string {
	if s == "" {
		return empty
	}
	return s
}

// TestFloatRunAllocatesNothing holds float32, float16 and dynamic-range
// inference at zero heap allocations, on one thread and with the pool.
func TestFloatRunAllocatesNothing(t *testing.T) {
	shared.Full(t)
	for _, threads := range []int{1, 2} {
		for _, kind := range []string{"float32", "float16", "dynamic"} {
			m, err := LoadFile(shared.Model(t, "mobilenet_v1_0.25_128_"+kind+".tflite"), Options{Threads: threads})
			if err != nil {
				t.Fatal(err)
			}
			in, out := make([]byte, m.Input().Bytes()), make([]byte, m.Output().Bytes())
			ctx := context.Background()
			if err := m.Run(ctx, in, out); err != nil {
				t.Fatal(err)
			}
			if n := allocsPerRun(m, in, out, 10); n != 0 {
				t.Errorf("%s, %d threads: %v allocations per Run", kind, threads, n)
			}
			m.Close()
		}
	}
}
