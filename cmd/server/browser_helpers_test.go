package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"sourcedesk/internal/testservers"
)

// Browser test budget. Steps wait for what the user would see, never for a fixed
// time; the timeouts only bound a hang, so they are generous for -race on a shared
// 2-core CI machine while other packages' tests run.
const (
	stepTimeout    = 30 * time.Second
	browserTimeout = 4 * time.Minute // a whole test, in case a step forgets its own deadline
	pollInterval   = 25 * time.Millisecond
)

// TestMain stops the package's shared Chromium after the tests (browser tests
// start it on first use, so `go test -run TestConfig` never launches it).
func TestMain(m *testing.M) {
	code := m.Run()
	sharedChromium.stop()
	os.Exit(code)
}

// sharedChromium is the one Chromium process of this test binary: starting
// Chromium costs seconds under -race, a new incognito browser context per test
// costs milliseconds and shares no cookies, storage or cache with other tests.
var sharedChromium chromiumProcess

type chromiumProcess struct {
	once    sync.Once
	ctx     context.Context // chromedp context of the browser; nil when it did not start
	err     error
	cancel  func()
	profile string
}

// browserContext returns the shared browser, starting it on first use. Without
// Chromium the test skips, or fails under `make test` (testservers.Chromium).
func (p *chromiumProcess) browserContext(t *testing.T) context.Context {
	t.Helper()
	path := testservers.Chromium(t)
	p.once.Do(func() { p.start(path) })
	require.NoError(t, p.err, "start chromium")
	return p.ctx
}

func (p *chromiumProcess) start(path string) {
	// Not t.TempDir: the profile outlives any one test.
	p.profile, p.err = os.MkdirTemp("", "sourcedesk-chromium-")
	if p.err != nil {
		return
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(p.profile),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		// Tests run side by side in tabs of this one browser: none of them may be
		// treated as a background tab (throttled timers would slow htmx's settle).
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("disable-hang-monitor", true),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	p.cancel = func() { cancelBrowser(); cancelAlloc() }
	// The first Run starts the process. No deadline on this context: cancelling it
	// would kill the browser (the allocator bounds the start itself).
	if p.err = chromedp.Run(bctx); p.err != nil {
		p.cancel()
		return
	}
	p.ctx = bctx
}

// newTab opens a window in a new incognito browser context and returns its
// chromedp context and a func that closes it and disposes of the browser context.
// (chromedp.WithNewBrowserContext cannot be used: it opens the target without a
// window, which Chromium's new headless mode refuses with "no browser is open".)
func (p *chromiumProcess) newTab(t *testing.T) (context.Context, func()) {
	t.Helper()
	bctx := p.browserContext(t)
	ctx, cancel := context.WithTimeout(bctx, stepTimeout)
	defer cancel()
	browserExec := cdp.WithExecutor(ctx, chromedp.FromContext(bctx).Browser)
	id, err := target.CreateBrowserContext().WithDisposeOnDetach(true).Do(browserExec)
	require.NoError(t, err, "create a browser context")
	tid, err := target.CreateTarget("about:blank").WithBrowserContextID(id).WithNewWindow(true).Do(browserExec)
	require.NoError(t, err, "open a window")
	tab, cancelTab := chromedp.NewContext(bctx, chromedp.WithTargetID(tid))
	return tab, func() {
		cancelTab()
		ctx, cancel := context.WithTimeout(bctx, stepTimeout)
		defer cancel()
		browserExec := cdp.WithExecutor(ctx, chromedp.FromContext(bctx).Browser)
		_ = target.CloseTarget(tid).Do(browserExec) // may be closed already
		if err := target.DisposeBrowserContext(id).Do(browserExec); err != nil {
			t.Logf("dispose of the browser context: %v", err)
		}
	}
}

func (p *chromiumProcess) stop() {
	if p.cancel == nil {
		return
	}
	if p.ctx != nil {
		ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
		_ = chromedp.Cancel(ctx) // closes the browser gracefully, waits for it
		cancel()
	}
	p.cancel()
	// Chromium's helper processes may write to the profile for a moment after exit.
	for i := 0; i < 20 && os.RemoveAll(p.profile) != nil; i++ {
		time.Sleep(100 * time.Millisecond)
	}
}

// browser is one test's incognito tab in the shared Chromium, with every console
// error, uncaught exception and CSP violation the pages produce collected in Problems.
type browser struct {
	ctx      context.Context // the tab, bounded by browserTimeout
	mu       sync.Mutex
	problems []string
	markers  map[string]bool // console.debug markers seen (see flush)
	seq      int
}

// newBrowser opens a tab in a new incognito browser context of the shared
// Chromium (no cookies, storage or cache shared with other tests). When the test
// fails, the page's HTML, a screenshot, its URL and the problems seen are saved to
// the test's artifact directory (failure.*).
func newBrowser(t *testing.T) *browser {
	t.Helper()
	tab, closeTab := sharedChromium.newTab(t)
	ctx, cancelTimeout := context.WithTimeout(tab, browserTimeout)
	t.Cleanup(func() {
		cancelTimeout()
		closeTab()
	})
	b := &browser{ctx: ctx, markers: map[string]bool{}}
	for _, f := range []string{"failure.html", "failure.png", "failure.txt"} {
		_ = os.Remove(filepath.Join(artifactDir(t), f)) // from an earlier failed run
	}
	chromedp.ListenTarget(ctx, b.listen)
	require.NoError(t, chromedp.Run(ctx, log.Enable(), runtime.Enable()), "open a tab")
	// BROWSER_CPU_THROTTLE=N slows the page's JavaScript N times, as on a starved CI
	// machine: timing assumptions (clicking before htmx has bound) then fail locally too.
	if rate, _ := strconv.ParseFloat(os.Getenv("BROWSER_CPU_THROTTLE"), 64); rate > 1 {
		require.NoError(t, chromedp.Run(ctx, emulation.SetCPUThrottlingRate(rate)), "throttle the CPU")
	}
	// Registered after the cancel above, so it runs first: the tab is still open.
	t.Cleanup(func() {
		if t.Failed() {
			b.saveFailure(t, tab)
		}
	})
	return b
}

func (b *browser) listen(ev any) {
	switch e := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if e.Type == runtime.APITypeDebug && len(e.Args) == 1 {
			b.mu.Lock()
			b.markers[strings.Trim(string(e.Args[0].Value), `"`)] = true
			b.mu.Unlock()
		}
		if e.Type == runtime.APITypeError || e.Type == runtime.APITypeWarning {
			var parts []string
			for _, a := range e.Args {
				parts = append(parts, string(a.Value)+a.Description)
			}
			b.add(fmt.Sprintf("console.%s: %s", e.Type, strings.Join(parts, " ")))
		}
	case *runtime.EventExceptionThrown:
		b.add("exception: " + e.ExceptionDetails.Text + " " + exceptionDescription(e.ExceptionDetails))
	case *log.EventEntryAdded:
		if e.Entry.Level == log.LevelError || e.Entry.Level == log.LevelWarning {
			b.add(fmt.Sprintf("log %s (%s): %s %s", e.Entry.Level, e.Entry.Source, e.Entry.Text, e.Entry.URL))
		}
	}
}

