package bff

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"sourcedesk/internal/readcache"
	"sourcedesk/internal/sandbox"
	"sourcedesk/internal/testservers"
)

// A team on one tenant: the demo users, a second ORG_ADMIN and a second
// SOURCE_SUBADMIN who manages another governance group.
const otherWorkgroupID = "2c9180867c8a4d3e017c8b0f1e2d0099"

func teamUsers() []sandbox.User {
	return append(sandbox.DemoUsers(),
		sandbox.User{Username: "admin2", Password: "admin2", DisplayName: "Bea Admin", IdentityID: "2c9180857a1b4c2d017a1b4c2d0e0021", UserLevel: sandbox.LevelOrgAdmin},
		sandbox.User{Username: "subadmin2", Password: "subadmin2", DisplayName: "Sid Subadmin", IdentityID: "2c9180857a1b4c2d017a1b4c2d0e0023",
			UserLevel: sandbox.LevelSourceSubadmin, GovernanceGroups: []string{otherWorkgroupID}})
}

// team is one sandbox tenant and two console replicas whose shared reads live in
// one real Redis (each replica with its own connection, as two processes).
type team struct {
	sb       *sandbox.Sandbox
	replicas [2]*testEnv
}

func newTeam(t *testing.T) *team {
	t.Helper()
	sb := sandbox.New(sandbox.Config{
		TaskStep: 20 * time.Millisecond,
		Users:    teamUsers(),
		Clients:  []sandbox.Client{{ID: testClientID, Secret: testClientSecret, RedirectURIs: []string{testRedirectURI}}},
	})
	hs := httptest.NewServer(sb.Handler())
	t.Cleanup(hs.Close)
	opts, err := redis.ParseURL(testservers.Redis(t))
	require.NoError(t, err)
	tm := &team{sb: sb}
	for i := range tm.replicas {
		rc := redis.NewClient(opts)
		t.Cleanup(func() { rc.Close() })
		tm.replicas[i] = newConsole(t, sb, hs, "memory", func(c *Config) {
			c.Reads = readcache.New(readcache.NewRedis(rc), DefaultReadTTL, "sd:rc:")
		})
	}
	return tm
}

// browser signs username in on replica i (the code flow, the sandbox's login
// page) in a browser of its own.
func (tm *team) browser(t *testing.T, i int, username string) *testEnv {
	t.Helper()
	r := tm.replicas[i]
	e := &testEnv{t: t, srv: r.srv, sandbox: r.sandbox, sbURL: r.sbURL, sessions: r.sessions, headers: http.Header{}, cookies: map[string]string{}}
	rec := e.signIn(username, "/")
	require.Equal(t, http.StatusOK, rec.Code, "%s signs in: %s", username, rec.Body.String())
	return e
}

// calls returns how many calls of op the tenant received while f ran.
func (tm *team) calls(op string, f func()) int {
	before := tm.sb.Calls(op)
	f()
	return tm.sb.Calls(op) - before
}

// page GETs path as e and returns the document, requiring status 200.
func page(t *testing.T, e *testEnv, path string, headers map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	rec := e.do(http.MethodGet, path, nil, headers)
	require.Equal(t, http.StatusOK, rec.Code, "GET %s: %s", path, rec.Body.String())
	return rec
}

