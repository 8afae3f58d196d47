package bff

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"sourcedesk/internal/api"
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
		assert.Equal(t, hx == nil, doc.Find(`footer [data-testid="version"]`).Length() == 1, "full page only without htmx")
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

	t.Run("an empty expression means not scheduled", func(t *testing.T) {
		rec := env.do(http.MethodPost, base+"?type=GROUP_AGGREGATION", formBody(url.Values{"cronExpression": {"   "}}), formHeaders)
		require.Equal(t, http.StatusOK, rec.Code)
		c := card(rec)
		assert.Equal(t, "false", c.AttrOr("data-exists", ""))
		assert.Contains(t, c.Find(`[data-testid="schedule-notice"]`).Text(), "Not scheduled")
		assert.Empty(t, c.Find(`[data-testid="schedule-input"]`).AttrOr("placeholder", ""), "no placeholder that looks like a real expression")

		require.Equal(t, http.StatusOK, env.do(http.MethodPost, base+"?type=GROUP_AGGREGATION", formBody(url.Values{"cronExpression": {"0 0 2 * * ?"}}), formHeaders).Code)
		rec = env.do(http.MethodPost, base+"/GROUP_AGGREGATION", formBody(url.Values{"freq": {"none"}}), formHeaders)
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		assert.Equal(t, "false", card(rec).AttrOr("data-exists", ""), "choosing not scheduled removes the schedule")
	})

	t.Run("unknown type", func(t *testing.T) {
		rec := env.do(http.MethodPost, base+"?type=NIGHTLY", formBody(url.Values{"cronExpression": {"0 0 1 * * ?"}}), formHeaders)
		assert.Equal(t, http.StatusBadRequest, rec.Code)
		assert.Contains(t, rec.Body.String(), "ACCOUNT_AGGREGATION or GROUP_AGGREGATION")
	})
}

// Fire times are computed in the zone ISC evaluates schedules in; the zone a
// user picks only converts the instants, so the Schedules tab in any zone, the
// overview and the home page's tile name the same moments.
func TestFireTimesComeFromTheISCZoneAndAreOnlyShownInTheUsersZone(t *testing.T) {
	now := time.Date(2026, 11, 30, 0, 30, 0, 0, time.UTC) // winter: Berlin is UTC+1
	berlin, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	for _, tc := range []struct {
		name  string
		isc   *time.Location
		first string // the first run of "0 0 3 * * ?" as an instant
	}{
		{"ISC in UTC (the default)", nil, "2026-11-30T03:00:00Z"},
		{"ISC in Berlin", berlin, "2026-11-30T02:00:00Z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newTestEnv(t, func(c *Config) { c.Now = func() time.Time { return now }; c.ScheduleZone = tc.isc })
			cl, ctx := env.adminAPI()
			src := sandbox.SeedUncheckedSourceID // seeded without schedules
			_, err := cl.CreateSourceSchedule(ctx, src, &api.Schedule{Type: api.ScheduleAccountAggregation, CronExpression: "0 0 3 * * ?"})
			require.NoError(t, err)
			want, err := time.Parse(time.RFC3339, tc.first)
			require.NoError(t, err)
			instant := func(sel *goquery.Selection) time.Time {
				at, err := time.Parse(time.RFC3339, sel.AttrOr("datetime", ""))
				require.NoError(t, err, "datetime of %q", sel.Text())
				return at
			}
			for _, zone := range []string{"UTC", "Europe/Berlin", "America/New_York"} {
				doc := parse(t, env.do(http.MethodGet, "/sources/"+src+"/schedules?tz="+url.QueryEscape(zone), nil, nil).Body)
				first := doc.Find(`[data-testid="schedule-ACCOUNT_AGGREGATION"] [data-testid="schedule-next"] time`).First()
				assert.True(t, want.Equal(instant(first)), "Schedules tab in %s: %s", zone, first.AttrOr("datetime", ""))
				loc, _ := time.LoadLocation(zone)
				assert.Equal(t, want.In(loc).Format("Mon 2006-01-02 15:04 MST"), first.Text(), "shown on %s's clock", zone)

				doc = parse(t, env.do(http.MethodGet, "/sources/"+src+"/schedules/next?tz="+url.QueryEscape(zone), nil, htmxHeaders).Body)
				assert.True(t, want.Equal(instant(doc.Find(`[data-testid="next-runs"] time`).First())), "overview in %s", zone)
			}
			iscName := "UTC"
			if tc.isc != nil {
				iscName = tc.isc.String()
			}
			doc := parse(t, env.do(http.MethodGet, "/sources/"+src+"/schedules", nil, nil).Body)
			assert.Contains(t, doc.Find(`[data-testid="schedules-isc-zone"]`).Text(), iscName)

			// The cron previewer the schedule form uses inline agrees.
			prev := parse(t, env.do(http.MethodGet, "/cron/preview?cronExpression="+url.QueryEscape("0 0 3 * * ?")+"&tz=America%2FNew_York&n=1", nil, htmxHeaders).Body)
			assert.True(t, want.Equal(instant(prev.Find(`[data-testid="cron-next"] time`).First())), "previewer")
		})
	}
}

