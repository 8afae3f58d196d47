package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"sourcedesk/internal/sandbox"
	"sourcedesk/web/templates"
)

// noSideScrollJS is true when the page itself does not scroll sideways: nothing is
// wider than the window (a wide table scrolls inside its own box instead).
const noSideScrollJS = `document.documentElement.scrollWidth <= window.innerWidth`

// widestJS names the elements that stick out of the window, for the failure message.
const widestJS = `[...document.querySelectorAll("body *")].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 &&
	!(e.parentElement && e.parentElement.closest(".sd-table-wrap, .sd-tabs-main")))
	.slice(0, 5).map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.dataset.testid ? "[" + e.dataset.testid + "]" : "") + " " + Math.round(e.getBoundingClientRect().right) + "px").join(", ")`

// timesWrapJS lists the times in tables that take more than one line.
const timesWrapJS = `[...document.querySelectorAll("table time")].filter(e => e.getClientRects().length > 1).map(e => e.textContent)`

// clippedJS lists the column headers whose text does not fit their cell.
const clippedJS = `[...document.querySelectorAll("th")].filter(e => e.getClientRects().length && e.scrollWidth > e.clientWidth + 1).map(e => e.textContent.trim())`

// scrollingBoxesJS lists the tables to read (not a grid of fields to edit, such as a
// policy's field table, which may scroll in its box) that scroll sideways.
const scrollingBoxesJS = `[...document.querySelectorAll(".sd-table-wrap")].filter(e => e.scrollWidth > e.clientWidth + 1 &&
	!e.querySelector("input:not([type=hidden]), select, textarea")).map(e => (e.querySelector("table").dataset.testid || "table") + " " + e.scrollWidth + ">" + e.clientWidth)`

