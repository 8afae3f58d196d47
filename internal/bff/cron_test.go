package bff

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var cronNow = time.Date(2026, 2, 20, 10, 0, 0, 0, time.UTC)

func TestPreviewCron(t *testing.T) {
	for _, tc := range []struct {
		// zone is both the zone ISC evaluates in and the one times are shown in.
		name, expr, zone string
		wantValid        bool
		wantField        string   // the highlighted field on error
		wantWarn         []string // substrings, each in some warning
		wantFirst        string   // first fire time, RFC 3339
		wantUnix         string
	}{
		{name: "daily at noon in Paris", expr: "0 0 12 * * ?", zone: "Europe/Paris", wantValid: true, wantFirst: "2026-02-20T12:00:00+01:00"},
		{name: "spring forward skips 02:30 in New York", expr: "0 30 2 * * ?", zone: "America/New_York", wantValid: true,
			wantWarn: []string{"Sun 2026-03-08 the clocks go forward: the run at 02:30:00 does not happen"}},
		{name: "fall back repeats 01:30 in New York", expr: "0 30 1 * * ?", zone: "America/New_York", wantValid: true,
			wantWarn: []string{"Sun 2026-11-01 the clocks go back: 01:30:00 happens twice"}},
		{name: "no DST in UTC", expr: "0 30 2 * * ?", zone: "UTC", wantValid: true},
		{name: "every five minutes is too often", expr: "0 0/5 * * * ?", zone: "UTC", wantValid: true, wantWarn: []string{"every 5m0s"}},
		{name: "every 15 minutes is fine", expr: "0 0/15 * * * ?", zone: "UTC", wantValid: true, wantFirst: "2026-02-20T10:15:00Z"},
		{name: "day-of-week out of range", expr: "0 0 12 ? * 8", zone: "UTC", wantField: "day-of-week"},
		{name: "both day fields set", expr: "0 0 12 * * *", zone: "UTC"},
		{name: "unix crontab gets a Quartz suggestion", expr: "*/15 * * * *", zone: "UTC", wantUnix: "0 0/15 * * * ?"},
		{name: "unknown zone", expr: "0 0 12 * * ?", zone: "Mars/Olympus", wantField: "zone"},
		{name: "never fires", expr: "0 0 0 30 2 ?", zone: "UTC", wantValid: true, wantWarn: []string{"never fires"}},
		// Quartz stops at the year of its clock + 100: with the server's clock in 2026,
		// 2126 is the last year that fires.
		{name: "last year Quartz looks at", expr: "0 0 0 1 1 ? 2126,2127", zone: "UTC", wantValid: true,
			wantFirst: "2126-01-01T00:00:00Z", wantWarn: []string{"fires only 1 more time"}},
		{name: "past the last year Quartz looks at", expr: "0 0 0 1 1 ? 2127", zone: "UTC", wantValid: true,
			wantWarn: []string{"never fires: no date matches it up to 2126"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			isc, err := time.LoadLocation(tc.zone)
			if err != nil {
				isc = time.UTC
			}
			r := previewCron(tc.expr, tc.zone, 10, cronNow, isc)
			require.Equal(t, tc.wantValid, r.Valid, "valid (error: %s)", r.Error)
			if !tc.wantValid {
				assert.NotEmpty(t, r.Error)
				assert.Empty(t, r.Next)
			}
			if tc.wantField != "" {
				assert.Equal(t, tc.wantField, r.ErrorField)
				if tc.wantField != "zone" {
					bad := 0
					for _, f := range r.Fields {
						if f.Bad {
							bad++
							assert.Equal(t, tc.wantField, f.Name)
						}
					}
					assert.Equal(t, 1, bad, "exactly the bad field is highlighted")
				}
			}
			warnings := strings.Join(r.Warnings, "\n")
			for _, w := range tc.wantWarn {
				assert.Contains(t, warnings, w)
			}
			if len(tc.wantWarn) == 0 {
				assert.Empty(t, r.Warnings)
			}
			if tc.wantFirst != "" {
				require.NotEmpty(t, r.Next)
				assert.Equal(t, tc.wantFirst, r.Next[0].ISO)
			}
			assert.Equal(t, tc.wantUnix, r.UnixSuggestion)
			if r.Valid {
				assert.NotEmpty(t, r.Description)
			}
		})
	}
}

func TestPreviewCronFireTimesAreStrictlyIncreasingWithUTCBeside(t *testing.T) {
	kolkata, _ := time.LoadLocation("Asia/Kolkata")
	r := previewCron("0 0 5,13,21 * * ?", "Asia/Kolkata", 20, cronNow, kolkata)
	require.Len(t, r.Next, 20)
	var prev time.Time
	for _, f := range r.Next {
		at, err := time.Parse(time.RFC3339, f.ISO)
		require.NoError(t, err)
		assert.True(t, at.After(prev))
		assert.Equal(t, at.UTC().Format("2006-01-02 15:04:05Z"), f.UTC)
		assert.Contains(t, []int{5, 13, 21}, at.Hour())
		prev = at
	}
}

