package main

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

func TestBrowserHomePageDemoMode(t *testing.T) {
	t.Parallel()
	app := startApp(t, nil)
	b := newBrowser(t)
	var (
		title, hint, htmxVersion, version string
		indicatorStyles                   bool
	)
	b.run(t, "open the home page",
		chromedp.Navigate(app.ConsoleURL+"/"),
		visible(`[data-testid="home"]`),
		chromedp.Title(&title),
		chromedp.Text(`[data-testid="demo-hint"]`, &hint, chromedp.ByQuery),
		chromedp.Text(`[data-testid="version"]`, &version, chromedp.ByQuery),
		chromedp.Evaluate(`htmx.version`, &htmxVersion),
		chromedp.Evaluate(`htmx.config.allowEval === false && htmx.config.historyCacheSize === 0 && htmx.config.includeIndicatorStyles === false`, &indicatorStyles),
	)
	b.screenshot(t, "home")
	require.Equal(t, "Home · Sourcedesk", title)
	require.Contains(t, hint, "admin")
	require.True(t, strings.HasPrefix(htmxVersion, "2.0."), "htmx 2.0.x loaded, got %q", htmxVersion)
	require.True(t, indicatorStyles, "htmx configured from the meta tag (no eval, no history cache, no inline styles)")
	require.Contains(t, version, "Sourcedesk")
	b.flush(t) // late errors (favicon, CSP reports) arrive before judging
	require.Empty(t, b.Problems(), "the page logged errors or CSP violations")
}
