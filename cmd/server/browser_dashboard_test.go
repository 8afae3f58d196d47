package main

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBrowserDashboardToActivity walks issue 10: sign in, read the home page's
// tiles, follow the unhealthy count to the filtered list, edit a source, and find
// the edit in the activity log.
func TestBrowserDashboardToActivity(t *testing.T) {
	if testing.Short() {
		t.Skip("browser walkthrough skipped in -short mode")
	}
	app := startApp(t, nil)
	b := newBrowser(t)
	run := func(step string, actions ...chromedp.Action) {
		t.Helper()
		ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
		defer cancel()
		require.NoError(t, chromedp.Run(ctx, actions...), step)
	}
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
	var zone, loc, name, text string

	run("sign in and see the tiles",
		chromedp.Navigate(app.ConsoleURL+"/login?next=/"),
		chromedp.WaitVisible(`#username`, chromedp.ByQuery),
		chromedp.SendKeys(`#username`, "admin", chromedp.ByQuery),
		chromedp.SendKeys(`#password`, "admin", chromedp.ByQuery),
		chromedp.Click(`button[value="login"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="tile-status"][data-state="ready"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="tile-unhealthy"][data-state="ready"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="tile-upcoming"] [data-testid="upcoming-zone"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="tile-tasks"][data-state="ready"]`, chromedp.ByQuery),
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

	run("follow the unhealthy count to the filtered list",
		chromedp.Click(`[data-testid="count-unhealthy"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="sources-table"]`, chromedp.ByQuery),
		chromedp.Location(&loc),
		chromedp.Evaluate(`document.querySelectorAll('[data-testid="source-row"]').length`, &rows),
	)
	b.screenshot(t, "02-unhealthy-list")
	assert.Contains(t, loc, "status=unhealthy")
	assert.Equal(t, min(unhealthy, 25), rows)

	const newDescription = "Edited from the dashboard walkthrough"
	run("edit the first unhealthy source",
		chromedp.Text(`[data-testid="source-link"]`, &name, chromedp.ByQuery),
		chromedp.Click(`[data-testid="source-link"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="source-overview"]`, chromedp.ByQuery),
		chromedp.Click(`[data-testid="tab-configuration"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="config-form"]`, chromedp.ByQuery),
		chromedp.SetValue(`#config-form-description`, newDescription, chromedp.ByQuery),
		chromedp.Click(`[data-testid="review-patch"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="patch-json"]`, chromedp.ByQuery),
		chromedp.Click(`[data-testid="apply-patch"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="saved"]`, chromedp.ByQuery),
	)
	b.screenshot(t, "03-edited")

	run("the activity log shows the edit",
		chromedp.Navigate(app.ConsoleURL+"/activity"),
		chromedp.WaitVisible(`[data-testid="activity-table"]`, chromedp.ByQuery),
		chromedp.Text(`[data-testid="activity-row"] [data-testid="activity-action"]`, &text, chromedp.ByQuery),
	)
	b.screenshot(t, "04-activity")
	assert.Contains(t, text, "Edit source")
	time.Sleep(300 * time.Millisecond)
	assert.Empty(t, b.Problems(), "the pages logged errors or CSP violations")
}
