// Package testkit holds the helpers that tests across the repository share:
// a log sink safe across goroutines, running and stopping a built command,
// a slow client for the upload limits, a seeded generator for random cases,
// and the import-ban check that keeps lean binaries lean. (Test data is
// found by internal/shared.)
package testkit

import (
	"bytes"
	"errors"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"
)

// LogBuffer collects log lines written from many goroutines.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// Run runs cmd and returns its standard output, standard error and exit
// status; a command that cannot be started fails the test.
func Run(t testing.TB, cmd *exec.Cmd) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatalf("running %s: %v", cmd.Path, err)
	}
	return out.String(), errOut.String(), code
}

// Terminate sends the started cmd SIGTERM and returns what Wait returns. A
// command still running after within fails the test and is killed.
func Terminate(t testing.TB, cmd *exec.Cmd, within time.Duration) error {
	t.Helper()
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(within):
		t.Errorf("%s still running %v after SIGTERM", cmd.Path, within)
		cmd.Process.Kill()
		return nil
	}
}
