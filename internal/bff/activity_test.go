package bff

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"sourcedesk/internal/activity"
	"sourcedesk/internal/csvcheck"
	"sourcedesk/internal/testservers"
)

func TestChangesAreRecorded(t *testing.T) {
	env := newTestEnv(t, nil)
	_, _, _, _, by := sandboxCounts(t, env)
	src := by["unchecked"][0]
	healthy := directSource(t, by["healthy"])

	// A schedule change (htmx), a connector tool, an aggregation (a task) and a
	// refused change: each is one entry.
	rec := env.postForm("/sources/"+src.ID+"/schedules?type=ACCOUNT_AGGREGATION", url.Values{"cronExpression": {"0 0 4 * * ?"}}, htmxHeaders)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	rec = env.do(http.MethodPost, "/sources/"+healthy.ID+"/tools/test-connection", nil, htmxHeaders)
	require.Equal(t, http.StatusOK, rec.Code)
	rec = env.do(http.MethodPost, "/sources/"+healthy.ID+"/import/aggregate", nil, htmxHeaders)
	require.Equal(t, http.StatusOK, rec.Code)
	rec = env.postForm("/sources/"+src.ID+"/schedules?type=ACCOUNT_AGGREGATION", url.Values{"cronExpression": {"0 0 5 * * ?"}}, htmxHeaders)
	require.Equal(t, http.StatusUnprocessableEntity, rec.Code, "the schedule exists already: ISC refuses, the card says why")
	gone := "2c91808a7f0000000000000000000bad"
	rec = env.do(http.MethodPost, "/sources/"+gone+"/tools/test-connection", nil, htmxHeaders)
	require.Equal(t, http.StatusNotFound, rec.Code)
	// Previews change nothing and are not recorded.
	env.postForm("/sources/"+src.ID+"/configuration/review", url.Values{}, htmxHeaders)

	entries, total, err := env.srv.dash.log.Query(context.Background(), activity.Filter{})
	require.NoError(t, err)
	require.Equal(t, 6, total, "five changes, and the sign-in that started the session")
	assert.Equal(t, "sign-in", entries[len(entries)-1].Action)
	byAction := map[string]activity.Entry{}
	for _, e := range entries {
		if _, seen := byAction[e.Action]; !seen {
			byAction[e.Action] = e
		}
	}
	missing := entries[0]
	assert.Equal(t, "tool.test-connection", missing.Action)
	assert.Equal(t, http.StatusNotFound, missing.Status)
	assert.Equal(t, "ISC has no such object. It may have been deleted.", missing.Error, "the failure is kept in words")
	assert.Equal(t, gone, missing.SourceID)
	assert.Equal(t, "/sources/:id/tools/test-connection", missing.Route)
	assert.NotEmpty(t, missing.RequestID)
	assert.NotEmpty(t, missing.UserID, "the ISC identity")
	assert.NotEmpty(t, missing.UserName)

	refused := entries[1]
	assert.Equal(t, "schedule.create", refused.Action)
	assert.Equal(t, http.StatusUnprocessableEntity, refused.Status)
	assert.False(t, refused.OK())
	assert.Equal(t, src.ID, refused.SourceID)
	assert.Equal(t, "POST", refused.Method)

	agg := byAction["aggregation.start"]
	assert.Equal(t, healthy.ID, agg.SourceID)
	assert.NotEmpty(t, agg.TaskID, "the task id is taken from the redirect to the task page")
	assert.Equal(t, http.StatusOK, agg.Status)
	assert.Contains(t, byAction, "tool.test-connection")

	for _, e := range entries {
		assert.NotContains(t, fmt.Sprint(e), "Bearer", "no tokens in the log")
	}
}

