package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// hostile makes, in dir, the paths that once made the CLI read forever or
// block: a link to /dev/zero, a named pipe, a 3 GiB sparse file and a link
// loop, each named like a picture. It returns their names and the reason
// each must be reported with.
func hostile(t *testing.T, dir, ext string) map[string]string {
	t.Helper()
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Symlink("/dev/zero", filepath.Join(dir, "zero"+ext)))
	must(syscall.Mkfifo(filepath.Join(dir, "fifo"+ext), 0o644))
	f, err := os.Create(filepath.Join(dir, "sparse"+ext))
	must(err)
	must(f.Truncate(3 << 30)) // no disk used
	must(f.Close())
	must(os.Symlink("loop"+ext, filepath.Join(dir, "loop"+ext)))
	return map[string]string{
		"zero" + ext:   "not a regular file (device)",
		"fifo" + ext:   "not a regular file (named pipe)",
		"sparse" + ext: "3.0 GiB",
		"loop" + ext:   "too many levels of symbolic links",
	}
}

// measured runs the command and returns its output, status, wall time and
// peak RSS in MB.
func measured(t *testing.T, args ...string) (stdout, stderr string, code int, took time.Duration, rssMB float64) {
	t.Helper()
	cmd := bare(t, args...)
	start := time.Now()
	stdout, stderr, code = run(t, cmd)
	took = time.Since(start)
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rssMB = float64(ru.Maxrss) / 1024 // KiB on Linux
	}
	return stdout, stderr, code, took, rssMB
}

// TestPredictHostilePaths: each bad path alone, and all of them in a folder
// with good pictures: every good one answered, every bad one reported with
// its reason, exit 1, within 2 s and 100 MB.
func TestPredictHostilePaths(t *testing.T) {
	dir := t.TempDir()
	bad := hostile(t, dir, ".jpg")
	cat := picture(t, "cat.bmp")
	check := func(t *testing.T, args []string, wantAnswers int, wantErrors map[string]string) {
		t.Helper()
		stdout, stderr, code, took, rss := measured(t, append([]string{"predict", "--offline", "--json", "--top", "1"}, args...)...)
		t.Logf("%s: exit %d in %v, peak RSS %.1f MB", strings.Join(args, " "), code, took.Round(time.Millisecond), rss)
		if code != 1 {
			t.Errorf("exit %d, want 1", code)
		}
		if n := strings.Count(stdout, "Egyptian cat"); n != wantAnswers {
			t.Errorf("%d answers, want %d:\n%s", n, wantAnswers, stdout)
		}
		for name, why := range wantErrors {
			if !strings.Contains(stderr, name+": ") || !strings.Contains(stderr, why) {
				t.Errorf("stderr does not report %s (%s):\n%s", name, why, stderr)
			}
		}
		if took > 2*time.Second || rss > 100 {
			t.Errorf("took %v and %.1f MB, want under 2 s and 100 MB", took, rss)
		}
		if strings.Contains(stderr, "goroutine") {
			t.Errorf("crash:\n%s", stderr)
		}
	}
	for name, why := range bad {
		t.Run(name, func(t *testing.T) {
			check(t, []string{filepath.Join(dir, name)}, 0, map[string]string{name: why})
		})
	}
	t.Run("/dev/zero", func(t *testing.T) {
		check(t, []string{"/dev/zero"}, 0, map[string]string{"/dev/zero": "not a regular file (device)"})
	})
	t.Run("folder", func(t *testing.T) {
		for _, n := range []string{"a.bmp", "m.bmp", "z.bmp"} {
			if err := os.Symlink(cat, filepath.Join(dir, n)); err != nil {
				t.Fatal(err)
			}
		}
		check(t, []string{dir}, 3, bad)
	})
	t.Run("arguments", func(t *testing.T) {
		args := []string{cat}
		for name := range bad {
			args = append(args, filepath.Join(dir, name), cat)
		}
		check(t, args, 1+len(bad), bad)
	})
}

// TestModelHostilePaths: --model with the same paths fails at once with
// the reason, never blocking on the pipe nor reading the device.
func TestModelHostilePaths(t *testing.T) {
	dir := t.TempDir()
	bad := hostile(t, dir, ".tflite")
	bad["sparse.tflite"] = "more than the 512 MB a model may have"
	cat := picture(t, "cat.bmp")
	for name, why := range bad {
		t.Run(name, func(t *testing.T) {
			_, stderr, code, took, rss := measured(t, "predict", "--offline", "--model", filepath.Join(dir, name), cat)
			t.Logf("exit %d in %v, peak RSS %.1f MB: %s", code, took.Round(time.Millisecond), rss, strings.TrimSpace(stderr))
			if code != 1 || !strings.Contains(stderr, why) || took > 2*time.Second || rss > 100 {
				t.Errorf("exit %d in %v, %.1f MB, stderr %q; want 1, %q", code, took, rss, stderr, why)
			}
		})
	}
}

// TestPredictInterrupt: SIGINT ends a long run at once, with status 130.
func TestPredictInterrupt(t *testing.T) {
	dir := t.TempDir()
	cat := picture(t, "cat.bmp")
	const n = 500
	for i := range n {
		if err := os.Symlink(cat, filepath.Join(dir, fmt.Sprintf("%03d.bmp", i))); err != nil {
			t.Fatal(err)
		}
	}
	cmd := bare(t, "predict", "--offline", "--json", dir)
	lines := bufio.NewScanner(startPiped(t, cmd, cmd.StdoutPipe))
	if !lines.Scan() {
		t.Fatal("no first answer")
	}
	start := time.Now()
	cmd.Process.Signal(os.Interrupt)
	answers := 1
	for lines.Scan() {
		answers++
	}
	err := cmd.Wait()
	took := time.Since(start)
	t.Logf("stopped %v after SIGINT, %d of %d answered", took.Round(time.Millisecond), answers, n)
	if code := cmd.ProcessState.ExitCode(); code != 130 || took > time.Second || answers >= n {
		t.Errorf("exit %d (%v) %v after SIGINT with %d answers; want 130 at once", code, err, took, answers)
	}
}