func TestCronPageAndPreviewRoutes(t *testing.T) {
	s := newTestServer(t, func(c *Config) { c.Now = func() time.Time { return cronNow } })

	t.Run("page carries the expression from the URL", func(t *testing.T) {
		rec := do(t, s, http.MethodGet, "/cron?expr=0+0+12+*+*+%3F&tz=Europe%2FParis&n=5", nil)
		require.Equal(t, http.StatusOK, rec.Code)
		assert.Contains(t, rec.Header().Values("Vary"), "HX-Request")
		doc := parse(t, rec.Body)
		assert.Equal(t, "0 0 12 * * ?", doc.Find(`[data-testid="cron-expr"]`).AttrOr("value", ""))
		assert.Equal(t, "true", doc.Find(`[data-testid="cron-result"]`).AttrOr("data-valid", ""))
		assert.Equal(t, 5, doc.Find(`[data-testid="cron-next"] tbody tr`).Length())
		assert.Equal(t, 1, doc.Find("title").Length())
		assert.GreaterOrEqual(t, doc.Find(`[data-testid="cron-preset"]`).Length(), 5)
	})
	t.Run("htmx preview is a fragment", func(t *testing.T) {
		rec := do(t, s, http.MethodGet, "/cron/preview?expr=0+0+12+%3F+*+8&tz=UTC", map[string]string{"HX-Request": "true", "HX-Target": "cron-result"})
		require.Equal(t, http.StatusOK, rec.Code)
		assert.Equal(t, "/cron?expr=0+0+12+%3F+*+8&tz=UTC", rec.Header().Get("HX-Push-Url"), "the address bar gets the page's URL")
		inline := do(t, s, http.MethodGet, "/cron/preview?expr=x", map[string]string{"HX-Request": "true", "HX-Target": "preview-ACCOUNT_AGGREGATION"})
		assert.Empty(t, inline.Header().Get("HX-Push-Url"), "inline previews in schedule forms leave the address bar alone")
		form := parse(t, do(t, s, http.MethodGet, "/cron/preview?cronExpression=0+0+3+%3F+*+MON&tz=UTC&n=5",
			map[string]string{"HX-Request": "true", "HX-Target": "preview-GROUP_AGGREGATION"}).Body)
		assert.Equal(t, "true", form.Find(`[data-testid="cron-result"]`).AttrOr("data-valid", ""), "the schedule form's field name previews too")
		assert.Equal(t, 5, form.Find(`[data-testid="cron-next"] tbody tr`).Length())
		doc := parse(t, rec.Body)
		assert.Equal(t, 0, doc.Find("title").Length())
		assert.Contains(t, doc.Find(`[data-testid="cron-error"]`).Text(), "day-of-week")
		assert.Equal(t, "8", strings.TrimSpace(doc.Find(`[data-testid="cron-bad-field"] code`).Text()))
	})
	t.Run("plain GET of the preview goes to the page", func(t *testing.T) {
		rec := do(t, s, http.MethodGet, "/cron/preview?expr=x", nil)
		assert.Equal(t, http.StatusSeeOther, rec.Code)
		assert.Equal(t, "/cron?expr=x", rec.Header().Get("Location"))
	})
	t.Run("JSON for scripts", func(t *testing.T) {
		for _, path := range []string{"/cron/preview", "/cron"} {
			rec := do(t, s, http.MethodGet, path+"?expr=0+0+12+*+*+%3F&tz=UTC&n=3", map[string]string{"Accept": "application/json"})
			require.Equal(t, http.StatusOK, rec.Code)
			var got cronPreviewJSON
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
			assert.True(t, got.Valid)
			assert.Equal(t, []string{"2026-02-20T12:00:00Z", "2026-02-21T12:00:00Z", "2026-02-22T12:00:00Z"}, got.Next)
			assert.NotEmpty(t, got.Description)
		}
		rec := do(t, s, http.MethodGet, "/cron/preview?expr=nope", map[string]string{"Accept": "application/json"})
		var got cronPreviewJSON
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
		assert.False(t, got.Valid)
		assert.NotEmpty(t, got.Error)
		assert.Equal(t, []string{}, got.Next)
	})
	t.Run("bad count is a clear 400", func(t *testing.T) {
		for _, hx := range []map[string]string{nil, htmxHeaders} {
			rec := do(t, s, http.MethodGet, "/cron/preview?expr=x&n=1000", hx)
			assert.Equal(t, http.StatusBadRequest, rec.Code)
			assert.Contains(t, rec.Body.String(), "n must be a whole number from 1 to 50")
		}
	})
}
