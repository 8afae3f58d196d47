package main

import (
	"context"
	"fmt"
	"net/url"
	"path"
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
	mu       sync.Mutex
	events   []string
	barriers map[string]bool
	seq      int
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
	w := &hostileWatch{barriers: map[string]bool{}}
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
			switch {
			case u.Path == "/healthz" && u.Query().Has("barrier"):
				w.mu.Lock()
				w.barriers[u.Query().Get("barrier")] = true
				w.mu.Unlock()
			case path.Base(u.Path) == "x" || (u.Path == "/logout" && e.Request.Method == "GET"):
				w.add("request: " + e.Request.Method + " " + u.Path)
			}
		}
	})
	return w
}

// barrier waits until the page is settled and every request it sent so far has
// been seen: it sends one more and waits for it (requests are reported in order).
func (w *hostileWatch) barrier() chromedp.Action {
	w.mu.Lock()
	w.seq++
	id := fmt.Sprint(w.seq)
	w.mu.Unlock()
	return chromedp.Tasks{
		settled(),
		chromedp.Evaluate(`fetch("/healthz?barrier=`+id+`"), true`, nil),
		waitFor("the barrier request", func() bool {
			w.mu.Lock()
			defer w.mu.Unlock()
			return w.barriers[id]
		}),
	}
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
	t.Parallel()
	app := startApp(t, nil)
	b := newBrowser(t)
	require.NoError(t, chromedp.Run(b.ctx, network.Enable(), page.Enable()))
	hostile := watchHostile(b.ctx, app.ConsoleURL)
	var (
		loc, text string
		names     []string
	)
	rowNames := chromedp.Evaluate(`[...document.querySelectorAll('[data-testid="source-row"] [data-testid="source-link"]')].map(a => a.textContent)`, &names)
	// urlHas waits until htmx has pushed the URL of a finished swap that holds s.
	urlHas := func(s string) chromedp.Action {
		return chromedp.Tasks{waitJS(fmt.Sprintf(`location.search.includes(%q)`, s)), settled()}
	}

	b.run(t, "sign in", signIn(app.ConsoleURL, "admin", "/sources", `[data-testid="sources-table"]`))
	b.screenshot(t, "01-sources-list")

	b.run(t, "search as you type, filter, sort",
		chromedp.SendKeys(`#sources-q`, "corporate", chromedp.ByQuery),
		urlHas("q=corporate"),
		chromedp.SetValue(`[data-testid="filter-status"]`, "healthy", chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelector('[data-testid="filter-status"]').dispatchEvent(new Event("change", {bubbles: true}))`, nil),
		urlHas("status=healthy"),
		click(`[data-testid="sort-modified"]`),
		urlHas("sort=modified"),
		chromedp.Location(&loc),
		rowNames,
	)
	b.screenshot(t, "02-sources-filtered-sorted")
	assert.ElementsMatch(t, []string{"Corporate AD (Americas)", "Corporate AD (APAC)"}, names, "healthy Corporate AD sources only")
	assert.Contains(t, loc, "q=corporate")
	assert.Contains(t, loc, "status=healthy", "the filter is kept when sorting")
	filtered := names

	b.run(t, "reload keeps the state",
		chromedp.Reload(),
		visible(`[data-testid="sources-table"]`),
		rowNames,
	)
	assert.Equal(t, filtered, names, "a reload shows the same filtered, sorted page")

	b.run(t, "open a source",
		chromedp.Navigate(app.ConsoleURL+"/sources?q=HR+Contractors"),
		visible(`[data-testid="source-link"]`),
		click(`[data-testid="source-link"]`),
		visible(`[data-testid="source-overview"]`),
		chromedp.Text(`[data-testid="source-name"]`, &text, chromedp.ByQuery),
	)
	assert.Equal(t, "HR Contractors CSV", text)
	b.screenshot(t, "03-source-overview")

	const newDescription = "Edited in the browser walkthrough"
	var patch string
	b.run(t, "edit the description: review, then apply",
		click(`[data-testid="tab-configuration"]`),
		visible(`[data-testid="config-form"]`),
		chromedp.Location(&loc),
		chromedp.SetValue(`#config-form-description`, newDescription, chromedp.ByQuery),
		click(`[data-testid="review-patch"]`),
		visible(`[data-testid="patch-json"]`),
		chromedp.Text(`[data-testid="patch-json"]`, &patch, chromedp.ByQuery),
	)
	assert.True(t, strings.HasSuffix(loc, "/configuration"), "the tab has its own URL: %s", loc)
	assert.Contains(t, patch, `"/description"`)
	assert.Contains(t, patch, newDescription)
	b.screenshot(t, "04-configuration-review")
	b.run(t, "apply and see the new value",
		click(`[data-testid="apply-patch"]`),
		visible(`[data-testid="saved"]`),
		click(`[data-testid="tab-overview"]`),
		visible(`[data-testid="source-overview"]`),
		chromedp.Text(`[data-testid="source-description"]`, &text, chromedp.ByQuery),
	)
	assert.Equal(t, newDescription, text)
	b.screenshot(t, "05-overview-after-edit")

	var ok string
	b.run(t, "test connection",
		click(`[data-testid="tab-tools"]`),
		click(`[data-testid="tool-test-connection"]`),
		visible(`[data-testid="tool-result"]`),
		chromedp.AttributeValue(`[data-testid="tool-result"]`, "data-ok", &ok, nil, chromedp.ByQuery),
	)
	assert.Equal(t, "Yes", ok)
	b.screenshot(t, "06-test-connection")

	const created = "Browser walkthrough CSV"
	b.run(t, "create a delimited-file source",
		chromedp.Navigate(app.ConsoleURL+"/sources/new"),
		visible(`[data-testid="create-form"]`),
		chromedp.SendKeys(`#create-form-name`, created, chromedp.ByQuery),
		chromedp.SetValue(`#create-form-connector`, "delimited-file", chromedp.ByQuery),
		chromedp.SendKeys(`#create-form-owner`, "Ada Admin (ada.admin)", chromedp.ByQuery),
		click(`[data-testid="create-submit"]`),
		visible(`[data-testid="source-overview"]`),
		chromedp.Text(`[data-testid="source-name"]`, &text, chromedp.ByQuery),
		chromedp.Text(`[data-testid="source-type"]`, &loc, chromedp.ByQuery),
	)
	assert.Equal(t, created, text)
	assert.Equal(t, "DelimitedFile", loc)
	b.screenshot(t, "07-created")

	b.run(t, "a wrong name does not delete",
		clickTab("danger"),
		visible(`[data-testid="delete-form"]`),
		chromedp.SendKeys(`#delete-form-confirm_name`, "not the name", chromedp.ByQuery),
		click(`[data-testid="delete-submit"]`),
		visible(`[data-testid="error-confirm_name"]`),
	)
	b.screenshot(t, "08-delete-name-mismatch")
	b.runFor(t, time.Minute, "delete and follow the task",
		chromedp.SetValue(`#delete-form-confirm_name`, created, chromedp.ByQuery),
		click(`[data-testid="delete-submit"]`),
		chromedp.WaitVisible(`[data-testid="task-panel"]`, chromedp.ByQuery),
		chromedp.Location(&loc),
		chromedp.WaitVisible(`[data-testid="task-state"][data-state="success"]`, chromedp.ByQuery),
	)
	assert.Contains(t, loc, "/tasks/")
	b.screenshot(t, "09-delete-task-done")

	var fitsList, fitsDetail bool
	// Our part of the page (the layout's header is the lead's) must not overflow.
	fits := `(() => { const el = document.querySelector("main > section"); const r = el.getBoundingClientRect();
		return r.right <= window.innerWidth && el.scrollWidth <= el.clientWidth; })()`
	b.run(t, "half a laptop screen",
		chromedp.EmulateViewport(640, 900),
		chromedp.Navigate(app.ConsoleURL+"/sources"),
		visible(`[data-testid="sources-table"]`),
		chromedp.Evaluate(fits, &fitsList),
		chromedp.ActionFunc(func(context.Context) error { b.screenshot(t, "11-narrow-list"); return nil }),
		chromedp.Navigate(app.ConsoleURL+"/sources/"+sandbox.SeedDelimitedSourceID+"/configuration"),
		visible(`[data-testid="config-form"]`),
		chromedp.Evaluate(fits, &fitsDetail),
		chromedp.ActionFunc(func(context.Context) error { b.screenshot(t, "12-narrow-configuration"); return nil }),
		chromedp.EmulateViewport(1280, 900),
	)
	assert.True(t, fitsList, "the list fits 640 px (the table scrolls in its own box)")
	assert.True(t, fitsDetail, "the source page fits 640 px")

	b.run(t, "hostile names stay text",
		chromedp.Navigate(app.ConsoleURL+"/sources?q=%3C"),
		visible(`[data-testid="sources-table"]`),
		rowNames,
		hostile.barrier(),
		chromedp.Navigate(app.ConsoleURL+"/sources/"+sandbox.SeedXSSSourceID),
		visible(`[data-testid="source-overview"]`),
		chromedp.Text(`[data-testid="source-name"]`, &text, chromedp.ByQuery),
		click(`[data-testid="tab-configuration"]`),
		visible(`[data-testid="config-form"]`),
		hostile.barrier(),
		chromedp.Navigate(app.ConsoleURL+"/sources/"+sandbox.SeedHTMXSourceID),
		visible(`[data-testid="source-overview"]`),
		// htmx has processed the page (and would have sent the load request of a
		// live hx-get); the barrier makes sure every request sent is reported.
		hostile.barrier(),
	)
	assert.Contains(t, names, sandbox.SeedXSSSourceName)
	assert.Contains(t, names, sandbox.SeedHTMXSourceName)
	assert.Equal(t, sandbox.SeedXSSSourceName, text)
	b.screenshot(t, "10-hostile-names")
	b.flush(t)
	assert.Empty(t, hostile.list(), "a hostile source name made the browser act")
	// The 422 of the mismatched name is the expected answer.
	assert.Empty(t, b.ProblemsExcept(422, ""), "the pages logged errors or CSP violations")
}
