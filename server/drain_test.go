package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/classifly/classifly/cli"
	"github.com/classifly/classifly/internal/shared"
	"github.com/classifly/classifly/internal/testkit"
	"github.com/classifly/classifly/registry"
)

// TestServeCommandDrainsOnSIGTERM runs `classifly serve serve --role
// endpoint` (the SageMaker start line) in this process, sends the process
// a real SIGTERM while a request's body is still arriving, and checks that
// the listener closes at once, the request still gets its answer, and the
// command exits 0.
func TestServeCommandDrainsOnSIGTERM(t *testing.T) {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	logs := &testkit.LogBuffer{}
	env := &cli.Env{Stdout: io.Discard, Stderr: logs, Getenv: func(k string) string {
		if k == registry.EnvModelDir {
			return shared.ModelDir(t)
		}
		return ""
	}}
	exited := make(chan int, 1)
	go func() {
		exited <- cli.Main(ctx, []string{"serve", "serve", "--role", "endpoint", "--addr", "127.0.0.1:0",
			"--model", smallModel, "--offline", "--log-level", "debug"}, env)
	}()
	addr := waitLog(t, logs, "listening")["addr"].(string)
	url := "http://" + addr
	waitReady(t, url)

	// A request whose body arrives in two parts, SIGTERM in between.
	cat := image(t, "cat.bmp")
	body, more := io.Pipe()
	req, _ := http.NewRequest(http.MethodPost, url+"/invocations", body)
	req.Header.Set("Content-Type", "image/bmp")
	answered := make(chan *http.Response, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
		}
		answered <- resp
	}()
	more.Write(cat[:1000])
	waitInFlight(t, url)

	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitLog(t, logs, "draining")
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Error("still accepting connections while draining")
	}
	more.Write(cat[1000:])
	more.Close()
	resp := <-answered
	if resp == nil {
		t.FailNow()
	}
	var res result
	json.NewDecoder(resp.Body).Decode(&res)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(res.Predictions) == 0 {
		t.Errorf("in-flight request: %d %+v", resp.StatusCode, res)
	}
	select {
	case code := <-exited:
		if code != 0 {
			t.Errorf("exit status %d:\n%s", code, logs)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not exit after the drain")
	}
	waitLog(t, logs, "stopped")
}

// waitInFlight waits until the server is inside a handler other than the
// metrics request asking.
func waitInFlight(t *testing.T, url string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		resp, err := http.Get(url + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.Contains(string(b), "\nclassifly_http_requests_in_flight 2\n") {
			return
		}
	}
	t.Fatal("the request never reached the handler")
}

// waitLog waits for a JSON log line whose msg is msg and returns it.
func waitLog(t *testing.T, logs *testkit.LogBuffer, msg string) map[string]any {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		sc := bufio.NewScanner(strings.NewReader(logs.String()))
		for sc.Scan() {
			var line map[string]any
			if json.Unmarshal(sc.Bytes(), &line) == nil && line["msg"] == msg {
				return line
			}
		}
	}
	t.Fatalf("no %q log line:\n%s", msg, logs)
	return nil
}
