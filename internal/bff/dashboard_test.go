package bff

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2/clientcredentials"

	"sourcedesk/internal/api"
	"sourcedesk/internal/sandbox"
	"sourcedesk/internal/session"
)

// adminAPI is a client of the env's sandbox as its demo admin, for setting up and
// checking tenant data behind the console's back.
func (e *testEnv) adminAPI() (*api.Client, context.Context) {
	e.t.Helper()
	hc := &http.Client{Timeout: 10 * time.Second}
	cl, err := api.New(api.Config{BaseURL: e.sbURL, HTTPClient: hc, Limiter: noLimit{}})
	require.NoError(e.t, err)
	cc := clientcredentials.Config{ClientID: sandbox.DemoPATClientID, ClientSecret: sandbox.DemoPATClientSecret, TokenURL: e.sbURL + "/oauth/token"}
	ctx := context.WithValue(context.Background(), oauth2HTTPClient, hc)
	return cl.With(cc.TokenSource(ctx)), ctx
}

// noLimit lets test setup call the sandbox as fast as it answers.
type noLimit struct{}

func (noLimit) Wait(context.Context) error { return nil }

// counts are the numbers the status tile should show, read from the sandbox.
func sandboxCounts(t *testing.T, env *testEnv) (total, healthy, unhealthy, unchecked int, byStatus map[string][]api.Source) {
	t.Helper()
	cl, ctx := env.adminAPI()
	byStatus = map[string][]api.Source{}
	for src, err := range cl.AllSources(ctx, api.ListSourcesParams{}) {
		require.NoError(t, err)
		total++
		st := sourceState(src.Status).State
		byStatus[st] = append(byStatus[st], src)
		switch st {
		case "healthy":
			healthy++
		case "unhealthy":
			unhealthy++
		default:
			unchecked++
		}
	}
	return
}

func intText(t *testing.T, s *goquery.Selection) int {
	t.Helper()
	n, err := strconv.Atoi(strings.TrimSpace(s.Find("strong").First().Text()))
	require.NoError(t, err, "number in %q", s.Text())
	return n
}

func TestHomeSignedInShowsTileFrames(t *testing.T) {
	env := newTestEnv(t, nil)
	for _, tc := range []struct {
		name     string
		headers  map[string]string
		wantFull bool
	}{
		{"full page", nil, true},
		{"htmx", htmxHeaders, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env.sandbox.ResetCalls()
			rec := env.do(http.MethodGet, "/?tz=Europe/Paris", nil, tc.headers)
			require.Equal(t, http.StatusOK, rec.Code)
			doc := assertPageOrFragment(t, rec, tc.wantFull)
			assert.Equal(t, 0, env.sandbox.Calls(""), "the frame itself calls nothing upstream")
			for _, id := range []string{"tile-status", "tile-unhealthy", "tile-upcoming", "tile-tasks"} {
				tile := doc.Find(`[data-testid="` + id + `"]`)
				require.Equal(t, 1, tile.Length(), id)
				assert.Equal(t, "load", tile.AttrOr("hx-trigger", ""), id)
				assert.Equal(t, "loading", tile.AttrOr("data-state", ""), id)
				assert.NotEmpty(t, tile.AttrOr("hx-get", ""), id)
				assert.Equal(t, "#dash-tz", tile.AttrOr("hx-include", ""), id)
			}
			assert.Equal(t, "Europe/Paris", doc.Find("#dash-tz").AttrOr("value", ""))
			assert.Zero(t, doc.Find(`[data-testid="home-login"]`).Length(), "no sign-in button when signed in")
		})
	}
}

