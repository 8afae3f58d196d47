package main

import (
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"sourcedesk/internal/sandbox"
	"sourcedesk/web/templates"
)

// a11yUser is a demo user and the source whose pages they are shown.
// width is the window they use: a laptop (1366 px) or a tablet / half screen (768 px),
// where tables overflow into their scroll boxes; dark, a system set to dark mode
// (the console's dark theme, whose colours axe checks too).
type a11yUser struct {
	name, sourceID string
	width          int64
	dark           bool
}

// TestBrowserAxeEveryPage runs axe-core on every page of the console as each demo
// user (two of them with the system in dark mode) (sign-in, home, the list, the new-source form, each source tab and the
// pages under them, the cron previewer, the activity log with many entries) and
// after representative htmx swaps (search, filter, sort, a tab opened by click, a
// patch review, a refused form, a tool's result, a cron preview, a bulk action, an
// attribute's edit row, a comparison with another source),
// and fails on any violation. One tab per user, signed in once.
func TestBrowserAxeEveryPage(t *testing.T) {
	if testing.Short() {
		t.Skip("browser walkthrough skipped in -short mode")
	}
	t.Parallel()
	app := startApp(t, nil)
	audit := newAxeAudit()
	start := time.Now()
	users := []a11yUser{
		{"admin", sandbox.SeedDelimitedSourceID, 1366, false},
		{"source-admin", sandbox.SeedDelimitedSourceID, 768, true},
		{"subadmin", sandbox.SeedSubadminSourceID, 1366, true},
		{"helpdesk", sandbox.SeedDelimitedSourceID, 768, false},
	}
	for _, u := range users {
		t.Run(u.name, func(t *testing.T) { axeWalk(t, app, audit, u) })
	}
	t.Logf("axe walk of %d users took %s", len(users), time.Since(start).Round(time.Millisecond))
	audit.report(t)
}

// axeSelfCheck proves axe runs and reports: an image without a text alternative
// added to the page must be found.
func axeSelfCheck(t *testing.T, b *browser) {
	t.Helper()
	probe := newAxeAudit()
	b.run(t, "add an image without alt", chromedp.Evaluate(`document.querySelector("main").append(Object.assign(document.createElement("img"), {id: "axe-probe", src: "data:,"})), true`, nil))
	b.axe(t, probe, "self-check")
	b.run(t, "remove it", chromedp.Evaluate(`document.getElementById("axe-probe").remove(), true`, nil))
	require.Positive(t, probe.nodes["image-alt"], "axe-core did not find an image without alt: it is not running")
}

