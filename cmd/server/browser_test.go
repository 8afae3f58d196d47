package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// browser is a headless Chromium for one test, with every console error, uncaught
// exception and CSP violation the page produces collected in Problems.
type browser struct {
	ctx      context.Context
	mu       sync.Mutex
	problems []string
}

// newBrowser starts Debian's Chromium (skipping when it is absent, except in CI,
// where its absence is a failure).
func newBrowser(t *testing.T) *browser {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium is not installed; .ci/run installs it")
		}
		t.Skip("chromium is not installed (apt-get install chromium); skipping the browser test")
	}
	// Not t.TempDir: Chromium's helper processes may still write to the profile for a
	// moment after the browser is cancelled, which fails TempDir's strict cleanup.
	profile, err := os.MkdirTemp("", "sourcedesk-chromium-")
	require.NoError(t, err)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(profile),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() {
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
		for i := 0; i < 20 && os.RemoveAll(profile) != nil; i++ {
			time.Sleep(100 * time.Millisecond)
		}
	})
	b := &browser{ctx: ctx}
	chromedp.ListenTarget(ctx, func(ev any) {
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
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
	})
	require.NoError(t, chromedp.Run(ctx, log.Enable(), runtime.Enable()), "start chromium")
	return b
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

// Problems returns what the page complained about so far.
func (b *browser) Problems() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.problems...)
}

// screenshot saves a full-page PNG into the test's artifact directory.
func (b *browser) screenshot(t *testing.T, name string) {
	t.Helper()
	var png []byte
	require.NoError(t, chromedp.Run(b.ctx, chromedp.FullScreenshot(&png, 100)))
	require.NoError(t, os.WriteFile(filepath.Join(artifactDir(t), name+".png"), png, 0o644))
}

func TestBrowserHomePageDemoMode(t *testing.T) {
	app := startApp(t, nil)
	b := newBrowser(t)
	var (
		title, hint, htmxVersion, version string
		indicatorStyles                   bool
	)
	require.NoError(t, chromedp.Run(b.ctx,
		chromedp.Navigate(app.ConsoleURL+"/"),
		chromedp.WaitVisible(`[data-testid="home"]`, chromedp.ByQuery),
		chromedp.Title(&title),
		chromedp.Text(`[data-testid="demo-hint"]`, &hint, chromedp.ByQuery),
		chromedp.Text(`[data-testid="version"]`, &version, chromedp.ByQuery),
		chromedp.Poll(`typeof htmx !== "undefined" && htmx.version`, &htmxVersion, chromedp.WithPollingTimeout(10*time.Second)),
		chromedp.Evaluate(`htmx.config.allowEval === false && htmx.config.historyCacheSize === 0 && htmx.config.includeIndicatorStyles === false`, &indicatorStyles),
	))
	b.screenshot(t, "home")
	require.Equal(t, "Home · Sourcedesk", title)
	require.Contains(t, hint, "admin")
	require.True(t, strings.HasPrefix(htmxVersion, "2.0."), "htmx 2.0.x loaded, got %q", htmxVersion)
	require.True(t, indicatorStyles, "htmx configured from the meta tag (no eval, no history cache, no inline styles)")
	require.Contains(t, version, "Sourcedesk")
	// Let late errors (favicon, CSP reports) arrive before judging.
	time.Sleep(300 * time.Millisecond)
	require.Empty(t, b.Problems(), "the page logged errors or CSP violations")
}
