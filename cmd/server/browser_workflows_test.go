package main

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"sourcedesk/internal/sandbox"
)

// replayControlsJS sends, from the page, the request of every control on it that
// changes something (hx-post, hx-put, hx-patch, hx-delete), with its form's values
// as they are and the page's CSRF header, as if each were used once; it answers
// [{method, url, status}]. hx-confirm dialogs are skipped: the question is which
// controls the page offers, and what ISC answers to them.
const replayControlsJS = `(async () => {
  const hdr = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
  const out = [], seen = new Set();
  for (const el of document.querySelectorAll("#main [hx-post], #main [hx-put], #main [hx-patch], #main [hx-delete]")) {
    for (const attr of ["hx-post", "hx-put", "hx-patch", "hx-delete"]) {
      const url = el.getAttribute(attr);
      if (!url) continue;
      const method = attr.slice(3).toUpperCase(), key = method + " " + url;
      if (seen.has(key)) continue;
      seen.add(key);
      const form = el.tagName === "FORM" ? el : el.closest("form");
      const headers = Object.assign({"HX-Request": "true"}, hdr);
      let body = null;
      if (form) {
        const fd = new FormData(form);
        if (el.name) fd.set(el.name, el.value);
        if ((el.getAttribute("hx-encoding") || form.getAttribute("hx-encoding")) === "multipart/form-data") {
          body = fd;
        } else {
          body = new URLSearchParams(fd);
          headers["Content-Type"] = "application/x-www-form-urlencoded";
        }
      }
      const r = await fetch(url, {method, body, headers, credentials: "same-origin", redirect: "manual"});
      out.push({method, url, status: r.status});
    }
  }
  return out;
})()`

type replayed struct {
	Method string `json:"method"`
	URL    string `json:"url"`
	Status int    `json:"status"`
}

// forbiddenWatch records every response of the console with status 403.
type forbiddenWatch struct {
	mu   sync.Mutex
	seen []string
}

func (w *forbiddenWatch) list() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.seen...)
}

// datalistValues reads a picker's suggestions once htmx has filled them.
func datalistValues(sel string, out *[]string) chromedp.Action {
	return chromedp.Evaluate(`Array.from(document.querySelectorAll('`+sel+` option')).map(o => o.value)`, out)
}

