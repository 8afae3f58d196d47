package bff

// Security audit of SECURITY.md §7: tests that close the gaps the audit found in
// the earlier case tests (docs/security-tests.md has the full map). Each test names
// its case number.

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
	"runtime"
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

// auditEnv is a signed-out console on a tapped sandbox whose bff and session logs
// (debug level) are captured.
func auditEnv(t *testing.T) (*testEnv, *tokenTap, *lockedBuffer) {
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
		OAuth2: &oauth2.Config{
			ClientID: testClientID, ClientSecret: testClientSecret,
			Endpoint: oauth2.Endpoint{
				AuthURL: hs.URL + "/oauth/authorize", TokenURL: hs.URL + "/oauth/token",
				AuthStyle: oauth2.AuthStyleInHeader,
			},
			RedirectURL: testRedirectURI,
		},
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
		c.API, c.Sessions, c.Logger, c.HSTS = cl, mgr, logger, true
	})
	return &testEnv{t: t, srv: srv, sandbox: sb, sbURL: hs.URL, sessions: mgr, headers: http.Header{}, cookies: map[string]string{}}, tap, logs
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

// TestCase06_CrawlEveryResponseForTokens crawls every route of the console (every GET
// route, full and htmx; every unsafe route with an empty form; every upload route
// with a small file), the whole sign-in (redirect, callback, bounce), a forced
// refresh, upstream error pages, a PAT sign-in and the sign-out, and looks in every
// status line, header (Set-Cookie included) and body for the tokens the tenant
// actually issued, any JWT and the client secrets.
func TestCase06_CrawlEveryResponseForTokens(t *testing.T) {
	e, tap, _ := auditEnv(t)
	c := &crawl{t: t, e: e}

	// The sign-in, step by step, every response recorded.
	rec := c.do(http.MethodGet, "/login?next=%2Fsources", nil, nil)
	require.Equal(t, http.StatusFound, rec.Code)
	cb := sandboxLogin(t, e.sbURL, rec.Header().Get("Location"), "admin")
	rec = c.do(http.MethodGet, cb.RequestURI(), nil, nil)
	require.Equal(t, http.StatusOK, rec.Code, "callback")
	e.mu.Lock()
	e.headers.Set("X-CSRF-Token", e.cookies["sd_csrf"])
	e.mu.Unlock()

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
		case uploadRoutes[r.Path]:
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

// TestCase12_CSRFReadsNoUploadBytesWithAValidToken: an upload that passes the CSRF
// check (token in the header) reaches its handler with the body untouched: the first
// read of the body happens in the handler's multipart stream, never in a form
// parser of the middleware (which would buffer the whole upload first, echo#2390).
// The refusals read no byte at all, on every upload route.
func TestCase12_CSRFReadsNoUploadBytesWithAValidToken(t *testing.T) {
	e := newTestEnv(t, nil)
	e.mu.Lock()
	tok := e.cookies["sd_csrf"]
	e.mu.Unlock()
	require.NotEmpty(t, tok)

	schemaCSV := e.do(http.MethodGet, "/sources/"+delimitedID+"/schema-files/accounts", nil, nil).Body.Bytes()
	require.Contains(t, string(schemaCSV), "name")
	t.Run("token in the header: the first read is the handler's", func(t *testing.T) {
		for _, tc := range []struct {
			name    string
			headers map[string]string
		}{
			{"no Sec-Fetch-Site", map[string]string{}},
			{"Sec-Fetch-Site same-site", map[string]string{"Sec-Fetch-Site": "same-site"}},
			{"Sec-Fetch-Site same-origin, no token", map[string]string{"Sec-Fetch-Site": "same-origin", "X-CSRF-Token": ""}},
		} {
			for route, content := range map[string][]byte{"/import/accounts/preflight": []byte(goodCSV), "/schema-files/accounts/diff": schemaCSV} {
				t.Run(tc.name+" "+route, func(t *testing.T) {
					// A _csrf form field first in the body: a form lookup would find it.
					raw, ct := formFile(t, [][2]string{{"_csrf", tok}}, "a.csv", content)
					body := &stackReader{r: raw}
					h := map[string]string{"Content-Type": ct, "HX-Request": "true"}
					for k, v := range tc.headers {
						h[k] = v
					}
					rec := e.do(http.MethodPost, "/sources/"+delimitedID+route, body, h)
					require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
					stack := body.firstStack()
					require.NotEmpty(t, stack, "the handler read the upload")
					// The frames called from inside the CSRF middleware: the handler's
					// stream, not a form parser of the middleware itself.
					inner, _, found := strings.Cut(stack, "middleware.CSRFConfig.ToMiddleware")
					require.True(t, found, "the read happened under the CSRF middleware:\n%s", stack)
					assert.Contains(t, inner, "upload.(*Stream)", "the first read is the handler's stream:\n%s", stack)
					for _, parser := range []string{"ParseMultipartForm", "ParseForm", "(*Reader).ReadForm", "FormValue", "valuesFromForm"} {
						assert.NotContains(t, stack, parser, "the body was first read by a form parser:\n%s", stack)
					}
				})
			}
		}
	})

	t.Run("refused: zero bytes read on every upload route", func(t *testing.T) {
		n := 0
		for r := range uploadRoutes {
			for _, headers := range []map[string]string{
				{"X-CSRF-Token": ""}, // no header token, forged form field
				{"X-CSRF-Token": "", "Sec-Fetch-Site": "same-site"}, // sibling subdomain without the token
				{"Sec-Fetch-Site": "cross-site"},                    // cross-site even with the token
			} {
				raw, ct := formFile(t, [][2]string{{"_csrf", tok}}, "a.csv", []byte(goodCSV))
				body := &countingReader{r: raw}
				h := map[string]string{"Content-Type": ct, "HX-Request": "true"}
				for k, v := range headers {
					h[k] = v
				}
				before := e.sandbox.Calls("")
				rec := e.do(http.MethodPost, routePath(r, delimitedID), body, h)
				assert.Equal(t, http.StatusForbidden, rec.Code, "%s %v", r, headers)
				assert.Zero(t, body.n.Load(), "%s %v: body bytes read before the refusal", r, headers)
				assert.Equal(t, before, e.sandbox.Calls(""), "%s: no upstream call", r)
				n++
			}
		}
		assert.Equal(t, 15, n, "five upload routes, three refusals each")
	})
}

// stackReader remembers the call stack of its first Read.
type stackReader struct {
	r     io.Reader
	once  sync.Once
	mu    sync.Mutex
	stack string
}

func (s *stackReader) Read(p []byte) (int, error) {
	s.once.Do(func() {
		pcs := make([]uintptr, 64)
		frames := runtime.CallersFrames(pcs[:runtime.Callers(2, pcs)])
		var b strings.Builder
		for {
			f, more := frames.Next()
			b.WriteString(f.Function + "\n")
			if !more {
				break
			}
		}
		s.mu.Lock()
		s.stack = b.String()
		s.mu.Unlock()
	})
	return s.r.Read(p)
}

func (s *stackReader) firstStack() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stack
}

