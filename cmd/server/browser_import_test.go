package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"sourcedesk/internal/sandbox"
)

// TestBrowserImportWalkthrough is the import workflow in a real browser against the
// demo tenant: sign in, open a Delimited File source, add a schema attribute through the reviewed
// JSON Patch, pre-flight a CSV with errors (they are listed), fix it, upload it with
// the progress bar, and follow the task to SUCCESS; its counts match the file. Then an
// edited schema template: compared first, its removal refused until confirmed.
func TestBrowserImportWalkthrough(t *testing.T) {
	if testing.Short() {
		t.Skip("browser walkthrough skipped in -short mode")
	}
	t.Parallel()
	app := startApp(t, nil)
	b := newBrowser(t)
	src := sandbox.SeedEmptyDelimitedSourceID

	b.run(t, "sign in", signIn(app.ConsoleURL, "admin", "/sources/"+src+"/schemas", `[data-testid="schema-list"]`))
	b.screenshot(t, "01-schemas")

	var patch, notice string
	b.run(t, "add an attribute: review the patch",
		click(`tr[data-schema="account"] a`),
		visible(`[data-testid="schema-view"]`),
		chromedp.Evaluate(`document.querySelectorAll('[data-testid="schema-view"] details').forEach(d => d.open = true)`, nil),
		chromedp.SendKeys(`#attr-form-add input[name="name"]`, "costCenter", chromedp.ByQuery),
		chromedp.SendKeys(`#attr-form-add input[name="description"]`, "Cost centre", chromedp.ByQuery),
		click(`#attr-form-add [data-testid="attribute-submit"]`),
		visible(`[data-testid="patch-json"]`),
		chromedp.Text(`[data-testid="patch-json"]`, &patch, chromedp.ByQuery),
	)
	b.screenshot(t, "02-schema-patch-preview")
	assert.Contains(t, patch, `"/attributes/-"`)
	assert.Contains(t, patch, "costCenter")
	b.run(t, "apply",
		click(`[data-testid="patch-apply"]`),
		visible(`[data-testid="schema-notice"]`),
		chromedp.Text(`[data-testid="schema-notice"]`, &notice, chromedp.ByQuery),
		chromedp.WaitVisible(`tr[data-attribute="costCenter"]`, chromedp.ByQuery),
	)
	b.screenshot(t, "03-schema-updated")
	assert.Equal(t, "Schema updated.", notice)

	dir := t.TempDir()
	header := "id,displayName,email,department,startDate,active,level,groups,costCenter\n"
	var good strings.Builder
	good.WriteString(header)
	const rows = 20000 // about 1.5 MB: enough for several progress events
	for i := range rows {
		fmt.Fprintf(&good, "u%06d,User %d,u%d@example.com,IT,2024-01-02,true,%d,users,CC%d\n", i, i, i, i%5, i%7)
	}
	bad := header + "u1,Ann,ann@example.com,IT,2024-01-02,true,1,users,CC1\n" +
		"u1,Bob,bob@example.com,HR,2024-01-02,true,2,users,CC2\n"
	badPath, goodPath := filepath.Join(dir, "accounts-bad.csv"), filepath.Join(dir, "accounts.csv")
	require.NoError(t, os.WriteFile(badPath, []byte(bad), 0o600))
	require.NoError(t, os.WriteFile(goodPath, []byte(good.String()), 0o600))

	var findings string
	var uploadButtons int
	b.run(t, "pre-flight a file with errors",
		chromedp.Navigate(app.ConsoleURL+"/sources/"+src+"/import"),
		visible(`#form-accounts`),
		chromedp.SetUploadFiles(`#form-accounts input[type="file"]`, []string{badPath}, chromedp.ByQuery),
		click(`#form-accounts [data-testid="preflight-button"]`),
		visible(`#report-accounts [data-testid="findings"]`),
		chromedp.Text(`#report-accounts [data-testid="findings"]`, &findings, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll('#report-accounts [data-testid="upload-button"]').length`, &uploadButtons),
	)
	b.screenshot(t, "04-preflight-errors")
	assert.Contains(t, strings.ToLower(findings), "error")
	assert.Contains(t, findings, "3", "the line of the duplicate")
	assert.Zero(t, uploadButtons, "errors block the upload")

	var preflightRows string
	b.run(t, "fix the file and check it again",
		chromedp.SetUploadFiles(`#form-accounts input[type="file"]`, []string{goodPath}, chromedp.ByQuery),
		click(`#form-accounts [data-testid="preflight-button"]`),
		visible(`#report-accounts [data-testid="upload-button"]`),
		chromedp.Text(`#report-accounts [data-testid="preflight-rows"]`, &preflightRows, chromedp.ByQuery),
	)
	b.screenshot(t, "05-preflight-ok")
	assert.Equal(t, fmt.Sprint(rows), preflightRows)

	// Record the progress bar's values in sessionStorage, which outlives the swap to
	// the task page (htmx replaces #main; later requests find no upload form).
	var progress string
	b.runFor(t, time.Minute, "upload with the progress bar, then follow the task",
		chromedp.Evaluate(`sessionStorage.removeItem("sdProgress");
			document.addEventListener("htmx:xhr:progress", () => {
				const bar = document.querySelector('#form-accounts [data-upload-progress]');
				if (!bar) return;
				sessionStorage.setItem("sdProgress", (sessionStorage.getItem("sdProgress") || "") + (bar.hidden ? "h" : bar.value) + ",");
			});`, nil),
		click(`#report-accounts [data-testid="upload-button"]`),
		chromedp.WaitVisible(`[data-testid="task-panel"]`, chromedp.ByQuery),
		chromedp.Evaluate(`sessionStorage.getItem("sdProgress") || ""`, &progress),
	)
	b.screenshot(t, "06-task-running")
	assert.NotEmpty(t, progress, "the upload reported progress")
	assert.NotContains(t, progress, "h", "the bar was visible while uploading")
	assert.Contains(t, progress, "100,", "the bar reached 100 %")

	var state, total, created string
	b.runFor(t, time.Minute, "the task finishes",
		chromedp.WaitVisible(`[data-testid="task-panel"][data-state="success"]`, chromedp.ByQuery),
		chromedp.Text(`[data-testid="count-total"]`, &total, chromedp.ByQuery),
		chromedp.Text(`[data-testid="count-created"]`, &created, chromedp.ByQuery),
		chromedp.AttributeValue(`[data-testid="task-panel"]`, "data-state", &state, nil, chromedp.ByQuery),
	)
	b.screenshot(t, "07-task-success")
	assert.Equal(t, "success", state)
	assert.Equal(t, fmt.Sprint(rows), total, "ISC counted every row of the file")
	assert.Equal(t, fmt.Sprint(rows), created)

	// The schema CSV is the flat-file template: an edited header is compared with the
	// schema first, and removing an attribute needs the box that names it ticked.
	templatePath := filepath.Join(dir, "account-schema.csv")
	require.NoError(t, os.WriteFile(templatePath, []byte(strings.Replace(header, ",costCenter\n", ",badge\n", 1)), 0o600))
	var removed, refused, uploaded string
	b.run(t, "compare an edited schema template",
		chromedp.Navigate(app.ConsoleURL+"/sources/"+src+"/schemas"),
		visible(`[data-testid="schema-file-accounts"]`),
		chromedp.SetUploadFiles(`[data-testid="schema-file-accounts"] input[type="file"]`, []string{templatePath}, chromedp.ByQuery),
		click(`[data-testid="schema-file-accounts"] [data-testid="schema-diff-button"]`),
		visible(`[data-testid="diff-removed"]`),
		chromedp.Text(`[data-testid="diff-removed"]`, &removed, chromedp.ByQuery),
	)
	b.screenshot(t, "08-schema-diff")
	assert.Contains(t, removed, "costCenter")
	b.run(t, "upload without ticking the removal",
		click(`[data-testid="schema-upload-button"]`),
		visible(`[data-testid="diff-refused"]`),
		chromedp.Text(`[data-testid="diff-refused"]`, &refused, chromedp.ByQuery),
	)
	assert.Contains(t, refused, "costCenter")
	b.run(t, "tick it and upload",
		click(`[data-testid="confirm-remove"]`),
		click(`[data-testid="schema-upload-button"]`),
		visible(`#schema-diff-accounts [data-testid="alert"][data-kind="success"]`),
		chromedp.Text(`#schema-diff-accounts [data-testid="alert"]`, &uploaded, chromedp.ByQuery),
	)
	b.screenshot(t, "09-schema-uploaded")
	assert.Contains(t, uploaded, "1 added, 1 removed, 8 kept")
	b.flush(t)
	// The refused schema upload is a 422 on purpose.
	assert.Empty(t, b.ProblemsExcept(422, "/schema-files/accounts"), "no console errors or CSP violations")
}
