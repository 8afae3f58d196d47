package main

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
)

// TestBrowserDashboardToActivity walks from the dashboard to the activity log: sign in,
// read the home page's tiles, follow the unhealthy count to the filtered list, edit a source, and find
// the edit in the activity log.
func TestBrowserDashboardToActivity(t *testing.T) {
	if testing.Short() {
		t.Skip("browser walkthrough skipped in -short mode")
	}
	t.Parallel()
	app := startApp(t, nil)
	b := newBrowser(t)
	count := func(id string, n *int) chromedp.Action {
		return chromedp.ActionFunc(func(ctx context.Context) error {
			var s string
			if err := chromedp.Text(`[data-testid="`+id+`"] strong`, &s, chromedp.ByQuery).Do(ctx); err != nil {
				return err
			}
			v, err := strconv.Atoi(strings.TrimSpace(s))
			*n = v
			return err
		})
	}
	var total, healthy, unhealthy, unchecked, rows int
	var zone, loc, name, heading, text string

	b.run(t, "sign in and see the tiles",
		signIn(app.ConsoleURL, "admin", "/", `[data-testid="home-tiles"]`),
		chromedp.WaitVisible(`[data-testid="tile-status"][data-state="ready"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="tile-unhealthy"][data-state="ready"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="tile-upcoming"] [data-testid="upcoming-zone"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="tile-tasks"][data-state="ready"]`, chromedp.ByQuery),
		settled(),
		count("count-total", &total), count("count-healthy", &healthy),
		count("count-unhealthy", &unhealthy), count("count-unchecked", &unchecked),
		chromedp.Text(`[data-testid="upcoming-zone"]`, &zone, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll('[data-testid="unhealthy-row"]').length`, &rows),
	)
	b.screenshot(t, "01-home-tiles")
	assert.Positive(t, unhealthy)
	assert.Equal(t, total, healthy+unhealthy+unchecked)
	assert.Equal(t, min(unhealthy, 10), rows)
	assert.Equal(t, "UTC", zone, "the browser's zone (headless Chromium runs in UTC here) went to the tile")

	b.run(t, "follow the unhealthy count to the filtered list",
		click(`[data-testid="count-unhealthy"]`),
		visible(`[data-testid="sources-table"]`),
		chromedp.Location(&loc),
		chromedp.Evaluate(`document.querySelectorAll('[data-testid="source-row"]').length`, &rows),
	)
	b.screenshot(t, "02-unhealthy-list")
	assert.Contains(t, loc, "status=unhealthy")
	assert.Equal(t, min(unhealthy, 25), rows)

	const newDescription = "Edited from the dashboard walkthrough"
	b.run(t, "open the first unhealthy source",
		chromedp.Text(`[data-testid="source-link"]`, &name, chromedp.ByQuery),
		click(`[data-testid="source-link"]`),
		visible(`[data-testid="source-overview"]`),
		chromedp.Text(`[data-testid="source-name"]`, &heading, chromedp.ByQuery),
	)
	assert.Equal(t, name, heading, "the link led to its source")
	b.run(t, "edit it: review the patch",
		click(`[data-testid="tab-configuration"]`),
		visible(`[data-testid="config-form"]`),
		chromedp.SetValue(`#config-form-description`, newDescription, chromedp.ByQuery),
		click(`[data-testid="review-patch"]`),
		visible(`[data-testid="patch-json"]`),
	)
	b.run(t, "apply the patch",
		click(`[data-testid="apply-patch"]`),
		visible(`[data-testid="saved"]`),
	)
	b.screenshot(t, "03-edited")

	b.run(t, "the activity log shows the edit",
		chromedp.Navigate(app.ConsoleURL+"/activity"),
		visible(`[data-testid="activity-table"]`),
		chromedp.Text(`[data-testid="activity-row"] [data-testid="activity-action"]`, &text, chromedp.ByQuery),
	)
	b.screenshot(t, "04-activity")
	assert.Contains(t, text, "Edit source")
	t.Logf("upstream calls: %d", app.Sandbox.Calls(""))
	b.flush(t)
	assert.Empty(t, b.Problems(), "the pages logged errors or CSP violations")
}
