package engine

import (
	"bytes"
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/classifly/classifly/internal/shared"
)

func goldenPair(t testing.TB, model, image string) (in, want []byte) {
	t.Helper()
	dir := shared.Golden(t, model)
	return shared.ReadFile(t, dir, image+".input.bin"), shared.ReadFile(t, dir, image+".output.bin")
}

// loadShared loads a shared model, closed at the end of the test.
func loadShared(t testing.TB, name string, opts Options) *Model {
	t.Helper()
	m, err := LoadFile(shared.Model(t, name+".tflite"), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// allocsPerRun is how many heap allocations a Run makes, over runs runs.
// MemStats counts the whole process, the pool's parked workers included,
// whose runtime bookkeeping (wait queues, refilled after a GC) can show up
// now and then: it measures after a GC, up to three times, and reports the
// last attempt, 0 as soon as one allocated nothing.
func allocsPerRun(m *Model, in, out []byte, runs int) float64 {
	ctx := context.Background()
	var n float64
	for range 3 {
		runtime.GC()
		if n = testing.AllocsPerRun(runs, func() { _ = m.Run(ctx, in, out) }); n == 0 {
			break
		}
	}
	return n
}

// TestRunAllocatesNothing holds inference at zero heap allocations, on one
// thread and with the worker pool.
func TestRunAllocatesNothing(t *testing.T) {
	for _, threads := range []int{1, 2} {
		for _, name := range []string{"mobilenet_v2_1.0_224_quant", "tf2_mobilenet_v2_1.0_224_ptq"} {
			m, err := LoadFile(shared.Model(t, name+".tflite"), Options{Threads: threads})
			if err != nil {
				t.Fatal(err)
			}
			checkBackend(t, m)
			in, _ := goldenPair(t, name, "cat")
			out := make([]byte, m.Output().Bytes())
			ctx := context.Background()
			if err := m.Run(ctx, in, out); err != nil { // warm the arena pool
				t.Fatal(err)
			}
			if n := allocsPerRun(m, in, out, 20); n != 0 {
				t.Errorf("%s, %d threads: %v allocations per Run, want 0", name, threads, n)
			}
			m.Close()
		}
	}
}

// TestThreadCountsAgree: any number of threads gives TFLite's bytes.
func TestThreadCountsAgree(t *testing.T) {
	name := "mobilenet_v2_1.0_224_quant"
	in, want := goldenPair(t, name, "grace_hopper")
	for _, threads := range []int{1, 2, 3, 5} {
		m, err := LoadFile(shared.Model(t, name+".tflite"), Options{Threads: threads})
		if err != nil {
			t.Fatal(err)
		}
		checkBackend(t, m)
		out := make([]byte, m.Output().Bytes())
		if err := m.Run(context.Background(), in, out); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out, want) {
			t.Errorf("%d threads: output differs from TFLite's", threads)
		}
		m.Close()
	}
}

// TestConcurrentRuns: one model serves many callers at once (some get the
// worker pool, the others run alone) and every answer is right.
func TestConcurrentRuns(t *testing.T) {
	name := "mobilenet_v1_0.5_160_quant"
	m := loadShared(t, name, Options{Threads: 2})
	images := []string{"cat", "bird", "grace_hopper", "sunflower"}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 6 {
				img := images[(g+i)%len(images)]
				in, want := goldenPair(t, name, img)
				out := make([]byte, m.Output().Bytes())
				if err := m.Run(context.Background(), in, out); err != nil {
					t.Error(err)
					return
				}
				if !bytes.Equal(out, want) {
					t.Errorf("goroutine %d: %s differs from TFLite's", g, img)
				}
			}
		}()
	}
	wg.Wait()
}

// TestRunHonoursContext: a cancelled context stops a run with its error.
func TestRunHonoursContext(t *testing.T) {
	m := loadModel(t, "mobilenet_v1_0.25_128_quant")
	in, _ := goldenPair(t, "mobilenet_v1_0.25_128_quant", "cat")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := m.Run(ctx, in, make([]byte, m.Output().Bytes()))
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("canceled")) {
		t.Errorf("cancelled run: %v", err)
	}
}

// TestRunBatch: a batch gives each input its own right answer.
func TestRunBatch(t *testing.T) {
	name := "mobilenet_v1_0.25_128_quant"
	m := loadShared(t, name, Options{Threads: 2})
	images := []string{"cat", "bird", "grace_hopper", "sunflower", "owl"}
	var ins, outs, wants [][]byte
	for _, img := range images {
		in, want := goldenPair(t, name, img)
		ins, wants = append(ins, in), append(wants, want)
		outs = append(outs, make([]byte, m.Output().Bytes()))
	}
	if err := m.RunBatch(context.Background(), ins, outs); err != nil {
		t.Fatal(err)
	}
	for i := range images {
		if !bytes.Equal(outs[i], wants[i]) {
			t.Errorf("%s: output differs from TFLite's", images[i])
		}
	}
	if err := m.RunBatch(context.Background(), ins[:2], outs[:1]); err == nil {
		t.Error("mismatched batch accepted")
	}
}

// TestCloseDuringRunBatch: Close waits for the batches in flight, which
// finish with right answers, and later runs get ErrClosed; nothing hangs.
// Run it with -race: Close and the runs share the model's pool.
func TestCloseDuringRunBatch(t *testing.T) {
	name := shared.SmallModel()
	m, err := LoadFile(shared.Model(t, name+".tflite"), Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	in, want := goldenPair(t, name, "cat")
	ins := [][]byte{in, in, in}
	var wg sync.WaitGroup
	started := make(chan struct{}, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs := [][]byte{make([]byte, len(want)), make([]byte, len(want)), make([]byte, len(want))}
			for i := 0; ; i++ {
				err := m.RunBatch(context.Background(), ins, outs)
				if i == 0 {
					started <- struct{}{}
				}
				if errors.Is(err, ErrClosed) {
					return
				}
				if err != nil {
					t.Error(err)
					return
				}
				for _, out := range outs {
					if !bytes.Equal(out, want) {
						t.Error("a batch before Close differs from TFLite's")
						return
					}
				}
			}
		}()
	}
	for range 4 {
		<-started
	}
	done := make(chan struct{})
	go func() {
		m.Close()
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("Close or a run in flight did not end within a minute")
	}
	if err := m.Run(context.Background(), in, make([]byte, len(want))); !errors.Is(err, ErrClosed) {
		t.Errorf("Run after Close: %v, want ErrClosed", err)
	}
	m.Close() // a second Close is harmless
}
