package engine

import (
	"context"
	"testing"

	"github.com/classifly/classifly/internal/shared"
	"github.com/classifly/classifly/tflite"
)

// TestLayersMobileNetV2 checks the layer descriptions of MobileNet V2 in
// each format against multiply-accumulates worked out here from the file's
// activation shapes (input channels, output pixels), and that Profile times
// every described operator.
func TestLayersMobileNetV2(t *testing.T) {
	for _, name := range []string{"mobilenet_v2_1.0_224_quant", "tf2_mobilenet_v2_1.0_224_ptq", "mobilenet_v2_1.0_224_float32"} {
		t.Run(name, func(t *testing.T) {
			data := shared.ReadModel(t, name+".tflite")
			want := fileMACs(t, data)
			m, err := Load(data, Options{Threads: 2})
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			layers := m.Layers()
			var total int64
			for _, l := range layers {
				if l.MACs != want[l.Index] {
					t.Errorf("operator %d (%s): %d MACs, want %d", l.Index, l.Op, l.MACs, want[l.Index])
				}
				if len(l.Out) == 0 || l.Bytes <= 0 {
					t.Errorf("operator %d (%s): output shape %v, %d bytes", l.Index, l.Op, l.Out, l.Bytes)
				}
				total += l.MACs
			}
			// The paper gives 300 M multiply-adds for MobileNet V2 1.0 at 224.
			if total < 290e6 || total > 310e6 {
				t.Errorf("%d MACs in all, want about 300 M", total)
			}
			times, err := m.Profile(context.Background(), make([]byte, m.Input().Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			if len(times) != len(layers) {
				t.Fatalf("Profile timed %d operators, Layers describes %d", len(times), len(layers))
			}
			for i, o := range times {
				if o.Index != layers[i].Index || o.Op != layers[i].Op {
					t.Errorf("timing %d is operator %d (%s), layer %d is %d (%s)", i, o.Index, o.Op, i, layers[i].Index, layers[i].Op)
				}
				if o.Time <= 0 {
					t.Errorf("operator %d (%s) has no time", o.Index, o.Op)
				}
			}
		})
	}
}

// fileMACs is each convolution's and fully connected layer's
// multiply-accumulates, by operator index: output pixels times kernel area
// times input channels (ungrouped convolutions, as in MobileNet), output
// elements times kernel area (depthwise), input elements times units.
func fileMACs(t *testing.T, data []byte) map[int]int64 {
	t.Helper()
	f, err := tflite.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	sg := &f.Subgraphs[0]
	shape := func(i int32) []int64 {
		var s []int64
		for _, d := range sg.Tensors[i].Shape {
			s = append(s, int64(d))
		}
		return s
	}
	prod := func(s []int64) int64 {
		n := int64(1)
		for _, d := range s {
			n *= d
		}
		return n
	}
	macs := map[int]int64{}
	for i, op := range sg.Operators {
		in, out := shape(op.Inputs[0]), shape(op.Outputs[0])
		switch f.OperatorCodes[op.OpcodeIndex].Builtin {
		case tflite.OpConv2D:
			k := shape(op.Inputs[1])
			macs[i] = prod(out) * k[1] * k[2] * in[3]
		case tflite.OpDepthwiseConv:
			k := shape(op.Inputs[1])
			macs[i] = prod(out) * k[1] * k[2]
		case tflite.OpFullyConnected:
			macs[i] = prod(in) * out[len(out)-1]
		}
	}
	return macs
}