// TestBrowserAdminWorkflows walks the admin workflows in Chromium: connection
// settings from the connector's form, pickers by name, the provisioning field
// table, the schedule frequency picker, nothing left dangling after a delete, then
// every tab as each demo user, sending every control the page offers and finding
// none that ISC refuses with a 403.
func TestBrowserAdminWorkflows(t *testing.T) {
	if testing.Short() {
		t.Skip("browser walkthrough skipped in -short mode")
	}
	t.Parallel()
	app := startApp(t, nil)
	watch := &forbiddenWatch{}
	// Each user gets a tab of its own (an incognito context of the shared Chromium).
	tab := func(t *testing.T) *browser {
		b := newBrowser(t)
		chromedp.ListenTarget(b.ctx, func(ev any) {
			if e, ok := ev.(*network.EventResponseReceived); ok && e.Response.Status == 403 && strings.HasPrefix(e.Response.URL, app.ConsoleURL) {
				watch.mu.Lock()
				watch.seen = append(watch.seen, e.Response.URL)
				watch.mu.Unlock()
			}
		})
		require.NoError(t, chromedp.Run(b.ctx, network.Enable()))
		return b
	}
	b := tab(t)
	console := app.ConsoleURL + "/t/sandbox" // demo mode has two tenants: addresses carry theirs
	ad := sandbox.SeedUnhealthySourceID      // Active Directory
	var text, loc string
	var values []string
	var n int

	// Connection settings from the connector's own form.
	b.run(t, "admin opens the Configuration tab of an AD source",
		signIn(console, "admin", url.QueryEscape("/sources/"+ad+"/configuration"), `[data-testid="connection-settings"]`),
		chromedp.Evaluate(`Array.from(document.querySelectorAll('[data-testid="connection-section"] legend')).map(l => l.textContent)`, &values),
		chromedp.Text(`[data-testid="conn-field-password"] [data-testid="secret-state"]`, &text, chromedp.ByQuery),
	)
	assert.Equal(t, []string{"Domain Settings", "Aggregation Settings", "Health and Performance"}, values)
	assert.Equal(t, "(set)", text)
	b.screenshot(t, "configuration-tab")
	b.run(t, "replace the secret, untick a box, review: the secret is not shown",
		chromedp.SendKeys(`[data-testid="conn-field-password"] input`, "Br0wser-secret", chromedp.ByQuery),
		click(`[data-testid="conn-field-useSSL"] input`),
		click(`[data-testid="review-patch"]`),
		visible(`[data-testid="patch-json"]`),
		chromedp.Text(`[data-testid="patch-json"]`, &text, chromedp.ByQuery),
	)
	assert.Contains(t, text, "(the new secret you typed; not shown)")
	assert.Contains(t, text, `"/connectorAttributes/useSSL"`)
	assert.NotContains(t, text, "Br0wser-secret")
	var echoed bool
	b.run(t, "apply", click(`[data-testid="apply-patch"]`), visible(`[data-testid="saved"]`),
		chromedp.Evaluate(`document.documentElement.outerHTML.includes("Br0wser-secret")`, &echoed))
	assert.False(t, echoed, "the saved page does not hold the secret")

	// Pickers: names in, ids kept; a name that names nothing is refused.
	b.run(t, "type part of a name into the owner picker",
		clear(`#config-form-owner`),
		chromedp.SendKeys(`#config-form-owner`, "oli", chromedp.ByQuery),
		waitJS(`(() => { const o = document.querySelectorAll('#config-form-owner-options option');
			return o.length > 0 && Array.from(o).every(x => x.value.toLowerCase().includes("oli")); })()`),
		datalistValues(`#config-form-owner-options`, &values),
	)
	assert.Equal(t, []string{"Olivia Owner (olivia.owner)"}, values)
	b.run(t, "pick it and review: the patch names the identity's id",
		chromedp.SetValue(`#config-form-owner`, values[0], chromedp.ByQuery),
		click(`[data-testid="review-patch"]`),
		visible(`[data-testid="patch-json"]`),
		chromedp.Text(`[data-testid="patch-json"]`, &text, chromedp.ByQuery),
	)
	assert.Contains(t, text, "2c9180857a1b4c2d017a1b4c2d0e0010")
	b.run(t, "a name that names nobody is refused before review",
		chromedp.SetValue(`#config-form-owner`, "Nobody Atall", chromedp.ByQuery),
		click(`[data-testid="review-patch"]`),
		visible(`[data-testid="error-owner"]`),
		chromedp.Text(`[data-testid="error-owner"]`, &text, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll('[data-testid="patch-review"]').length`, &n),
	)
	assert.Contains(t, text, `No identity is named "Nobody Atall"`)
	assert.Zero(t, n)

	// Provisioning policies as a field table.
	b.run(t, "open the CREATE policy of a delimited-file source",
		chromedp.Navigate(console+"/sources/"+sandbox.SeedDelimitedSourceID+"/provisioning/CREATE"),
		visible(`[data-testid="policy-editor"]`),
		click(`[data-testid="policy-add-field"]`),
		waitJS(`document.querySelectorAll('[data-testid="policy-row"]').length === 3`),
		chromedp.SendKeys(`[name="name_2"]`, "department", chromedp.ByQuery),
		chromedp.SetValue(`[name="transform_2"]`, "static", chromedp.ByQuery),
		chromedp.SendKeys(`[name="tattrs_2"]`, `{"value": "Sales"}`, chromedp.ByQuery),
		click(`[data-testid="policy-row"]:nth-child(3) [data-testid="policy-row-up"]`),
		waitJS(`document.querySelector('[name="name_1"]').value === "department"`),
		click(`[data-testid="policy-review"]`),
		visible(`[data-testid="policy-json"]`),
		chromedp.Text(`[data-testid="policy-json"]`, &text, chromedp.ByQuery),
	)
	assert.Contains(t, text, `"type": "static"`)
	b.screenshot(t, "provisioning-tab")
	b.run(t, "save the policy", click(`[data-testid="policy-save"]`), visible(`[data-testid="policy-notice"]`))

	// Schedules: the frequency picker writes the Quartz expression.
	card := `#schedule-ACCOUNT_AGGREGATION`
	b.run(t, "choose daily at two times",
		chromedp.Navigate(console+"/sources/"+sandbox.SeedUncheckedSourceID+"/schedules?tz=Europe%2FBerlin"),
		visible(card+` [data-testid="schedule-freq"]`),
		chromedp.SetValue(card+` [data-testid="schedule-freq"]`, "daily", chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelector('`+card+` [data-testid="schedule-freq"]').dispatchEvent(new Event("change", {bubbles: true}))`, nil),
		clear(card+` [data-testid="schedule-times"]`),
		chromedp.SendKeys(card+` [data-testid="schedule-times"]`, "05:00, 13:00", chromedp.ByQuery),
		waitJS(`document.querySelector('`+card+` [data-testid="schedule-preview-expr"]')?.textContent === "0 0 5,13 * * ?"`),
	)
	b.screenshot(t, "schedules-tab")
	b.run(t, "save it",
		click(card+` [data-testid="schedule-save"]`),
		visible(card+`[data-exists="true"] [data-testid="schedule-notice"]`),
		chromedp.Text(card+` [data-testid="schedule-cron"]`, &text, chromedp.ByQuery),
	)
	assert.Equal(t, "0 0 5,13 * * ?", text)
	b.run(t, "an invalid time shows no check mark",
		clear(card+` [data-testid="schedule-times"]`),
		chromedp.SendKeys(card+` [data-testid="schedule-times"]`, "5pm", chromedp.ByQuery),
		visible(card+` [data-testid="schedule-preview-error"]`),
		chromedp.Evaluate(`document.querySelectorAll('`+card+` [aria-invalid="false"], `+card+` [data-testid="cron-valid"]').length`, &n),
	)
	assert.Zero(t, n, "nothing claims to be valid")
	b.run(t, "open the schedule on its own page",
		click(card+` [data-testid="schedule-open"]`),
		visible(`[data-testid="schedule-single"]`),
	)

	// Nothing left dangling: a trailing slash, a deleted source's task.
	b.run(t, "a trailing slash finds the page",
		chromedp.Navigate(console+"/sources/"),
		visible(`[data-testid="sources-list"]`),
		chromedp.Location(&loc),
	)
	assert.Equal(t, console+"/sources", loc)
	const created = "Workflow walk CSV"
	b.run(t, "create a source from ISC's connector list, owner by name",
		chromedp.Navigate(console+"/sources/new"),
		visible(`[data-testid="create-form"]`),
		chromedp.SendKeys(`#create-form-name`, created, chromedp.ByQuery),
		chromedp.SetValue(`#create-form-connector`, "delimited-file", chromedp.ByQuery),
		chromedp.SendKeys(`#create-form-owner`, "Ada Admin (ada.admin)", chromedp.ByQuery),
		click(`[data-testid="create-submit"]`),
		visible(`[data-testid="source-overview"]`),
		chromedp.Text(`[data-testid="source-owner"]`, &text, chromedp.ByQuery),
	)
	assert.Equal(t, "Ada Admin", text)
	b.runFor(t, time.Minute, "delete it and follow the task",
		clickTab("danger"),
		visible(`[data-testid="delete-form"]`),
		chromedp.SendKeys(`#delete-form-confirm_name`, created, chromedp.ByQuery),
		click(`[data-testid="delete-submit"]`),
		chromedp.WaitVisible(`[data-testid="task-state"][data-state="success"]`, chromedp.ByQuery),
		visible(`[data-testid="task-source-gone"]`),
		chromedp.AttributeValue(`[data-testid="task-source-link"]`, "href", &text, nil, chromedp.ByQuery),
	)
	assert.Equal(t, "/t/sandbox/sources", text, "the task links to the list, not to the deleted source")
	b.run(t, "the home page's task tile keeps the deletion",
		chromedp.Navigate(console+"/"),
		chromedp.WaitVisible(`[data-testid="tile-tasks"][data-state="ready"]`, chromedp.ByQuery),
		chromedp.Text(`[data-testid="tile-tasks"]`, &text, chromedp.ByQuery),
	)
	assert.Contains(t, text, created+" (deleted)")
	b.flush(t)
	assert.Empty(t, b.ProblemsExcept(422, "/configuration"), "the pages logged errors or CSP violations")

	// Pages that fit the user's level: every tab as each demo user, every control sent.
	tabs := []string{"", "configuration", "schemas", "import", "provisioning", "provisioning/CREATE", "schedules",
		"schedules/ACCOUNT_AGGREGATION", "correlation", "attribute-sync", "change-detection", "entitlement-requests",
		"password-policies", "tools", "danger"}
	// The four users walk at the same time, each in its own tab, on sources of its own.
	t.Run("levels", func(t *testing.T) {
		for _, u := range []struct{ user, source string }{
			{"helpdesk", sandbox.SeedDelimitedSourceID},
			{"subadmin", sandbox.SeedSubadminSourceID},
			{"source-admin", sandbox.SeedQuotesSourceID},
			{"admin", sandbox.SeedEmptyDelimitedSourceID},
		} {
			t.Run(u.user, func(t *testing.T) {
				t.Parallel()
				b := tab(t)
				b.run(t, "sign in", signIn(console, u.user, url.QueryEscape("/sources"), `[data-testid="sources-list"]`),
					chromedp.Evaluate(`document.querySelectorAll('[data-testid="new-source"]').length`, &n))
				assert.Equal(t, u.user == "admin" || u.user == "source-admin", n == 1, "New source only for the levels that create sources")
				var all []replayed
				pages := []string{"/sources", "/sources/new", "/"}
				for _, tab := range tabs {
					pages = append(pages, "/sources/"+u.source+"/"+tab)
				}
				for _, p := range pages {
					var got []replayed
					b.run(t, "send every control of "+p,
						chromedp.Navigate(console+strings.TrimSuffix(p, "/")),
						chromedp.WaitVisible(`#main`, chromedp.ByQuery), settled(),
						chromedp.Evaluate(replayControlsJS, &got, awaitPromise),
					)
					for _, r := range got {
						assert.NotEqual(t, 403, r.Status, "%s: %s %s ends in a 403", p, r.Method, r.URL)
						if u.user == "helpdesk" {
							assert.Fail(t, "helpdesk was offered a control", "%s: %s %s (%d)", p, r.Method, r.URL, r.Status)
						}
						if u.user != "admin" {
							assert.NotContains(t, r.URL, "connector-file", "connector files are ORG_ADMIN's")
						}
					}
					all = append(all, got...)
				}
				if u.user != "helpdesk" {
					assert.NotEmpty(t, all, "a level that manages sources has controls")
				}
				if u.user == "subadmin" {
					b.run(t, "the subadmin's governance group picker offers its own groups only",
						chromedp.Navigate(console+"/sources/"+u.source+"/configuration"),
						visible(`#config-form-workgroup`),
						chromedp.Focus(`#config-form-workgroup`, chromedp.ByQuery),
						waitJS(`document.querySelectorAll('#config-form-workgroup-options option').length > 0`),
						datalistValues(`#config-form-workgroup-options`, &values),
					)
					assert.Equal(t, []string{"Demo Source Stewards"}, values)
				}
				t.Logf("%s: %d controls sent on %d pages", u.user, len(all), len(pages))
				b.flush(t)
				assert.Empty(t, b.ProblemsExcept(422, ""), "the pages logged errors or CSP violations")
			})
		}
	})
	assert.Empty(t, watch.list(), "no page or control answered 403")

	// The three tabs' screenshots also go to docs/ when asked (they are committed).
	if dir := os.Getenv("SCREENSHOTS_TO"); dir != "" {
		for _, name := range []string{"configuration-tab", "provisioning-tab", "schedules-tab"} {
			png, err := os.ReadFile(filepath.Join(artifactDir(t), name+".png"))
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644))
		}
	}
}

// clear empties an input (chromedp.SetValue cannot set an empty value).
func clear(sel string) chromedp.Action {
	return chromedp.Evaluate(`document.querySelector('`+sel+`').value = ""`, nil)
}