// TestActivityNamesProvisioningPolicyChanges: each change to a provisioning policy is
// logged under the policy action of the route it went through, and the activity page
// shows it in words and offers it as a filter.
func TestActivityNamesProvisioningPolicyChanges(t *testing.T) {
	env := newTestEnv(t, nil)
	base := "/sources/" + delimitedID + "/provisioning"
	fields := `[{"name":"mail","type":"string","transform":{"type":"identityAttribute","attributes":{"name":"email"}}}]`
	for _, step := range []struct {
		method, path string
		form         url.Values
	}{
		{http.MethodPost, base, url.Values{"usageType": {"UPDATE"}, "name": {"Upd"}, "fields": {fields}}},
		{http.MethodPut, base + "/UPDATE", url.Values{"policy": {`{"name":"Updated","usageType":"UPDATE","description":"d","fields":` + fields + `}`}}},
		{http.MethodPatch, base + "/UPDATE", url.Values{"patch": {`[{"op":"replace","path":"/description","value":"patched"}]`}}},
		{http.MethodPost, base + "/bulk", url.Values{"policies": {`[{"name":"Upd2","usageType":"UPDATE","fields":[]}]`}}},
		{http.MethodDelete, base + "/UPDATE", nil},
	} {
		rec := formSend(env, step.method, step.path, true, step.form)
		require.Equal(t, http.StatusOK, rec.Code, "%s %s: %s", step.method, step.path, rec.Body.String())
	}

	entries, _, err := env.srv.dash.log.Query(context.Background(), activity.Filter{SourceID: delimitedID})
	require.NoError(t, err)
	var got []string
	for _, e := range entries {
		got = append(got, e.Method+" "+e.Route+" "+e.Action)
		assert.Equal(t, http.StatusOK, e.Status)
	}
	assert.Equal(t, []string{ // newest first
		"DELETE /sources/:id/provisioning/:usage policy.delete",
		"POST /sources/:id/provisioning/bulk policy.update-all",
		"PATCH /sources/:id/provisioning/:usage policy.update",
		"PUT /sources/:id/provisioning/:usage policy.replace",
		"POST /sources/:id/provisioning policy.create",
	}, got)

	rec := env.do(http.MethodGet, "/activity?action=policy.create", nil, nil)
	require.Equal(t, http.StatusOK, rec.Code)
	doc := parse(t, rec.Body)
	require.Equal(t, 1, doc.Find(`[data-testid="activity-row"]`).Length())
	assert.Contains(t, doc.Find(`[data-testid="activity-action"]`).Text(), "Create provisioning policy")
	for _, a := range []string{"policy.create", "policy.replace", "policy.update", "policy.update-all", "policy.delete"} {
		assert.Equal(t, 1, doc.Find(`[data-testid="filter-action"] option[value="`+a+`"]`).Length(), "the filter offers %s", a)
	}
}

func TestActivityPage(t *testing.T) {
	env := newTestEnv(t, nil)
	log := env.srv.dash.log
	ctx := context.Background()
	base := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	for i := range 60 {
		e := activity.Entry{At: base.Add(time.Duration(i) * time.Hour), UserID: "id-ada", UserName: "ada", SourceID: "src1",
			Action: "source.update", Method: "POST", Route: "/sources/:id/configuration", Status: 200}
		if i%2 == 1 {
			e.UserID, e.UserName, e.SourceID, e.Action, e.Status, e.Error = "id-bob", "=HYPERLINK(\"x\")", "src2", "source.delete", 409, "ISC says: in use"
		}
		require.NoError(t, log.Append(ctx, e))
	}

	for _, tc := range []struct {
		name      string
		query     string
		headers   map[string]string
		wantFull  bool
		wantTotal string
		wantRows  int
	}{
		// Everything is the 60 entries above plus the env's own sign-in.
		{"everything, page 1", "", nil, true, "61", 50},
		{"page 2", "?page=2", nil, true, "61", 11},
		{"by user, htmx results", "?user=id-bob", hxTo("activity-results"), false, "30", 30},
		{"by source", "?source=src1", nil, true, "30", 30},
		{"by action", "?action=source.delete", hxTo("activity-results"), false, "30", 30},
		{"by day", "?from=2026-11-02&to=2026-11-02", nil, true, "24", 24},
		{"nothing", "?user=nobody", hxTo("activity-results"), false, "0", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := env.do(http.MethodGet, "/activity"+tc.query, nil, tc.headers)
			require.Equal(t, http.StatusOK, rec.Code)
			doc := assertPageOrFragment(t, rec, tc.wantFull)
			assert.Equal(t, tc.wantTotal, doc.Find(`[data-testid="activity-total"]`).Text())
			assert.Equal(t, tc.wantRows, doc.Find(`[data-testid="activity-row"]`).Length())
			assert.Equal(t, tc.wantFull, doc.Find(`[data-testid="activity-filters"]`).Length() == 1)
		})
	}

	t.Run("htmx without the results target gets the whole section", func(t *testing.T) {
		rec := env.do(http.MethodGet, "/activity", nil, htmxHeaders)
		require.Equal(t, http.StatusOK, rec.Code)
		doc := assertPageOrFragment(t, rec, false)
		assert.Equal(t, 1, doc.Find(`[data-testid="activity-filters"]`).Length())
	})

	for _, bad := range []string{"?from=yesterday", "?page=0", "?source=../x"} {
		t.Run("bad "+bad, func(t *testing.T) {
			rec := env.do(http.MethodGet, "/activity"+bad, nil, nil)
			assert.Equal(t, http.StatusBadRequest, rec.Code)
		})
	}

	t.Run("CSV export is filtered and formula-safe", func(t *testing.T) {
		rec := env.do(http.MethodGet, "/activity/export.csv?user=id-bob", nil, nil)
		require.Equal(t, http.StatusOK, rec.Code)
		assert.Equal(t, "text/csv; charset=utf-8", rec.Header().Get("Content-Type"))
		assert.Contains(t, rec.Header().Get("Content-Disposition"), "activity.csv")
		rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(rec.Body.String(), csvcheck.BOM))).ReadAll()
		require.NoError(t, err)
		require.Len(t, rows, 31, "header and bob's 30 entries")
		assert.Equal(t, "user", rows[0][2])
		assert.Equal(t, csvcheck.EscapeFormula(`=HYPERLINK("x")`), rows[1][2])
		assert.NotEqual(t, `=HYPERLINK("x")`, rows[1][2], "the formula is made inert")
		assert.Equal(t, "ISC says: in use", rows[1][8])
	})
}

