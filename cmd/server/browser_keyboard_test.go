package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"sourcedesk/internal/sandbox"
	"sourcedesk/web/templates"
)

// acceptDialogs answers every confirm() (hx-confirm) with OK, as a user who means it.
func acceptDialogs(ctx context.Context) {
	chromedp.ListenTarget(ctx, func(ev any) {
		if _, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			go func() { _ = chromedp.Run(ctx, page.HandleJavaScriptDialog(true)) }()
		}
	})
}

// emulateNetwork holds back the requests whose URL matches a rule by its latency
// (nil: none held back).
func emulateNetwork(rules []*network.Conditions) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		_, err := network.EmulateNetworkConditionsByRule(append([]*network.Conditions{}, rules...)).Do(ctx)
		return err
	})
}

// noticeText reads the notice a change left in the alerts region.
func noticeText(s *string) chromedp.Action {
	return chromedp.Tasks{visible(`#alerts [data-testid="notice"]`), chromedp.Text(`#alerts [data-testid="notice"]`, s, chromedp.ByQuery)}
}

// TestBrowserChangesEndWithANotice: every change says what it did (a source, a
// schema or a policy created, a policy deleted, a bulk action); an error clears the
// success notice it contradicts and a later good answer clears the error; a refused
// upload resets its progress bar; the expected 4xx answers htmx swaps in are not
// logged as errors by htmx.
func TestBrowserChangesEndWithANotice(t *testing.T) {
	if testing.Short() {
		t.Skip("browser walkthrough skipped in -short mode")
	}
	t.Parallel()
	app := startApp(t, nil)
	b := newBrowser(t)
	require.NoError(t, chromedp.Run(b.ctx, page.Enable()))
	acceptDialogs(b.ctx)
	var text, title string
	var has bool

	b.run(t, "sign in", signIn(app.ConsoleURL, "admin", "/sources/new", `[data-testid="create-form"]`))
	// The owner picker asks for suggestions 250 ms after the last keystroke. The
	// user submits at once, and the page the change leads to is slow to come (held
	// back here): the suggestions request leaves after the notice appeared, and the
	// notice, newer than the keystroke, stays.
	slowPage := []*network.Conditions{{URLPattern: app.ConsoleURL + "/t/sandbox/sources/*", Latency: 800, DownloadThroughput: -1, UploadThroughput: -1}}
	b.run(t, "create a source",
		network.Enable(), emulateNetwork(slowPage),
		chromedp.SendKeys(`#create-form-name`, "Notice test CSV", chromedp.ByQuery),
		chromedp.SetValue(`#create-form-connector`, "delimited-file", chromedp.ByQuery),
		chromedp.SendKeys(`#create-form-owner`, "Ada Admin (ada.admin)", chromedp.ByQuery),
		click(`[data-testid="create-submit"]`),
		visible(`[data-testid="source-overview"]`),
		noticeText(&text), chromedp.Title(&title),
		emulateNetwork(nil))
	assert.Equal(t, "Source Notice test CSV created.", text)
	assert.Equal(t, "Notice test CSV · Sourcedesk", title, "the page the change led to brings its title")

	b.run(t, "create a schema",
		clickTab("schemas"), visible(`[data-testid="schema-create"]`),
		click(`[data-testid="schema-create"] summary`),
		chromedp.SendKeys(`#schema-create input[name=name]`, "badge", chromedp.ByQuery),
		chromedp.SendKeys(`#schema-create input[name=nativeObjectType]`, "badge", chromedp.ByQuery),
		chromedp.SendKeys(`#schema-create input[name=identityAttribute]`, "id", chromedp.ByQuery),
		chromedp.SendKeys(`#schema-create input[name=displayAttribute]`, "name", chromedp.ByQuery),
		click(`[data-testid="schema-create-submit"]`),
		visible(`[data-testid="schema-view"]`), noticeText(&text))
	assert.Equal(t, "Schema badge created.", text)

	b.run(t, "create a policy",
		clickTab("provisioning"), visible(`[data-testid="policy-create"]`),
		click(`[data-testid="policy-create"] summary`),
		chromedp.SetValue(`[data-testid="usage-type"]`, "CREATE", chromedp.ByQuery),
		chromedp.SendKeys(`#policy-create input[name=name]`, "Account", chromedp.ByQuery),
		chromedp.SetValue(`[data-testid="policy-fields"]`, "[]", chromedp.ByQuery),
		click(`[data-testid="policy-create-submit"]`),
		visible(`[data-testid="policy-view"]`), noticeText(&text))
	assert.Equal(t, "Provisioning policy CREATE created.", text)
	b.run(t, "delete it",
		click(`details:has([data-testid="policy-delete"]) > summary`),
		click(`[data-testid="policy-delete"]`),
		visible(`[data-testid="policies-tab"]`), noticeText(&text))
	assert.Equal(t, "Provisioning policy CREATE deleted.", text)

	// The bulk action with nothing selected is refused (422, an alert); with a
	// source selected it succeeds and its notice replaces the stale error; a refusal
	// after that clears the notice again.
	b.run(t, "a bulk action with nothing selected",
		chromedp.Navigate(app.ConsoleURL+"/sources?q=HR+Contractors"), visible(`[data-testid="sources-table"]`),
		click(`[data-testid="bulk-test"]`), visible(`#alerts [data-testid="alert"]`),
		chromedp.Text(`#alerts [data-testid="alert"]`, &text, chromedp.ByQuery))
	assert.Contains(t, text, "Select at least one source")
	b.run(t, "select one and test it",
		chromedp.Click(`[data-testid="source-row"] input[type=checkbox]`, chromedp.ByQuery),
		click(`[data-testid="bulk-test"]`), visible(`[data-testid="bulk-outcome"]`), noticeText(&text),
		chromedp.Evaluate(`!!document.querySelector('#alerts [data-testid="alert"]')`, &has))
	assert.Equal(t, "Test connection: 1 of 1 succeeded.", text)
	assert.False(t, has, "the stale error is gone")
	b.run(t, "refused again",
		chromedp.Click(`[data-testid="source-row"] input[type=checkbox]`, chromedp.ByQuery),
		click(`[data-testid="bulk-test"]`), visible(`#alerts [data-testid="alert"]`),
		chromedp.Evaluate(`!!document.querySelector('[data-notice]')`, &has))
	assert.False(t, has, "the error cleared the stale success notice")

	// A file the console refuses (not a CSV) resets the progress bar at once.
	notCSV := filepath.Join(t.TempDir(), "picture.csv")
	require.NoError(t, os.WriteFile(notCSV, append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 2048)...), 0o600))
	var barHidden bool
	var barValue float64
	b.run(t, "check a file that is not a CSV",
		chromedp.Navigate(app.ConsoleURL+templates.SourceTabURL(sandbox.SeedDelimitedSourceID, "import")), visible(`#form-accounts`),
		chromedp.SetUploadFiles(`#form-accounts input[type="file"]`, []string{notCSV}, chromedp.ByQuery),
		click(`#form-accounts [data-testid="preflight-button"]`),
		waitJS(`!!document.querySelector('#alerts [data-testid="alert"], #report-accounts [role="alert"], #report-accounts .sd-alert')`), settled(),
		chromedp.Evaluate(`document.querySelector('#form-accounts [data-upload-progress]').hidden`, &barHidden),
		chromedp.Evaluate(`document.querySelector('#form-accounts [data-upload-progress]').value`, &barValue))
	assert.True(t, barHidden, "the progress bar is hidden after a refused file")
	assert.Zero(t, barValue, "the progress bar is back at 0")

	b.flush(t)
	for _, p := range b.Problems() {
		assert.NotContains(t, p, "console.error", "htmx logged an expected answer as an error")
		assert.NotContains(t, p, "exception")
	}
}

