//go:build e2e

package web_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/classifly/classifly/internal/shared"
)

var updateScreenshot = flag.Bool("update-screenshot", false, "write the page's screenshot to ../docs/ui.png")

// TestBrowser loads the UI in a real Chromium from a real server, classifies
// cat.bmp through the file input, and checks that a text file gives a readable
// error; it also checks the layout at phone width.
func TestBrowser(t *testing.T) {
	images := shared.ImageDir(t)
	base := startServer(t)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ctx = newBrowser(t, ctx)
	console := watchConsole(t, ctx)

	step(t, ctx, "open the page",
		chromedp.EmulateViewport(1200, 900),
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.ID("drop")),
	)
	// Wait for the model list, so the request carries a model and the
	// screenshot shows the final selector.
	models, err := chromedp.Run(ctx, chromedp.Poll[int](
		`document.getElementById("model-hint").textContent.startsWith("Loading") ? 0 : document.getElementById("model").options.length`,
		chromedp.WithPollingTimeout(10*time.Second)))
	if err != nil {
		t.Fatalf("model list did not load: %v", err)
	}
	if models < 1 {
		t.Fatalf("model selector has %d options", models)
	}
	hint := text(t, ctx, "#model-hint")
	if strings.HasPrefix(hint, "Could not") {
		t.Fatalf("model list failed: %q", hint)
	}
	// The picker names each model's weight format, from GET /models.
	first, err := chromedp.Run(ctx, chromedp.Poll[string](`document.getElementById("model").options[0].textContent`,
		chromedp.WithPollingTimeout(5*time.Second)))
	if err != nil || (!strings.HasSuffix(first, "(uint8)") && !strings.HasSuffix(first, "(int8)")) {
		t.Errorf("first model option %q (%v) does not name its format", first, err)
	}

	checkKeyboard(t, ctx)

	checkURLProblem(t, ctx)

	// A picture: the top label and its percentage are shown, and the status
	// region says them in one line.
	step(t, ctx, "upload cat.bmp",
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{filepath.Join(images, "cat.bmp")}),
		chromedp.WaitVisible(chromedp.CSS("#predictions li")),
	)
	spoken := waitStatus(t, ctx)
	if !regexp.MustCompile(`^Egyptian cat, \d+(\.\d)?%$`).MatchString(spoken) {
		t.Errorf("the status region says %q, want one line like \"Egyptian cat, 85%%\"", spoken)
	}
	checkLiveRegions(t, ctx)
	results := text(t, ctx, "#results")
	t.Logf("results:\n%s", results)
	if !regexp.MustCompile(`Egyptian cat\s*\d+(\.\d)?%`).MatchString(results) {
		t.Errorf("results do not show Egyptian cat with a percentage:\n%s", results)
	}
	if n := count(t, ctx, "#predictions li"); n != 5 {
		t.Errorf("%d predictions shown, want 5", n)
	}
	for _, want := range []string{"512 × 341", "Inference", "ms"} {
		if !strings.Contains(results, want) {
			t.Errorf("results lack %q:\n%s", want, results)
		}
	}
	if visible(t, ctx, "#error") {
		t.Errorf("an error is shown after a good picture: %q", text(t, ctx, "#error"))
	}
	if loaded := evaluate[bool](t, ctx, `(() => { const i = document.getElementById("preview-img"); return i.complete && i.naturalWidth === 512 })()`); !loaded {
		t.Error("the preview of cat.bmp is not shown")
	}
	if alt, caption := evaluate[string](t, ctx, `document.getElementById("preview-img").alt`), text(t, ctx, "#preview-caption"); alt == "" || alt != caption {
		t.Errorf("the preview's alt is %q, want its caption %q", alt, caption)
	}
	screenshot(t, ctx, "result")
	checkPhoneWidth(t, ctx, "result")

	// Not a picture: a readable error in place of the results.
	notes := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(notes, []byte("These are notes, not a picture.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	step(t, ctx, "upload notes.txt",
		chromedp.EmulateViewport(1200, 900),
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{notes}),
		chromedp.WaitVisible(chromedp.ID("error")),
	)
	shown := text(t, ctx, "#error")
	t.Logf("error:\n%s", shown)
	if !regexp.MustCompile(`(?i)image|picture`).MatchString(shown) || !strings.Contains(shown, "415") {
		t.Errorf("error for a text file does not say it is not a picture (HTTP 415):\n%s", shown)
	}
	if strings.ContainsAny(shown, "{}") || strings.Contains(shown, `"code"`) {
		t.Errorf("error shows raw JSON:\n%s", shown)
	}
	if n := count(t, ctx, "#predictions li"); n != 0 {
		t.Errorf("%d old predictions still shown beside the error", n)
	}
	if spoken := waitStatus(t, ctx); spoken != "" {
		t.Errorf("the status region says %q beside the error alert: the error would be read twice", spoken)
	}
	screenshot(t, ctx, "error")
	checkPhoneWidth(t, ctx, "error")

	console.check(t)
	checkNoScript(t, ctx, base)
}

