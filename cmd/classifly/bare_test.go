package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/classifly/classifly/internal/shared"
	"github.com/classifly/classifly/internal/testkit"
)

// The tests in this file need nothing but the repository: the default
// model is the one built into the binary, proved by an empty
// $CLASSIFLY_MODEL_DIR and cache, and every run is --offline or needs no
// download.

// bare returns the command for a run with an empty model folder, an empty
// cache and no home.
func bare(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(binary, args...)
	home := t.TempDir()
	cmd.Env = append(os.Environ(), "CLASSIFLY_MODEL_DIR="+t.TempDir(), "XDG_CACHE_HOME="+filepath.Join(home, "cache"), "HOME="+home)
	return cmd
}

// startPiped starts cmd and returns the pipe that pipe (cmd.StdoutPipe or
// cmd.StderrPipe) gives; cmd is killed when the test ends.
func startPiped(t *testing.T, cmd *exec.Cmd, pipe func() (io.ReadCloser, error)) io.ReadCloser {
	t.Helper()
	r, err := pipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	return r
}

// run runs cmd and returns stdout, stderr and the exit status.
func run(t *testing.T, cmd *exec.Cmd) (string, string, int) { return testkit.Run(t, cmd) }

// picture returns a picture kept in the repository (testdata/images).
func picture(t *testing.T, name string) string {
	t.Helper()
	return shared.Image(t, name)
}

type answer struct {
	File        string
	Model       string
	Predictions []struct {
		Index int
		Label string
		Score float32
	}
}

// TestDefaultModelBuiltIn: with no model anywhere on disk and no download
// allowed, predict runs the built-in model and models says so.
func TestDefaultModelBuiltIn(t *testing.T) {
	cat := picture(t, "cat.bmp")
	stdout, stderr, code := run(t, bare(t, "predict", "--offline", "--json", "--top", "1", cat))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var a answer
	if err := json.Unmarshal([]byte(stdout), &a); err != nil {
		t.Fatalf("%v: %q", err, stdout)
	}
	if a.Model != "mobilenet_v2_1.0_224_quant" || len(a.Predictions) != 1 || a.Predictions[0].Label != "Egyptian cat" || a.Predictions[0].Score < 0.7 {
		t.Errorf("answer %+v, want Egyptian cat from the default model", a)
	}
	// Timings are rounded to 0.01 ms: no 13.545000000000002.
	if m := regexp.MustCompile(`\d\.\d{3,}`).FindString(strings.SplitN(stdout, `"timings_ms"`, 2)[1]); m != "" {
		t.Errorf("unrounded timing %s in %s", m, stdout)
	}

	stdout, stderr, code = run(t, bare(t, "models"))
	if code != 0 || !regexp.MustCompile(`mobilenet_v2_1.0_224_quant \(default\)\s+224x224\s+embedded`).MatchString(stdout) {
		t.Errorf("models: exit %d\n%s%s", code, stdout, stderr)
	}
}

// TestPredictTable: the table leaves out rows that would read 0.00%.
func TestPredictTable(t *testing.T) {
	stdout, stderr, code := run(t, bare(t, "predict", "--offline", "--top", "10", picture(t, "cat.bmp")))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "Egyptian cat") || strings.Contains(stdout, " 0.00%") {
		t.Errorf("table:\n%s", stdout)
	}
}

// TestServeBuiltInModel: `classifly serve` on a bare machine answers
// POST /predict with the built-in model, and stops on SIGTERM.
func TestServeBuiltInModel(t *testing.T) {
	cmd := bare(t, "serve", "--offline", "--addr", "127.0.0.1:0")
	stderr := startPiped(t, cmd, cmd.StderrPipe)
	lines := bufio.NewScanner(stderr)
	var addr string
	for addr == "" && lines.Scan() {
		var l struct{ Msg, Addr string }
		if json.Unmarshal(lines.Bytes(), &l) == nil && l.Msg == "listening" {
			addr = l.Addr
		}
	}
	if addr == "" {
		t.Fatal("no listening line")
	}
	go io.Copy(io.Discard, stderr)

	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("image", "cat.bmp")
	data, err := os.ReadFile(picture(t, "cat.bmp"))
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	mw.Close()
	var resp *http.Response
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		resp, err = http.Post("http://"+addr+"/predict", mw.FormDataContentType(), bytes.NewReader(body.Bytes()))
		if err == nil && resp.StatusCode != http.StatusServiceUnavailable || time.Now().After(deadline) {
			break // 503 while the model loads
		}
		if err == nil {
			resp.Body.Close()
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	var a answer
	json.NewDecoder(resp.Body).Decode(&a)
	resp.Body.Close()
	if resp.StatusCode != 200 || a.Model != "mobilenet_v2_1.0_224_quant" || len(a.Predictions) == 0 || a.Predictions[0].Label != "Egyptian cat" {
		t.Errorf("POST /predict: %s %+v", resp.Status, a)
	}

	if err := testkit.Terminate(t, cmd, 10*time.Second); err != nil {
		t.Errorf("after SIGTERM: %v", err)
	}
}

// TestServeFailsBeforeListening: a model that cannot be found, or a port
// in use, is one plain line and no server.
func TestServeFailsBeforeListening(t *testing.T) {
	ln, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	for name, args := range map[string][]string{
		"missing model": {"serve", "--offline", "--addr", "127.0.0.1:0", "--model", "mobilenet_v1_0.25_128_quant"},
		"port in use":   {"serve", "--offline", "--addr", ln.Addr().String()},
	} {
		t.Run(name, func(t *testing.T) {
			_, stderr, code := run(t, bare(t, args...))
			if code != 1 || strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "classifly: ") || strings.Contains(stderr, "listening") {
				t.Errorf("exit %d, stderr:\n%s", code, stderr)
			}
		})
	}
}