// TestBrowserEveryPageFitsATablet opens every page at 768 px (a tablet, half a
// laptop screen) and at 1366 px, as an admin, and asserts that no page scrolls
// sideways: the list, the new-source form, each source tab and the pages under
// them (a schema, an attribute's edit row, a policy, a schedule, a comparison with
// another source), a task, the cron
// previewer, the activity log, the token sign-in; that no time in a table wraps, no
// column header is cut off and, at 1366 px, no table to read scrolls; and that the
// console turns dark with the system. It keeps screenshots of the sources list, a
// source's overview, the home page and the activity log at both widths, and of the
// home page in dark mode (SCREENSHOTS_TO=$PWD/docs/screenshots writes them there too).
func TestBrowserEveryPageFitsATablet(t *testing.T) {
	if testing.Short() {
		t.Skip("browser walkthrough skipped in -short mode")
	}
	t.Parallel()
	app := startApp(t, nil)
	b := newBrowser(t)
	src := sandbox.SeedDelimitedSourceID
	b.run(t, "sign in", signIn(app.ConsoleURL, "admin", "/sources", `[data-testid="sources-table"]`))
	// Some activity, so the log has rows to lay out.
	b.run(t, "fill the activity log", chromedp.Evaluate(fmt.Sprintf(`(async () => {
		const h = JSON.parse(document.body.getAttribute("hx-headers"));
		for (let i = 0; i < 12; i++) await fetch(%q, {method: "POST", headers: h});
		return true })()`, templates.SourceTabURL(src, "tools/test-connection")), nil, awaitPromise))

	// The pages under the tabs, found as a user finds them, and a task's page.
	var schema, attrEdit, policy, schedule, task string
	firstHref := func(tab, sel string, into *string) chromedp.Action {
		return chromedp.Tasks{chromedp.Navigate(app.ConsoleURL + templates.SourceTabURL(src, tab)), visible(`[data-testid="source-tab-panel"]`),
			chromedp.Evaluate(fmt.Sprintf(`document.querySelector(%q).getAttribute("href")`, sel), into)}
	}
	b.run(t, "find a schema", firstHref("schemas", `[data-testid="schema-list"] a`, &schema))
	b.run(t, "find a policy", firstHref("provisioning", `#source-tab table a`, &policy))
	b.run(t, "find a schedule", firstHref("schedules", `[data-testid="schedule-open"]`, &schedule))
	b.run(t, "find an attribute and start a task",
		chromedp.Navigate(app.ConsoleURL+schema), visible(`[data-testid="attributes"]`),
		chromedp.Evaluate(`document.querySelector('[data-testid="attributes"] [data-testid^="edit-"]').getAttribute("href")`, &attrEdit),
		chromedp.Evaluate(fmt.Sprintf(`(async () => {
			const h = JSON.parse(document.body.getAttribute("hx-headers"));
			const r = await fetch(%q, {method: "POST", headers: Object.assign({"HX-Request": "true"}, h)});
			const l = r.headers.get("HX-Location") || "";
			return l.startsWith("{") ? JSON.parse(l).path : l })()`, templates.SourceTabURL(sandbox.SeedAuthoritativeSourceID, "import/aggregate")), &task, awaitPromise))
	require.Contains(t, task, "/tasks/", "an aggregation leads to its task")

	pages := []struct{ name, path, sel string }{
		{"home", "/", `[data-testid="tile-upcoming"][data-state="ready"]`},
		{"sources", "/sources", `[data-testid="sources-table"]`},
		{"new-source", "/sources/new", `[data-testid="create-form"]`},
		{"cron", "/cron?tz=UTC&expr=0+0+12+%3F+*+MON-FRI", `[data-testid="cron-next"]`},
		{"activity", "/activity", `[data-testid="activity-table"]`},
		{"schema", schema, `[data-testid="attributes"]`},
		{"attribute-edit", attrEdit, `[data-testid="attribute-edit-row"]`},
		{"policy", policy, `[data-testid="source-tab-panel"]`},
		{"schedule", schedule, `[data-testid="source-tab-panel"]`},
		{"task", task, `[data-testid="task-panel"]`},
		{"compare", templates.SourceTabURL(src, "code") + "/compare?tenant=sandbox&name=Board+Portal+CSV", `[data-testid="compare-count"]`},
		{"personal-access-token-sign-in", "/login/pat", `main form`},
	}
	for _, tab := range templates.SourceTabs {
		pages = append(pages, struct{ name, path, sel string }{"tab-" + tab.Label, templates.SourceTabURL(src, tab.Slug), `[data-testid="source-tab-panel"]`})
	}
	shots := map[string]string{"home": "home", "sources": "sources-list", "tab-Overview": "source-overview", "activity": "activity"}
	for _, width := range []int64{1366, 768} {
		b.run(t, "window size", chromedp.EmulateViewport(width, 900))
		for _, p := range pages {
			var fits bool
			var wide string
			b.run(t, fmt.Sprintf("%s at %d px", p.name, width), chromedp.Navigate(app.ConsoleURL+p.path), visible(p.sel),
				chromedp.Evaluate(noSideScrollJS, &fits), chromedp.Evaluate(widestJS, &wide))
			assert.True(t, fits, "%s scrolls sideways at %d px: %s", p.name, width, wide)
			var wrapped, clipped []string
			b.run(t, p.name+": times and headers", chromedp.Evaluate(timesWrapJS, &wrapped), chromedp.Evaluate(clippedJS, &clipped))
			assert.Empty(t, wrapped, "%s at %d px: a time in a table wraps", p.name, width)
			assert.Empty(t, clipped, "%s at %d px: a column header is cut off", p.name, width)
			if width == 1366 {
				var boxes []string
				b.run(t, p.name+": table boxes", chromedp.Evaluate(scrollingBoxesJS, &boxes))
				assert.Empty(t, boxes, "%s: a table does not fit a laptop's width", p.name)
			}
			if name, ok := shots[p.name]; ok {
				saveShot(t, b, fmt.Sprintf("%s-%d", name, width))
			}
		}
	}

	t.Run("dark mode follows the system setting", func(t *testing.T) {
		var look struct {
			Page, Text, OK, Accent string
		}
		b.run(t, "dark mode", chromedp.EmulateViewport(1366, 900), colorScheme(true),
			chromedp.Navigate(app.ConsoleURL+"/"), visible(`[data-testid="tile-upcoming"][data-state="ready"]`),
			chromedp.Evaluate(`(() => { const s = getComputedStyle(document.body), root = getComputedStyle(document.documentElement);
			return {page: s.backgroundColor, text: s.color, ok: root.getPropertyValue("--sd-ok").trim(), accent: root.getPropertyValue("--sd-accent").trim()}; })()`, &look))
		assert.Less(t, luminance(t, look.Page), 0.1, "a dark page (Pico's): %s", look.Page)
		assert.Greater(t, luminance(t, look.Text), 0.5, "light text: %s", look.Text)
		assert.Equal(t, "#6fdd8b", look.OK, "the dark set of our status colours")
		assert.Equal(t, "#6cb6ff", look.Accent)
		saveShot(t, b, "home-dark-1366")
	})
	b.flush(t)
	assert.Empty(t, b.Problems(), "the pages logged errors or CSP violations")
}

// colorScheme sets the system's light or dark mode the page sees
// (prefers-color-scheme).
func colorScheme(dark bool) chromedp.Action {
	v := "light"
	if dark {
		v = "dark"
	}
	return emulation.SetEmulatedMedia().WithFeatures([]*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: v}})
}

// luminance is the relative luminance (WCAG) of a CSS rgb()/rgba() colour.
func luminance(t *testing.T, css string) float64 {
	t.Helper()
	var r, g, b float64
	_, err := fmt.Sscanf(strings.NewReplacer("rgba(", "", "rgb(", "", ",", " ", ")", " ").Replace(css), "%f %f %f", &r, &g, &b)
	require.NoError(t, err, css)
	lin := func(c float64) float64 {
		c /= 255
		if c <= 0.03928 {
			return c / 12.92
		}
		return math.Pow((c+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(b)
}

// saveShot keeps a screenshot of the whole page at the window's width in the
// artifacts and, when SCREENSHOTS_TO names a directory (docs/screenshots, where
// they are committed), there too.
func saveShot(t *testing.T, b *browser, name string) {
	t.Helper()
	var png []byte
	b.run(t, "screenshot "+name, chromedp.FullScreenshot(&png, 100))
	require.NoError(t, os.WriteFile(filepath.Join(artifactDir(t), name+".png"), png, 0o644))
	if dir := os.Getenv("SCREENSHOTS_TO"); dir != "" {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644))
	}
}
