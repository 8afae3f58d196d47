package bff

// Properties every route of routes() must have, checked by crawling the router: no
// token in any response, no CORS, every HTML answer with the security headers, hostile
// names inert, GET routes that only read upstream. docs/security-tests.md maps the
// security plan to these tests.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"sourcedesk/internal/api"
	"sourcedesk/internal/sandbox"
	"sourcedesk/internal/session"
)

// tokenTap stands in front of the sandbox and remembers every access and refresh
// token its token endpoint hands out, and the query string of every token request,
// so tests can look for the real values (not just a JWT-shaped pattern).
type tokenTap struct {
	next http.Handler

	mu           sync.Mutex
	tokens       []string
	tokenQueries []string
}

func (tp *tokenTap) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/oauth/token" {
		tp.next.ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	tp.next.ServeHTTP(rec, r)
	var body struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
	}
	_ = json.Unmarshal(rec.Body.Bytes(), &body)
	tp.mu.Lock()
	tp.tokenQueries = append(tp.tokenQueries, r.URL.RawQuery)
	for _, tok := range []string{body.AccessToken, body.RefreshToken} {
		if tok != "" {
			tp.tokens = append(tp.tokens, tok)
		}
	}
	tp.mu.Unlock()
	for k, vs := range rec.Header() {
		w.Header()[k] = vs
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

func (tp *tokenTap) issued() []string {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	return append([]string(nil), tp.tokens...)
}

// lockedBuffer collects log output from several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// tappedEnv is a signed-out console on a tapped sandbox whose bff and session logs
// (debug level) are captured.
func tappedEnv(t *testing.T) (*testEnv, *tokenTap, *lockedBuffer) {
	t.Helper()
	sb := sandbox.New(sandbox.Config{
		Clients:   []sandbox.Client{{ID: testClientID, Secret: testClientSecret, RedirectURIs: []string{testRedirectURI}}},
		RateLimit: -1,
	})
	tap := &tokenTap{next: sb.Handler()}
	hs := httptest.NewServer(tap)
	t.Cleanup(hs.Close)
	logs := &lockedBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	mgr, err := session.New(context.Background(), session.Config{
		Store: "memory",
		Keys:  [][]byte{testSessionKey},
		Tenants: []session.Tenant{{Key: "sandbox", OAuth2: &oauth2.Config{
			ClientID: testClientID, ClientSecret: testClientSecret,
			Endpoint: oauth2.Endpoint{
				AuthURL: hs.URL + "/oauth/authorize", TokenURL: hs.URL + "/oauth/token",
				AuthStyle: oauth2.AuthStyleInHeader,
			},
			RedirectURL: testRedirectURI,
		}}},
		HTTPClient: hs.Client(),
		Logger:     logger.With(slog.String("component", "session")),
	})
	require.NoError(t, err)
	t.Cleanup(func() { mgr.Close() })
	// No rate limit on either side: these tests crawl every route, and pacing them
	// at ISC's 100 requests per 10 s would only make them slow (or end in 429s).
	cl, err := api.New(api.Config{BaseURL: hs.URL, HTTPClient: hs.Client(), Limiter: noLimit{}})
	require.NoError(t, err)
	srv := newTestServer(t, func(c *Config) {
		c.Tenants, c.Sessions, c.Logger, c.HSTS = []Tenant{{Key: "sandbox", API: cl}}, mgr, logger, true
	})
	return &testEnv{t: t, srv: srv, sandbox: sb, sbURL: hs.URL, sessions: mgr, headers: http.Header{}, cookies: map[string]string{}}, tap, logs
}

// uploadRoutes are the path patterns of the routes that stream an upload, sorted.
func (s *Server) uploadRoutes() []string {
	var out []string
	for k, ri := range s.routeInfos {
		if ri.upload {
			out = append(out, strings.SplitN(k, " ", 2)[1])
		}
	}
	slices.Sort(out)
	return out
}

// TestEveryChangingRouteHasAnAction: every route that may change something (POST, PUT,
// PATCH, DELETE) names its activity action at registration, or says that it changes
// nothing; GET routes have none; and every action the activity page offers (its
// labels) is the action of a registered route, so the log never names a change with
// a made-up name.
func TestEveryChangingRouteHasAnAction(t *testing.T) {
	s := newTestServer(t, nil)
	registered := map[string]bool{}
	actions := map[string]bool{}
	for _, r := range s.echo.Routes() {
		key := r.Method + " " + r.Path
		registered[key] = true
		ri, known := s.routeInfos[key]
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			assert.Empty(t, ri.action, "%s reads only: it has no activity action", key)
			assert.False(t, ri.upload, "%s cannot receive an upload", key)
		case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
			require.True(t, known, "%s is registered without its facts (use the router in routes())", key)
			assert.True(t, (ri.action != "") != ri.readOnly, "%s needs an activity action, or changesNothing (not both)", key)
			if !ri.readOnly {
				assert.NotEmpty(t, ri.action, key)
			}
		}
		if ri.action == "" {
			continue
		}
		if strings.Contains(ri.action, ":kind") {
			for _, k := range uploadKinds {
				actions[strings.ReplaceAll(ri.action, ":kind", k.slug)] = true
			}
			continue
		}
		assert.NotContains(t, ri.action, ":", "%s: only :kind is filled in from the path", key)
		actions[ri.action] = true
	}
	for key := range s.routeInfos {
		assert.True(t, registered[key], "facts for %s, which is not a route", key)
	}
	for a := range actions {
		assert.Contains(t, actionLabels, a, "the action %q has words for the activity page", a)
	}
	for a := range actionLabels {
		assert.True(t, actions[a], "the activity page offers %q, which no route records", a)
	}
	assert.Equal(t, []string{
		"/sources/:id/code/compare",
		"/sources/:id/import/:kind", "/sources/:id/import/:kind/preflight",
		"/sources/:id/schema-files/:kind", "/sources/:id/schema-files/:kind/diff",
		"/sources/:id/tools/connector-file",
	}, s.uploadRoutes(), "the routes that stream a file past the form body limit")
}