// TestCase13_NoCORSAnywhere: a preflight from https://evil.example, for every route
// and the method it serves, and the real cross-origin request on every GET route
// (with the signed-in cookies), get no Access-Control-Allow-* header; preflights
// make no upstream call.
func TestCase13_NoCORSAnywhere(t *testing.T) {
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

// TestCase18_ClientSecretNeverInURLsOrLogs captures the console's own log output
// (bff and session, debug level) across a code-flow sign-in, a refresh, a refused
// and an accepted PAT sign-in, error pages and the sign-out: no client secret, PAT
// secret or token appears in it, the authorize URL carries no secret, and the token
// requests send the client's credentials in the body or header, never the URL.
func TestCase18_ClientSecretNeverInURLsOrLogs(t *testing.T) {
	e, tap, logs := auditEnv(t)
	rec := e.do(http.MethodGet, "/login?next=/", nil, nil)
	require.Equal(t, http.StatusFound, rec.Code)
	authURL := rec.Header().Get("Location")
	assert.NotContains(t, authURL, testClientSecret)
	assert.NotContains(t, strings.ToLower(authURL), "client_secret")
	require.Equal(t, http.StatusOK, e.signIn("admin", "/").Code)

	e.sandbox.ExpireAccessTokens()
	require.Equal(t, http.StatusOK, e.do(http.MethodGet, "/sources", nil, nil).Code, "refreshed")
	e.sandbox.SetTokenFailure("invalid_grant")
	e.sandbox.ExpireAccessTokens()
	e.do(http.MethodGet, "/sources", nil, htmxHeaders) // a failed refresh is logged
	e.sandbox.SetTokenFailure("")

	const wrongSecret = "wrong-pat-secret-3f9a"
	e.csrfPrime()
	for _, secret := range []string{wrongSecret, sandbox.DemoPATClientSecret} {
		form := url.Values{"client_id": {sandbox.DemoPATClientID}, "client_secret": {secret}}
		e.do(http.MethodPost, "/login/pat", strings.NewReader(form.Encode()), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	}
	e.sandbox.SetFault("listSources", sandbox.Fault{Status: http.StatusInternalServerError})
	e.do(http.MethodGet, "/sources", nil, nil)
	e.sandbox.ClearFaults()
	e.do(http.MethodPost, "/logout", nil, nil)

	out := logs.String()
	require.Contains(t, out, `"msg":"request"`, "the request log was captured")
	require.Greater(t, strings.Count(out, "\n"), 10)
	assertNoSecrets(t, "the log", out, tap.issued())
	assert.NotContains(t, out, wrongSecret, "a refused PAT secret was logged")

	tap.mu.Lock()
	defer tap.mu.Unlock()
	require.NotEmpty(t, tap.tokenQueries)
	for _, q := range tap.tokenQueries {
		assert.NotContains(t, q, "secret", "token request with a secret in its URL: %s", q)
	}
}

// TestCase19_SpoofedHostHeadersDoNotMoveTheRedirectURI sends the real Host header
// (not a header map entry, which Go's client drops) plus every forwarding header: the
// authorize URL keeps the constant redirect_uri and points at the configured tenant,
// and the sign-in redirects the console builds stay relative.
func TestCase19_SpoofedHostHeadersDoNotMoveTheRedirectURI(t *testing.T) {
	e := newSignedOutEnv(t, nil)
	spoof := func(req *http.Request) {
		req.Host = "evil.example"
		req.Header.Set("X-Forwarded-Host", "evil.example")
		req.Header.Set("X-Forwarded-Proto", "http")
		req.Header.Set("X-Forwarded-Port", "8443")
		req.Header.Set("X-Original-Host", "evil.example")
		req.Header.Set("X-Host", "evil.example")
		req.Header.Set("Forwarded", "host=evil.example;proto=http")
	}
	get := func(target string, hx bool) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, target, nil)
		spoof(req)
		if hx {
			req.Header.Set("HX-Request", "true")
		}
		rec := httptest.NewRecorder()
		e.srv.ServeHTTP(rec, req)
		return rec
	}
	rec := get("/login?next=%2Fsources", false)
	require.Equal(t, http.StatusFound, rec.Code)
	loc, err := url.Parse(rec.Header().Get("Location"))
	require.NoError(t, err)
	assert.Equal(t, testRedirectURI, loc.Query().Get("redirect_uri"))
	sb, _ := url.Parse(e.sbURL)
	assert.Equal(t, sb.Host, loc.Host, "the authorize endpoint is the configured tenant")
	assert.NotContains(t, rec.Header().Get("Location"), "evil.example")

	for _, hx := range []bool{false, true} {
		rec := get("/sources?q=a", hx)
		for _, h := range []string{"Location", "HX-Redirect"} {
			if v := rec.Header().Get(h); v != "" {
				assert.True(t, strings.HasPrefix(v, "/") && !strings.HasPrefix(v, "//"), "%s: %q is not a relative path", h, v)
				assert.NotContains(t, v, "evil.example")
			}
		}
		assert.NotContains(t, rec.Body.String(), "evil.example", "htmx=%v", hx)
	}
}

