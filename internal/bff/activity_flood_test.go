package bff

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"sourcedesk/internal/activity"
	"sourcedesk/internal/sandbox"
)

// stepClock is a clock the test moves by hand.
type stepClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *stepClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// TestActivityLogRecordsOnlyWhatReachedISCAndBoundsFloods: requests that never
// reached ISC (refused by the console) leave no entry, however many; and a user
// who floods the console with requests that do reach ISC gets at most a fixed
// number of entries per minute, then one entry saying how many similar requests
// were left out.
func TestActivityLogRecordsOnlyWhatReachedISCAndBoundsFloods(t *testing.T) {
	clock := &stepClock{t: time.Now().Truncate(time.Minute).Add(time.Second)}
	env := newTestEnv(t, func(c *Config) { c.Now = clock.Now })
	ctx := context.Background()
	count := func() int {
		_, total, err := env.srv.dash.log.Query(ctx, activity.Filter{})
		require.NoError(t, err)
		return total
	}
	before := count()

	for range 200 {
		rec := env.postForm("/sources/bulk/test-connection", url.Values{}, htmxHeaders)
		require.Equal(t, http.StatusUnprocessableEntity, rec.Code, "nothing selected: refused before ISC")
	}
	assert.Equal(t, before, count(), "requests that never reached ISC are not recorded")

	_, _, _, _, by := sandboxCounts(t, env)
	healthy := directSource(t, by["healthy"])
	const flood = 60
	env.sandbox.ResetCalls()
	for range flood {
		rec := env.do(http.MethodPost, "/sources/"+healthy.ID+"/tools/test-connection", nil, htmxHeaders)
		require.Equal(t, http.StatusOK, rec.Code)
	}
	require.Equal(t, flood, env.sandbox.Calls("testSourceConnection"), "every request reached ISC")
	recorded := count() - before
	assert.LessOrEqual(t, recorded, activityPerWindow, "entries per user per minute are bounded")
	assert.Positive(t, recorded)

	clock.Advance(time.Minute) // the minute is over: its summary is written
	rec := env.do(http.MethodGet, "/activity", nil, nil)
	require.Equal(t, http.StatusOK, rec.Code)
	entries, _, err := env.srv.dash.log.Query(ctx, activity.Filter{Action: suppressedAction})
	require.NoError(t, err)
	require.Len(t, entries, 1, "one summary entry for the minute")
	assert.Equal(t, adminIdentity, entries[0].UserID)
	assert.Contains(t, entries[0].Details["count"], "similar requests")
	assert.True(t, strings.HasPrefix(entries[0].Details["count"], strconv.Itoa(flood-recorded)+" "), "%q counts the %d left out", entries[0].Details["count"], flood-recorded)
	assert.Contains(t, rec.Body.String(), "Similar requests not recorded")
	assert.Equal(t, recorded+1, count()-before, "nothing else was written")
}

// TestFloodSummaryGoesToTheTenantOfTheChanges: with several tenants, the entry that
// sums up a flood of changes made on production is in production's activity log,
// beside the changes it stands for, and not in the sandbox's.
func TestFloodSummaryGoesToTheTenantOfTheChanges(t *testing.T) {
	clock := &stepClock{t: time.Now().Truncate(time.Minute).Add(time.Second)}
	e := newTwoTenantEnv(t, func(c *Config) { c.Now = clock.Now })
	e.signInTo("sandbox", "admin", "/")
	e.signInTo("production", "admin", "/")
	id := sandbox.ProductionID(sandbox.SeedDelimitedSourceID)
	for range activityPerWindow + 5 {
		rec := e.do(http.MethodPost, "/t/production/sources/"+id+"/tools/test-connection", nil, htmxHeaders)
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	}
	clock.Advance(time.Minute) // the minute is over: its summary is written
	require.Equal(t, http.StatusOK, e.do(http.MethodGet, "/t/production/activity", nil, nil).Code)

	entries, _, err := e.srv.dash.log.Query(context.Background(), activity.Filter{Action: suppressedAction})
	require.NoError(t, err)
	require.Len(t, entries, 1, "one summary entry for the minute")
	assert.Equal(t, "production", entries[0].Tenant)
	assert.Contains(t, e.do(http.MethodGet, "/t/production/activity", nil, nil).Body.String(), suppressedLabel)
	assert.NotContains(t, e.do(http.MethodGet, "/t/sandbox/activity", nil, nil).Body.String(), suppressedLabel)
}
