package main

import (
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"sourcedesk/internal/sandbox"
)

// TestBrowserCronPreviewerAndScheduleForm: the previewer and a source's schedule form,
// as a user types in them.
func TestBrowserCronPreviewerAndScheduleForm(t *testing.T) {
	t.Parallel() // its own app and incognito browser context
	app := startApp(t, nil)
	b := newBrowser(t)
	var errText, badField, description, loc, cronText string
	var rows int

	// The previewer: an invalid expression names the field, a valid one is described
	// and previewed, and the URL carries the expression so it can be shared.
	b.run(t, "open the previewer", chromedp.Navigate(app.ConsoleURL+"/cron?tz=UTC"), visible(`#cron-expr`))
	b.run(t, "type an invalid expression",
		chromedp.SendKeys(`#cron-expr`, "0 0 12 ? * 8", chromedp.ByQuery),
		visible(`[data-testid="cron-bad-field"]`),
		chromedp.Text(`[data-testid="cron-error"]`, &errText, chromedp.ByQuery),
		chromedp.Text(`[data-testid="cron-bad-field"] code`, &badField, chromedp.ByQuery),
	)
	assert.Contains(t, errText, "day-of-week")
	assert.Equal(t, "8", strings.TrimSpace(badField), "the bad field is highlighted")
	b.screenshot(t, "01-cron-invalid")

	b.run(t, "fix it",
		chromedp.Evaluate(`document.querySelector("#cron-expr").value = ""`, nil),
		chromedp.SendKeys(`#cron-expr`, "0 0 12 ? * MON-FRI", chromedp.ByQuery),
		visible(`[data-testid="cron-valid"]`),
		chromedp.Text(`[data-testid="cron-description"]`, &description, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll('[data-testid="cron-next"] tbody tr').length`, &rows),
		chromedp.Location(&loc),
	)
	assert.NotEmpty(t, strings.TrimSpace(description))
	assert.Equal(t, 10, rows, "the next ten fire times")
	u, err := url.Parse(loc)
	require.NoError(t, err)
	assert.Equal(t, "0 0 12 ? * MON-FRI", u.Query().Get("expr"), "the address bar carries the expression")
	b.screenshot(t, "02-cron-valid")

	// A source's schedule form: the inline preview, a refused save that keeps what
	// was typed, then a saved schedule that a reload still lists.
	card := `#schedule-GROUP_AGGREGATION`
	input := card + ` [data-testid="schedule-input"]`
	b.run(t, "sign in to the schedules tab",
		signIn(app.ConsoleURL, "admin", url.QueryEscape("/sources/"+sandbox.SeedUncheckedSourceID+"/schedules?tz=UTC"), `[data-testid="schedules-tab"]`))
	b.run(t, "choose Advanced and type an invalid expression into the form",
		chromedp.SetValue(card+` [data-testid="schedule-freq"]`, "advanced", chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelector('`+card+` [data-testid="schedule-freq"]').dispatchEvent(new Event("change", {bubbles: true}))`, nil),
		visible(input),
		chromedp.SendKeys(input, "0 0 3 * * MON", chromedp.ByQuery),
		visible(card+` [data-testid="schedule-preview"] [data-testid="schedule-preview-error"]`),
	)
	b.run(t, "save it anyway",
		click(card+` [data-testid="schedule-save"]`),
		visible(card+` [data-testid="schedule-error"]`),
		chromedp.Text(card+` [data-testid="schedule-error"]`, &errText, chromedp.ByQuery),
		chromedp.Value(input, &cronText, chromedp.ByQuery),
	)
	assert.NotEmpty(t, errText, "the refusal is explained next to the field")
	assert.Equal(t, "0 0 3 * * MON", cronText, "what the user typed is kept")
	b.screenshot(t, "03-schedule-refused")

	b.run(t, "correct and save",
		chromedp.Evaluate(`document.querySelector('`+input+`').value = ""`, nil),
		chromedp.SendKeys(input, "0 0 3 ? * MON", chromedp.ByQuery),
		visible(card+` [data-testid="schedule-preview"] [data-testid="cron-valid"]`),
		click(card+` [data-testid="schedule-save"]`),
		visible(card+`[data-exists="true"] [data-testid="schedule-notice"]`),
	)
	b.screenshot(t, "04-schedule-saved")
	b.run(t, "reload: the schedule is listed",
		chromedp.Reload(),
		visible(card+`[data-exists="true"]`),
		chromedp.Text(card+` [data-testid="schedule-cron"]`, &cronText, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll('`+card+` [data-testid="schedule-next"] li').length`, &rows),
	)
	assert.Equal(t, "0 0 3 ? * MON", strings.TrimSpace(cronText))
	assert.Equal(t, 3, rows, "the next runs are listed")
	b.flush(t)
	// The refused save above is a 422 on purpose.
	assert.Empty(t, b.ProblemsExcept(422, "/schedules?type=GROUP_AGGREGATION"), "the pages logged errors or CSP violations")
}