// TestCase31_HostileNamesInertOnEveryRoute visits every GET route for the two
// hostile sources, as a full page and as an htmx partial (plain and aimed at the
// source tab), after actions that record them in the activity log and start a task:
// the names show as text and never become elements or attributes.
func TestCase31_HostileNamesInertOnEveryRoute(t *testing.T) {
	e, _, _ := auditEnv(t)
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
			return // CSV exports: attachments with nosniff (case 39)
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

// TestCase32_EveryHTMLResponseHasTheSecurityHeaders checks every HTML answer the
// console can give: every GET route signed in (full and htmx) and signed out, every
// unsafe route refused by CSRF, upload refusals (413, 415), upstream error pages,
// unknown URLs and methods, and the sign-in pages.
func TestCase32_EveryHTMLResponseHasTheSecurityHeaders(t *testing.T) {
	e, _, _ := auditEnv(t)
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

// TestCase09to11_CreateSourceCSRF is cases 9–11 on the route the plan names, POST
// /sources (the earlier test uses a tool route): cross-site, same-site without the
// token and no Sec-Fetch-Site without the token are refused with 403 and no upstream
// call; the header token creates the source.
func TestCase09to11_CreateSourceCSRF(t *testing.T) {
	e, _, _ := auditEnv(t)
	require.Equal(t, http.StatusOK, e.signIn("admin", "/").Code)
	form := func(name string) io.Reader {
		return strings.NewReader(url.Values{"name": {name}, "owner_id": {adminIdentity}, "provision_as_csv": {"true"}}.Encode())
	}
	for i, tc := range []struct {
		name    string
		headers map[string]string
		want    int
	}{
		{"case 9: cross-site, no token", map[string]string{"Sec-Fetch-Site": "cross-site", "X-CSRF-Token": ""}, http.StatusForbidden},
		{"case 9: cross-site with the token", map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"case 10: same-site, no token", map[string]string{"Sec-Fetch-Site": "same-site", "X-CSRF-Token": ""}, http.StatusForbidden},
		{"case 11: no Sec-Fetch-Site, no token", map[string]string{"X-CSRF-Token": ""}, http.StatusForbidden},
		{"case 11: header token", map[string]string{}, http.StatusOK},
	} {
		for _, hx := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s htmx=%v", tc.name, hx), func(t *testing.T) {
				h := withHX(hx, map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
				for k, v := range tc.headers {
					h[k] = v
				}
				before := e.sandbox.Calls("")
				rec := e.do(http.MethodPost, "/sources", form(fmt.Sprintf("CSRF audit %d %v", i, hx)), h)
				if tc.want == http.StatusOK {
					assert.Less(t, rec.Code, 400, rec.Body.String())
					assert.Equal(t, 1, e.sandbox.Calls("createSource"), "the source was created")
					e.sandbox.ResetCalls()
					return
				}
				assert.Equal(t, tc.want, rec.Code)
				assert.NotEqual(t, http.StatusBadRequest, rec.Code, "a missing token is 403, not Echo's 400")
				assert.Contains(t, rec.Body.String(), "did not come from a Sourcedesk page")
				assert.Equal(t, before, e.sandbox.Calls(""), "zero upstream calls")
			})
		}
	}
}
