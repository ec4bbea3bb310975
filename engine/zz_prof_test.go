package engine

import (
	"context"
	"fmt"
	"os"
	"sort"
	"testing"
	"time"
)

func TestZZProfile(t *testing.T) {
	data, _ := os.ReadFile("/work/shared/models/mobilenet_v2_1.0_224_float32.tflite")
	m, err := Load(data, Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	in := make([]byte, m.Input().Bytes())
	sum := map[string]time.Duration{}
	for range 10 {
		ts, _ := m.Profile(context.Background(), in)
		for _, x := range ts {
			key := x.Op
			sum[key] += x.Time
		}
	}
	var keys []string
	for k := range sum {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(a, b int) bool { return sum[keys[a]] > sum[keys[b]] })
	for _, k := range keys {
		fmt.Printf("%-20s %8.2f ms\n", k, float64(sum[k].Microseconds())/10000)
	}
	ts, _ := m.Profile(context.Background(), in)
	for _, x := range ts {
		if x.Op == "CONV_2D" && x.Time > 600*time.Microsecond || x.Op == "DEPTHWISE_CONV_2D" && x.Time > 400*time.Microsecond {
			fmt.Println(x.Index, x.Op, x.Time)
		}
	}
}