func TestStatusTileCountsAndLinks(t *testing.T) {
	env := newTestEnv(t, nil)
	total, healthy, unhealthy, unchecked, _ := sandboxCounts(t, env)
	require.Positive(t, unhealthy, "the sandbox seeds unhealthy sources")
	for _, tc := range []struct {
		name    string
		headers map[string]string
	}{
		{"plain", nil},
		{"htmx", htmxHeaders},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := env.do(http.MethodGet, "/dashboard/status", nil, tc.headers)
			require.Equal(t, http.StatusOK, rec.Code)
			doc := assertPageOrFragment(t, rec, false) // a tile is always a fragment
			tile := doc.Find(`[data-testid="tile-status"]`)
			assert.Equal(t, "ready", tile.AttrOr("data-state", ""))
			assert.Equal(t, total, intText(t, tile.Find(`[data-testid="count-total"]`)))
			assert.Equal(t, healthy, intText(t, tile.Find(`[data-testid="count-healthy"]`)))
			assert.Equal(t, unhealthy, intText(t, tile.Find(`[data-testid="count-unhealthy"]`)))
			assert.Equal(t, unchecked, intText(t, tile.Find(`[data-testid="count-unchecked"]`)))
			assert.Equal(t, "/sources?status=unhealthy", tile.Find(`[data-testid="count-unhealthy"]`).AttrOr("href", ""))
			sum := 0
			tile.Find(`[data-testid="type-counts"] tbody tr`).Each(func(_ int, tr *goquery.Selection) {
				n, _ := strconv.Atoi(strings.TrimSpace(tr.Find("td").Eq(1).Text()))
				sum += n
				href := tr.Find("td").Eq(1).Find("a").AttrOr("href", "")
				assert.Equal(t, "/sources?"+url.Values{"type": {tr.AttrOr("data-type", "")}}.Encode(), href)
			})
			assert.Equal(t, total, sum, "the type lines add up to the total")
			// The bar: a part per status, as wide as its share (the counts above are its text).
			bar := tile.Find(`[data-testid="status-bar"]`)
			assert.Equal(t, "true", bar.AttrOr("aria-hidden", ""))
			for cls, n := range map[string]int{"sd-bar-ok": healthy, "sd-bar-bad": unhealthy, "sd-bar-none": unchecked} {
				w, err := strconv.ParseFloat(bar.Find("rect."+cls).AttrOr("width", ""), 64)
				require.NoError(t, err, cls)
				assert.InDelta(t, 100*float64(n)/float64(total), w, 0.06, cls)
			}
		})
	}

	t.Run("the unhealthy link leads to exactly those sources", func(t *testing.T) {
		rec := env.do(http.MethodGet, "/sources?status=unhealthy&size=100", nil, nil)
		require.Equal(t, http.StatusOK, rec.Code)
		assert.Len(t, rowNames(body(t, rec)), unhealthy)
	})
}

// TestDashboardSharesItsReadsAndShowsChangesAtOnce: the tiles and repeat visits
// share one list call; a change made through the console shows at once where it
// matters (a new schedule in the upcoming tile) or is read again behind the copy
// (a connection test's status in the counts), while a schedule leaves the source
// list alone.
func TestDashboardSharesItsReadsAndShowsChangesAtOnce(t *testing.T) {
	env := newTestEnv(t, nil)
	env.sandbox.ResetCalls()
	for _, p := range []string{"/dashboard/status", "/dashboard/unhealthy", "/dashboard/status", "/dashboard/upcoming"} {
		require.Equal(t, http.StatusOK, env.do(http.MethodGet, p, nil, htmxHeaders).Code)
	}
	assert.Equal(t, 1, env.sandbox.Calls("listSources"), "tiles and repeat visits share one list call")
	tile := body(t, env.do(http.MethodGet, "/dashboard/status", nil, htmxHeaders))
	assert.Equal(t, "/dashboard/status", tile.Find(`#tile-status [data-testid="refresh"]`).AttrOr("hx-get", ""), "the copy says its age, with a refresh")

	_, _, _, _, by := sandboxCounts(t, env)
	src := by["unchecked"][0]
	rec := env.postForm("/sources/"+src.ID+"/schedules?type=ACCOUNT_AGGREGATION", url.Values{"cronExpression": {"0 0 4 * * ?"}}, htmxHeaders)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	env.sandbox.ResetCalls()
	require.Equal(t, http.StatusOK, env.do(http.MethodGet, "/dashboard/upcoming", nil, htmxHeaders).Code)
	assert.Equal(t, map[string]int{"getSourceSchedules": 1}, env.sandbox.CallCounts(), "the new schedule is read at once, nothing else")

	rec = env.do(http.MethodPost, "/sources/"+src.ID+"/tools/test-connection", nil, htmxHeaders)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	env.sandbox.ResetCalls()
	require.Equal(t, http.StatusOK, env.do(http.MethodGet, "/dashboard/status", nil, htmxHeaders).Code)
	require.Eventually(t, func() bool { return env.sandbox.Calls("listSources") == 1 }, 10*time.Second, 10*time.Millisecond,
		"a test may change a status: the counts are read again (behind the copy, see TestStatusTilesShowTheirCopyWhileOneRefreshRuns)")
}

