//go:build e2e

package web_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/classifly/classifly/internal/shared"
)

// startServer builds the real classifly binary, runs `classifly serve` on a
// free loopback port with the shared models, waits until /readyz says the
// model is loaded, and returns the server's base URL. The server gets
// SIGTERM when the test ends; its log is shown if the test failed. flags
// are more `serve` flags.
func startServer(t *testing.T, flags ...string) string {
	t.Helper()
	models := shared.ModelDir(t)
	bin := filepath.Join(t.TempDir(), "classifly")
	build := exec.Command("go", "build", "-o", bin, "./cmd/classifly")
	build.Dir = ".." // the module root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/classifly: %v\n%s", err, out)
	}

	cmd := exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0", "--offline", "--log-level", "debug"}, flags...)...)
	cmd.Env = append(os.Environ(), shared.EnvModelDir+"="+models)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting classifly serve: %v", err)
	}
	logs := &serverLog{}
	addr := make(chan string, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		logs.follow(stderr, addr)
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		exited := make(chan error, 1)
		go func() { <-done; exited <- cmd.Wait() }()
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("classifly serve did not stop cleanly on SIGTERM: %v", err)
			}
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			t.Errorf("classifly serve still running 15 s after SIGTERM")
		}
		if t.Failed() {
			t.Logf("classifly serve log:\n%s", logs)
		}
	})

	var base string
	select {
	case a := <-addr:
		base = "http://" + a
	case <-done:
		t.Fatalf("classifly serve exited before listening:\n%s", logs)
	case <-time.After(20 * time.Second):
		t.Fatalf("classifly serve did not say where it listens within 20 s:\n%s", logs)
	}
	waitReady(t, base)

	// The UI must be mounted at "/" (cli/serve.go passes web.Handler()).
	res, err := http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if ct := res.Header.Get("Content-Type"); res.StatusCode != http.StatusOK || !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("GET / on classifly serve: %s, Content-Type %q: the web UI is not mounted (cli/serve.go must give server.Options.UI = web.Handler())", res.Status, ct)
	}
	return base
}

// waitReady polls /readyz until the model is loaded.
func waitReady(t *testing.T, base string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	last := ""
	for ctx.Err() == nil {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/readyz", nil)
		res, err := http.DefaultClient.Do(req)
		if err == nil {
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
			last = res.Status + " " + string(body)
		} else {
			last = err.Error()
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s/readyz not ready within 30 s: %s", base, last)
}

// serverLog keeps the server's log lines and finds the "listening" line,
// which carries the port the kernel chose.
type serverLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *serverLog) follow(r io.Reader, addr chan<- string) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		l.mu.Lock()
		l.lines = append(l.lines, line)
		l.mu.Unlock()
		var rec struct{ Msg, Addr string }
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "listening" && rec.Addr != "" {
			select {
			case addr <- rec.Addr:
			default:
			}
		}
	}
}

func (l *serverLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}