// routePath fills an Echo route pattern with values that reach real handlers.
func routePath(pattern, id string) string {
	return strings.NewReplacer(":id", id, ":kind", "accounts", ":schemaId", "x", ":type", "ACCOUNT_AGGREGATION",
		":usage", "CREATE", "*", "").Replace(pattern)
}

// crawl records requests and their full responses (status, every header, body).
type crawl struct {
	t    *testing.T
	e    *testEnv
	seen strings.Builder
	n    int
	// ok counts 2xx answers: a crawl of error pages only would prove little.
	ok int
}

func (c *crawl) do(method, target string, body io.Reader, headers map[string]string) *httptest.ResponseRecorder {
	c.t.Helper()
	rec := c.e.do(method, target, body, headers)
	c.add(method+" "+target, rec.Code, rec.Header(), rec.Body.String())
	return rec
}

func (c *crawl) add(what string, status int, h http.Header, body string) {
	c.n++
	if status < 300 {
		c.ok++
	}
	fmt.Fprintf(&c.seen, "== %s %d\n", what, status)
	for k, vs := range h {
		fmt.Fprintf(&c.seen, "%s: %s\n", k, strings.Join(vs, " | "))
	}
	c.seen.WriteString(body + "\n")
}

// assertNoSecrets checks that none of the issued tokens, the client secrets or a
// JWT-shaped string occurs in text.
func assertNoSecrets(t *testing.T, what, text string, tokens []string) {
	t.Helper()
	for _, tok := range tokens {
		assert.NotContains(t, text, tok, "%s contains an issued access or refresh token", what)
	}
	assert.False(t, jwtPattern.MatchString(text), "%s contains a JWT: %s", what, jwtPattern.FindString(text))
	assert.NotContains(t, text, testClientSecret, what)
	assert.NotContains(t, text, sandbox.DemoPATClientSecret, what)
	assert.NotContains(t, strings.ToLower(text), "bearer ", what)
}

// TestNoTokenInAnyResponseOfAnyRoute crawls every route of the console (every GET
// route, full and htmx; every unsafe route with an empty form; every upload route
// with a small file), the whole sign-in (redirect, callback, bounce), a forced
// refresh, upstream error pages, a PAT sign-in and the sign-out, and looks in every
// status line, header (Set-Cookie included) and body for the tokens the tenant
// actually issued, any JWT and the client secrets.
func TestNoTokenInAnyResponseOfAnyRoute(t *testing.T) {
	e, tap, _ := tappedEnv(t)
	c := &crawl{t: t, e: e}

	// The sign-in, step by step, every response recorded.
	rec := c.do(http.MethodGet, "/login?next=%2Fsources", nil, nil)
	require.Equal(t, http.StatusFound, rec.Code)
	cb := sandboxLogin(t, e.sbURL, rec.Header().Get("Location"), "admin")
	rec = c.do(http.MethodGet, cb.RequestURI(), nil, nil)
	require.Equal(t, http.StatusOK, rec.Code, "callback")
	e.headers.Set("X-CSRF-Token", e.pageCSRFToken("/"))

	// A refresh, so a second access token and a rotated refresh token exist.
	e.sandbox.ExpireAccessTokens()
	require.Equal(t, http.StatusOK, c.do(http.MethodGet, "/sources", nil, nil).Code)
	require.GreaterOrEqual(t, len(tap.issued()), 4, "two grants, each an access and a refresh token")

	id := sandbox.SeedDelimitedSourceID
	victim := sandbox.SeedHTMXSourceID // unsafe routes act on a source nothing else needs
	for _, r := range e.srv.echo.Routes() {
		if strings.HasPrefix(r.Path, "/static") || r.Path == "/login" || r.Path == "/auth/callback" ||
			r.Path == "/logout" || r.Path == "/login/pat" || strings.HasSuffix(r.Path, "/*") {
			continue
		}
		switch {
		case r.Method == http.MethodGet:
			for _, hx := range []map[string]string{nil, htmxHeaders} {
				c.do(http.MethodGet, routePath(r.Path, id), nil, hx)
			}
		case e.srv.routeInfos[r.Method+" "+r.Path].upload:
			body, ct := formFile(t, nil, "a.csv", []byte(goodCSV))
			c.do(r.Method, routePath(r.Path, victim), body, map[string]string{"Content-Type": ct, "HX-Request": "true"})
		default:
			c.do(r.Method, routePath(r.Path, victim), strings.NewReader(""),
				map[string]string{"Content-Type": "application/x-www-form-urlencoded", "HX-Request": "true"})
		}
	}
	// Error pages built from upstream answers.
	for _, status := range []int{http.StatusBadRequest, http.StatusForbidden, http.StatusInternalServerError} {
		e.sandbox.SetFault("listSources", sandbox.Fault{Status: status})
		c.do(http.MethodGet, "/sources", nil, nil)
		c.do(http.MethodGet, "/sources", nil, htmxHeaders)
	}
	e.sandbox.ClearFaults()
	c.do(http.MethodGet, "/nope", nil, nil)
	c.do(http.MethodPost, "/sources", nil, map[string]string{"X-CSRF-Token": "forged"})

	// A PAT sign-in, a refused one, and the sign-out.
	pat := url.Values{"client_id": {sandbox.DemoPATClientID}, "client_secret": {sandbox.DemoPATClientSecret}}
	c.do(http.MethodPost, "/login/pat", strings.NewReader(pat.Encode()), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	c.do(http.MethodGet, "/", nil, nil)
	c.do(http.MethodPost, "/logout", nil, nil)
	c.do(http.MethodGet, "/signed-out", nil, nil)

	require.Greater(t, c.n, 100, "responses crawled")
	require.Greater(t, c.ok, 80, "successful responses crawled")
	assertNoSecrets(t, "a console response", c.seen.String(), tap.issued())
}

// TestNoRouteAnswersCORS: a preflight from https://evil.example, for every route
// and the method it serves, and the real cross-origin request on every GET route
// (with the signed-in cookies), get no Access-Control-Allow-* header; preflights
// make no upstream call.
func TestNoRouteAnswersCORS(t *testing.T) {
	e := newTestEnv(t, nil)
	id := sandbox.SeedDelimitedSourceID
	e.sandbox.ResetCalls()
	checked := 0
	for _, r := range e.srv.echo.Routes() {
		path := routePath(r.Path, id)
		for _, hx := range []bool{false, true} {
			h := map[string]string{
				"Origin": "https://evil.example", "Access-Control-Request-Method": r.Method,
				"Access-Control-Request-Headers": "x-csrf-token, hx-request, hx-target, content-type",
			}
			if hx {
				h["HX-Request"] = "true"
			}
			rec := e.do(http.MethodOptions, path, nil, h)
			for k := range rec.Header() {
				assert.False(t, strings.HasPrefix(strings.ToLower(k), "access-control-"), "OPTIONS %s: %s", path, k)
			}
			checked++
		}
	}
	assert.Zero(t, e.sandbox.Calls(""), "preflights made upstream calls")
	for _, r := range e.srv.echo.Routes() {
		if r.Method != http.MethodGet || strings.HasPrefix(r.Path, "/static") || r.Path == "/login" {
			continue
		}
		path := routePath(r.Path, id)
		rec := e.do(http.MethodGet, path, nil, map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "cors"})
		for k := range rec.Header() {
			assert.False(t, strings.HasPrefix(strings.ToLower(k), "access-control-"), "GET %s: %s", path, k)
		}
		checked++
	}
	assert.Greater(t, checked, 100)
}

// TestHostileNamesInertOnEveryRoute visits every GET route for the two
// hostile sources, as a full page and as an htmx partial (plain and aimed at the
// source tab), after actions that record them in the activity log and start a task:
// the names show as text and never become elements or attributes.
func TestHostileNamesInertOnEveryRoute(t *testing.T) {
	e, _, _ := tappedEnv(t)
	require.Equal(t, http.StatusOK, e.signIn("admin", "/").Code)
	for _, id := range []string{sandbox.SeedXSSSourceID, sandbox.SeedHTMXSourceID} {
		rec := e.postForm("/sources/"+id+"/tools/test-connection", url.Values{}, hxTo("tool-result"))
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	}
	rec := e.upload("/sources/"+sandbox.SeedXSSSourceID+"/import/accounts?sendAnyway=1", true, nil, "a.csv", []byte(goodCSV))
	task := rec.Header().Get("HX-Redirect")
	if loc := rec.Header().Get("HX-Location"); loc != "" {
		var l struct{ Path string }
		require.NoError(t, json.Unmarshal([]byte(loc), &l))
		task = l.Path
	}
	require.True(t, strings.HasPrefix(task, "/tasks/"), "aggregation started: %d %v %s", rec.Code, rec.Header(), rec.Body.String())

	shown := map[string]int{}
	shownAt := map[string]bool{} // "path htmx?name"
	visit := func(path string, headers map[string]string) {
		t.Helper()
		rec := e.do(http.MethodGet, path, nil, headers)
		if rec.Code >= 500 || rec.Code == http.StatusTooManyRequests {
			t.Errorf("GET %s %v: %d", path, headers, rec.Code)
		}
		if !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
			return // CSV exports: attachments with nosniff, checked with the exports
		}
		raw := rec.Body.String()
		doc, err := goquery.NewDocumentFromReader(strings.NewReader(raw))
		require.NoError(t, err)
		for _, name := range []string{sandbox.SeedXSSSourceName, sandbox.SeedHTMXSourceName} {
			assert.False(t, strings.Contains(raw, name), "GET %s %v: %q is in the markup unescaped", path, headers, name)
			if strings.Contains(doc.Text(), name) {
				shown[name]++
				shownAt[fmt.Sprintf("%s %v", path, headers["HX-Request"] != "")+name] = true
			}
		}
		assert.Zero(t, doc.Find(`img[src="x"], [onerror], [hx-get="/logout"], [hx-trigger="load"][hx-get="/logout"]`).Length(),
			"GET %s %v: a name became an element", path, headers)
	}
	for _, r := range e.srv.echo.Routes() {
		if r.Method != http.MethodGet || strings.HasPrefix(r.Path, "/static") || r.Path == "/login" || r.Path == "/auth/callback" {
			continue
		}
		for _, id := range []string{sandbox.SeedXSSSourceID, sandbox.SeedHTMXSourceID} {
			path := routePath(r.Path, id)
			visit(path, nil)
			visit(path, htmxHeaders)
			if strings.HasPrefix(r.Path, "/sources/:id") {
				visit(path, hxTo("source-tab"))
			}
		}
	}
	for _, path := range []string{"/sources?q=%3C", "/sources?q=onerror", "/activity", "/activity?q=%3C", task, "/dashboard/status"} {
		visit(path, nil)
		visit(path, htmxHeaders)
	}
	// Not vacuous: the names were on the pages, as text.
	assert.Greater(t, shown[sandbox.SeedXSSSourceName], 10, "pages showing the <img> name as text")
	assert.Greater(t, shown[sandbox.SeedHTMXSourceName], 10, "pages showing the hx-get name as text")
	for _, name := range []string{sandbox.SeedXSSSourceName, sandbox.SeedHTMXSourceName} {
		for _, at := range []string{"/sources?q=%3C false", "/sources?q=%3C true"} {
			assert.True(t, shownAt[at+name], "%s does not show %q as text", at, name)
		}
	}
	assert.True(t, shownAt["/sources/"+sandbox.SeedXSSSourceID+" false"+sandbox.SeedXSSSourceName], "the detail page shows the name")
	assert.True(t, shownAt["/sources/"+sandbox.SeedHTMXSourceID+"/configuration true"+sandbox.SeedHTMXSourceName], "the configuration partial shows the name")
}

// TestEveryHTMLResponseHasTheSecurityHeaders checks every HTML answer the
// console can give: every GET route signed in (full and htmx) and signed out, every
// unsafe route refused by CSRF, upload refusals (413, 415), upstream error pages,
// unknown URLs and methods, and the sign-in pages.
func TestEveryHTMLResponseHasTheSecurityHeaders(t *testing.T) {
	e, _, _ := tappedEnv(t)
	html := 0
	check := func(what string, rec *httptest.ResponseRecorder) {
		t.Helper()
		h := rec.Header()
		assert.Equal(t, "nosniff", h.Get("X-Content-Type-Options"), "%s (%s)", what, h.Get("Content-Type"))
		if !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
			return
		}
		html++
		csp := h.Get("Content-Security-Policy")
		directives := map[string]string{}
		for _, d := range strings.Split(csp, ";") {
			f := strings.Fields(d)
			if len(f) > 0 {
				directives[f[0]] = strings.Join(f[1:], " ")
			}
		}
		for _, d := range []string{"object-src", "base-uri", "frame-ancestors"} {
			assert.Equal(t, "'none'", directives[d], "%s: CSP %s", what, d)
		}
		script := directives["script-src"]
		if script == "" {
			script = directives["default-src"]
		}
		assert.NotEmpty(t, script, "%s: CSP restricts scripts", what)
		for _, bad := range []string{"'unsafe-eval'", "'unsafe-inline'", "*", "data:", "'wasm-unsafe-eval'"} {
			assert.NotContains(t, strings.Fields(script), bad, "%s: script-src %s", what, bad)
		}
		assert.NotContains(t, csp, "unsafe-eval", what)
		assert.Contains(t, h.Get("Strict-Transport-Security"), "max-age=", what)
		assert.Equal(t, "no-referrer", h.Get("Referrer-Policy"), what)
		assert.Equal(t, "no-store", h.Get("Cache-Control"), what)
		assert.Contains(t, strings.Join(h.Values("Vary"), ","), "HX-Request", what)
	}
	id := sandbox.SeedDelimitedSourceID
	gets := func(prefix string) {
		for _, r := range e.srv.echo.Routes() {
			if r.Method != http.MethodGet || strings.HasPrefix(r.Path, "/static") || r.Path == "/auth/callback" || r.Path == "/metrics" {
				continue
			}
			for _, hx := range []map[string]string{nil, htmxHeaders} {
				path := routePath(r.Path, id)
				check(prefix+" GET "+path, e.do(http.MethodGet, path, nil, hx))
			}
		}
	}
	gets("signed out")
	check("callback refused", e.do(http.MethodGet, "/auth/callback?state=x&code=y", nil, nil))
	check("callback bounce", e.signIn("admin", "/"))
	gets("signed in")
	for _, r := range e.srv.echo.Routes() {
		if r.Method == http.MethodGet {
			continue
		}
		for _, hx := range []map[string]string{nil, htmxHeaders} {
			h := map[string]string{"X-CSRF-Token": "forged"}
			for k, v := range hx {
				h[k] = v
			}
			check("CSRF refusal "+r.Method+" "+r.Path, e.do(r.Method, routePath(r.Path, id), nil, h))
		}
	}
	for _, hx := range []bool{false, true} {
		check("415", e.upload("/sources/"+id+"/import/accounts", hx, nil, "a.csv", []byte("\x89PNG\r\n\x1a\n")))
		check("body over the form limit", e.do(http.MethodPost, "/sources", bytes.NewReader(bytes.Repeat([]byte("a"), 3<<20)),
			withHX(hx, map[string]string{"Content-Type": "application/x-www-form-urlencoded"})))
		for _, status := range []int{http.StatusForbidden, http.StatusInternalServerError} {
			e.sandbox.SetFault("listSources", sandbox.Fault{Status: status})
			check(fmt.Sprintf("upstream %d htmx=%v", status, hx), e.do(http.MethodGet, "/sources", nil, withHX(hx, nil)))
		}
		// A 429 the console will not wait out: the rate-limit page with its retry control.
		e.sandbox.SetFault("listSources", sandbox.Fault{Force429: 2, RetryAfter: 120})
		check(fmt.Sprintf("upstream 429 htmx=%v", hx), e.do(http.MethodGet, "/sources", nil, withHX(hx, nil)))
		e.sandbox.ClearFaults()
		check("unknown URL", e.do(http.MethodGet, "/no/such/page", nil, withHX(hx, nil)))
		check("unknown method", e.do("PROPFIND", "/sources", nil, withHX(hx, nil)))
		check("method not allowed", e.do(http.MethodPut, "/cron", nil, withHX(hx, nil)))
	}
	check("logout", e.do(http.MethodPost, "/logout", nil, nil))
	assert.Greater(t, html, 100, "HTML responses checked")
}

