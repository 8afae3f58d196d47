package main

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
)

// TestBrowserSignInThroughSandboxLandsOnNext signs in as the demo admin on the
// sandbox's login page and lands on the page asked for, signed in (the Strict
// session cookie is set by the callback and sent after the bounce page).
func TestBrowserSignInThroughSandboxLandsOnNext(t *testing.T) {
	t.Parallel()
	app := startApp(t, nil)
	b := newBrowser(t)
	var url, user string
	b.run(t, "sign in",
		signIn(app.ConsoleURL, "admin", "%2Fcron%3Fexpr%3D0%2B0%2B12%2B*%2B*%2B%3F", `[data-testid="nav-user"]`),
		chromedp.Location(&url),
		chromedp.Text(`[data-testid="nav-user"]`, &user, chromedp.ByQuery),
	)
	b.screenshot(t, "signed-in")
	assert.True(t, strings.HasPrefix(url, app.ConsoleURL+"/cron?expr="), "landed on next, got %s", url)
	assert.Contains(t, user, "admin")
	assert.Contains(t, user, "ORG_ADMIN")

	// Signing out ends the session: /sources sends us to sign in again.
	b.run(t, "sign out",
		click(`[data-testid="logout"]`),
		visible(`[data-testid="signed-out"]`),
		chromedp.Navigate(app.ConsoleURL+"/sources"),
		chromedp.WaitVisible(`#username`, chromedp.ByQuery),
		chromedp.Location(&url),
	)
	assert.True(t, strings.HasPrefix(url, app.SandboxURL+"/oauth/authorize"), "back at the tenant's login page, got %s", url)
	b.flush(t)
	assert.Empty(t, b.Problems(), "the pages logged errors or CSP violations")
}

// TestBrowserSignInWithDemoPAT signs in with the sandbox's demo personal access token.
func TestBrowserSignInWithDemoPAT(t *testing.T) {
	t.Parallel()
	app := startApp(t, nil)
	b := newBrowser(t)
	var url, user string
	b.run(t, "sign in with the demo PAT",
		chromedp.Navigate(app.ConsoleURL+"/login/pat?next=%2Fsources"),
		visible(`[data-testid="pat-form"]`),
		chromedp.SendKeys(`input[name="client_id"]`, "demo-pat", chromedp.ByQuery),
		chromedp.SendKeys(`input[name="client_secret"]`, "demo-pat-secret", chromedp.ByQuery),
		click(`[data-testid="pat-submit"]`),
		visible(`[data-testid="nav-user"]`),
		chromedp.Location(&url),
		chromedp.Text(`[data-testid="nav-user"]`, &user, chromedp.ByQuery),
	)
	b.screenshot(t, "signed-in-pat")
	assert.Equal(t, app.ConsoleURL+"/t/sandbox/sources", url, "on the default tenant")
	assert.Contains(t, user, "admin")
	b.flush(t)
	assert.Empty(t, b.Problems(), "the pages logged errors or CSP violations")
}