// TestSharedReadsServeATeamWithOneCallPerAnswer: what one user read from ISC
// serves the other users, on both replicas, with its age and a refresh control;
// users asking at once cost one call; a change made through the console on one
// replica is seen at once on the other; a refresh asks ISC again.
func TestSharedReadsServeATeamWithOneCallPerAnswer(t *testing.T) {
	tm := newTeam(t)
	alice := tm.browser(t, 0, "admin")      // ORG_ADMIN on replica A
	bea := tm.browser(t, 1, "admin2")       // another ORG_ADMIN, on replica B
	sam := tm.browser(t, 1, "source-admin") // SOURCE_ADMIN, on replica B
	src := sandbox.SeedDelimitedSourceID

	t.Run("a list page and a source read once serve the team", func(t *testing.T) {
		var doc *httptest.ResponseRecorder
		assert.Equal(t, 1, tm.calls("listSources", func() { doc = page(t, alice, "/sources", nil) }))
		assert.Zero(t, body(t, doc).Find(`[data-testid="freshness"]`).Length(), "read for this request: no age to show")
		assert.Equal(t, 1, tm.calls("getSource", func() { page(t, alice, "/sources/"+src, hxTo("source-tab")) }))

		assert.Zero(t, tm.calls("listSources", func() { doc = page(t, bea, "/sources", nil) }), "the same query and user level, on the other replica")
		fresh := body(t, doc).Find(`[data-testid="sources-results"] [data-testid="freshness"]`)
		require.Equal(t, 1, fresh.Length(), "the copy says its age")
		assert.Contains(t, fresh.Find(`[data-testid="copy-age"]`).Text(), "second")
		refresh := fresh.Find(`[data-testid="refresh"]`)
		assert.Equal(t, "/sources", refresh.AttrOr("hx-get", ""))
		assert.Equal(t, "#sources-results", refresh.AttrOr("hx-target", ""))
		assert.JSONEq(t, `{"Cache-Control":"no-cache"}`, refresh.AttrOr("hx-headers", ""))

		assert.Zero(t, tm.calls("getSource", func() { doc = page(t, bea, "/sources/"+src, hxTo("source-tab")) }))
		assert.Contains(t, body(t, doc).Find(`[data-testid="source-fields"]`).Text(), src, "the source alice read")
		assert.Equal(t, 1, body(t, doc).Find(`[data-testid="freshness"]`).Length())

		assert.Zero(t, tm.calls("getSource", func() { page(t, sam, "/sources/"+src, hxTo("source-tab")) }),
			"a SOURCE_ADMIN sees every source too")
		assert.Equal(t, 1, tm.calls("listSources", func() { page(t, sam, "/sources", nil) }),
			"but a list page is kept per user level")
	})

	t.Run("users asking at once cost one call", func(t *testing.T) {
		id := sandbox.SeedAuthoritativeSourceID
		tm.sb.SetFault("getSourceHealth", sandbox.Fault{Latency: 150 * time.Millisecond})
		defer tm.sb.ClearFaults()
		users := []*testEnv{alice, tm.browser(t, 0, "admin2"), tm.browser(t, 0, "source-admin"), tm.browser(t, 0, "helpdesk")}
		n := tm.calls("getSourceHealth", func() {
			var wg sync.WaitGroup
			for i := range 12 {
				u := users[i%len(users)]
				wg.Go(func() {
					rec := u.do(http.MethodGet, "/sources/"+id+"/health", nil, htmxHeaders)
					assert.Equal(t, http.StatusOK, rec.Code)
					assert.Contains(t, body(t, rec).Find(`[data-testid="health-part"]`).Text(), "Healthy")
				})
			}
			wg.Wait()
		})
		assert.Equal(t, 1, n, "12 requests of 4 users on one replica, one call")
	})

	t.Run("a refresh asks ISC and serves the others", func(t *testing.T) {
		assert.Equal(t, 1, tm.calls("listSources", func() {
			doc := page(t, bea, "/sources", map[string]string{"Cache-Control": "no-cache", "HX-Request": "true", "HX-Target": "sources-results"})
			assert.Zero(t, body(t, doc).Find(`[data-testid="freshness"]`).Length(), "just read")
		}))
		assert.Zero(t, tm.calls("listSources", func() { page(t, alice, "/sources", nil) }))
	})

	t.Run("a change on one replica is seen at once on the other", func(t *testing.T) {
		page(t, alice, "/sources?page=2", nil) // a page without the source, cached
		page(t, alice, "/sources/"+src+"/schedules", hxTo("source-tab"))
		rec := bea.postForm("/sources/"+src+"/schedules/ACCOUNT_AGGREGATION", url.Values{"cronExpression": {"0 0 4 * * ?"}}, htmxHeaders)
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())

		var doc *httptest.ResponseRecorder
		assert.Equal(t, 1, tm.calls("getSourceSchedules", func() {
			doc = page(t, alice, "/sources/"+src+"/schedules", hxTo("source-tab"))
		}), "the changed source's schedules are read again")
		assert.Contains(t, body(t, doc).Text(), "0 0 4 * * ?")
		assert.Equal(t, 1, tm.calls("getSource", func() { page(t, alice, "/sources/"+src, hxTo("source-tab")) }), "and the source")
		assert.Equal(t, 1, tm.calls("listSources", func() { page(t, alice, "/sources", nil) }), "and the list page that holds it")
		assert.Zero(t, tm.calls("listSources", func() { page(t, alice, "/sources?page=2", nil) }),
			"a page without it stays: a schedule moves no source in or out of a list")

		// A connection test may change a status: the lists filtered by status are
		// read again, the others stay.
		page(t, alice, "/sources?status=unhealthy", nil)
		rec = bea.postForm("/sources/"+sandbox.SeedUncheckedSourceID+"/tools/test-connection", url.Values{}, hxTo("tool-result"))
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		assert.Equal(t, 1, tm.calls("listSources", func() { page(t, alice, "/sources?status=unhealthy", nil) }))
		assert.Zero(t, tm.calls("listSources", func() { page(t, alice, "/sources?page=2", nil) }))

		// A change that may move any source into or out of a list (a new source)
		// drops every list page.
		rec = bea.postForm("/sources", url.Values{"name": {"Team Test Source"}, "owner_id": {"2c9180857a1b4c2d017a1b4c2d0e0001"},
			"provision_as_csv": {"true"}, "description": {"made by a test"}}, htmxHeaders)
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		assert.Equal(t, 1, tm.calls("listSources", func() { page(t, alice, "/sources?page=2", nil) }))
	})
}