func TestTileErrorsStayInsideTheTile(t *testing.T) {
	for _, tc := range []struct {
		name      string
		fault     sandbox.Fault
		path      string
		tile      string
		wantCode  int
		wantWords string
	}{
		{"rate limited", sandbox.Fault{Force429: 10, RetryAfter: 7}, "/dashboard/status", "tile-status", http.StatusTooManyRequests, "ISC is rate limiting this console; retrying in 7 s."},
		{"upstream down", sandbox.Fault{Status: http.StatusInternalServerError}, "/dashboard/unhealthy", "tile-unhealthy", http.StatusBadGateway, "ISC answered with an error"},
		{"upcoming", sandbox.Fault{Status: http.StatusServiceUnavailable}, "/dashboard/upcoming?tz=UTC", "tile-upcoming", http.StatusBadGateway, "ISC answered with an error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newTestEnv(t, nil)
			env.sandbox.SetFault("listSources", tc.fault)
			for _, h := range []map[string]string{nil, htmxHeaders} {
				rec := env.do(http.MethodGet, tc.path, nil, h)
				assert.Equal(t, tc.wantCode, rec.Code)
				assert.Empty(t, rec.Header().Get("HX-Retarget"), "not sent to the alerts region")
				doc := assertPageOrFragment(t, rec, false)
				tile := doc.Find(`[data-testid="` + tc.tile + `"]`)
				assert.Equal(t, "error", tile.AttrOr("data-state", ""))
				assert.Contains(t, tile.Find(`[data-testid="tile-error"]`).Text(), tc.wantWords)
				retry := tile.Find(`[data-testid="tile-retry"]`)
				assert.Equal(t, "#"+tc.tile, retry.AttrOr("hx-target", ""))
				assert.Contains(t, tc.path, retry.AttrOr("hx-get", "-"))
			}
			env.sandbox.ClearFaults()
			rec := env.do(http.MethodGet, tc.path, nil, htmxHeaders)
			assert.Equal(t, http.StatusOK, rec.Code, "the retry works once ISC is back")
		})
	}
}

func TestUnhealthyTile(t *testing.T) {
	env := newTestEnv(t, nil)
	_, _, unhealthy, _, by := sandboxCounts(t, env)
	for _, h := range []map[string]string{nil, htmxHeaders} {
		rec := env.do(http.MethodGet, "/dashboard/unhealthy", nil, h)
		require.Equal(t, http.StatusOK, rec.Code)
		doc := assertPageOrFragment(t, rec, false)
		rows := doc.Find(`[data-testid="unhealthy-row"]`)
		assert.Equal(t, min(unhealthy, unhealthyShown), rows.Length())
		first := rows.First()
		id := first.AttrOr("data-source-id", "")
		var want api.Source
		for _, s := range by["unhealthy"] {
			if s.ID == id {
				want = s
			}
		}
		require.NotEmpty(t, want.ID, "a listed source is unhealthy in the sandbox")
		assert.Contains(t, first.Text(), sourceState(want.Status).Reason)
		assert.Equal(t, "/sources/"+id+"/tools/test-connection", first.Find(`[data-testid="unhealthy-test"]`).AttrOr("hx-post", ""))
	}
	// The button's route is the source's test-connection tool, and it answers with the tool result.
	id := by["unhealthy"][0].ID
	rec := env.do(http.MethodPost, "/sources/"+id+"/tools/test-connection", nil, htmxHeaders)
	assert.Equal(t, http.StatusOK, rec.Code)
}