// TestGetRoutesOnlyReadUpstream visits every GET route, full and htmx: the pages call
// ISC, but only to read, so a link or a prefetch can never change anything.
func TestGetRoutesOnlyReadUpstream(t *testing.T) {
	e := newTestEnvAs(t, "admin", nil)
	id := firstSourceID(t, e)
	e.sandbox.ResetCalls()
	n := 0
	for _, r := range e.srv.echo.Routes() {
		if r.Method != http.MethodGet || strings.HasPrefix(r.Path, "/static") || r.Path == "/login" || r.Path == "/auth/callback" {
			continue
		}
		path := strings.NewReplacer(":id", id, ":kind", "accounts", ":schemaId", "x", ":type", "ACCOUNT_AGGREGATION", "*", "").Replace(r.Path)
		for _, hx := range []map[string]string{nil, htmxHeaders} {
			// (Over 100 ISC calls in all: the shared rate budget makes this take ~10 s.)
			rec := e.do(http.MethodGet, path, nil, hx)
			assert.Less(t, rec.Code, 500, "GET %s", path)
			n++
		}
	}
	require.Greater(t, n, 20, "routes visited")
	assert.Positive(t, e.sandbox.CallsByMethod(http.MethodGet), "the pages did call ISC")
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		assert.Zero(t, e.sandbox.CallsByMethod(m), "GET routes made %s calls upstream", m)
	}
}