func TestTwoReplicasShareTheLogOverRedis(t *testing.T) {
	opts, err := redis.ParseURL(testservers.NewRedis(t).URL)
	require.NoError(t, err)
	// Each replica has its own connection, as two processes would.
	storeFor := func() activity.Store {
		c := redis.NewClient(opts)
		t.Cleanup(func() { _ = c.Close() })
		return activity.NewRedis(c, "sd:activity:")
	}
	a := newTestEnv(t, func(c *Config) { c.Activity = storeFor() })
	b := newTestEnv(t, func(c *Config) { c.Activity = storeFor() })
	_, _, _, _, by := sandboxCounts(t, a)

	var want []string
	for i, src := range by["healthy"][:3] {
		rec := a.do(http.MethodPost, "/sources/"+src.ID+"/tools/test-connection", nil, htmxHeaders)
		require.Equal(t, http.StatusOK, rec.Code, "action %d", i)
		want = append([]string{src.ID}, want...) // newest first
	}
	rec := b.do(http.MethodGet, "/activity", nil, nil)
	require.Equal(t, http.StatusOK, rec.Code)
	doc := body(t, rec)
	var got []string
	// Sources are shown by name, with the id kept in the link.
	doc.Find(`[data-testid="activity-row"] [data-testid="activity-source"]`).Each(func(_ int, s *goquery.Selection) {
		got = append(got, strings.TrimPrefix(s.AttrOr("href", ""), "/sources/"))
		assert.NotContains(t, s.Text(), "2c9180", "a name, not an id")
	})
	assert.Equal(t, want, got, "B reads A's actions, newest first")

	// Concurrent writers on both replicas lose nothing.
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			env := a
			if i%2 == 1 {
				env = b
			}
			env.srv.recordActivity(context.Background(), activity.Entry{Action: "test.concurrent", UserID: fmt.Sprint(i)})
		}()
	}
	wg.Wait()
	_, total, err := b.srv.dash.log.Query(context.Background(), activity.Filter{Action: "test.concurrent"})
	require.NoError(t, err)
	assert.Equal(t, 20, total)
}

// Signing in (both ways) and out lands in the team's activity log with who it was.
func TestActivityRecordsSignInAndSignOut(t *testing.T) {
	ctx := context.Background()
	store := activity.NewMemory()
	env := newTestEnvAs(t, "source-admin", func(c *Config) { c.Activity = store })
	newTestEnv(t, func(c *Config) { c.Activity = store }) // signs in with the demo PAT

	rec := env.do(http.MethodPost, "/logout", strings.NewReader(""), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	require.Equal(t, http.StatusOK, rec.Code)

	got, _, err := store.Query(ctx, activity.Filter{Limit: 10})
	require.NoError(t, err)
	var seen []string
	for _, e := range got {
		seen = append(seen, e.Action+" "+e.UserName+" "+e.Details["with"])
		assert.NotEmpty(t, e.UserID, "who: the ISC identity")
	}
	assert.ElementsMatch(t, []string{
		"sign-in source-admin authorization code",
		"sign-in admin personal access token",
		"sign-out source-admin ",
	}, seen)
}