func axeWalk(t *testing.T, app *App, audit *axeAudit, u a11yUser) {
	b := newBrowser(t)
	at := func(where string) { b.axe(t, audit, u.name+" "+where) }
	page := func(where, path, sel string) {
		b.run(t, "open "+where, chromedp.Navigate(app.ConsoleURL+path), visible(sel))
		at(where)
	}
	var has bool
	exists := func(sel string) chromedp.Action {
		return chromedp.Evaluate(fmt.Sprintf(`!!document.querySelector(%q)`, sel), &has)
	}

	b.run(t, "window size", chromedp.EmulateViewport(u.width, 900), colorScheme(u.dark))
	if u.name == "admin" {
		page("personal access token sign-in", "/login/pat", "main form")
		axeSelfCheck(t, b)
	}
	if u.name == "admin" { // the same page for everyone: checked once
		b.run(t, "the tenant's sign-in page", chromedp.Navigate(app.ConsoleURL+"/login?next=/"), chromedp.WaitVisible(`#username`, chromedp.ByQuery))
		at("sign-in")
	}
	b.run(t, "sign in", signIn(app.ConsoleURL, u.name, "/", `[data-testid="home-tiles"]`),
		chromedp.WaitVisible(`[data-testid="tile-status"][data-state="ready"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="tile-tasks"][data-state="ready"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="tile-upcoming"] [data-testid="upcoming-zone"]`, chromedp.ByQuery),
	)
	at("home")

	page("sources list", "/sources", `[data-testid="sources-results"]`)
	b.run(t, "search as you type",
		chromedp.SendKeys(`#sources-q`, "corp", chromedp.ByQuery),
		waitJS(`location.search.includes("q=corp")`), settled())
	at("sources list after a search")
	b.run(t, "sort by a column", click(`[data-testid="sort-status"]`), waitJS(`location.search.includes("sort=status")`), settled())
	at("sources list after a sort")
	b.run(t, "filter by status",
		chromedp.Navigate(app.ConsoleURL+"/sources?size=10"), visible(`[data-testid="sources-results"]`),
		chromedp.SetValue(`[data-testid="filter-status"]`, "unhealthy", chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelector('[data-testid="filter-status"]').dispatchEvent(new Event("change", {bubbles: true}))`, nil),
		waitJS(`location.search.includes("status=unhealthy")`), settled())
	at("sources list after a filter")
	b.run(t, "next page", chromedp.Navigate(app.ConsoleURL+"/sources?size=10"), visible(`[data-testid="sources-results"]`), exists(`[data-testid="page-next"]`))
	if has {
		b.run(t, "go to the next page", click(`[data-testid="page-next"]`), waitJS(`location.search.includes("page=2")`), settled())
		at("sources list page 2")
	}
	b.run(t, "can bulk", exists(`[data-testid="bulk-test"]`))
	if has {
		b.run(t, "bulk test connection",
			chromedp.Click(`[data-testid="source-row"] input[type=checkbox]`, chromedp.ByQuery),
			click(`[data-testid="bulk-test"]`),
			visible(`[data-testid="bulk-outcome"]`))
		at("sources list after a bulk test")
	}
	b.run(t, "can create", chromedp.Navigate(app.ConsoleURL+"/sources"), visible(`[data-testid="sources-results"]`), exists(`[data-testid="new-source"]`))
	if has {
		page("new source form", "/sources/new", `[data-testid="create-form"]`)
		b.run(t, "submit it empty", click(`[data-testid="create-submit"]`), settled())
		at("new source form refused")
	}

	// Every tab as a page of its own, then the pages under the tabs.
	for _, tab := range templates.SourceTabs {
		path := templates.SourceTabURL(u.sourceID, tab.Slug)
		b.run(t, "open tab "+tab.Label, chromedp.Navigate(app.ConsoleURL+path), visible(`[data-testid="source-tab-panel"]`))
		at("tab " + tab.Label)
	}
	for _, sub := range []struct{ tab, link string }{
		{"schemas", `[data-testid="schema-list"] a`},
		{"provisioning", `#source-tab table a`},
		{"schedules", `[data-testid="schedule-open"]`},
	} {
		b.run(t, "find a page under "+sub.tab,
			chromedp.Navigate(app.ConsoleURL+templates.SourceTabURL(u.sourceID, sub.tab)),
			visible(`[data-testid="source-tab-panel"]`), exists(sub.link))
		if !has {
			continue
		}
		// Opened by click (a swap into the tab's page); loaded whole it is the same
		// content in the same shell, so it is not checked twice.
		b.run(t, "open a page under "+sub.tab, click(sub.link), waitJS(`location.pathname.split("/").length > 4`), settled())
		at("a page under " + sub.tab)
		if sub.tab == "schemas" {
			b.run(t, "can edit an attribute", exists(`[data-testid="attributes"] [data-testid^="edit-"]`))
			if has {
				var focus string
				b.run(t, "open an attribute's edit row", click(`[data-testid="attributes"] [data-testid^="edit-"]`),
					visible(`[data-testid="attribute-edit-row"]`),
					chromedp.Evaluate(`document.activeElement.closest("[data-testid]").dataset.testid`, &focus))
				assert.Equal(t, "attribute-edit-row", focus, "focus moves into the row that opened")
				at("attribute edit row (swap)")
			}
		}
	}

	// Swaps inside a source.
	// A comparison: with another source where the user sees one, else with itself.
	b.run(t, "open the source as code", chromedp.Navigate(app.ConsoleURL+templates.SourceTabURL(u.sourceID, "code")), visible(`[data-testid="compare-form"]`))
	if u.sourceID == sandbox.SeedDelimitedSourceID {
		b.run(t, "name another source", chromedp.SetValue(`[data-testid="compare-name"]`, "Board Portal CSV", chromedp.ByQuery))
	}
	b.run(t, "compare", click(`[data-testid="compare-submit"]`), visible(`[data-testid="compare-result"] [data-testid="compare-from"]`))
	at("comparison")
	b.run(t, "open a tab by click",
		chromedp.Navigate(app.ConsoleURL+templates.SourceTabURL(u.sourceID, "")), visible(`[data-testid="source-overview"]`),
		click(`[data-testid="tab-configuration"]`), waitJS(`location.pathname.endsWith("/configuration")`), settled())
	at("configuration tab opened by click")
	b.run(t, "can edit", exists(`[data-testid="review-patch"]`))
	if has {
		b.run(t, "review a change", chromedp.SetValue(`#config-form-description`, "Checked by axe", chromedp.ByQuery),
			click(`[data-testid="review-patch"]`), visible(`[data-testid="patch-json"]`))
		at("configuration review")
	}
	b.run(t, "has tools", exists(`[data-testid="tab-tools"]`))
	if has {
		b.run(t, "test the connection", click(`[data-testid="tab-tools"]`), click(`[data-testid="tool-test-connection"]`), visible(`[data-testid="tool-result"]`))
		at("tool result")
		b.run(t, "a wrong name does not delete", clickTab("danger"), visible(`[data-testid="delete-form"]`),
			chromedp.SendKeys(`#delete-form-confirm_name`, "not the name", chromedp.ByQuery),
			click(`[data-testid="delete-submit"]`), visible(`[data-testid="error-confirm_name"]`))
		at("delete refused")
	}

	page("cron previewer", "/cron?tz=UTC", `#cron-expr`)
	b.run(t, "preview an invalid expression", chromedp.SendKeys(`#cron-expr`, "0 0 12 ? * 8", chromedp.ByQuery), visible(`[data-testid="cron-bad-field"]`))
	at("cron preview invalid")
	b.run(t, "preview a valid one", chromedp.Navigate(app.ConsoleURL+"/cron?tz=UTC&expr="+url.QueryEscape("0 0 12 ? * MON-FRI")), visible(`[data-testid="cron-next"]`))
	at("cron preview valid")

	if u.name == "admin" {
		// Many entries: more test-connection calls than the log keeps for a minute.
		b.run(t, "fill the activity log", chromedp.Evaluate(fmt.Sprintf(`(async () => {
			const h = JSON.parse(document.body.getAttribute("hx-headers"));
			for (let i = 0; i < 35; i++) await fetch(%q, {method: "POST", headers: h});
			return true })()`, templates.SourceTabURL(u.sourceID, "tools/test-connection")), nil, awaitPromise))
	}
	page("activity log", "/activity", `[data-testid="activity-results"]`)
	b.run(t, "filter the activity log", exists(`[data-testid="filter-action"]`))
	b.flush(t)
}