// The frequency picker writes the Quartz expression; an existing expression is
// read back into it; what cannot be written is refused next to its field.
func TestScheduleFrequencyPicker(t *testing.T) {
	env := newTestEnv(t, nil)
	src := sandbox.SeedUncheckedSourceID
	base := "/sources/" + src + "/schedules"
	for _, tc := range []struct {
		name string
		form url.Values
		want string
	}{
		{"every 4 hours at :15", url.Values{"freq": {"hours"}, "every_hours": {"4"}, "minute": {"15"}}, "0 15 0/4 * * ?"},
		{"daily at two times", url.Values{"freq": {"daily"}, "times": {"13:00, 05:00"}}, "0 0 5,13 * * ?"},
		{"weekly on days", url.Values{"freq": {"weekly"}, "times": {"06:30"}, "days": {"MON", "FRI"}}, "0 30 6 ? * MON,FRI"},
		{"monthly on the last day", url.Values{"freq": {"monthly"}, "times": {"23:00"}, "month_day": {"L"}}, "0 0 23 L * ?"},
		{"advanced", url.Values{"freq": {"advanced"}, "cronExpression": {"0 0 6 ? * 2#1"}}, "0 0 6 ? * 2#1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := cloneValues(tc.form)
			prev := parse(t, env.do(http.MethodGet, base+"/ACCOUNT_AGGREGATION/preview?"+q.Encode(), nil, htmxHeaders).Body)
			assert.Equal(t, tc.want, prev.Find(`[data-testid="schedule-preview-expr"]`).Text(), "the preview names the expression")
			assert.Equal(t, "true", prev.Find(`[data-testid="cron-result"]`).AttrOr("data-valid", ""))

			env.do(http.MethodDelete, base+"/ACCOUNT_AGGREGATION", nil, htmxHeaders)
			rec := env.do(http.MethodPost, base+"?type=ACCOUNT_AGGREGATION", formBody(tc.form), formHeaders)
			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			doc := parse(t, rec.Body)
			assert.Equal(t, tc.want, strings.TrimSpace(doc.Find(`[data-testid="schedule-cron"]`).Text()))
			assert.Equal(t, tc.form.Get("freq"), doc.Find(`[data-testid="schedule-freq"] option[selected]`).AttrOr("value", ""),
				"the saved expression is read back into the picker")
		})
	}
	for _, tc := range []struct {
		name, field string
		form        url.Values
		want        string
	}{
		{"times with different minutes", "times", url.Values{"freq": {"daily"}, "times": {"05:15, 13:30"}}, "same minute"},
		{"not a time", "times", url.Values{"freq": {"daily"}, "times": {"5pm"}}, "HH:MM"},
		{"no day", "days", url.Values{"freq": {"weekly"}, "times": {"05:00"}}, "at least one day"},
		{"every 30 hours", "every_hours", url.Values{"freq": {"hours"}, "every_hours": {"30"}, "minute": {"0"}}, "1 to 23"},
		{"bad cron", "cronExpression", url.Values{"freq": {"advanced"}, "cronExpression": {"0 0 25 * * ?"}}, "hours"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env.sandbox.ResetCalls()
			rec := env.do(http.MethodPost, base+"/ACCOUNT_AGGREGATION", formBody(tc.form), formHeaders)
			assert.Equal(t, http.StatusUnprocessableEntity, rec.Code)
			doc := parse(t, rec.Body)
			assert.Contains(t, doc.Find(`[data-testid="schedule-error-`+tc.field+`"]`).Text(), tc.want)
			assert.Zero(t, env.sandbox.Calls("updateSourceSchedule"))
			assert.Zero(t, doc.Find(`[aria-invalid="false"]`).Length(), "no field claims to be valid (no check mark)")
			prev := parse(t, env.do(http.MethodGet, base+"/ACCOUNT_AGGREGATION/preview?"+tc.form.Encode(), nil, htmxHeaders).Body)
			assert.NotEmpty(t, prev.Find(`[data-testid="schedule-preview-error"]`).Text(), "the preview says it is not valid")
			assert.Zero(t, prev.Find(`[data-testid="cron-valid"]`).Length())
		})
	}
}

// One schedule opens on its own page (getSourceSchedule), inside the Schedules tab.
func TestOpenOneSchedule(t *testing.T) {
	env := newTestEnv(t, nil)
	id := sandbox.SeedAuthoritativeSourceID
	tab := parse(t, env.do(http.MethodGet, "/sources/"+id+"/schedules", nil, nil).Body)
	href := tab.Find(`[data-testid="schedule-ACCOUNT_AGGREGATION"] [data-testid="schedule-open"]`).AttrOr("href", "")
	require.Equal(t, "/sources/"+id+"/schedules/ACCOUNT_AGGREGATION", href)
	env.sandbox.ResetCalls()
	doc := parse(t, env.do(http.MethodGet, href, nil, nil).Body)
	assert.Equal(t, 1, env.sandbox.Calls("getSourceSchedule"))
	assert.Equal(t, 1, doc.Find(`[data-testid="schedule-single"]`).Length())
	assert.NotEmpty(t, doc.Find(`[data-testid="schedule-cron"]`).Text())
	assert.Equal(t, "/sources/"+id+"/schedules", doc.Find(`[data-testid="schedules-all"]`).AttrOr("href", ""))
	unscheduled := parse(t, env.do(http.MethodGet, "/sources/"+sandbox.SeedUncheckedSourceID+"/schedules/GROUP_AGGREGATION", nil, nil).Body)
	assert.Equal(t, "false", unscheduled.Find(`[data-testid="schedule-GROUP_AGGREGATION"]`).AttrOr("data-exists", ""))
	assert.Equal(t, http.StatusNotFound, env.do(http.MethodGet, "/sources/"+id+"/schedules/NIGHTLY", nil, nil).Code)
}