// waitStatus waits for the request to end and returns what the status
// region says then.
func waitStatus(t *testing.T, ctx context.Context) string {
	t.Helper()
	// An array, as Poll waits for a truthy answer and the line may be "".
	s, err := chromedp.Run(ctx, chromedp.Poll[[]string](
		`(() => { const s = document.getElementById("status"); return s.classList.contains("busy") ? null : [s.textContent] })()`,
		chromedp.WithPollingTimeout(10*time.Second)))
	if err != nil || len(s) != 1 {
		t.Fatalf("the request did not end: %v", err)
	}
	return s[0]
}

// checkLiveRegions: the status region is the only polite live region (the
// results block would read every bar and timing), the drop zone is a native
// button, and the error box is the only alert.
func checkLiveRegions(t *testing.T, ctx context.Context) {
	t.Helper()
	live := evaluate[[]string](t, ctx, `Array.from(document.querySelectorAll("[aria-live], [role=status], [role=alert], [role=log]")).map((e) => e.id)`)
	if !slices.Equal(live, []string{"status", "error"}) {
		t.Errorf("live regions %q, want only the status region and the error alert", live)
	}
	if tag := evaluate[string](t, ctx, `document.getElementById("drop").tagName`); tag != "BUTTON" {
		t.Errorf("the drop zone is a %s, want a native button", tag)
	}
}

// checkURLProblem: a bad URL is explained beside the field and spoken once —
// by moving the focus to the field (which reads its description), or, when
// the focus is already there, by the status region.
func checkURLProblem(t *testing.T, ctx context.Context) {
	t.Helper()
	step(t, ctx, "Classify with no URL", chromedp.Click(chromedp.CSS("#url-form button")), chromedp.WaitVisible(chromedp.ID("url-error")))
	problem := text(t, ctx, "#url-error")
	state := evaluate[[]string](t, ctx, `(() => { const u = document.getElementById("url");
		return [document.activeElement.id, u.getAttribute("aria-describedby") || "", u.getAttribute("aria-invalid") || "", document.getElementById("status").textContent] })()`)
	if !slices.Equal(state, []string{"url", "url-error", "true", ""}) {
		t.Errorf("after Classify with no URL: focus, describedby, invalid, status = %q; want the field focused and described by the error, the status silent", state)
	}
	step(t, ctx, "Enter a non-URL", chromedp.SendKeys(chromedp.ID("url"), "not a picture"+kb.Enter))
	if again := text(t, ctx, "#url-error"); again == problem || again == "" {
		t.Fatalf("the URL error did not change: %q", again)
	}
	if spoken := evaluate[string](t, ctx, `document.getElementById("status").textContent`); spoken != text(t, ctx, "#url-error") {
		t.Errorf("with the focus already in the field, the status region says %q, want the error %q", spoken, text(t, ctx, "#url-error"))
	}
	step(t, ctx, "clear the URL", chromedp.Evaluate[chromedp.Void](`(() => { const u = document.getElementById("url");
		u.value = ""; u.dispatchEvent(new Event("input")); u.blur() })()`))
	if visible(t, ctx, "#url-error") {
		t.Error("the URL error stays after the field changed")
	}
}

// checkNoScript: without JavaScript the page says so and points to the API.
func checkNoScript(t *testing.T, ctx context.Context, base string) {
	t.Helper()
	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatalf("disabling JavaScript: %v", err)
	}
	step(t, ctx, "reload without JavaScript",
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.CSS("main")),
	)
	if got := text(t, ctx, "main"); !strings.Contains(got, "needs JavaScript") || !strings.Contains(got, "POST /predict") {
		t.Errorf("without JavaScript the page says %q", got)
	}
}

// checkKeyboard tabs to the drop zone and checks that Enter and Space open
// the file chooser (intercepted, so no dialog stays open).
func checkKeyboard(t *testing.T, ctx context.Context) {
	t.Helper()
	if _, err := chromedp.Call(ctx, page.SetInterceptFileChooserDialog, page.SetInterceptFileChooserDialogParams{Enabled: true}); err != nil {
		t.Fatalf("intercepting the file chooser: %v", err)
	}
	defer chromedp.Call(ctx, page.SetInterceptFileChooserDialog, page.SetInterceptFileChooserDialogParams{Enabled: false})
	focused := ""
	for range 10 {
		step(t, ctx, "press Tab", chromedp.KeyEvent(kb.Tab))
		if focused = evaluate[string](t, ctx, "document.activeElement.id"); focused == "drop" {
			break
		}
	}
	if focused != "drop" {
		t.Fatalf("Tab does not reach the drop zone (focus is on %q)", focused)
	}
	if outline := evaluate[string](t, ctx, `getComputedStyle(document.activeElement).outlineStyle`); outline == "none" {
		t.Error("the focused drop zone shows no focus outline")
	}
	for _, key := range []struct{ name, keys string }{{"Enter", kb.Enter}, {"Space", " "}} {
		wait, cancel := context.WithTimeout(ctx, 5*time.Second)
		opened := chromedp.Events(wait, page.FileChooserOpened)
		step(t, ctx, "press "+key.name, chromedp.KeyEvent(key.keys))
		for _, err := range opened {
			if err != nil {
				t.Errorf("%s on the drop zone did not open the file chooser: %v", key.name, err)
			}
			break
		}
		cancel()
	}
	step(t, ctx, "leave the drop zone", chromedp.Evaluate[chromedp.Void](`document.activeElement.blur()`))
}