func exceptionDescription(d *runtime.ExceptionDetails) string {
	if d.Exception != nil {
		return d.Exception.Description
	}
	return ""
}

func (b *browser) add(p string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.problems = append(b.problems, p)
}

// Problems returns what the page complained about so far; call flush first so
// that everything the page did until now has been reported.
func (b *browser) Problems() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.problems...)
}

// ProblemsExcept is Problems without the 4xx answers a test provoked on purpose:
// Chromium logs every 4xx as "the server responded with a status of N" and the URL.
func (b *browser) ProblemsExcept(status int, urlPart string) []string {
	var out []string
	for _, p := range b.Problems() {
		if strings.Contains(p, fmt.Sprintf("status of %d", status)) && strings.Contains(p, urlPart) {
			continue
		}
		out = append(out, p)
	}
	return out
}

// run runs one step of a walkthrough with its own deadline and fails the test,
// naming the step, when an action fails or times out.
func (b *browser) run(t *testing.T, step string, actions ...chromedp.Action) {
	t.Helper()
	b.runFor(t, stepTimeout, step, actions...)
}

// runFor is run with a longer deadline, for steps that wait on a server-side task.
func (b *browser) runFor(t *testing.T, timeout time.Duration, step string, actions ...chromedp.Action) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, timeout)
	defer cancel()
	require.NoError(t, chromedp.Run(ctx, actions...), "step %q", step)
}

// flush waits until the page is settled and every console message, exception and
// CSP report it produced so far has reached Problems: it logs a marker and waits
// for it (the page's messages arrive in order). This replaces a "let late errors
// arrive" sleep.
func (b *browser) flush(t *testing.T) {
	t.Helper()
	b.mu.Lock()
	b.seq++
	marker := fmt.Sprintf("sourcedesk-test-flush-%d", b.seq)
	b.mu.Unlock()
	b.run(t, "flush the page's messages", waitJS(quietJS),
		chromedp.Evaluate(fmt.Sprintf("console.debug(%q)", marker), nil),
		waitFor("the flush marker", func() bool {
			b.mu.Lock()
			defer b.mu.Unlock()
			return b.markers[marker]
		}),
	)
}

// screenshot saves a full-page PNG into the test's artifact directory.
func (b *browser) screenshot(t *testing.T, name string) {
	t.Helper()
	var png []byte
	b.run(t, "screenshot "+name, chromedp.FullScreenshot(&png, 100))
	require.NoError(t, os.WriteFile(filepath.Join(artifactDir(t), name+".png"), png, 0o644))
}