// TestHelpAndVersion: help goes to stdout with status 0, flags are spelled
// as the README spells them, and there is a version.
func TestHelpAndVersion(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"--help"}, {"predict", "-h"}, {"serve", "--help"}, {"models", "-h"},
		{"bench", "-h"}, {"image", "-h"}, {"model", "-h"}, {"--version"}, {"version"}} {
		stdout, stderr, code := run(t, bare(t, args...))
		if code != 0 || stderr != "" || stdout == "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, stdout, stderr)
		}
		if regexp.MustCompile(`(?m)^\s+-[a-z]`).MatchString(stdout) {
			t.Errorf("%v: a flag spelled -flag:\n%s", args, stdout)
		}
		if strings.Contains(stdout, "Flags:\n\n") || strings.HasSuffix(stdout, "Flags:\n") {
			t.Errorf("%v: empty Flags section:\n%s", args, stdout)
		}
	}
	stdout, _, _ := run(t, bare(t, "predict", "-h"))
	if !strings.Contains(stdout, "  --top int") || !strings.Contains(stdout, "recursively") {
		t.Errorf("predict -h:\n%s", stdout)
	}
	stdout, _, _ = run(t, bare(t, "--version"))
	if !regexp.MustCompile(`^classifly \S.* \(go1\.\d+`).MatchString(stdout) {
		t.Errorf("--version: %q", stdout)
	}
}

// TestUsageErrors: a usage error says why, on stderr, with status 2.
func TestUsageErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		why  string
	}{
		{nil, "no command"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"predict"}, "name at least one picture or folder"},
		{[]string{"predict", "--top", "0", "x.jpg"}, "--top must be at least 1"},
		{[]string{"predict", "--threshold", "2", "x.jpg"}, "--threshold must be between 0 and 1"},
		{[]string{"predict", "--crop", "diagonal", "x.jpg"}, "--crop"},
		{[]string{"predict", "--bogus", "x.jpg"}, "flag provided but not defined: --bogus"},
		{[]string{"predict", "--top", "-3x", "x.jpg"}, `invalid value "-3x" for flag --top`},
		{[]string{"predict", "--top", "1 -x", "x.jpg"}, `invalid value "1 -x" for flag --top`},
		{[]string{"predict", "x.jpg", "--model"}, "flag needs an argument: --model"},
		{[]string{"run"}, "--model, --in, --out required"},
		{[]string{"run", "--in", "x"}, "--model, --out required"},
		{[]string{"bench", "--threads", "0"}, "--threads must be at least 1"},
		{[]string{"model", "bogus"}, `unknown subcommand "bogus"`},
		{[]string{"image", "bogus"}, `unknown subcommand "bogus"`},
		{[]string{"serve", "extra"}, `takes no arguments (got "extra")`},
		{[]string{"serve", "--input-mean", "0"}, "--input-mean and --input-std go together"},
		{[]string{"serve", "--input-mean", "0", "--input-std", "0"}, "--input-std"},
		{[]string{"serve", "--role", "proxy", "--endpoint", "http://127.0.0.1:1", "--input-mean", "0", "--input-std", "1"}, "not a proxy"},
	} {
		_, stderr, code := run(t, bare(t, c.args...))
		if code != 2 || !strings.Contains(stderr, c.why) {
			t.Errorf("%v: exit %d, want 2 and %q in stderr:\n%s", c.args, code, c.why, stderr)
		}
	}
}

// TestModelDirMissing: a $CLASSIFLY_MODEL_DIR that does not exist is
// flagged; the built-in model still answers.
func TestModelDirMissing(t *testing.T) {
	for _, args := range [][]string{{"predict", "--offline", picture(t, "cat.bmp")}, {"models"}} {
		cmd := bare(t, args...)
		cmd.Env = append(cmd.Env, "CLASSIFLY_MODEL_DIR=/no/such/models")
		stdout, stderr, code := run(t, cmd)
		if code != 0 || !strings.Contains(stderr, "warning: $CLASSIFLY_MODEL_DIR: /no/such/models: no such file or directory") || stdout == "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
	}
}

// TestPredictFolder: recursion, links to pictures followed, links to
// folders not, other files counted as skipped.
func TestPredictFolderWalk(t *testing.T) {
	dir := t.TempDir()
	cat := picture(t, "cat.bmp")
	os.MkdirAll(filepath.Join(dir, "sub"), 0o755)
	os.Symlink(cat, filepath.Join(dir, "link.bmp"))
	os.Symlink(cat, filepath.Join(dir, "sub", "deep.BMP"))
	os.Symlink(filepath.Join(dir, "sub"), filepath.Join(dir, "sublink.jpg"))
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("hello"), 0o644)
	os.WriteFile(filepath.Join(dir, "sub", "README"), []byte("hello"), 0o644)
	stdout, stderr, code := run(t, bare(t, "predict", "--offline", "--json", "--top", "1", dir))
	if code != 0 {
		t.Errorf("exit %d: %s", code, stderr)
	}
	var files []string
	for _, l := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var a answer
		if err := json.Unmarshal([]byte(l), &a); err != nil {
			t.Fatalf("%v: %q", err, l)
		}
		files = append(files, strings.TrimPrefix(a.File, dir+"/"))
	}
	if strings.Join(files, " ") != "link.bmp sub/deep.BMP" {
		t.Errorf("answered %v, want link.bmp and sub/deep.BMP", files)
	}
	for _, want := range []string{"skipped 2 files not named like a picture", "sublink.jpg: skipped, a link to a folder"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}