func TestUpcomingTile(t *testing.T) {
	// 02:30 UTC, after the seeded 02:00 runs: ours are among the first listed.
	now := time.Date(2026, 11, 30, 2, 30, 0, 0, time.UTC)
	env := newTestEnv(t, func(c *Config) { c.Now = func() time.Time { return now } })
	cl, ctx := env.adminAPI()
	_, _, _, _, by := sandboxCounts(t, env)
	src := by["unchecked"][0] // the sandbox gives unchecked sources no schedule
	_, err := cl.CreateSourceSchedule(ctx, src.ID, &api.Schedule{Type: api.ScheduleAccountAggregation, CronExpression: "0 0 3 * * ?"})
	require.NoError(t, err)
	_, err = cl.CreateSourceSchedule(ctx, src.ID, &api.Schedule{Type: api.ScheduleGroupAggregation, CronExpression: "0 10 3 * * ?"})
	require.NoError(t, err)

	for _, tc := range []struct {
		name, tz, wantLocal string
		headers             map[string]string
	}{
		{"UTC by default", "", "Mon 2026-11-30 03:00 UTC", nil},
		// ISC runs the expressions in UTC (ISC_SCHEDULE_ZONE); the browser's zone
		// only converts: 03:00 UTC is 22:00 on Sunday in New York.
		{"the browser's zone", "America/New_York", "Sun 2026-11-29 22:00 EST", htmxHeaders},
		{"an unknown zone falls back to UTC", "Mars/Olympus", "Mon 2026-11-30 03:00 UTC", htmxHeaders},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Until every source's schedules are read, the tile continues by itself.
			var doc *goquery.Document
			for range 10 {
				rec := env.do(http.MethodGet, "/dashboard/upcoming?tz="+url.QueryEscape(tc.tz), nil, tc.headers)
				require.Equal(t, http.StatusOK, rec.Code)
				doc = assertPageOrFragment(t, rec, false)
				if doc.Find(`[data-testid="upcoming-partial"]`).Length() == 0 {
					break
				}
				assert.Contains(t, doc.Find(`[data-testid="tile-upcoming"]`).AttrOr("hx-trigger", ""), "load delay:")
			}
			tile := doc.Find(`[data-testid="tile-upcoming"]`)
			assert.Empty(t, tile.AttrOr("hx-trigger", ""), "complete: no more loads")
			var ours []string
			var warned int
			tile.Find(`[data-testid="upcoming-run"][data-source-id="` + src.ID + `"]`).Each(func(_ int, r *goquery.Selection) {
				ours = append(ours, strings.TrimSpace(r.Find("time").Text()))
				if r.Find(`[data-testid="upcoming-warning"]`).Length() > 0 {
					warned++
				}
			})
			require.Len(t, ours, 2, "both aggregations of the source, once each in 24 h")
			assert.Equal(t, tc.wantLocal, ours[0])
			assert.Equal(t, 2, warned, "10 minutes apart: both are flagged")
			assert.Greater(t, tile.Find(`[data-testid="upcoming-run"]`).Length(), 2, "the seeded schedules are there too")

			// The timeline: a row for the source with both starts flagged, now marked,
			// and the picture named for screen readers by its summary.
			svg := tile.Find(`[data-testid="upcoming-timeline"] svg`)
			assert.Equal(t, "img", svg.AttrOr("role", ""))
			assert.Regexp(t, `^\d+ aggregation starts of \d+ sources in the next 24 hours, \d+ of them overlapping`, svg.AttrOr("aria-label", ""))
			row := svg.Find(`[data-testid="timeline-row"][data-source-id="` + src.ID + `"]`)
			require.Equal(t, 1, row.Length(), "one row for the source")
			assert.Equal(t, 2, row.Find(`[data-testid="timeline-overlap"]`).Length())
			assert.Zero(t, row.Find(`[data-testid="timeline-mark"]`).Length())
			assert.Contains(t, row.Find("title").First().Text(), "Account aggregation at "+tc.wantLocal[len(tc.wantLocal)-9:len(tc.wantLocal)-4])
			assert.Equal(t, 1, svg.Find(`[data-testid="timeline-now"]`).Length())
			assert.Equal(t, 1, tile.Find(`[data-testid="upcoming-details"][open]`).Length(), "some overlap: the list with their warnings is open")
		})
	}
}

