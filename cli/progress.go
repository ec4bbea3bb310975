package cli

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/classifly/classifly/registry"
)

// progressView renders the registry's download reports on w: a bar on a
// terminal, occasional plain lines on anything else (a log, a pipe). Either
// way it says what it is fetching before the network answers, so a hanging
// network is never silent.
func progressView(w io.Writer) func(registry.Progress) {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return (&barView{w: w}).show
	}
	return (&lineView{w: w}).show
}

// lineView writes a line when a download starts, at each quarter of a
// download of known size (every lineStep bytes otherwise), and at the end.
type lineView struct {
	w    io.Writer
	next int64 // bytes at which the next line is due
}

const lineStep = 8 << 20

func (v *lineView) show(p registry.Progress) {
	switch p.Event {
	case registry.Started:
		fmt.Fprintf(v.w, "downloading %s from %s\n", p.File, p.URL)
		v.next = 0
	case registry.Receiving:
		if p.Received == 0 {
			if p.Size >= 0 {
				fmt.Fprintf(v.w, "%s: %s\n", p.File, humanBytes(p.Size))
			}
			v.next = v.step(p.Size)
			return
		}
		if p.Received < v.next || p.Size >= 0 && p.Received >= p.Size {
			return
		}
		if p.Size > 0 {
			fmt.Fprintf(v.w, "%s: %d%% (%s of %s)\n", p.File, p.Received*100/p.Size, humanBytes(p.Received), humanBytes(p.Size))
		} else {
			fmt.Fprintf(v.w, "%s: %s\n", p.File, humanBytes(p.Received))
		}
		for v.next <= p.Received {
			v.next += v.step(p.Size)
		}
	case registry.Done:
		fmt.Fprintf(v.w, "%s: done, %s, sha256 verified\n", p.File, humanBytes(p.Received))
	case registry.Failed:
		fmt.Fprintf(v.w, "%s: download failed after %s\n", p.File, humanBytes(p.Received))
	}
}

func (v *lineView) step(size int64) int64 {
	if size > 0 {
		return max(size/4, 1)
	}
	return lineStep
}

// barView draws a github.com/schollz/progressbar/v3 bar on a terminal.
type barView struct {
	w   io.Writer
	bar *progressbar.ProgressBar
}

func (v *barView) show(p registry.Progress) {
	switch p.Event {
	case registry.Started:
		fmt.Fprintf(v.w, "downloading %s from %s\n", p.File, p.URL)
		v.bar = nil
	case registry.Receiving:
		if v.bar == nil {
			v.bar = newBar(v.w, p.File, p.Size)
		}
		_ = v.bar.Set64(p.Received) // display only; its errors do not matter
	case registry.Done:
		if v.bar != nil && !v.bar.IsFinished() {
			_ = v.bar.Finish()
		}
	case registry.Failed:
		if v.bar != nil && !v.bar.IsFinished() {
			_ = v.bar.Exit() // keeps the bar where it stopped and ends the line
		}
	}
}

func newBar(w io.Writer, file string, size int64) *progressbar.ProgressBar {
	if size == 0 {
		size = -1 // the bar refuses a zero maximum
	}
	return progressbar.NewOptions64(size,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(file),
		progressbar.OptionShowBytes(true),
		progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		// No spinner ticker: it would be a goroutine outliving a failed download.
		progressbar.OptionSetSpinnerChangeInterval(0),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
	)
}

// humanBytes formats n as "3.6 MB" (SI units, as download sizes usually are).
func humanBytes(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.1f GB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%d B", n)
}