// newBrowser starts a headless Chromium with a fresh profile; the browser
// ends with the test.
func newBrowser(t *testing.T, parent context.Context) context.Context {
	t.Helper()
	chromium := shared.Tool(t, "chromium", "chromium") // Debian's; CI installs it
	alloc, cancelAlloc := chromedp.NewExecAllocator(parent,
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.UserDataDir(t.TempDir()),
	)
	ctx, cancelTab := chromedp.NewContext(alloc, chromedp.WithLogf(t.Logf))
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting %s: %v", chromium, err)
	}
	return ctx
}

// consoleLog keeps what the page wrote to its console. A script exception
// fails the test; other messages (such as the browser noting the expected
// 415) are only logged.
type consoleLog struct {
	syncList[chromedp.ConsoleMessage]
}

func watchConsole(t *testing.T, ctx context.Context) *consoleLog {
	c := &consoleLog{}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			c.add(m)
		}
	}()
	return c
}

func (c *consoleLog) check(t *testing.T) {
	t.Helper()
	for _, m := range c.all() {
		if m.IsException() || strings.Contains(m.Text, "Content Security Policy") {
			t.Errorf("page error: %s:%d: %s", m.URL, m.Line+1, m.Text)
		} else {
			t.Logf("console %s: %s", m.Type, m.Text)
		}
	}
}

// syncList collects what goroutines report (the page's console messages,
// the sign-in provider's problems) for the test to check at the end.
type syncList[T any] struct {
	mu    sync.Mutex
	items []T
}

func (l *syncList[T]) add(v T) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.items = append(l.items, v)
}

// all returns a copy of what was added so far.
func (l *syncList[T]) all() []T {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.items)
}

// checkPhoneWidth lays the page out 360 px wide (a small phone) and fails if
// anything sticks out sideways.
func checkPhoneWidth(t *testing.T, ctx context.Context, state string) {
	t.Helper()
	step(t, ctx, "phone width", chromedp.EmulateViewport(360, 740, chromedp.EmulateScale(2), chromedp.EmulateMobile))
	over := evaluate[[]string](t, ctx, `(() => {
		const width = document.documentElement.clientWidth;
		const out = [];
		if (document.documentElement.scrollWidth > width) out.push("page scrollWidth " + document.documentElement.scrollWidth);
		for (const e of document.querySelectorAll("body *")) {
			const r = e.getBoundingClientRect();
			if (r.width > 0 && (r.right > width + 0.5 || r.left < -0.5)) out.push((e.id ? "#" + e.id : e.tagName.toLowerCase() + "." + e.className) + " " + Math.round(r.left) + ".." + Math.round(r.right));
		}
		return out;
	})()`)
	if len(over) > 0 {
		t.Errorf("%s at 360 px: wider than the screen: %s", state, strings.Join(over, "; "))
	}
	screenshot(t, ctx, state+"-phone")
	step(t, ctx, "desktop width", chromedp.EmulateViewport(1200, 900))
}

// screenshot writes the page to ../docs/ui.png (the result, at desktop width)
// when the test runs with -update-screenshot. With CLASSIFLY_SCREENSHOT_DIR
// set it also keeps every state there, for a person to look at.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("CLASSIFLY_SCREENSHOT_DIR")
	if !(*updateScreenshot && name == "result") && dir == "" {
		return
	}
	// Let the bars finish growing before the picture is taken.
	step(t, ctx, "settle", chromedp.Sleep(700*time.Millisecond))
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Fatalf("screenshot %s is not a PNG", name)
	}
	if dir != "" {
		if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if *updateScreenshot && name == "result" {
		out := filepath.Join("..", "docs", "ui.png")
		if err := os.WriteFile(out, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s (%d bytes)", out, len(png))
	}
}

func step(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func text(t *testing.T, ctx context.Context, css string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(css)))
	if err != nil {
		t.Fatalf("reading %s: %v", css, err)
	}
	return s
}

func count(t *testing.T, ctx context.Context, css string) int {
	t.Helper()
	return evaluate[int](t, ctx, fmt.Sprintf("document.querySelectorAll(%q).length", css))
}

func visible(t *testing.T, ctx context.Context, css string) bool {
	t.Helper()
	return evaluate[bool](t, ctx, fmt.Sprintf("(() => { const e = document.querySelector(%q); return !!e && e.offsetParent !== null })()", css))
}

func evaluate[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("evaluating %s: %v", js, err)
	}
	return v
}
