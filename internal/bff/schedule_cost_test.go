package bff

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"sourcedesk/internal/api"
)

// TestUpcomingTileStaysCheapWithEverySecondSchedules: schedules that fire every
// second, planted on many sources, cannot make the home page's upcoming tile burn
// the server's CPU: with 16 such sources the tile answers within a couple of
// seconds even on a busy machine (it took minutes of CPU before), still lists the
// next starts in order, and flags the overlaps.
func TestUpcomingTileStaysCheapWithEverySecondSchedules(t *testing.T) {
	env := newTestEnv(t, nil)
	cl, ctx := env.adminAPI()
	owner := &api.Reference{Type: "IDENTITY", ID: adminIdentity}
	for i := range 16 {
		src, err := cl.CreateSource(ctx, &api.Source{Name: fmt.Sprintf("Every second %02d", i), Owner: owner, Connector: "delimited-file"}, true)
		require.NoError(t, err)
		_, err = cl.CreateSourceSchedule(ctx, src.ID, &api.Schedule{Type: api.ScheduleAccountAggregation, CronExpression: "* * * * * ?"})
		require.NoError(t, err)
	}
	console := httptest.NewServer(env.srv)
	defer console.Close()
	hc := env.client(console)
	get := func() (string, time.Duration) {
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, console.URL+"/dashboard/upcoming?tz=UTC", nil)
		req.Header.Set("HX-Request", "true")
		resp, err := hc.Do(req)
		require.NoError(t, err, "the tile answers")
		defer resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		return readAll(t, resp), time.Since(start)
	}
	var body string
	var took time.Duration
	for range 5 { // the tile reads the schedules in batches, then answers from its caches
		body, took = get()
		if !strings.Contains(body, `data-testid="upcoming-partial"`) {
			break
		}
	}
	require.NotContains(t, body, `data-testid="upcoming-partial"`, "every source's schedules were read")
	assert.Less(t, took, 2*time.Second, "the tile is cheap to compute")
	doc := parse(t, strings.NewReader(body))
	runs := doc.Find(`[data-testid="upcoming-run"]`)
	assert.Equal(t, upcomingShown, runs.Length(), "the first starts are listed")
	assert.Positive(t, doc.Find(`[data-testid="upcoming-warning"]`).Length(), "starts one second apart overlap")
	assert.Contains(t, doc.Find(`[data-testid="upcoming-more"]`).Text(), "more starts")
}

// TestSavingAFrequentScheduleWarnsAndSubMinuteNeedsAnOrgAdmin: a schedule that
// fires more often than every 15 minutes is saved with a warning; one that fires
// more often than once a minute is refused with a clear message, for every level
// but ORG_ADMIN, who can save it after confirming. A refused schedule never
// reaches ISC, and the form keeps what the user typed.
func TestSavingAFrequentScheduleWarnsAndSubMinuteNeedsAnOrgAdmin(t *testing.T) {
	save := func(env *testEnv, id, cron string, extra url.Values) (int, string) {
		form := url.Values{"cronExpression": {cron}}
		for k, v := range extra {
			form[k] = v
		}
		rec := env.postForm("/sources/"+id+"/schedules?type=ACCOUNT_AGGREGATION", form, htmxHeaders)
		return rec.Code, rec.Body.String()
	}
	sourceWithoutSchedule := func(env *testEnv) string {
		_, _, _, _, by := sandboxCounts(t, env)
		return by["unchecked"][0].ID // the sandbox gives unchecked sources no schedule
	}

	t.Run("a SOURCE_ADMIN", func(t *testing.T) {
		env := newTestEnvAs(t, "source-admin", nil)
		id := sourceWithoutSchedule(env)
		env.sandbox.ResetCalls()
		status, body := save(env, id, "* * * * * ?", nil)
		assert.Equal(t, http.StatusUnprocessableEntity, status, body)
		assert.Contains(t, body, "more often than once a minute")
		assert.Contains(t, body, "ORG_ADMIN")
		assert.Contains(t, body, `value="* * * * * ?"`, "the form keeps what was typed")
		assert.Zero(t, env.sandbox.Calls("createSourceSchedule"), "nothing reached ISC")
		assert.NotContains(t, body, `name="confirmFrequent"`, "nothing to confirm at this level")

		status, body = save(env, id, "0 0/5 * * * ?", nil)
		assert.Equal(t, http.StatusOK, status, body)
		assert.Contains(t, body, "Saved.")
		assert.Contains(t, body, "15 minutes", "saved, with a warning")
		assert.Contains(t, body, `data-testid="schedule-warning"`)
	})

	t.Run("an ORG_ADMIN", func(t *testing.T) {
		env := newTestEnv(t, nil)
		id := sourceWithoutSchedule(env)
		env.sandbox.ResetCalls()
		status, body := save(env, id, "0/10 * * * * ?", nil)
		assert.Equal(t, http.StatusUnprocessableEntity, status, body)
		assert.Contains(t, body, "more often than once a minute")
		assert.Contains(t, body, `name="confirmFrequent"`, "asked to confirm")
		assert.Zero(t, env.sandbox.Calls("createSourceSchedule"))

		status, body = save(env, id, "0/10 * * * * ?", url.Values{"confirmFrequent": {"yes"}})
		assert.Equal(t, http.StatusOK, status, body)
		assert.Contains(t, body, "Saved.")
		assert.Contains(t, body, `data-testid="schedule-warning"`)
		assert.Equal(t, 1, env.sandbox.Calls("createSourceSchedule"))
	})
}

// BenchmarkUpcomingTileEverySecondSources computes the upcoming tile of 16 sources
// whose schedule fires every second, with nothing cached (the cost of the first
// load in a minute), beside 16 sources with a daily schedule.
//
//	go test -run '^$' -bench UpcomingTileEverySecond ./internal/bff/
func BenchmarkUpcomingTileEverySecondSources(b *testing.B) {
	now := time.Date(2026, 11, 30, 0, 0, 30, 0, time.UTC)
	for _, tc := range []struct{ name, cron string }{{"daily", "0 0 5 * * ?"}, {"every-second", "* * * * * ?"}} {
		b.Run(tc.name, func(b *testing.B) {
			var list []api.Source
			sched := map[string][]api.Schedule{}
			for i := range 16 {
				id := fmt.Sprintf("s%02d", i)
				list = append(list, api.Source{ID: id, Name: id})
				sched[id] = []api.Schedule{{Type: api.ScheduleAccountAggregation, CronExpression: tc.cron}}
			}
			for b.Loop() {
				upcomingTile(list, sched, now, 24*time.Hour, time.UTC, nil)
			}
		})
	}
}
