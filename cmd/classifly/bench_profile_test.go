package main

import (
	"encoding/json"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/classifly/classifly/internal/shared"
	"github.com/classifly/classifly/tflite"
)

// TestBenchProfile runs `classifly bench --profile` on MobileNet V2 in the
// quantized and float formats and checks its JSON: the operators are
// timed in file order, the MACs add up to the figure worked out here from
// the file's tensor shapes, and the table form names every operator kind.
func TestBenchProfile(t *testing.T) {
	for _, name := range []string{"tf2_mobilenet_v2_1.0_224_ptq", "mobilenet_v2_1.0_224_float32"} {
		t.Run(name, func(t *testing.T) {
			path := shared.Model(t, name+".tflite")
			stdout, stderr, code := classifly(t, "bench", "--model", path, "--profile", "--threads", "2", "--runs", "3", "--warmup", "1", "--json")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var r struct {
				Backend  string
				Threads  int
				ClockMHz float64 `json:"clock_mhz"`
				Peak     struct {
					Int8  float64 `json:"int8_macs_per_cycle"`
					Float float64 `json:"float32_macs_per_cycle"`
				} `json:"peak_per_core"`
				Ceiling struct {
					Int8  float64 `json:"int8_macs_per_cycle"`
					Float float64 `json:"float32_macs_per_cycle"`
				} `json:"ceiling_per_core"`
				MACs    int64
				TotalMS float64 `json:"total_ms"`
				Kinds   []struct {
					Op      string
					Count   int
					MS      float64
					Percent float64
				}
				Layers []struct {
					Index    int
					Op       string
					MACs     int64
					MS       float64
					GMACPerS float64 `json:"gmac_per_s"`
					Fused    bool
					Integer  bool
					PeakPct  float64 `json:"peak_percent"`
					CeilPct  float64 `json:"ceiling_percent"`
				}
			}
			if err := json.Unmarshal([]byte(stdout), &r); err != nil {
				t.Fatalf("%v in %q", err, stdout)
			}
			ops, want := opsAndMACs(t, path)
			if len(r.Layers) == 0 {
				t.Fatal("no layers profiled")
			}
			// The engine may plan some operators away (a RESHAPE that moves
			// nothing) but times the rest in file order.
			var sum int64
			last := -1
			for i, l := range r.Layers {
				// A fused layer's time counts in the layer above it.
				if l.Index <= last || l.Index >= len(ops) || l.Op != ops[l.Index] || !(l.MS > 0 || l.Fused) {
					t.Errorf("layer %d: %+v, want a later operator of the file with its name and a time", i, l)
					continue
				}
				last = l.Index
				if l.MACs > 0 && !l.Fused && !(l.GMACPerS > 0) {
					t.Errorf("layer %d: %d MACs at %v GMAC/s", i, l.MACs, l.GMACPerS)
				}
				sum += l.MACs
				// Both shares are of the same rate: their ratio is that of
				// the measured ceiling to the assumed peak.
				peak, ceil := r.Peak.Float, r.Ceiling.Float
				if l.Integer {
					peak, ceil = r.Peak.Int8, r.Ceiling.Int8
				}
				if l.PeakPct > 0 && ceil > 0 && math.Abs(l.CeilPct*ceil/(l.PeakPct*peak)-1) > 1e-9 {
					t.Errorf("layer %d: %.2f%% of the ceiling (%.1f MACs a cycle), %.2f%% of the peak (%.0f)", i, l.CeilPct, ceil, l.PeakPct, peak)
				}
			}
			// Every vector backend has its multiply-add loops
			// (kernels.MACLoop), so a measured ceiling: int8, and float
			// on amd64 (arm64 runs float layers in portable Go).
			switch r.Backend {
			case "generic", "reference":
			case "neon":
				if !(r.Ceiling.Int8 > 0) || r.Ceiling.Float != 0 {
					t.Errorf("backend neon: ceiling %+v, want int8 alone measured", r.Ceiling)
				}
			default:
				if !(r.Ceiling.Int8 > 0 && r.Ceiling.Float > 0) {
					t.Errorf("backend %s: ceiling %+v, want one measured", r.Backend, r.Ceiling)
				}
			}
			if sum != want || r.MACs != want {
				t.Errorf("layers sum to %d MACs, header says %d, the tensor shapes give %d", sum, r.MACs, want)
			}
			if want < 290e6 || want > 310e6 {
				t.Errorf("MobileNet V2 1.0 224 has about 300 M multiply-adds, the shapes give %d", want)
			}
			var pct float64
			for _, k := range r.Kinds {
				pct += k.Percent
			}
			if r.Backend == "" || r.Threads != 2 || !(r.ClockMHz > 100) || !(r.TotalMS > 0) || pct < 99.9 || pct > 100.1 {
				t.Errorf("header: backend %q, %d threads, clock %v MHz, %v ms, kinds add to %v%%", r.Backend, r.Threads, r.ClockMHz, r.TotalMS, pct)
			}

			table, stderr, code := classifly(t, "bench", "--model", path, "--profile", "--threads", "1", "--runs", "2", "--warmup", "0")
			if code != 0 {
				t.Fatalf("table: exit %d: %s", code, stderr)
			}
			for _, op := range ops {
				if !strings.Contains(table, op) {
					t.Errorf("table does not name %s:\n%s", op, table)
				}
			}
		})
	}
	if _, _, code := classifly(t, "bench", "--model", shared.SmallModel(), "--profile", "--kernels", "no-such-kernels", "--runs", "1"); code == 0 {
		t.Error("--kernels no-such-kernels: exit 0")
	}
}

// opsAndMACs lists a model file's operator names and works out its
// multiply-accumulates from its tensor shapes: each convolution's output
// elements times kernel area times input channels, each depthwise one's
// output elements times kernel area, each fully connected layer's input
// elements times output units.
func opsAndMACs(t *testing.T, path string) ([]string, int64) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := tflite.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	sg := &f.Subgraphs[0]
	elems := func(i int32, from int) int64 {
		n := int64(1)
		for _, d := range sg.Tensors[i].Shape[from:] {
			n *= int64(d)
		}
		return n
	}
	dim := func(i int32, k int) int64 { return int64(sg.Tensors[i].Shape[k]) }
	var names []string
	var macs int64
	for _, op := range sg.Operators {
		code := f.OperatorCodes[op.OpcodeIndex].Builtin
		names = append(names, code.String())
		in, out := op.Inputs[0], op.Outputs[0]
		switch code {
		case tflite.OpConv2D:
			macs += elems(out, 0) * dim(op.Inputs[1], 1) * dim(op.Inputs[1], 2) * dim(in, 3)
		case tflite.OpDepthwiseConv:
			macs += elems(out, 0) * dim(op.Inputs[1], 1) * dim(op.Inputs[1], 2)
		case tflite.OpFullyConnected:
			macs += elems(in, 0) * elems(out, len(sg.Tensors[out].Shape)-1)
		}
	}
	return names, macs
}
