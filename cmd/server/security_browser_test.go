package main

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"sourcedesk/internal/sandbox"
)

// violationRecorder runs in every document before the page's own scripts and keeps
// each CSP violation the page reports, so a test can read them per page.
const violationRecorder = `window.__sdViolations = [];
document.addEventListener("securitypolicyviolation", e =>
  window.__sdViolations.push(e.violatedDirective + " " + (e.blockedURI || "") + " " + (e.sourceFile || "") + ":" + e.lineNumber));`

// pageCheck is what the test reads from the page after it settled.
type pageCheck struct {
	Violations []string `json:"violations"`
	AllowEval  bool     `json:"allowEval"`
	HTMX       bool     `json:"htmx"`
	Hostile    int      `json:"hostile"` // elements a hostile name would have created
}

const readPageCheck = `({
  violations: window.__sdViolations || [],
  allowEval: typeof htmx !== "undefined" && htmx.config.allowEval !== false,
  htmx: typeof htmx !== "undefined",
  hostile: document.querySelectorAll('img[src="x"], [onerror], [hx-get="/logout"]').length,
})`

// settled() waits until htmx has finished every request and swap.
// TestBrowserHostileNamesInertAndNoCSPViolations checks that hostile source names stay
// text and that the content security policy holds, in a real browser (Chromium, htmx with allowEval:false): every main page
// and every source tab, loaded both as a full page and as the htmx partial a tab
// click swaps in, for the two hostile sources. No page reports a CSP violation, no
// hostile name opens a dialog or sends a request (the <img src=x> fetch, the
// hx-get="/logout" load) or becomes an element. A positive control at the end shows
// the recorder does see a violation and the watch does see a request.
func TestBrowserHostileNamesInertAndNoCSPViolations(t *testing.T) {
	if testing.Short() {
		t.Skip("browser security walk skipped in -short mode")
	}
	t.Parallel() // its own app and incognito browser context
	app := startApp(t, nil)
	b := newBrowser(t)
	require.NoError(t, chromedp.Run(b.ctx, network.Enable(), page.Enable(),
		chromedp.ActionFunc(func(ctx context.Context) error {
			_, err := page.AddScriptToEvaluateOnNewDocument(violationRecorder).Do(ctx)
			return err
		})))
	hostile := watchHostile(b.ctx, app.ConsoleURL)
	// watchHostile knows /x; a relative src=x on /sources/<id>/tab resolves deeper.
	chromedp.ListenTarget(b.ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok && strings.HasPrefix(e.Request.URL, app.ConsoleURL) {
			if u, err := url.Parse(e.Request.URL); err == nil && u.Path != "/x" && strings.HasSuffix(u.Path, "/x") {
				hostile.add("request: " + e.Request.Method + " " + u.Path)
			}
		}
	})
	run := func(step string, actions ...chromedp.Action) {
		t.Helper()
		ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
		defer cancel()
		err := chromedp.Run(ctx, actions...)
		if err != nil {
			b.screenshot(t, "failed-"+strings.NewReplacer("/", "_", " ", "-", "?", "_").Replace(step))
		}
		require.NoError(t, err, step)
	}
	checked := 0
	check := func(what string) {
		t.Helper()
		var pc pageCheck
		// The barrier is a request round trip after the page settled: every request and
		// violation event the page queued before it has been seen by then.
		run(what, hostile.barrier(), chromedp.Evaluate(readPageCheck, &pc))
		assert.True(t, pc.HTMX, "%s: htmx loaded", what)
		assert.False(t, pc.AllowEval, "%s: htmx.config.allowEval is not false", what)
		assert.Empty(t, pc.Violations, "%s: CSP violations", what)
		assert.Zero(t, pc.Hostile, "%s: a hostile name became an element", what)
		checked++
	}

	run("sign in",
		chromedp.Navigate(app.ConsoleURL+"/login?next=/sources"),
		chromedp.WaitVisible(`#username`, chromedp.ByQuery),
		chromedp.SendKeys(`#username`, "admin", chromedp.ByQuery),
		chromedp.SendKeys(`#password`, "admin", chromedp.ByQuery),
		chromedp.Click(`button[value="login"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="sources-table"]`, chromedp.ByQuery),
	)

	// The main pages, full loads (the home page's tiles and the list load partials).
	for _, p := range []string{"/", "/sources", "/sources?q=%3C", "/sources/new", "/cron", "/activity",
		"/sources/" + sandbox.SeedDelimitedSourceID} {
		run("open "+p, chromedp.Navigate(app.ConsoleURL+p))
		check("page " + p)
	}
	var names []string
	run("list names", chromedp.Navigate(app.ConsoleURL+"/sources?q=%3C"), settled(),
		chromedp.Evaluate(`[...document.querySelectorAll('[data-testid="source-link"]')].map(a => a.textContent)`, &names))
	assert.Contains(t, names, sandbox.SeedXSSSourceName, "the hostile names are listed, as text")
	assert.Contains(t, names, sandbox.SeedHTMXSourceName)

	for _, id := range []string{sandbox.SeedXSSSourceID, sandbox.SeedHTMXSourceID} {
		base := "/sources/" + id
		var tabs []string
		var shown string
		run("open "+base, chromedp.Navigate(app.ConsoleURL+base), settled(),
			chromedp.Text(`[data-testid="source-name"]`, &shown, chromedp.ByQuery),
			chromedp.Evaluate(`[...document.querySelectorAll('[data-testid="source-tabs"] a[data-testid^="tab-"]')].map(a => a.dataset.testid)`, &tabs))
		check("page " + base)
		require.GreaterOrEqual(t, len(tabs), 10, "the source tabs")
		assert.Contains(t, []string{sandbox.SeedXSSSourceName, sandbox.SeedHTMXSourceName}, shown, "the name shows as text")
		for _, tab := range tabs {
			// The partial: a tab click, which htmx turns into a swap of the tab panel.
			run("click "+tab, settled(),
				chromedp.Evaluate(`document.querySelector('[data-testid="`+tab+`"]').click()`, nil),
				settled(),
				waitJS(`document.querySelector('[data-testid="`+tab+`"][aria-current="page"]') !== null`))
			check(base + " partial " + tab)
		}
		if id == sandbox.SeedXSSSourceID {
			// The same tabs as full pages, once.
			var hrefs []string
			run("tab links", chromedp.Evaluate(`[...document.querySelectorAll('[data-testid="source-tabs"] a[data-testid^="tab-"]')].map(a => a.getAttribute("href"))`, &hrefs))
			for _, h := range hrefs {
				run("open "+h, chromedp.Navigate(app.ConsoleURL+h))
				check("page " + h)
			}
		}
	}
	assert.Greater(t, checked, 40, "pages and partials checked")
	run("late requests (an <img> fetch) still count", hostile.barrier())
	b.flush(t)
	assert.Empty(t, hostile.list(), "a hostile source name made the browser act")
	assert.Empty(t, b.Problems(), "console errors or CSP reports")

	// Positive control: the recorder sees a violation and the watch sees a request.
	var pc pageCheck
	run("control",
		chromedp.Evaluate(`document.body.insertAdjacentHTML("beforeend", '<img src="https://evil.example/p.png"><img src="x">')`, nil),
		hostile.barrier(),
		waitJS(`window.__sdViolations.length > 0`),
		chromedp.Evaluate(readPageCheck, &pc))
	assert.NotEmpty(t, pc.Violations, "the recorder reports an img-src violation")
	assert.Positive(t, pc.Hostile, "the element check sees an injected element")
	assert.NotEmpty(t, hostile.list(), "the watch sees the <img src=x> request")
}