// saveFailure keeps what the page showed when the test failed: failure.html (the
// live DOM, after htmx swaps), failure.png and failure.txt (URL and problems).
func (b *browser) saveFailure(t *testing.T, tab context.Context) {
	ctx, cancel := context.WithTimeout(tab, 15*time.Second)
	defer cancel()
	var (
		loc, html string
		png       []byte
	)
	dir := artifactDir(t)
	err := chromedp.Run(ctx,
		chromedp.Location(&loc),
		chromedp.Evaluate(`document.documentElement.outerHTML`, &html),
		chromedp.FullScreenshot(&png, 90),
	)
	if html != "" {
		_ = os.WriteFile(filepath.Join(dir, "failure.html"), []byte(html), 0o644)
	}
	if len(png) > 0 {
		_ = os.WriteFile(filepath.Join(dir, "failure.png"), png, 0o644)
	}
	report := fmt.Sprintf("url: %s\ncapture error: %v\nproblems:\n  %s\n", loc, err, strings.Join(b.Problems(), "\n  "))
	_ = os.WriteFile(filepath.Join(dir, "failure.txt"), []byte(report), 0o644)
	t.Logf("failure artifacts in %s (page %s, capture error %v)", dir, loc, err)
}

// settledJS is true once the page has loaded, htmx has processed it, and no htmx
// request, swap or settle is under way. Content htmx swaps in carries htmx-added
// until settle, when htmx binds its hx-* attributes: before that, a click on a new
// hx-post button does nothing and a submit of a new hx-post form is a plain GET.
const settledJS = `document.readyState === "complete" && typeof htmx !== "undefined" &&
	!document.querySelector(".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added")`

// quietJS is settledJS for any page, with or without htmx (the tenant's login page).
const quietJS = `document.readyState === "complete" &&
	!document.querySelector(".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added")`

// settled waits until the page is settled (settledJS).
func settled() chromedp.Action { return waitJS(settledJS) }

// waitJS waits until the JavaScript expression is true. Unlike chromedp.Poll it
// survives navigations: an evaluation in a page being replaced is simply retried.
func waitJS(expr string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		var lastErr error
		for {
			var ok bool
			err := chromedp.Evaluate(expr, &ok).Do(ctx)
			if err == nil && ok {
				return nil
			}
			if err != nil {
				lastErr = err
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("waiting for %s: %w (last evaluation error: %v)", expr, ctx.Err(), lastErr)
			case <-time.After(pollInterval):
			}
		}
	})
}

// waitFor waits until cond (checked in the test, not the page) is true.
func waitFor(what string, cond func() bool) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		for !cond() {
			select {
			case <-ctx.Done():
				return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
			case <-time.After(pollInterval):
			}
		}
		return nil
	})
}

// click clicks sel like a user once the page is settled, so that htmx has bound
// the element (see settledJS).
func click(sel string) chromedp.Action {
	return chromedp.Tasks{
		settled(),
		chromedp.WaitVisible(sel, chromedp.ByQuery),
		chromedp.Click(sel, chromedp.ByQuery),
	}
}

// visible waits until sel is visible and the page is settled: what a test reads
// or clicks next is then the final result of the swap, bound by htmx.
func visible(sel string) chromedp.Action {
	return chromedp.Tasks{chromedp.WaitVisible(sel, chromedp.ByQuery), settled()}
}

// signIn signs in on the sandbox tenant's login page, starting from /login?next=,
// and waits for landing (a selector of the page next leads to).
func signIn(consoleURL, user, next, landing string) chromedp.Action {
	return chromedp.Tasks{
		chromedp.Navigate(consoleURL + "/login?next=" + next),
		chromedp.WaitVisible(`#username`, chromedp.ByQuery),
		chromedp.SendKeys(`#username`, user, chromedp.ByQuery),
		chromedp.SendKeys(`#password`, user, chromedp.ByQuery), // the sandbox's demo passwords are the user names
		chromedp.Click(`button[value="login"]`, chromedp.ByQuery),
		visible(landing),
	}
}

// clickTab opens a source tab as a user would: through "More" when the tab is one
// of the less used ones listed there.
func clickTab(slug string) chromedp.Action {
	sel := `[data-testid="tab-` + slug + `"]`
	return chromedp.Tasks{
		settled(),
		chromedp.ActionFunc(func(ctx context.Context) error {
			var hidden bool
			if err := chromedp.Evaluate(`!!document.querySelector('`+sel+`').closest("details:not([open])")`, &hidden).Do(ctx); err != nil {
				return err
			}
			if !hidden {
				return nil
			}
			return chromedp.Click(`[data-testid="tabs-more"] > summary`, chromedp.ByQuery).Do(ctx)
		}),
		click(sel),
	}
}

// awaitPromise makes chromedp.Evaluate wait for the promise the expression returns.
func awaitPromise(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }
