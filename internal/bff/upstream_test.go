package bff

// Calling ISC (upstream.go): Retry-After honoured, server errors retried only for reads,
// no open proxy, one renewal after a 401, a 403 that keeps the user signed in. A hung
// tenant and a Redis outage need the real transport deadline and a Redis server:
// TestUpstreamHangAndRedisDown in cmd/server/faults_test.go.

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"sourcedesk/internal/api"
	"sourcedesk/internal/sandbox"
)

// relay stands between the console and the sandbox: it records every API request
// and lets a test answer some of them itself (e.g. a 429 with an HTTP-date
// Retry-After, which the sandbox cannot send).
type relay struct {
	srv *httptest.Server
	sb  *url.URL

	mu        sync.Mutex
	intercept func(w http.ResponseWriter, r *http.Request) bool // true: answered
	seen      []relayed
}

type relayed struct {
	method, path string
	at           time.Time
}

// newRelayEnv is newTestEnv with the console's API client pointed at a relay.
func newRelayEnv(t *testing.T) (*testEnv, *relay) {
	t.Helper()
	rl := &relay{}
	rl.srv = httptest.NewServer(http.HandlerFunc(rl.serve))
	t.Cleanup(rl.srv.Close)
	env := newTestEnv(t, func(c *Config) {
		cl, err := api.New(api.Config{BaseURL: rl.srv.URL, HTTPClient: rl.srv.Client(), RetryBackoff: 200 * time.Millisecond})
		require.NoError(t, err)
		c.Tenants = []Tenant{{Key: "sandbox", API: cl}}
		noSharedReads(c)
	})
	rl.sb, _ = url.Parse(env.sbURL)
	return env, rl
}

func (rl *relay) serve(w http.ResponseWriter, r *http.Request) {
	rl.mu.Lock()
	rl.seen = append(rl.seen, relayed{r.Method, r.URL.Path, time.Now()})
	f := rl.intercept
	rl.mu.Unlock()
	if f != nil && f(w, r) {
		return
	}
	httputil.NewSingleHostReverseProxy(rl.sb).ServeHTTP(w, r)
}

// set replaces the interceptor and forgets what was seen.
func (rl *relay) set(f func(w http.ResponseWriter, r *http.Request) bool) {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	rl.intercept, rl.seen = f, nil
}

// calls returns the requests seen for method and path.
func (rl *relay) calls(method, path string) []relayed {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	var out []relayed
	for _, s := range rl.seen {
		if s.method == method && s.path == path {
			out = append(out, s)
		}
	}
	return out
}

// first429 answers the first n GET /v2025/sources with 429 and retryAfter.
func first429(n int, retryAfter string) func(w http.ResponseWriter, r *http.Request) bool {
	var mu sync.Mutex
	return func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method != http.MethodGet || r.URL.Path != "/v2025/sources" {
			return false
		}
		mu.Lock()
		defer mu.Unlock()
		if n == 0 {
			return false
		}
		n--
		w.Header().Set("Retry-After", retryAfter)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte(`{"message":" Rate Limit Exceeded "}`))
		return true
	}
}

func TestUpstreamRetryAfterIsHonoured(t *testing.T) {
	env, rl := newRelayEnv(t)
	// A plain list page calls GET /sources this many times when nothing fails.
	rl.set(nil)
	require.Equal(t, http.StatusOK, env.do(http.MethodGet, "/sources", nil, nil).Code)
	perPage := len(rl.calls(http.MethodGet, "/v2025/sources"))
	require.Positive(t, perPage)

	t.Run("Retry-After 2 on a GET: one retry after at least 2 s, then the page", func(t *testing.T) {
		rl.set(first429(1, "2"))
		start := time.Now()
		rec := env.do(http.MethodGet, "/sources", nil, nil)
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		calls := rl.calls(http.MethodGet, "/v2025/sources")
		require.Len(t, calls, perPage+1, "exactly one retry")
		assert.GreaterOrEqual(t, calls[1].at.Sub(calls[0].at), 2*time.Second, "the retry waited Retry-After")
		assert.Less(t, time.Since(start), 6*time.Second)
	})

	// A wait the console will not sit out: the user gets a clear 429 page with a
	// retry control, never a 500, and ISC sees at most 2 calls.
	long := []struct {
		name, retryAfter string
		wantSeconds      func(int) bool
	}{
		{"Retry-After 120", "120", func(s int) bool { return s == 120 }},
		{"HTTP-date ten minutes ahead", time.Now().Add(10 * time.Minute).UTC().Format(http.TimeFormat), func(s int) bool { return s > 500 && s <= 601 }},
		{"garbage value", "soon-ish", func(s int) bool { return s > 0 && s <= 120 }},
		{"negative value", "-5", func(s int) bool { return s > 0 && s <= 120 }},
	}
	for _, tc := range long {
		for _, htmx := range []bool{false, true} {
			name := tc.name
			if htmx {
				name += " (htmx)"
			}
			t.Run(name, func(t *testing.T) {
				rl.set(first429(10, tc.retryAfter))
				headers := map[string]string{}
				if htmx {
					headers["HX-Request"] = "true"
				}
				rec := env.do(http.MethodGet, "/sources", nil, headers)
				require.Contains(t, []int{http.StatusTooManyRequests, http.StatusServiceUnavailable}, rec.Code, rec.Body.String())
				assert.LessOrEqual(t, len(rl.calls(http.MethodGet, "/v2025/sources")), 2, "at most 2 upstream calls")
				doc, err := goquery.NewDocumentFromReader(rec.Body)
				require.NoError(t, err)
				alert := doc.Find(`[data-testid="alert"]`)
				require.Equal(t, 1, alert.Length(), "one alert")
				assert.Contains(t, alert.Text(), "rate limit")
				retry := alert.Find(`[data-testid="retry"]`)
				require.Equal(t, 1, retry.Length(), "a retry control")
				assert.Equal(t, "/sources", retry.AttrOr("hx-get", ""))
				var secs int
				_, err = fmtSscanDelay(retry.AttrOr("hx-trigger", ""), &secs)
				require.NoError(t, err, "hx-trigger %q", retry.AttrOr("hx-trigger", ""))
				assert.True(t, tc.wantSeconds(secs), "retry delay %d s for Retry-After %q", secs, tc.retryAfter)
				if htmx {
					assert.Equal(t, "#alerts", rec.Header().Get("HX-Retarget"))
				}
			})
		}
	}

	t.Run("HTTP-date within 2 s: waited out like delta-seconds", func(t *testing.T) {
		rl.set(first429(1, time.Now().Add(2*time.Second).UTC().Format(http.TimeFormat)))
		rec := env.do(http.MethodGet, "/sources", nil, nil)
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		assert.Len(t, rl.calls(http.MethodGet, "/v2025/sources"), perPage+1)
	})
}

// fmtSscanDelay reads N from an hx-trigger such as "click, load delay:120s".
func fmtSscanDelay(trigger string, secs *int) (int, error) {
	_, after, ok := strings.Cut(trigger, "delay:")
	if !ok {
		return 0, assert.AnError
	}
	n := 0
	for _, r := range after {
		if r < '0' || r > '9' {
			break
		}
		n = n*10 + int(r-'0')
	}
	*secs = n
	return 1, nil
}

func TestUpstreamServerErrorsRetriedOnlyForReads(t *testing.T) {
	env, rl := newRelayEnv(t)

	t.Run("GET: at most 2 retries, spaced by a jittered back-off", func(t *testing.T) {
		var firstGaps []time.Duration
		for range 3 {
			rl.set(func(w http.ResponseWriter, r *http.Request) bool {
				if r.URL.Path != "/v2025/sources/"+sandbox.SeedDelimitedSourceID {
					return false
				}
				http.Error(w, `{"detailCode":"502.0 Bad Gateway","messages":[]}`, http.StatusBadGateway)
				return true
			})
			rec := env.do(http.MethodGet, "/sources/"+sandbox.SeedDelimitedSourceID, nil, nil)
			assert.Equal(t, http.StatusBadGateway, rec.Code, "a mapped 502 page, not 500")
			assert.Contains(t, rec.Body.String(), "ISC answered with an error")
			calls := rl.calls(http.MethodGet, "/v2025/sources/"+sandbox.SeedDelimitedSourceID)
			require.Len(t, calls, 3, "one call and 2 retries")
			g1, g2 := calls[1].at.Sub(calls[0].at), calls[2].at.Sub(calls[1].at)
			// Equal jitter on a 200 ms base: [100, 200] ms, then [200, 400] ms.
			assert.GreaterOrEqual(t, g1, 100*time.Millisecond)
			assert.GreaterOrEqual(t, g2, 200*time.Millisecond)
			firstGaps = append(firstGaps, g1)
		}
		spread := max(firstGaps[0], firstGaps[1], firstGaps[2]) - min(firstGaps[0], firstGaps[1], firstGaps[2])
		assert.Greater(t, spread, time.Millisecond, "the back-off varies between attempts (jitter): %v", firstGaps)
	})

	t.Run("POST load-accounts: never retried, the user is told to check the task status", func(t *testing.T) {
		env.sandbox.ResetCalls()
		env.sandbox.SetFault("importAccounts", sandbox.Fault{Status: http.StatusBadGateway})
		t.Cleanup(env.sandbox.ClearFaults)
		rl.set(nil)
		rec := env.do(http.MethodPost, "/sources/"+sandbox.SeedAuthoritativeSourceID+"/import/aggregate", nil, map[string]string{"HX-Request": "true"})
		assert.Equal(t, 1, env.sandbox.Calls("importAccounts"), "exactly one upstream attempt")
		assert.Contains(t, []int{http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout}, rec.Code)
		body := strings.ToLower(rec.Body.String())
		assert.True(t, strings.Contains(body, "task") && strings.Contains(body, "status"),
			"the answer tells the user to check the task status before trying again: %s", rec.Body.String())
	})
}

func TestUpstreamNoOpenProxy(t *testing.T) {
	env, rl := newRelayEnv(t)
	// evil records whatever reaches it: the console must send it nothing, least
	// of all a bearer token.
	var evilMu sync.Mutex
	var evilAuth []string
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		evilMu.Lock()
		evilAuth = append(evilAuth, r.Header.Get("Authorization"))
		evilMu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(evil.Close)

	t.Run("proxy-shaped URLs and odd methods are refused without an upstream call", func(t *testing.T) {
		cases := []struct{ method, target string }{
			{http.MethodGet, "/proxy?url=" + url.QueryEscape("https://evil.example/")},
			{http.MethodGet, "/proxy?url=" + url.QueryEscape(evil.URL)},
			{http.MethodPost, "/proxy?url=" + url.QueryEscape(evil.URL)},
			{http.MethodGet, "/sources/..%2f..%2fv2025%2fsources"},
			{http.MethodGet, "/sources/..%2F..%2F..%2Fetc%2Fpasswd/schemas"},
			{http.MethodGet, "/sources/%2e%2e/configuration"},
			{http.MethodGet, "/sources/" + url.PathEscape(evil.URL)},
			{"TRACE", "/sources"},
			{"PROPFIND", "/sources"},
			{http.MethodPut, "/sources"},
			{http.MethodDelete, "/sources/" + sandbox.SeedDelimitedSourceID},
		}
		for _, tc := range cases {
			t.Run(tc.method+" "+tc.target, func(t *testing.T) {
				env.sandbox.ResetCalls()
				rl.set(nil)
				rec := env.do(tc.method, tc.target, nil, nil)
				assert.Contains(t, []int{http.StatusBadRequest, http.StatusNotFound, http.StatusMethodNotAllowed}, rec.Code)
				assert.Empty(t, rl.calls(tc.method, "/v2025/sources"), "no upstream call")
				assert.Zero(t, env.sandbox.Calls(""), "no upstream call")
			})
		}
	})

	t.Run("user input naming another host never becomes an upstream request", func(t *testing.T) {
		rl.set(nil)
		for _, target := range []string{
			"/sources?q=" + url.QueryEscape(evil.URL) + "&owner=" + url.QueryEscape("//"+evil.Listener.Addr().String()),
			"/sources/" + sandbox.SeedDelimitedSourceID + "?url=" + url.QueryEscape(evil.URL) + "&next=" + url.QueryEscape(evil.URL),
			"/cron/preview?expr=" + url.QueryEscape("0 0 12 * * ?") + "&tz=" + url.QueryEscape(evil.URL),
		} {
			rec := env.do(http.MethodGet, target, nil, nil)
			assert.Less(t, rec.Code, 500, target)
		}
		evilMu.Lock()
		defer evilMu.Unlock()
		assert.Empty(t, evilAuth, "nothing reached the other host")
	})

	t.Run("an upstream redirect to another host does not carry the token", func(t *testing.T) {
		for _, dest := range []string{evil.URL, strings.Replace(evil.URL, "127.0.0.1", "localhost", 1)} {
			rl.set(func(w http.ResponseWriter, r *http.Request) bool {
				if r.URL.Path != "/v2025/sources/"+sandbox.SeedDelimitedSourceID {
					return false
				}
				http.Redirect(w, r, dest+"/steal", http.StatusFound)
				return true
			})
			rec := env.do(http.MethodGet, "/sources/"+sandbox.SeedDelimitedSourceID, nil, nil)
			assert.NotEqual(t, http.StatusInternalServerError, rec.Code)
		}
		evilMu.Lock()
		defer evilMu.Unlock()
		for _, a := range evilAuth {
			assert.Empty(t, a, "the bearer token was sent to %s", evil.URL)
		}
	})
}

// TestUpstream401RenewsOnceThenSignsOut: a token ISC rejects early is renewed once and
// the call repeated; a second 401 sends the user to sign in, without a loop.
func TestUpstream401RenewsOnceThenSignsOut(t *testing.T) {
	e := newTestEnvAs(t, "admin", noSharedReads)
	hx := map[string]string{"HX-Request": "true", "HX-Current-URL": "http://example.com/sources"}

	e.sandbox.ExpireAccessTokens() // ISC now rejects the token our clock thinks fresh
	before := e.sandbox.Calls("listSources")
	rec := e.do(http.MethodGet, "/sources", nil, nil)
	assert.Equal(t, http.StatusOK, rec.Code, "one refresh, one retry")
	assert.Equal(t, 1, e.sandbox.TokenRequests("refresh_token"))
	assert.Equal(t, before+2, e.sandbox.Calls("listSources"))

	e.sandbox.SetFault("listSources", sandbox.Fault{Status: http.StatusUnauthorized})
	before = e.sandbox.Calls("listSources")
	rec = e.do(http.MethodGet, "/sources", nil, hx)
	assert.Equal(t, http.StatusUnauthorized, rec.Code, "a second 401 sends the user to sign in")
	assert.Equal(t, "/login?next=%2Fsources", rec.Header().Get("HX-Redirect"))
	assert.Equal(t, before+2, e.sandbox.Calls("listSources"), "no loop: one retry only")
	assert.Equal(t, 2, e.sandbox.TokenRequests("refresh_token"))
}

// TestUpstream403KeepsTheUserSignedIn: a 403 says the user level cannot do this and
// leaves the session alone.
func TestUpstream403KeepsTheUserSignedIn(t *testing.T) {
	e := newTestEnvAs(t, "helpdesk", nil)
	e.sandbox.SetFault("listSources", sandbox.Fault{Status: http.StatusForbidden})
	rec := e.do(http.MethodGet, "/sources", nil, htmxHeaders)
	assert.Equal(t, http.StatusForbidden, rec.Code)
	assert.Contains(t, rec.Body.String(), "cannot do this")
	e.sandbox.ClearFaults()
	rec = e.do(http.MethodGet, "/", nil, nil)
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Contains(t, parse(t, rec.Body).Find(`[data-testid="nav-user"]`).Text(), "helpdesk", "still signed in")
}

// TestUpstreamFailuresSayWhatWasBeingDone: a failed call to ISC reaches the log
// wrapped once with what the console was doing and on which object, whichever page
// made it, and the user is told plain words, not that text.
func TestUpstreamFailuresSayWhatWasBeingDone(t *testing.T) {
	e, _, logs := tappedEnv(t)
	require.Equal(t, http.StatusOK, e.signIn("admin", "/").Code)
	id := sandbox.SeedDelimitedSourceID
	for _, tc := range []struct{ op, path, what string }{
		{"listSources", "/sources", `"error":"list sources: `},
		{"getSource", "/sources/" + id, `"error":"get source ` + id + `: `},
		{"getCorrelationConfig", "/sources/" + id + "/correlation", `"error":"get correlation config of ` + id + `: `},
		{"getSourceSchedules", "/sources/" + id + "/schedules", `"error":"list schedules of ` + id + `: `},
	} {
		t.Run(tc.op, func(t *testing.T) {
			e.sandbox.SetFault(tc.op, sandbox.Fault{Status: http.StatusForbidden})
			defer e.sandbox.ClearFaults()
			rec := e.do(http.MethodGet, tc.path, nil, htmxHeaders)
			require.Equal(t, http.StatusForbidden, rec.Code)
			assert.NotContains(t, rec.Body.String(), strings.TrimPrefix(tc.what, `"error":"`), "the user sees plain words")
			var line string
			for _, l := range strings.Split(logs.String(), "\n") {
				if strings.Contains(l, `"msg":"request failed"`) && strings.Contains(l, `"path":"`+tc.path+`"`) {
					line = l
				}
			}
			require.NotEmpty(t, line, "the failure is logged")
			assert.Contains(t, line, tc.what)
			assert.Equal(t, 1, strings.Count(line, strings.TrimPrefix(tc.what, `"error":"`)), "wrapped once")
		})
	}
}