// TestBrowserKeyboardAndScreenReader tests what a keyboard or screen-reader user
// meets on every visit: the first Tab stop ("Skip to content") is visible when
// focused; only interactive elements take focus (a table box that scrolls sideways
// is one: the arrow keys scroll it); search, sort, filter and paging are
// announced by one status element outside the swapped region; a tab opened by click
// sets the title a reload of its URL has; the tab bar's "More" works by keyboard.
func TestBrowserKeyboardAndScreenReader(t *testing.T) {
	if testing.Short() {
		t.Skip("browser walkthrough skipped in -short mode")
	}
	t.Parallel()
	app := startApp(t, nil)
	b := newBrowser(t)
	src := sandbox.SeedDelimitedSourceID
	b.run(t, "sign in", signIn(app.ConsoleURL, "admin", "/sources", `[data-testid="sources-table"]`))

	t.Run("focus is visible on the first Tab stop", func(t *testing.T) {
		for _, path := range []string{"/sources", "/", templates.SourceTabURL(src, "")} {
			var first struct {
				TestID  string  `json:"testid"`
				W       float64 `json:"w"`
				H       float64 `json:"h"`
				Top     float64 `json:"top"`
				Outline string  `json:"outline"`
			}
			var hash string
			b.run(t, "Tab once on "+path, chromedp.Navigate(app.ConsoleURL+path), visible(`#main`),
				chromedp.KeyEvent(kb.Tab),
				chromedp.Evaluate(`(() => { const e = document.activeElement, r = e.getBoundingClientRect(), s = getComputedStyle(e);
					return {testid: e.dataset.testid || e.tagName, w: r.width, h: r.height, top: r.top, outline: s.outlineStyle + " " + s.outlineWidth}; })()`, &first),
				chromedp.KeyEvent(kb.Enter),
				chromedp.Evaluate(`location.hash + " " + document.activeElement.id`, &hash))
			assert.Equal(t, "skip-link", first.TestID, "%s: the first Tab stop", path)
			assert.Greater(t, first.W, 40.0, "%s: the focused skip link is visible, not 1 px wide", path)
			assert.Greater(t, first.H, 15.0, "%s: the focused skip link is visible, not 1 px high", path)
			assert.GreaterOrEqual(t, first.Top, 0.0, "%s: on the screen", path)
			assert.NotContains(t, first.Outline, "none", "%s: a focus outline", path)
			assert.Equal(t, "#main main", hash, "%s: Enter moves to the content", path)
		}
	})

	t.Run("only interactive elements are Tab stops", func(t *testing.T) {
		for _, path := range []string{"/sources", "/", templates.SourceTabURL(src, ""), "/activity"} {
			var stops int
			var bad []string
			b.run(t, "list the Tab stops of "+path, chromedp.Navigate(app.ConsoleURL+path), visible(`#main`), settled(),
				chromedp.Evaluate(`[...document.querySelectorAll("body *")].filter(e => e.tabIndex >= 0 && !e.disabled && e.getClientRects().length).length`, &stops),
				chromedp.Evaluate(`[...document.querySelectorAll("body *")].filter(e => e.tabIndex >= 0 && !e.disabled && e.getClientRects().length &&
					!e.matches("a[href], button, input, select, textarea, summary, [role=button], [role=link], [contenteditable]") &&
					!(e.matches(".sd-table-wrap[role=region]") && e.scrollWidth > e.clientWidth))
					.map(e => e.outerHTML.slice(0, 120))`, &bad))
			assert.Positive(t, stops, path)
			assert.Empty(t, bad, "%s: Tab stops that do nothing", path)
		}
	})

	t.Run("search, sort, filter and paging are announced", func(t *testing.T) {
		var said string
		var same, outside bool
		announced := func(want string) chromedp.Action {
			return chromedp.Tasks{
				waitJS(`document.getElementById("sd-status").textContent.includes(` + jsString(want) + `)`), settled(),
				chromedp.Text(`#sd-status`, &said, chromedp.ByQuery),
				chromedp.Evaluate(`document.getElementById("sd-status") === window.sdStatusBefore`, &same),
				chromedp.Evaluate(`!document.getElementById("sources-results").contains(document.getElementById("sd-status"))`, &outside),
			}
		}
		b.run(t, "open the list", chromedp.Navigate(app.ConsoleURL+"/sources?size=10"), visible(`[data-testid="sources-table"]`),
			chromedp.Evaluate(`window.sdStatusBefore = document.getElementById("sd-status"), true`, nil))
		b.run(t, "type a search", chromedp.SendKeys(`#sources-q`, "a", chromedp.ByQuery), announced("sources"))
		assert.Regexp(t, `^Showing 1–\d+ of \d+ sources, sorted by name\.$`, said)
		assert.True(t, same, "the status element stays; its text changes")
		assert.True(t, outside, "the status element is outside the swapped results")
		b.run(t, "sort by status", click(`[data-testid="sort-status"]`), announced("sorted by status"))
		assert.Contains(t, said, "sorted by status")
		b.run(t, "next page", click(`[data-testid="page-next"]`), announced("Showing 11–"))
		b.run(t, "filter", chromedp.SetValue(`[data-testid="filter-status"]`, "unhealthy", chromedp.ByQuery),
			chromedp.Evaluate(`document.querySelector('[data-testid="filter-status"]').dispatchEvent(new Event("change", {bubbles: true}))`, nil),
			waitJS(`location.search.includes("status=unhealthy")`), announced("Showing 1–"))
		assert.True(t, same)
		b.run(t, "filter the activity log", chromedp.Navigate(app.ConsoleURL+"/activity"), visible(`[data-testid="activity-results"]`),
			chromedp.SetValue(`[data-testid="filter-action"]`, "sign-in", chromedp.ByQuery),
			chromedp.Evaluate(`document.querySelector('[data-testid="filter-action"]').dispatchEvent(new Event("change", {bubbles: true}))`, nil),
			waitJS(`document.getElementById("sd-status").textContent.includes("entries match")`),
			chromedp.Text(`#sd-status`, &said, chromedp.ByQuery))
		assert.Regexp(t, `^\d+ entries match\.$`, said)
	})

	t.Run("a tab opened by click has the title of its page", func(t *testing.T) {
		for _, tab := range []string{"configuration", "correlation", "schemas", ""} {
			var clicked, reloaded string
			b.run(t, "open tab "+tab,
				chromedp.Navigate(app.ConsoleURL+templates.SourceTabURL(src, "tools")), visible(`[data-testid="source-tab-panel"]`),
				clickTab(tabTestIDOf(tab)), waitJS(`location.pathname === `+jsString("/t/sandbox"+templates.SourceTabURL(src, tab))), settled(),
				chromedp.Title(&clicked), chromedp.Reload(), visible(`[data-testid="source-tab-panel"]`), chromedp.Title(&reloaded))
			assert.Equal(t, reloaded, clicked, "tab %q", tab)
			if tab != "" {
				assert.True(t, strings.HasPrefix(clicked, templates.SourceTabLabel(tab)+" · "), clicked)
			}
		}
	})

	t.Run("the tab bar works by keyboard", func(t *testing.T) {
		var open bool
		var focused, loc string
		b.run(t, "focus More and open it", chromedp.Navigate(app.ConsoleURL+templates.SourceTabURL(src, "")), visible(`[data-testid="source-tabs"]`),
			chromedp.Focus(`[data-testid="tabs-more"] > summary`, chromedp.ByQuery), chromedp.KeyEvent(kb.Enter),
			chromedp.Evaluate(`document.querySelector('[data-testid="tabs-more"]').open`, &open))
		require.True(t, open, "Enter opens More")
		b.run(t, "Escape closes it", chromedp.KeyEvent(kb.Escape),
			chromedp.Evaluate(`document.querySelector('[data-testid="tabs-more"]').open`, &open),
			chromedp.Evaluate(`document.activeElement.parentElement.dataset.testid`, &focused))
		assert.False(t, open, "Escape closes More")
		assert.Equal(t, "tabs-more", focused, "focus goes back to More")
		b.run(t, "open a tab under More by keyboard", chromedp.KeyEvent(kb.Enter), chromedp.KeyEvent(kb.Tab),
			chromedp.Evaluate(`document.activeElement.dataset.testid`, &focused), chromedp.KeyEvent(kb.Enter),
			waitJS(`location.pathname.endsWith("/correlation")`), settled(), chromedp.Location(&loc))
		assert.Equal(t, "tab-correlation", focused, "Tab goes into the open list")
		assert.True(t, strings.HasSuffix(loc, "/correlation"))
	})
	b.flush(t)
	assert.Empty(t, b.Problems(), "the pages logged errors or CSP violations")
}

func tabTestIDOf(slug string) string {
	if slug == "" {
		return "overview"
	}
	return slug
}

// jsString quotes s for a JavaScript expression.
func jsString(s string) string {
	var sb strings.Builder
	sb.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"', '\\':
			sb.WriteByte('\\')
		}
		sb.WriteRune(r)
	}
	sb.WriteByte('"')
	return sb.String()
}
