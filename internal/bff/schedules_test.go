package bff

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"sourcedesk/internal/sandbox"
)

func formBody(v url.Values) *strings.Reader { return strings.NewReader(v.Encode()) }

var formHeaders = map[string]string{"Content-Type": "application/x-www-form-urlencoded", "HX-Request": "true"}

func TestSchedulesTabShowsSavedSchedulesWithNextRuns(t *testing.T) {
	env := newTestEnv(t, nil)
	path := "/sources/" + sandbox.SeedAuthoritativeSourceID + "/schedules?tz=Europe%2FParis"
	for _, hx := range []map[string]string{nil, {"HX-Request": "true", "HX-Target": "source-tab"}} {
		rec := env.do(http.MethodGet, path, nil, hx)
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		assert.Contains(t, rec.Header().Values("Vary"), "HX-Request")
		doc := parse(t, rec.Body)
		card := doc.Find(`[data-testid="schedule-ACCOUNT_AGGREGATION"]`)
		require.Equal(t, "true", card.AttrOr("data-exists", ""), "the seeded account schedule is listed")
		assert.NotEmpty(t, strings.TrimSpace(card.Find(`[data-testid="schedule-cron"]`).Text()))
		assert.NotEmpty(t, strings.TrimSpace(card.Find(`[data-testid="schedule-description"]`).Text()))
		assert.Equal(t, 3, card.Find(`[data-testid="schedule-next"] li`).Length(), "next three runs")
		assert.Contains(t, card.Find(`[data-testid="schedule-next"] time`).First().AttrOr("datetime", ""), "+0", "times in Paris")
		assert.Equal(t, hx == nil, doc.Find("title").Length() == 1, "full page only without htmx")
	}
}

func TestScheduleCreateValidateUpdateDelete(t *testing.T) {
	env := newTestEnv(t, nil)
	src := sandbox.SeedUncheckedSourceID
	base := "/sources/" + src + "/schedules"
	card := func(rec interface{ Result() *http.Response }) *goquery.Selection {
		doc, err := goquery.NewDocumentFromReader(rec.Result().Body)
		require.NoError(t, err)
		return doc.Find(`[data-testid^="schedule-"]`).First()
	}

	t.Run("invalid expressions are refused here, with the input kept and no call to ISC", func(t *testing.T) {
		env.sandbox.ResetCalls()
		for _, tc := range []struct{ input, want string }{
			{"0 0 12 ? * 8", "day-of-week"},
			{"*/15 * * * *", "in Quartz syntax it is 0 0/15 * * * ?"},
			{"   ", "Enter a cron expression"},
		} {
			rec := env.do(http.MethodPost, base+"?type=GROUP_AGGREGATION", formBody(url.Values{"cronExpression": {tc.input}}), formHeaders)
			require.Equal(t, http.StatusUnprocessableEntity, rec.Code)
			c := card(rec)
			assert.Contains(t, c.Find(`[data-testid="schedule-error"]`).Text(), tc.want)
			assert.Equal(t, strings.Join(strings.Fields(tc.input), " "), c.Find(`[data-testid="schedule-input"]`).AttrOr("value", "?"), "what the user typed stays")
		}
		assert.Zero(t, env.sandbox.Calls("createSourceSchedule"))
	})

	t.Run("create", func(t *testing.T) {
		rec := env.do(http.MethodPost, base+"?type=GROUP_AGGREGATION", formBody(url.Values{"cronExpression": {"0  0 3 ? * MON-FRI"}}), formHeaders)
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		c := card(rec)
		assert.Equal(t, "true", c.AttrOr("data-exists", ""))
		assert.Equal(t, "0 0 3 ? * MON-FRI", strings.TrimSpace(c.Find(`[data-testid="schedule-cron"]`).Text()))
		assert.Equal(t, "Saved.", c.Find(`[data-testid="schedule-notice"]`).Text())
		assert.Equal(t, 1, env.sandbox.Calls("createSourceSchedule"))

		doc := parse(t, env.do(http.MethodGet, base, nil, nil).Body)
		assert.Equal(t, "0 0 3 ? * MON-FRI", strings.TrimSpace(doc.Find(`[data-testid="schedule-GROUP_AGGREGATION"] [data-testid="schedule-cron"]`).Text()),
			"a reload shows what ISC stored")
	})

	t.Run("update", func(t *testing.T) {
		rec := env.do(http.MethodPost, base+"/GROUP_AGGREGATION", formBody(url.Values{"cronExpression": {"0 30 4 L * ?"}}), formHeaders)
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		assert.Equal(t, "0 30 4 L * ?", strings.TrimSpace(card(rec).Find(`[data-testid="schedule-cron"]`).Text()))
		next := parse(t, env.do(http.MethodGet, base+"/next", nil, htmxHeaders).Body)
		assert.Contains(t, next.Find(`[data-testid="next-runs"]`).Text(), "Group aggregation")
	})

	t.Run("delete", func(t *testing.T) {
		rec := env.do(http.MethodDelete, base+"/GROUP_AGGREGATION", nil, htmxHeaders)
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		c := card(rec)
		assert.Equal(t, "false", c.AttrOr("data-exists", ""))
		assert.Contains(t, c.Find(`[data-testid="schedule-notice"]`).Text(), "no longer runs")
		doc := parse(t, env.do(http.MethodGet, base, nil, nil).Body)
		assert.Equal(t, "false", doc.Find(`[data-testid="schedule-GROUP_AGGREGATION"]`).AttrOr("data-exists", ""))
	})

	t.Run("unknown type", func(t *testing.T) {
		rec := env.do(http.MethodPost, base+"?type=NIGHTLY", formBody(url.Values{"cronExpression": {"0 0 1 * * ?"}}), formHeaders)
		assert.Equal(t, http.StatusBadRequest, rec.Code)
		assert.Contains(t, rec.Body.String(), "ACCOUNT_AGGREGATION or GROUP_AGGREGATION")
	})
}