// TestUpcomingTileAnswersWhileSchedulesAreSlow: when ISC is slow to give the
// schedules (a busy budget puts them after every page load), the upcoming tile
// answers with those read so far and says the rest follow; the reads go on without
// it, so the next load shows them without asking ISC again.
func TestUpcomingTileAnswersWhileSchedulesAreSlow(t *testing.T) {
	env := newTestEnv(t, nil)
	total, _, _, _, _ := sandboxCounts(t, env)
	require.LessOrEqual(t, total, scheduleBatch, "one batch covers the tenant")
	// 250 ms a call, dashConcurrency at a time: reading them all takes far longer
	// than the tile waits.
	env.sandbox.SetFault("getSourceSchedules", sandbox.Fault{Latency: 250 * time.Millisecond})
	env.sandbox.ResetCalls()
	first := body(t, env.do(http.MethodGet, "/dashboard/upcoming?tz=UTC", nil, htmxHeaders))
	assert.Contains(t, first.Find(`[data-testid="upcoming-partial"]`).Text(), fmt.Sprintf("of %d sources so far", total))
	assert.Contains(t, first.Find(`[data-testid="tile-upcoming"]`).AttrOr("hx-trigger", ""), "load delay:", "the tile loads itself again")

	require.Eventually(t, func() bool { return env.sandbox.Calls("getSourceSchedules") == total }, 30*time.Second, 20*time.Millisecond,
		"the reads go on after the answer")
	var next *goquery.Document
	require.Eventually(t, func() bool {
		next = body(t, env.do(http.MethodGet, "/dashboard/upcoming?tz=UTC", nil, htmxHeaders))
		return next.Find(`[data-testid="upcoming-partial"]`).Length() == 0
	}, 10*time.Second, 20*time.Millisecond, "the last answers are stored as they arrive")
	assert.Positive(t, next.Find(`[data-testid="upcoming-run"]`).Length())
	assert.Equal(t, total, env.sandbox.Calls("getSourceSchedules"), "each source's schedules read once")
}

func TestUpcomingTileOverlap(t *testing.T) {
	now := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	list := []api.Source{{ID: "a", Name: "A"}, {ID: "b", Name: "B"}, {ID: "c", Name: "C"}}
	sched := map[string][]api.Schedule{
		"a": {{Type: api.ScheduleAccountAggregation, CronExpression: "0 0 6 * * ?"}, {Type: api.ScheduleGroupAggregation, CronExpression: "0 20 6 * * ?"}},
		"b": {{Type: api.ScheduleAccountAggregation, CronExpression: "0 0/10 * * * ?"}},
		"c": {{Type: api.ScheduleAccountAggregation, CronExpression: "not cron"}},
	}
	vm := upcomingTile(list, sched, now, 24*time.Hour, time.UTC, nil)
	assert.Equal(t, 3, vm.Checked)
	assert.Equal(t, 1, vm.Unreadable)
	assert.Equal(t, 1, vm.Capped, "every 10 minutes is more than the starts counted per schedule")
	assert.Equal(t, upcomingPerSchedule, vm.Overlaps, "every 10 minutes overlaps itself; 20 minutes apart does not")
	assert.Len(t, vm.Runs, upcomingShown)
	assert.Equal(t, upcomingPerSchedule+2-upcomingShown, vm.More)
	for i := 1; i < len(vm.Runs); i++ {
		assert.LessOrEqual(t, vm.Runs[i-1].Fire.ISO, vm.Runs[i].Fire.ISO, "in time order")
	}
	assert.Equal(t, "2026-11-30T00:10:00Z", vm.Runs[0].Fire.ISO, "the first start after now")
	assert.Contains(t, vm.Runs[0].Warning, "00:20:00, 10m0s apart")

	a := expandRuns(sched["a"], now, now.Add(24*time.Hour))
	require.Len(t, a.runs, 2)
	assert.Equal(t, -1, a.runs[0].near, "20 minutes apart is fine")
	assert.Equal(t, -1, a.runs[1].near)
	b := expandRuns(sched["b"], now.Add(23*time.Hour), now.Add(24*time.Hour))
	assert.Len(t, b.runs, 5, "23:10 to 23:50: the next midnight is outside the window")
	assert.Zero(t, b.capped)
}

