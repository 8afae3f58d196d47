package main

import (
	"context"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"sourcedesk/internal/sandbox"
)

// hostileWatch records what a hostile source name could make the browser do: open a
// dialog (alert) or send a request it should not (the <img src=x> fetch, the
// <div hx-get="/logout"> load).
type hostileWatch struct {
	mu     sync.Mutex
	events []string
}

func (w *hostileWatch) add(s string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.events = append(w.events, s)
}

func (w *hostileWatch) list() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.events...)
}

func watchHostile(ctx context.Context, consoleURL string) *hostileWatch {
	w := &hostileWatch{}
	chromedp.ListenTarget(ctx, func(ev any) {
		switch e := ev.(type) {
		case *page.EventJavascriptDialogOpening:
			w.add("dialog: " + e.Message)
			go func() { _ = chromedp.Run(ctx, page.HandleJavaScriptDialog(false)) }()
		case *network.EventRequestWillBeSent:
			u, err := url.Parse(e.Request.URL)
			if err != nil || !strings.HasPrefix(e.Request.URL, consoleURL) {
				return
			}
			if u.Path == "/x" || (u.Path == "/logout" && e.Request.Method == "GET") {
				w.add("request: " + e.Request.Method + " " + u.Path)
			}
		}
	})
	return w
}

