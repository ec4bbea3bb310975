package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/classifly/classifly/internal/shared"
	"github.com/classifly/classifly/internal/testkit"
	"github.com/classifly/classifly/registry"
	"github.com/classifly/classifly/server"
)

var smallModel = shared.SmallModel()

// running is a server on a loopback listener.
type running struct {
	URL  string
	Logs *testkit.LogBuffer
	stop func() error
}

// start serves opts on 127.0.0.1 and, for local roles, waits for the models.
// It stops the server at the end of the test unless stopped before.
func start(t testing.TB, opts server.Options) *running {
	t.Helper()
	logs := &testkit.LogBuffer{}
	opts.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if opts.Resolver == nil {
		opts.Resolver = &registry.Resolver{ModelDir: shared.ModelDir(t), Offline: true}
	}
	s, err := server.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()
	var once sync.Once
	var stopErr error
	r := &running{URL: "http://" + ln.Addr().String(), Logs: logs, stop: func() error {
		once.Do(func() { cancel(); stopErr = <-served })
		return stopErr
	}}
	t.Cleanup(func() {
		if err := r.stop(); err != nil {
			t.Errorf("server stopped with %v", err)
		}
	})
	if opts.Role != server.RoleProxy {
		waitReady(t, r.URL)
	}
	return r
}

func waitReady(t testing.TB, url string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s not ready after 30 s", url)
}

// image returns a test picture's bytes.
func image(t testing.TB, name string) []byte { return shared.ReadImage(t, name) }

// result is the 200 body, or the error body.
type result struct {
	Model       string
	Predictions []struct {
		Index int
		Label string
		Score float64
	}
	Error struct{ Code, Message string }
}

func postImage(t testing.TB, client *http.Client, url string, body []byte, ctype string) (int, result, http.Header) {
	t.Helper()
	resp, err := client.Post(url, ctype, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var res result
	if err := json.Unmarshal(raw, &res); err != nil {
		t.Fatalf("%d answer is not JSON: %s", resp.StatusCode, raw)
	}
	return resp.StatusCode, res, resp.Header
}
