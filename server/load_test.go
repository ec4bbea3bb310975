package server_test

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/classifly/classifly/api"
	"github.com/classifly/classifly/server"
)

// TestBoundedLoad sends 400 requests at concurrency 32 to a real server on
// loopback that runs 2 classifications at once with a queue of 4. The
// excess must be shed with 503 + Retry-After — no other status, no
// pile-up: memory stays bounded and no goroutine outlives the server.
func TestBoundedLoad(t *testing.T) {
	const requests, clients = 400, 32
	before := rssBytes(t)
	baseline := goroutines()

	srv := start(t, server.Options{Models: []string{smallModel}, API: api.Config{Limits: api.Limits{
		MaxConcurrent: 2, MaxQueue: 4, QueueTimeout: 2 * time.Second,
	}}})
	transport := &http.Transport{MaxIdleConnsPerHost: clients}
	client := &http.Client{Transport: transport, Timeout: 20 * time.Second}
	cat := image(t, "parrot.jpg") // its decode holds a slot too

	var peak atomic.Int64
	sampling := make(chan struct{})
	go func() {
		for {
			if rss := rssBytes(t); rss > peak.Load() {
				peak.Store(rss)
			}
			select {
			case <-sampling:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()

	var mu sync.Mutex
	statuses := map[int]int{}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for next.Add(1) <= requests {
				resp, err := client.Post(srv.URL+"/predict", "image/jpeg", bytes.NewReader(cat))
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == 503 && resp.Header.Get("Retry-After") == "" {
					t.Error("503 without Retry-After")
				}
				mu.Lock()
				statuses[resp.StatusCode]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(sampling)
	t.Logf("statuses %v, RSS before %d MB, peak %d MB", statuses, before>>20, peak.Load()>>20)
	if statuses[200]+statuses[503] != requests || statuses[200] == 0 || statuses[503] == 0 {
		t.Errorf("want only 200s and 503s, some of each: %v", statuses)
	}
	if grown := peak.Load() - before; grown > 300<<20 {
		t.Errorf("RSS grew by %d MB under load", grown>>20)
	}

	transport.CloseIdleConnections()
	if err := srv.stop(); err != nil {
		t.Fatal(err)
	}
	checkNoLeak(t, baseline)
}

// checkNoLeak waits for the goroutines started since baseline to end, and
// fails if any HTTP, API or server goroutine among them remains.
func checkNoLeak(t *testing.T, baseline map[string]string) {
	t.Helper()
	var leftovers []string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		leftovers = nil
		for id, stack := range goroutines() {
			if _, old := baseline[id]; old {
				continue
			}
			if strings.Contains(stack, "net/http.") || strings.Contains(stack, "classifly/api.") || strings.Contains(stack, "classifly/server.") {
				leftovers = append(leftovers, stack)
			}
		}
		if len(leftovers) == 0 {
			return
		}
	}
	t.Errorf("%d goroutines outlived the server:\n%s", len(leftovers), strings.Join(leftovers, "\n\n"))
}

// goroutines returns the stacks of the live goroutines by id.
func goroutines() map[string]string {
	var buf bytes.Buffer
	pprof.Lookup("goroutine").WriteTo(&buf, 2)
	all := map[string]string{}
	for _, g := range strings.Split(buf.String(), "\n\n") {
		if id, _, ok := strings.Cut(strings.TrimPrefix(g, "goroutine "), " "); ok {
			all[id] = g
		}
	}
	return all
}

// rssBytes reads this process's resident set size.
func rssBytes(t *testing.T) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if kb, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(kb), "kB")), 10, 64)
			return n << 10
		}
	}
	t.Fatal("no VmRSS in /proc/self/status")
	return 0
}