// TestUpcomingTimeline: the picture of the next 24 hours has one row per source in
// the order they first start, a mark per start at its place in the day (now at the
// left edge), overlapping starts flagged, the hours every 6 hours of the viewer's
// clock, and a bounded size however many sources and starts there are.
func TestUpcomingTimeline(t *testing.T) {
	now := time.Date(2026, 11, 30, 0, 30, 0, 0, time.UTC)
	list := []api.Source{{ID: "a", Name: "A"}, {ID: "b", Name: "B"}, {ID: "c", Name: "C"}}
	sched := map[string][]api.Schedule{
		"a": {{Type: api.ScheduleAccountAggregation, CronExpression: "0 30 12 * * ?"}, {Type: api.ScheduleGroupAggregation, CronExpression: "0 35 12 * * ?"}},
		"b": {{Type: api.ScheduleAccountAggregation, CronExpression: "0 30 6 * * ?"}},
		"c": {{Type: api.ScheduleAccountAggregation, CronExpression: "not cron"}},
	}
	tl := upcomingTile(list, sched, now, 24*time.Hour, time.UTC, nil).Timeline
	require.Len(t, tl.Rows, 2, "a source without a readable start has no row")
	assert.Equal(t, "b", tl.Rows[0].SourceID, "rows in the order the sources first start")
	require.Len(t, tl.Rows[0].Marks, 1)
	assert.InDelta(t, 0.25, tl.Rows[0].Marks[0].X, 1e-9, "06:30 is a quarter of the day after 00:30")
	assert.False(t, tl.Rows[0].Marks[0].Overlap)
	assert.Equal(t, "Account aggregation at 06:30", tl.Rows[0].Marks[0].Title)
	require.Len(t, tl.Rows[1].Marks, 2)
	assert.InDelta(t, 0.5, tl.Rows[1].Marks[0].X, 1e-9)
	assert.True(t, tl.Rows[1].Marks[0].Overlap && tl.Rows[1].Marks[1].Overlap, "5 minutes apart: both flagged")
	assert.Contains(t, tl.Rows[1].Marks[1].Title, "overlapping")
	assert.Equal(t, 3, tl.Starts)
	assert.Equal(t, 2, tl.Overlaps)
	assert.Equal(t, "3 aggregation starts of 2 sources in the next 24 hours, 2 of them overlapping another start of the same source. The list below has each start.", tl.Summary())
	var ticks []string
	for _, tk := range tl.Ticks {
		ticks = append(ticks, tk.Label)
	}
	assert.Equal(t, []string{"06:00", "12:00", "18:00"}, ticks, "midnight, half an hour before the right edge, would be cut off")

	// In New York (UTC-5) the ticks fall on its own clock's hours.
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	tl = upcomingTile(list, sched, now, 24*time.Hour, ny, nil).Timeline
	assert.Equal(t, "00:00", tl.Ticks[0].Label)
	assert.InDelta(t, 4.5/24, tl.Ticks[0].X, 1e-9, "midnight in New York is 05:00 UTC")
	assert.Equal(t, "Account aggregation at 01:30", tl.Rows[0].Marks[0].Title, "marks say the viewer's time")

	// Many sources, each starting every minute: the picture stays small.
	list, sched = nil, map[string][]api.Schedule{}
	for i := range timelineRows + 5 {
		id := fmt.Sprint("s", i)
		list = append(list, api.Source{ID: id, Name: id})
		sched[id] = []api.Schedule{{Type: api.ScheduleAccountAggregation, CronExpression: "0 * * * * ?"}}
	}
	tl = upcomingTile(list, sched, now, 24*time.Hour, time.UTC, nil).Timeline
	assert.Len(t, tl.Rows, timelineRows)
	assert.Equal(t, 5, tl.HiddenRows)
	for _, r := range tl.Rows {
		assert.Len(t, r.Marks, timelineMarks)
	}
	assert.Equal(t, (timelineRows+5)*upcomingPerSchedule, tl.Starts, "the summary counts every start")
}