// TestBrowserSourcesWalkthrough walks the sources pages as an admin would, in a real
// browser against the demo tenant: sign in, filter and sort the list (the URL keeps
// the state across a reload), open a source, edit its description through the
// reviewed JSON Patch, test the connection, create a delimited-file source and
// delete it again (typing its name, then following the task). Hostile source names
// must stay text: no dialog, no request.
func TestBrowserSourcesWalkthrough(t *testing.T) {
	if testing.Short() {
		t.Skip("browser walkthrough skipped in -short mode")
	}
	app := startApp(t, nil)
	b := newBrowser(t)
	require.NoError(t, chromedp.Run(b.ctx, network.Enable(), page.Enable()))
	hostile := watchHostile(b.ctx, app.ConsoleURL)
	run := func(step string, actions ...chromedp.Action) {
		t.Helper()
		ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
		defer cancel()
		err := chromedp.Run(ctx, actions...)
		if err != nil {
			b.screenshot(t, "failed-"+strings.ReplaceAll(step, " ", "-"))
		}
		require.NoError(t, err, step)
	}
	var (
		loc, text string
		names     []string
	)
	// click waits until htmx has finished any swap (new links are live only once htmx
	// has processed them; a click before that would be a plain navigation), then clicks.
	click := func(sel string) chromedp.Action {
		return chromedp.Tasks{
			chromedp.Poll(`!document.querySelector(".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added")`, nil,
				chromedp.WithPollingTimeout(10*time.Second)),
			chromedp.Sleep(50 * time.Millisecond),
			chromedp.Click(sel, chromedp.ByQuery),
		}
	}
	rowNames := chromedp.Evaluate(`[...document.querySelectorAll('[data-testid="source-row"] [data-testid="source-link"]')].map(a => a.textContent)`, &names)

	run("sign in",
		chromedp.Navigate(app.ConsoleURL+"/login?next=/sources"),
		chromedp.WaitVisible(`#username`, chromedp.ByQuery),
		chromedp.SendKeys(`#username`, "admin", chromedp.ByQuery),
		chromedp.SendKeys(`#password`, "admin", chromedp.ByQuery),
		chromedp.Click(`button[value="login"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="sources-table"]`, chromedp.ByQuery),
		// Load the list once more, so no navigation of the sign-in bounce is still
		// under way when the test starts typing.
		chromedp.Navigate(app.ConsoleURL+"/sources"),
		chromedp.WaitVisible(`[data-testid="sources-table"]`, chromedp.ByQuery),
	)
	b.screenshot(t, "01-sources-list")

	ready := chromedp.Poll(`document.readyState === "complete" && typeof htmx !== "undefined"`, nil, chromedp.WithPollingTimeout(10*time.Second))
	run("search as you type, filter, sort",
		ready,
		chromedp.SendKeys(`#sources-q`, "corporate", chromedp.ByQuery),
		chromedp.Poll(`location.search.includes("q=corporate")`, nil, chromedp.WithPollingTimeout(5*time.Second)),
		chromedp.SetValue(`[data-testid="filter-status"]`, "healthy", chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelector('[data-testid="filter-status"]').dispatchEvent(new Event("change", {bubbles: true}))`, nil),
		chromedp.Poll(`location.search.includes("status=healthy")`, nil, chromedp.WithPollingTimeout(5*time.Second)),
		click(`[data-testid="sort-modified"]`),
		chromedp.Poll(`location.search.includes("sort=modified")`, nil, chromedp.WithPollingTimeout(5*time.Second)),
		chromedp.Location(&loc),
		rowNames,
	)
	b.screenshot(t, "02-sources-filtered-sorted")
	assert.ElementsMatch(t, []string{"Corporate AD (Americas)", "Corporate AD (APAC)"}, names, "healthy Corporate AD sources only")
	assert.Contains(t, loc, "q=corporate")
	assert.Contains(t, loc, "status=healthy", "the filter is kept when sorting")
	filtered := names

	run("reload keeps the state",
		chromedp.Reload(),
		chromedp.WaitVisible(`[data-testid="sources-table"]`, chromedp.ByQuery),
		rowNames,
	)
	assert.Equal(t, filtered, names, "a reload shows the same filtered, sorted page")

	run("open a source",
		chromedp.Navigate(app.ConsoleURL+"/sources?q=HR+Contractors"),
		chromedp.WaitVisible(`[data-testid="source-link"]`, chromedp.ByQuery),
		click(`[data-testid="source-link"]`),
		chromedp.WaitVisible(`[data-testid="source-overview"]`, chromedp.ByQuery),
		chromedp.Text(`[data-testid="source-name"]`, &text, chromedp.ByQuery),
	)
	assert.Equal(t, "HR Contractors CSV", text)
	b.screenshot(t, "03-source-overview")

	const newDescription = "Edited in the browser walkthrough"
	var patch string
	run("edit the description: review, then apply",
		click(`[data-testid="tab-configuration"]`),
		chromedp.WaitVisible(`[data-testid="config-form"]`, chromedp.ByQuery),
		chromedp.Location(&loc),
		chromedp.SetValue(`#config-form-description`, newDescription, chromedp.ByQuery),
		click(`[data-testid="review-patch"]`),
		chromedp.WaitVisible(`[data-testid="patch-json"]`, chromedp.ByQuery),
		chromedp.Text(`[data-testid="patch-json"]`, &patch, chromedp.ByQuery),
	)
	assert.True(t, strings.HasSuffix(loc, "/configuration"), "the tab has its own URL: %s", loc)
	assert.Contains(t, patch, `"/description"`)
	assert.Contains(t, patch, newDescription)
	b.screenshot(t, "04-configuration-review")
	run("apply and see the new value",
		click(`[data-testid="apply-patch"]`),
		chromedp.WaitVisible(`[data-testid="saved"]`, chromedp.ByQuery),
		click(`[data-testid="tab-overview"]`),
		chromedp.WaitVisible(`[data-testid="source-overview"]`, chromedp.ByQuery),
		chromedp.Text(`[data-testid="source-description"]`, &text, chromedp.ByQuery),
	)
	assert.Equal(t, newDescription, text)
	b.screenshot(t, "05-overview-after-edit")

	var ok string
	run("test connection",
		click(`[data-testid="tab-tools"]`),
		chromedp.WaitVisible(`[data-testid="tool-test-connection"]`, chromedp.ByQuery),
		click(`[data-testid="tool-test-connection"]`),
		chromedp.WaitVisible(`[data-testid="tool-result"]`, chromedp.ByQuery),
		chromedp.AttributeValue(`[data-testid="tool-result"]`, "data-ok", &ok, nil, chromedp.ByQuery),
	)
	assert.Equal(t, "Yes", ok)
	b.screenshot(t, "06-test-connection")

	const created = "Browser walkthrough CSV"
	run("create a delimited-file source",
		chromedp.Navigate(app.ConsoleURL+"/sources/new"),
		chromedp.WaitVisible(`[data-testid="create-form"]`, chromedp.ByQuery),
		chromedp.SendKeys(`#create-form-name`, created, chromedp.ByQuery),
		chromedp.SendKeys(`#create-form-owner`, "2c9180857a1b4c2d017a1b4c2d0e0001", chromedp.ByQuery),
		click(`[data-testid="create-csv"]`),
		click(`[data-testid="create-submit"]`),
		chromedp.WaitVisible(`[data-testid="source-overview"]`, chromedp.ByQuery),
		chromedp.Text(`[data-testid="source-name"]`, &text, chromedp.ByQuery),
		chromedp.Text(`[data-testid="source-type"]`, &loc, chromedp.ByQuery),
	)
	assert.Equal(t, created, text)
	assert.Equal(t, "DelimitedFile", loc)
	b.screenshot(t, "07-created")

	run("a wrong name does not delete",
		click(`[data-testid="tab-danger"]`),
		chromedp.WaitVisible(`[data-testid="delete-form"]`, chromedp.ByQuery),
		chromedp.SendKeys(`#delete-form-confirm_name`, "not the name", chromedp.ByQuery),
		click(`[data-testid="delete-submit"]`),
		chromedp.WaitVisible(`[data-testid="error-confirm_name"]`, chromedp.ByQuery),
	)
	b.screenshot(t, "08-delete-name-mismatch")
	ctx, cancel := context.WithTimeout(b.ctx, 40*time.Second)
	defer cancel()
	require.NoError(t, chromedp.Run(ctx,
		chromedp.SetValue(`#delete-form-confirm_name`, created, chromedp.ByQuery),
		click(`[data-testid="delete-submit"]`),
		chromedp.WaitVisible(`[data-testid="task-panel"]`, chromedp.ByQuery),
		chromedp.Location(&loc),
		chromedp.WaitVisible(`[data-testid="task-state"][data-state="success"]`, chromedp.ByQuery),
	), "delete and follow the task")
	assert.Contains(t, loc, "/tasks/")
	b.screenshot(t, "09-delete-task-done")

	var fitsList, fitsDetail bool
	// Our part of the page (the layout's header is the lead's) must not overflow.
	fits := `(() => { const el = document.querySelector("main > section"); const r = el.getBoundingClientRect();
		return r.right <= window.innerWidth && el.scrollWidth <= el.clientWidth; })()`
	run("half a laptop screen",
		chromedp.EmulateViewport(640, 900),
		chromedp.Navigate(app.ConsoleURL+"/sources"),
		chromedp.WaitVisible(`[data-testid="sources-table"]`, chromedp.ByQuery),
		chromedp.Evaluate(fits, &fitsList),
		chromedp.ActionFunc(func(context.Context) error { b.screenshot(t, "11-narrow-list"); return nil }),
		chromedp.Navigate(app.ConsoleURL+"/sources/"+sandbox.SeedDelimitedSourceID+"/configuration"),
		chromedp.WaitVisible(`[data-testid="config-form"]`, chromedp.ByQuery),
		chromedp.Evaluate(fits, &fitsDetail),
		chromedp.ActionFunc(func(context.Context) error { b.screenshot(t, "12-narrow-configuration"); return nil }),
		chromedp.EmulateViewport(1280, 900),
	)
	assert.True(t, fitsList, "the list fits 640 px (the table scrolls in its own box)")
	assert.True(t, fitsDetail, "the source page fits 640 px")

	run("hostile names stay text",
		chromedp.Navigate(app.ConsoleURL+"/sources?q=%3C"),
		chromedp.WaitVisible(`[data-testid="sources-table"]`, chromedp.ByQuery),
		rowNames,
		chromedp.Navigate(app.ConsoleURL+"/sources/"+sandbox.SeedXSSSourceID),
		chromedp.WaitVisible(`[data-testid="source-overview"]`, chromedp.ByQuery),
		chromedp.Text(`[data-testid="source-name"]`, &text, chromedp.ByQuery),
		click(`[data-testid="tab-configuration"]`),
		chromedp.WaitVisible(`[data-testid="config-form"]`, chromedp.ByQuery),
		chromedp.Navigate(app.ConsoleURL+"/sources/"+sandbox.SeedHTMXSourceID),
		chromedp.WaitVisible(`[data-testid="source-overview"]`, chromedp.ByQuery),
		chromedp.Sleep(500*time.Millisecond),
	)
	assert.Contains(t, names, sandbox.SeedXSSSourceName)
	assert.Contains(t, names, sandbox.SeedHTMXSourceName)
	assert.Equal(t, sandbox.SeedXSSSourceName, text)
	b.screenshot(t, "10-hostile-names")
	assert.Empty(t, hostile.list(), "a hostile source name made the browser act")
	var problems []string
	for _, p := range b.Problems() {
		// Chromium logs every 4xx; the 422 of the mismatched name is the expected answer.
		if !strings.Contains(p, "status of 422") {
			problems = append(problems, p)
		}
	}
	assert.Empty(t, problems, "the pages logged errors or CSP violations")
}