// TestSharedReadsNeverShowAUserWhatISCWouldNot: a SOURCE_SUBADMIN's list comes
// from their own calls, and a source another user's read left in the cache is
// served to them only when their own list holds it; ISC answers everything else
// with their own token. A HELPDESK user's list is their level's own; a source
// is served to them from the cache once their own list holds it.
func TestSharedReadsNeverShowAUserWhatISCWouldNot(t *testing.T) {
	tm := newTeam(t)
	alice := tm.browser(t, 0, "admin")
	theirs, other := sandbox.SeedSubadminSourceID, sandbox.SeedDelimitedSourceID
	// The admin reads the list and both sources, health included: all of it is in the cache.
	page(t, alice, "/sources?size=100", nil)
	for _, id := range []string{theirs, other} {
		page(t, alice, "/sources/"+id, hxTo("source-tab"))
		page(t, alice, "/sources/"+id+"/health", htmxHeaders)
	}
	adminRows := rowNames(body(t, page(t, alice, "/sources?size=100", nil)))
	require.Greater(t, len(adminRows), 10)

	sub := tm.browser(t, 1, "subadmin")
	t.Run("a subadmin's list is their own", func(t *testing.T) {
		var rec *httptest.ResponseRecorder
		assert.Equal(t, 1, tm.calls("listSources", func() { rec = page(t, sub, "/sources?size=100", nil) }))
		rows := rowNames(body(t, rec))
		require.NotEmpty(t, rows)
		assert.Less(t, len(rows), len(adminRows))
		assert.NotContains(t, rows, "HR Contractors CSV", "the admin's rows are not theirs")
	})
	t.Run("a cached source outside their groups is ISC's to refuse", func(t *testing.T) {
		var rec *httptest.ResponseRecorder
		n := tm.calls("getSource", func() { rec = sub.do(http.MethodGet, "/sources/"+other, nil, hxTo("source-tab")) })
		assert.Equal(t, http.StatusForbidden, rec.Code)
		assert.Equal(t, 1, n, "asked with their own token")
		assert.NotContains(t, rec.Body.String(), "HR Contractors CSV")
		rec = sub.do(http.MethodGet, "/sources/"+other+"/health", nil, htmxHeaders)
		assert.Contains(t, body(t, rec).Find(`[data-testid="part-error-health"]`).Text(), "Your user level cannot do this")
		assert.Zero(t, body(t, rec).Find(`[data-testid="health-part"]`).Length())
	})
	t.Run("a cached source in their groups is served once their own list holds it", func(t *testing.T) {
		var rec *httptest.ResponseRecorder
		assert.Zero(t, tm.calls("getSource", func() { rec = page(t, sub, "/sources/"+theirs, hxTo("source-tab")) }))
		assert.Equal(t, 1, body(t, rec).Find(`[data-testid="freshness"]`).Length(), "the admin's copy")
	})
	t.Run("another subadmin sees none of it", func(t *testing.T) {
		sid := tm.browser(t, 0, "subadmin2")
		assert.Empty(t, rowNames(body(t, page(t, sid, "/sources?size=100", nil))), "their group manages no source")
		for _, id := range []string{theirs, other} {
			var rec *httptest.ResponseRecorder
			assert.Equal(t, 1, tm.calls("getSource", func() { rec = sid.do(http.MethodGet, "/sources/"+id, nil, hxTo("source-tab")) }))
			assert.Equal(t, http.StatusForbidden, rec.Code, id)
		}
	})
	t.Run("helpdesk", func(t *testing.T) {
		hd := tm.browser(t, 1, "helpdesk")
		var rec *httptest.ResponseRecorder
		assert.Equal(t, 1, tm.calls("listSources", func() { rec = page(t, hd, "/sources?size=100", nil) }),
			"not the admins' copy: their level's own list")
		assert.Equal(t, adminRows, rowNames(body(t, rec)))
		page(t, hd, "/sources/"+other, hxTo("source-tab")) // learns their visible set
		assert.Zero(t, tm.calls("getSource", func() { rec = page(t, hd, "/sources/"+other, hxTo("source-tab")) }),
			"their own list holds it: the shared copy")
		assert.Equal(t, 1, body(t, rec).Find(`[data-testid="freshness"]`).Length())
	})
}