// TestUpcomingOverlapSweepFindsTheNearestStart: the sweep over sorted starts finds,
// for every start, the nearest other start of the same source within the overlap
// window, as comparing every pair would.
func TestUpcomingOverlapSweepFindsTheNearestStart(t *testing.T) {
	now := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	scheds := []api.Schedule{
		{Type: api.ScheduleAccountAggregation, CronExpression: "0 0 1,3,5 * * ?"},
		{Type: api.ScheduleGroupAggregation, CronExpression: "0 10,50 1 * * ?"},
		{Type: api.ScheduleAccountAggregation, CronExpression: "0 7 5 * * ?"},
	}
	sr := expandRuns(scheds, now, now.Add(24*time.Hour))
	for j, r := range sr.runs {
		want, best := -1, overlapWindow
		for k, o := range sr.runs {
			if d := o.at.Sub(r.at).Abs(); k != j && d < best {
				want, best = k, d
			}
		}
		assert.Equal(t, want, r.near, "start %s", r.at.Format("15:04"))
	}
}

func TestTasksTileFollowsConsoleTasks(t *testing.T) {
	env := newTestEnv(t, nil)
	_, _, _, _, by := sandboxCounts(t, env)
	for _, h := range []map[string]string{nil, htmxHeaders} {
		rec := env.do(http.MethodGet, "/dashboard/tasks", nil, h)
		require.Equal(t, http.StatusOK, rec.Code)
		doc := assertPageOrFragment(t, rec, false)
		assert.Equal(t, 1, doc.Find(`[data-testid="tasks-none"]`).Length())
	}
	src := directSource(t, by["healthy"])
	rec := env.do(http.MethodPost, "/sources/"+src.ID+"/import/aggregate", nil, htmxHeaders)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())

	// Loads within a few seconds (every user's tile polls) share one status call.
	env.sandbox.ResetCalls()
	for range 2 {
		require.Equal(t, http.StatusOK, env.do(http.MethodGet, "/dashboard/tasks", nil, htmxHeaders).Code)
	}
	assert.LessOrEqual(t, env.sandbox.Calls("getTaskStatus"), 1, "a task's status read a moment ago serves the next load")

	// Right away the task is running (the sandbox advances it every 20 ms, so
	// poll until the tile reports an outcome; a status is read again after
	// taskStatusMaxAge).
	var outcome string
	deadline := time.Now().Add(15 * time.Second)
	for outcome == "" && time.Now().Before(deadline) {
		rec = env.do(http.MethodGet, "/dashboard/tasks", nil, htmxHeaders)
		require.Equal(t, http.StatusOK, rec.Code)
		doc := body(t, rec)
		row := doc.Find(`[data-testid="task-row"]`)
		require.Equal(t, 1, row.Length(), rec.Body.String())
		assert.Contains(t, row.Text(), src.Name)
		if doc.Find(`[data-testid="tasks-running"]`).Length() > 0 {
			assert.Contains(t, doc.Find(`[data-testid="tile-tasks"]`).AttrOr("hx-trigger", ""), "load delay:5s", "running: the tile polls")
			time.Sleep(50 * time.Millisecond)
			continue
		}
		outcome = strings.TrimSpace(row.Find(`[data-testid="task-outcome"]`).Text())
		assert.Empty(t, doc.Find(`[data-testid="tile-tasks"]`).AttrOr("hx-trigger", ""), "finished: polling stops")
	}
	assert.Equal(t, "SUCCESS", outcome)
	env.sandbox.ResetCalls()
	rec = env.do(http.MethodGet, "/dashboard/tasks", nil, htmxHeaders)
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Zero(t, env.sandbox.Calls("getTaskStatus"), "a finished task is not asked about again")
}

// directSource is the first source that aggregates from its connector (file
// sources need a file).
func directSource(t *testing.T, list []api.Source) api.Source {
	t.Helper()
	for _, s := range list {
		if s.ConnectionType == "direct" {
			return s
		}
	}
	t.Fatal("no direct source in the sandbox")
	return api.Source{}
}

