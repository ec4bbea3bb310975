package server_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/classifly/classifly/api"
	"github.com/classifly/classifly/classify"
	"github.com/classifly/classifly/engine"
	"github.com/classifly/classifly/internal/shared"
	"github.com/classifly/classifly/loader"
	"github.com/classifly/classifly/registry"
	"github.com/classifly/classifly/server"
)

// BenchmarkPredict compares POST /predict over loopback HTTP with the
// engine alone (classify.ClassifyBytes: decode, resize, inference) on the
// same picture, at concurrency 1 and 8, reporting p50 and p99 latency and
// throughput. The model is MobileNet V2 unless CLASSIFLY_BENCH_MODEL names
// another; the picture is cat.bmp unless CLASSIFLY_BENCH_IMAGE names
// another file of the image folder.
//
//	go test ./server -run '^$' -bench Predict -benchtime 40x
func BenchmarkPredict(b *testing.B) {
	model := envOr("CLASSIFLY_BENCH_MODEL", registry.DefaultModel)
	img := image(b, envOr("CLASSIFLY_BENCH_IMAGE", "cat.bmp"))
	resolver := &registry.Resolver{ModelDir: shared.ModelDir(b), Offline: true}
	c, _, err := loader.Load(context.Background(), resolver, model, "", engine.Options{})
	if err != nil {
		b.Fatal(err)
	}
	engineOnce := func() error {
		_, err := c.ClassifyBytes(context.Background(), img, classify.Options{})
		return err
	}
	// The engine alone first, before the server loads its own copy of the
	// model, so that the two copies' busy workers do not share the cores.
	for _, conc := range []int{1, 8} {
		b.Run(fmt.Sprintf("engine/c=%d", conc), func(b *testing.B) { measure(b, conc, engineOnce) })
	}

	srv := start(b, server.Options{Models: []string{model}, Resolver: resolver,
		API: api.Config{Limits: api.Limits{MaxQueue: 64, QueueTimeout: time.Minute}}})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	httpOnce := func() error {
		resp, err := client.Post(srv.URL+"/predict", "application/octet-stream", bytes.NewReader(img))
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	}
	for _, conc := range []int{1, 8} {
		b.Run(fmt.Sprintf("http/c=%d", conc), func(b *testing.B) { measure(b, conc, httpOnce) })
	}
}

// measure runs b.N calls of fn over conc workers and reports latency
// percentiles and throughput.
func measure(b *testing.B, conc int, fn func() error) {
	if err := fn(); err != nil { // warm up: arenas, connections
		b.Fatal(err)
	}
	lat := make([]time.Duration, b.N)
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for range conc {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				t := time.Now()
				if err := fn(); err != nil {
					b.Error(err)
					return
				}
				lat[i] = time.Since(t)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50_ms")
	b.ReportMetric(pct(0.99), "p99_ms")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
