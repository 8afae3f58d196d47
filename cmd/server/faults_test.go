package main

import (
	"context"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"sourcedesk/bench/scenario"
	"sourcedesk/internal/sandbox"
	"sourcedesk/internal/testservers"
)

// TestUpstreamHangAndRedisDown: an upstream that hangs gets a friendly
// error within the GET deadline (UPSTREAM_TIMEOUT) and leaves no goroutine
// behind; with Redis down the console answers 503 and fails closed (no page
// data, no upstream call), and it recovers by itself when Redis is back.
func TestUpstreamHangAndRedisDown(t *testing.T) {
	rs := testservers.NewRedis(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// Shared reads off: every page load must reach the (hanging) tenant.
	tenant, consoles := startReplicas(ctx, t, 1, rs.URL, map[string]string{"UPSTREAM_TIMEOUT": "1s", "READ_CACHE_TTL": "0"})
	u := scenario.NewUser(consoles[0], nil)
	require.NoError(t, u.SignIn(ctx, scenario.Credentials{Username: "admin", Password: "admin"}))
	get := func(htmx bool) *scenario.Response {
		t.Helper()
		resp, err := u.Do(ctx, http.MethodGet, "/sources", nil, "", htmx)
		require.NoError(t, err)
		return resp
	}
	require.Equal(t, http.StatusOK, get(false).Status)

	t.Run("upstream hangs", func(t *testing.T) {
		before := runtime.NumGoroutine()
		tenant.Sandbox.SetFault("listSources", sandbox.Fault{Hang: true})
		for _, htmx := range []bool{false, true} {
			resp := get(htmx)
			assert.Equal(t, http.StatusGatewayTimeout, resp.Status)
			// 1 s deadline; generous margin for -race on a shared machine.
			assert.Less(t, resp.Elapsed, 5*time.Second, "answered near the deadline")
			assert.Contains(t, string(resp.Body), "took too long")
			assert.NotContains(t, string(resp.Body), `data-testid="sources-table"`)
		}
		tenant.Sandbox.ClearFaults()
		assert.Eventually(t, func() bool { return runtime.NumGoroutine() <= before+3 }, 5*time.Second, 50*time.Millisecond,
			"goroutines freed: %d before, %d now", before, runtime.NumGoroutine())
		assert.Equal(t, http.StatusOK, get(false).Status, "recovers when the tenant answers again")
	})

	t.Run("Redis down", func(t *testing.T) {
		rs.Stop()
		calls := tenant.Sandbox.Calls("")
		for _, htmx := range []bool{false, true} {
			resp := get(htmx)
			assert.Equal(t, http.StatusServiceUnavailable, resp.Status)
			assert.NotContains(t, string(resp.Body), `data-testid="sources-table"`)
		}
		resp, err := u.Do(ctx, http.MethodPost, "/sources/"+sandbox.SeedAuthoritativeSourceID+"/import/aggregate",
			strings.NewReader(""), "application/x-www-form-urlencoded", true)
		require.NoError(t, err)
		assert.Equal(t, http.StatusServiceUnavailable, resp.Status, "a change is refused too")
		assert.Equal(t, calls, tenant.Sandbox.Calls(""), "fail closed: no upstream call without a session")

		rs.Start(t)
		// Redis is back, empty (no persistence): the session is gone, so the
		// console asks to sign in again instead of answering 503.
		assert.Eventually(t, func() bool {
			resp, err := u.Do(ctx, http.MethodGet, "/sources", nil, "", false)
			return err == nil && resp.Status == http.StatusSeeOther && strings.HasPrefix(resp.Header.Get("Location"), "/login")
		}, 10*time.Second, 100*time.Millisecond)
		again := scenario.NewUser(consoles[0], nil)
		require.NoError(t, again.SignIn(ctx, scenario.Credentials{Username: "admin", Password: "admin"}))
		resp, err = again.Do(ctx, http.MethodGet, "/sources", nil, "", false)
		require.NoError(t, err)
		assert.Equal(t, http.StatusOK, resp.Status)
	})
}