// priorityLimiter lets every call through and records the priority each waited with.
type priorityLimiter struct {
	mu   sync.Mutex
	seen []api.Priority
}

func (l *priorityLimiter) Wait(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seen = append(l.seen, api.PriorityOf(ctx))
	return nil
}

func (l *priorityLimiter) take() []api.Priority {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.seen
	l.seen = nil
	return slices.Compact(out)
}

// TestBackgroundWorkYieldsToPageLoads: the calls of pages and their parts wait for
// the shared rate budget as interactive, those of bulk actions as bulk, and those
// of work nobody is looking at yet (home page tiles, a task panel following its
// task) as background, so the budget serves the people waiting first.
func TestBackgroundWorkYieldsToPageLoads(t *testing.T) {
	lim := &priorityLimiter{}
	sb, hs := newTestSandbox(t)
	e := newConsole(t, sb, hs, "memory", func(c *Config) {
		cl, err := api.New(api.Config{BaseURL: hs.URL, HTTPClient: hs.Client(), Limiter: lim})
		require.NoError(t, err)
		c.Tenants = []Tenant{{Key: "sandbox", API: cl}}
		noSharedReads(c)
	})
	e.csrfPrime()
	form := url.Values{"client_id": {sandbox.DemoPATClientID}, "client_secret": {sandbox.DemoPATClientSecret}}
	require.Equal(t, http.StatusSeeOther, e.postForm("/login/pat", form, nil).Code)
	e.headers.Set("X-CSRF-Token", e.pageCSRFToken("/"))
	id := sandbox.SeedDelimitedSourceID

	for _, tc := range []struct {
		method, path string
		headers      map[string]string
		want         api.Priority
	}{
		{"GET", "/sources", nil, api.PriorityInteractive},
		{"GET", "/sources/" + id, hxTo("source-tab"), api.PriorityInteractive},
		{"GET", "/sources/" + id + "/health", htmxHeaders, api.PriorityInteractive},
		{"GET", "/dashboard/status", htmxHeaders, api.PriorityBackground},
		{"GET", "/dashboard/upcoming", htmxHeaders, api.PriorityBackground},
		{"POST", "/sources/bulk/test-connection", htmxHeaders, api.PriorityBulk},
	} {
		lim.take()
		var rec *httptest.ResponseRecorder
		if tc.method == "POST" {
			rec = e.postForm(tc.path, url.Values{"id": {id}}, tc.headers)
		} else {
			rec = e.do(tc.method, tc.path, nil, tc.headers)
		}
		require.Equal(t, http.StatusOK, rec.Code, "%s %s", tc.method, tc.path)
		assert.Equal(t, []api.Priority{tc.want}, lim.take(), "%s %s", tc.method, tc.path)
	}

	rec := e.postForm("/sources/"+sandbox.SeedAuthoritativeSourceID+"/import/aggregate", url.Values{}, htmxHeaders)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	task := goneTo(t, rec.Header())
	lim.take()
	require.Equal(t, http.StatusOK, e.do(http.MethodGet, task, nil, nil).Code)
	assert.Equal(t, []api.Priority{api.PriorityInteractive}, lim.take(), "opening the task page")
	require.Equal(t, http.StatusOK, e.do(http.MethodGet, task+"&wait=1", nil, htmxHeaders).Code)
	assert.Equal(t, []api.Priority{api.PriorityBackground}, lim.take(), "the panel's poll")
}

// TestServerTimingSaysWhatAPageCostUpstream: a response says in Server-Timing how
// many calls to ISC it made, how long ISC took and how long the calls waited for
// the shared budget; a page served from shared copies made none and says nothing.
func TestServerTimingSaysWhatAPageCostUpstream(t *testing.T) {
	e := newTestEnv(t, nil)
	e.sandbox.SetFault("listSources", sandbox.Fault{Latency: 20 * time.Millisecond})
	rec := e.do(http.MethodGet, "/sources?size=10", nil, nil)
	require.Equal(t, http.StatusOK, rec.Code)
	st := rec.Header().Get("Server-Timing")
	m := regexp.MustCompile(`^isc;desc="1 call";dur=([0-9.]+), budget;dur=([0-9.]+)$`).FindStringSubmatch(st)
	require.NotNil(t, m, st)
	dur, _ := strconv.ParseFloat(m[1], 64)
	assert.GreaterOrEqual(t, dur, 20.0, "ISC's time, in ms")
	rec = e.do(http.MethodGet, "/sources?size=10", nil, nil)
	assert.Empty(t, rec.Header().Get("Server-Timing"), "the shared copy: no call")
}
