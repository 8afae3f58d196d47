package main

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"sourcedesk/internal/sandbox"
	"sourcedesk/internal/sourcedoc"
	"sourcedesk/web/templates"
)

// TestBrowserPromoteASourceFromSandboxToProduction walks sources as code in
// demo mode's two tenants: the admin signs in to the sandbox, then to
// production through the nav's tenant switch; exports HR Contractors CSV from
// the sandbox, compares it with production's (they differ), plans the
// promotion, applies it, and compares again: identical. With
// SCREENSHOTS_TO=$PWD/docs/screenshots the compare and plan pages go there too;
// axe-core checks the comparison, the plan and the applied plan.
func TestBrowserPromoteASourceFromSandboxToProduction(t *testing.T) {
	if testing.Short() {
		t.Skip("browser walkthrough skipped in -short mode")
	}
	t.Parallel()
	app := startApp(t, nil)
	b := newBrowser(t)
	audit := newAxeAudit()
	sandboxURL := app.ConsoleURL + "/t/sandbox"
	hr := sandbox.SeedDelimitedSourceID
	var tenant, text, exported, state string

	b.run(t, "sign in to the sandbox",
		signIn(sandboxURL, "admin", "%2F", `[data-testid="nav-user"]`),
		chromedp.AttributeValue(`[data-testid="tenant-current"]`, "data-tenant", &tenant, nil, chromedp.ByQuery))
	assert.Equal(t, "sandbox", tenant)
	b.run(t, "switch to production: its sign-in first",
		click(`[data-testid="tenant-switch"] > summary`), click(`[data-testid="tenant-production"]`),
		chromedp.WaitVisible(`#username`, chromedp.ByQuery),
		chromedp.SendKeys(`#username`, "admin", chromedp.ByQuery),
		chromedp.SendKeys(`#password`, "admin", chromedp.ByQuery),
		chromedp.Click(`button[value="login"]`, chromedp.ByQuery),
		visible(`[data-testid="nav-user"]`),
		chromedp.AttributeValue(`[data-testid="tenant-current"]`, "data-tenant", &tenant, nil, chromedp.ByQuery))
	assert.Equal(t, "production", tenant)

	b.run(t, "open the sandbox source's As code tab and download its document",
		chromedp.Navigate(sandboxURL+templates.SourceTabURL(hr, "")), visible(`[data-testid="source-tabs"]`),
		clickTab("code"), visible(`[data-testid="export-download"]`),
		chromedp.Evaluate(`fetch(document.querySelector('[data-testid="export-download"]').href).then(r => r.text())`, &exported, awaitPromise))
	doc, err := sourcedoc.Parse([]byte(exported))
	require.NoError(t, err, "the download is a source document")
	assert.Equal(t, "HR Contractors CSV", doc.Source.Name)

	b.run(t, "compare with production: different",
		chromedp.SetValue(`[data-testid="compare-tenant"]`, "production", chromedp.ByQuery),
		click(`[data-testid="compare-submit"]`), visible(`[data-testid="compare"]`),
		chromedp.AttributeValue(`[data-testid="compare"]`, "data-identical", &state, nil, chromedp.ByQuery),
		chromedp.Text(`[data-testid="compare-count"]`, &text, chromedp.ByQuery))
	assert.Equal(t, "false", state)
	assert.Regexp(t, `^\d+ differences?\.$`, text)
	saveShot(t, b, "compare-page")
	b.axe(t, audit, "comparison")

	b.run(t, "plan the promotion: reviewed, nothing sent",
		click(`[data-testid="plan-link"]`), visible(`[data-testid="plan"]`),
		chromedp.AttributeValue(`[data-testid="plan"]`, "data-ready", &state, nil, chromedp.ByQuery),
		chromedp.Text(`[data-testid="plan-tenant"]`, &text, chromedp.ByQuery))
	assert.Equal(t, "true", state)
	assert.Equal(t, "Production", text)
	saveShot(t, b, "plan-page")
	b.axe(t, audit, "plan")

	b.run(t, "apply it",
		click(`[data-testid="apply-submit"]`), visible(`[data-testid="apply-result"]`),
		chromedp.AttributeValue(`[data-testid="apply-result"]`, "data-ok", &state, nil, chromedp.ByQuery))
	assert.Equal(t, "true", state)
	b.axe(t, audit, "applied plan")
	b.screenshot(t, "applied")

	b.run(t, "compare again: identical",
		click(`[data-testid="apply-compare"]`), visible(`[data-testid="compare"]`),
		chromedp.AttributeValue(`[data-testid="compare"]`, "data-identical", &state, nil, chromedp.ByQuery))
	assert.Equal(t, "true", state)
	audit.report(t)
	b.flush(t)
	assert.Empty(t, b.Problems(), "the pages logged errors or CSP violations")
}
