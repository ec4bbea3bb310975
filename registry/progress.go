package registry

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress receives the bytes of one download as they arrive and reports
// them; done ends the report. It never fails: a broken progress writer must
// not break a download.
type progress interface {
	io.Writer
	done(err error)
}

// newProgress returns a progress bar when w is a terminal, occasional plain
// lines when it is anything else (a log, a pipe, a buffer), and nothing when
// w is nil. size is -1 when the server did not say.
func newProgress(w io.Writer, file, url string, size int64) progress {
	if w == nil {
		return nopProgress{}
	}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return newBarProgress(f, file, size)
	}
	p := &lineProgress{w: w, file: file, size: size}
	if size >= 0 {
		fmt.Fprintf(w, "downloading %s from %s (%s)\n", file, url, humanBytes(size))
	} else {
		fmt.Fprintf(w, "downloading %s from %s\n", file, url)
	}
	return p
}

type nopProgress struct{}

func (nopProgress) Write(b []byte) (int, error) { return len(b), nil }
func (nopProgress) done(error)                  {}

// lineProgress writes a line at each quarter of a download of known size, or
// every lineStep bytes otherwise, and one at the end.
type lineProgress struct {
	w    io.Writer
	file string
	size int64 // -1 when unknown
	n    int64 // bytes so far
	next int64 // n at which the next line is due
}

const lineStep = 8 << 20

func (p *lineProgress) Write(b []byte) (int, error) {
	p.n += int64(len(b))
	if p.next == 0 {
		p.next = p.step()
	}
	if p.n >= p.next && (p.size < 0 || p.n < p.size) {
		if p.size > 0 {
			fmt.Fprintf(p.w, "%s: %d%% (%s of %s)\n", p.file, p.n*100/p.size, humanBytes(p.n), humanBytes(p.size))
		} else {
			fmt.Fprintf(p.w, "%s: %s\n", p.file, humanBytes(p.n))
		}
		for p.next <= p.n {
			p.next += p.step()
		}
	}
	return len(b), nil
}

func (p *lineProgress) step() int64 {
	if p.size > 0 {
		return max(p.size/4, 1)
	}
	return lineStep
}

func (p *lineProgress) done(err error) {
	if err != nil {
		fmt.Fprintf(p.w, "%s: download failed after %s\n", p.file, humanBytes(p.n))
		return
	}
	fmt.Fprintf(p.w, "%s: done, %s, sha256 verified\n", p.file, humanBytes(p.n))
}

// barProgress draws a github.com/schollz/progressbar/v3 bar on a terminal.
type barProgress struct {
	bar *progressbar.ProgressBar
	w   io.Writer
}

func newBarProgress(w io.Writer, file string, size int64) *barProgress {
	if size == 0 {
		size = -1 // the bar refuses a zero maximum
	}
	bar := progressbar.NewOptions64(size,
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
	return &barProgress{bar: bar, w: w}
}

func (p *barProgress) Write(b []byte) (int, error) {
	_ = p.bar.Add(len(b)) // display only; its errors do not matter
	return len(b), nil
}

func (p *barProgress) done(err error) {
	if p.bar.IsFinished() {
		return
	}
	if err != nil {
		_ = p.bar.Exit() // keeps the bar where it stopped and ends the line
		return
	}
	_ = p.bar.Finish()
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