func TestDashboardForOtherUserLevels(t *testing.T) {
	t.Run("a subadmin counts only their sources", func(t *testing.T) {
		env := newTestEnvAs(t, "subadmin", nil)
		env.sandbox.ResetCalls()
		rec := env.do(http.MethodGet, "/dashboard/status", nil, htmxHeaders)
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		doc := body(t, rec)
		got := intText(t, doc.Find(`[data-testid="count-total"]`))
		// The subadmin manages the sources of the demo workgroup.
		cl, ctx := env.adminAPI()
		want, all := 0, 0
		for src, err := range cl.AllSources(ctx, api.ListSourcesParams{}) {
			require.NoError(t, err)
			all++
			if src.ManagementWorkgroup != nil && src.ManagementWorkgroup.ID == sandbox.DemoWorkgroupID {
				want++
			}
		}
		assert.Equal(t, want, got)
		assert.Less(t, got, all, "fewer than the whole tenant")
		assert.Positive(t, got)
	})
	t.Run("helpdesk sees no test buttons", func(t *testing.T) {
		env := newTestEnvAs(t, "helpdesk", nil)
		rec := env.do(http.MethodGet, "/dashboard/unhealthy", nil, htmxHeaders)
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		doc := body(t, rec)
		assert.Positive(t, doc.Find(`[data-testid="unhealthy-row"]`).Length())
		assert.Zero(t, doc.Find(`[data-testid="unhealthy-test"]`).Length())
	})
	t.Run("signed out, the tiles send to sign-in", func(t *testing.T) {
		env := newSignedOutEnv(t, nil)
		rec := env.do(http.MethodGet, "/dashboard/status", nil, htmxHeaders)
		assert.Equal(t, http.StatusUnauthorized, rec.Code)
		assert.Contains(t, rec.Header().Get("HX-Redirect"), "/login")
		rec = env.do(http.MethodGet, "/", nil, nil)
		require.Equal(t, http.StatusOK, rec.Code)
		doc := body(t, rec)
		assert.Equal(t, 1, doc.Find(`[data-testid="home-login"]`).Length())
		assert.Zero(t, doc.Find(`[data-testid="home-tiles"]`).Length())
	})
}

// priorityRecorder is a transport that notes the budget priority of each call to ISC.
type priorityRecorder struct {
	mu   sync.Mutex
	seen map[string][]api.Priority // by the path's last segment
}

func (p *priorityRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	p.mu.Lock()
	seg := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
	p.seen[seg] = append(p.seen[seg], api.PriorityOf(r.Context()))
	p.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

func (p *priorityRecorder) of(seg string) []api.Priority {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.seen[seg])
}

// TestUpcomingTileReadsAheadAfterEverythingElse: the tile's own reads are
// background work in the ISC budget (after page loads), and the schedules it reads
// on after answering are prefetch, after the other tiles' reads too: nobody waits
// for them.
func TestUpcomingTileReadsAheadAfterEverythingElse(t *testing.T) {
	sb, hs := newTestSandbox(t)
	rec := &priorityRecorder{seen: map[string][]api.Priority{}}
	env := newConsole(t, sb, hs, "memory", func(c *Config) {
		cl, err := api.New(api.Config{BaseURL: hs.URL, HTTPClient: &http.Client{Transport: rec},
			Limiter: c.Sessions.(*session.Manager).Limiter("sandbox")})
		require.NoError(t, err)
		c.Tenants[0].API = cl
	})
	require.Equal(t, http.StatusOK, env.signIn("admin", "/").Code)
	total, _, _, _, _ := sandboxCounts(t, env)
	require.Equal(t, http.StatusOK, env.do(http.MethodGet, "/dashboard/upcoming?tz=UTC", nil, htmxHeaders).Code)
	require.Eventually(t, func() bool { return len(rec.of("schedules")) == total }, 30*time.Second, 10*time.Millisecond)
	for _, p := range rec.of("schedules") {
		assert.Equal(t, api.PriorityPrefetch, p, "each schedule read ahead")
	}
	assert.Contains(t, rec.of("sources"), api.PriorityBackground, "the tile's list of sources")
}