// TestStatusTilesShowTheirCopyWhileOneRefreshRuns: a bulk connection test may
// change the statuses of the sources it tests (and a busy console runs them
// non-stop). The team's status tiles, on both replicas, answer at once from the
// list read before it, with its age, while one refresh for the whole team reads
// the list again in the background; the tiles then show its counts.
func TestStatusTilesShowTheirCopyWhileOneRefreshRuns(t *testing.T) {
	tm := newTeam(t)
	users := []*testEnv{tm.browser(t, 0, "admin"), tm.browser(t, 1, "admin"), tm.browser(t, 0, "admin2"), tm.browser(t, 1, "admin2")}
	_, healthy, _, unchecked, by := sandboxCounts(t, tm.replicas[0])
	require.NotEmpty(t, by["unchecked"])
	tile := func(e *testEnv) (counts [2]int, age bool) {
		doc := body(t, page(t, e, "/dashboard/status", htmxHeaders)).Find(`[data-testid="tile-status"]`)
		counts = [2]int{intText(t, doc.Find(`[data-testid="count-healthy"]`)), intText(t, doc.Find(`[data-testid="count-unchecked"]`))}
		return counts, doc.Find(`[data-testid="freshness"] [data-testid="copy-age"]`).Length() == 1
	}
	assert.Equal(t, 1, tm.calls("listSources", func() {
		for _, u := range users {
			tile(u)
		}
	}), "the team shares one list")

	rec := users[0].postForm("/sources/bulk/test-connection", url.Values{"id": {by["unchecked"][0].ID}}, htmxHeaders)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())

	n := tm.calls("listSources", func() {
		counts, age := tile(users[1])
		assert.Equal(t, [2]int{healthy, unchecked}, counts, "the first load after the test: the copy from before it")
		assert.True(t, age, "with its age")
		var wg sync.WaitGroup
		for _, u := range users {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 3 {
					_, age := tile(u)
					assert.True(t, age, "a copy, with its age")
				}
			}()
		}
		wg.Wait()
	})
	assert.LessOrEqual(t, n, 1, "one refresh for the whole team, on both replicas")
	require.Eventually(t, func() bool {
		counts, _ := tile(users[2])
		return counts == [2]int{healthy + 1, unchecked - 1}
	}, 10*time.Second, 20*time.Millisecond, "the refreshed counts follow: the tested source is healthy")
}
