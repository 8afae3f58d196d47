package bff

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"sourcedesk/internal/api"
	"sourcedesk/internal/sandbox"
	"sourcedesk/internal/session"
	"sourcedesk/internal/testservers"
)

// adminIdentity is the sandbox admin's identity id.
const adminIdentity = "2c9180857a1b4c2d017a1b4c2d0e0001"

// copyCookies gives replica "to" the browser's cookies from "from": one browser in
// front of a load balancer.
func copyCookies(from, to *testEnv) {
	from.mu.Lock()
	defer from.mu.Unlock()
	to.mu.Lock()
	defer to.mu.Unlock()
	to.cookies = map[string]string{}
	for k, v := range from.cookies {
		to.cookies[k] = v
	}
	to.headers = from.headers.Clone()
}

func TestSignInShowsUserInNavAndLandsOnNext(t *testing.T) {
	e := newSignedOutEnv(t, nil)
	rec := e.signIn("admin", "/sources?q=corp")
	require.Equal(t, http.StatusOK, rec.Code)
	doc := parse(t, rec.Body)
	assert.Equal(t, "/sources?q=corp", doc.Find(`[data-testid="bounce-next"]`).AttrOr("href", ""))
	assert.Contains(t, doc.Find(`meta[http-equiv="refresh"]`).AttrOr("content", ""), "url=/sources?q=corp")

	rec = e.do(http.MethodGet, "/", nil, nil)
	require.Equal(t, http.StatusOK, rec.Code)
	nav := parse(t, rec.Body).Find(`[data-testid="nav-user"]`).Text()
	assert.Contains(t, nav, "admin")
	assert.Contains(t, nav, sandbox.LevelOrgAdmin)
	assert.Contains(t, nav, sandbox.TenantName)
}

func TestCase01_CSRFCookieAttributes(t *testing.T) {
	s := newTestServer(t, func(c *Config) { c.SecureCookies = true })
	rec := do(t, s, http.MethodGet, "/login/pat", nil)
	var csrf *http.Cookie
	for _, c := range rec.Result().Cookies() {
		if c.Name == "__Host-sd_csrf" {
			csrf = c
		}
	}
	require.NotNil(t, csrf, "CSRF cookie with the __Host- prefix")
	assert.True(t, csrf.Secure)
	assert.True(t, csrf.HttpOnly)
	assert.Equal(t, "/", csrf.Path)
	assert.Empty(t, csrf.Domain)
	assert.Equal(t, http.SameSiteStrictMode, csrf.SameSite)
}

func TestCase03_LogoutReplayRefusedOnBothReplicas(t *testing.T) {
	store := testservers.NewRedis(t).URL
	sb, hs := newTestSandbox(t)
	a := newConsole(t, sb, hs, store, nil)
	b := newConsole(t, sb, hs, store, nil)
	require.Equal(t, http.StatusOK, a.signIn("admin", "/").Code)
	copyCookies(a, b)
	require.Equal(t, http.StatusOK, b.do(http.MethodGet, "/sources", nil, nil).Code, "replica B serves A's session")

	a.mu.Lock()
	old := map[string]string{}
	for k, v := range a.cookies {
		old[k] = v
	}
	a.mu.Unlock()
	rec := a.do(http.MethodPost, "/logout", nil, nil)
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, 1, parse(t, rec.Body).Find(`[data-testid="signed-out"]`).Length())

	for name, replica := range map[string]*testEnv{"A": a, "B": b} {
		replica.mu.Lock()
		replica.cookies = old // the attacker kept the old cookie
		replica.mu.Unlock()
		rec := replica.do(http.MethodGet, "/sources", nil, nil)
		assert.Equal(t, http.StatusSeeOther, rec.Code, "replica %s", name)
		assert.True(t, strings.HasPrefix(rec.Header().Get("Location"), "/login?next="), "replica %s", name)
	}
}

func TestCase08_KillUserOnEveryReplica(t *testing.T) {
	store := testservers.NewRedis(t).URL
	sb, hs := newTestSandbox(t)
	a := newConsole(t, sb, hs, store, nil)
	b := newConsole(t, sb, hs, store, nil)
	require.Equal(t, http.StatusOK, a.signIn("admin", "/").Code)
	copyCookies(a, b)
	hx := map[string]string{"HX-Request": "true", "HX-Current-URL": "http://example.com/sources?q=x"}
	require.Equal(t, http.StatusOK, b.do(http.MethodGet, "/sources", nil, hx).Code)

	n, err := a.sessions.KillUser(context.Background(), adminIdentity)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	for name, replica := range map[string]*testEnv{"A": a, "B": b} {
		rec := replica.do(http.MethodGet, "/sources", nil, hx)
		assert.Equal(t, http.StatusUnauthorized, rec.Code, "replica %s", name)
		assert.Equal(t, "/login?next=%2Fsources%3Fq%3Dx", rec.Header().Get("HX-Redirect"), "replica %s", name)
	}
}

// jwtPattern matches a JWS compact serialisation (both sandbox tokens are JWTs).
var jwtPattern = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.`)

func TestCase06_NoTokenInAnyResponse(t *testing.T) {
	e := newTestEnvAs(t, "admin", nil)
	id := firstSourceID(t, e)
	var seen strings.Builder
	for _, path := range []string{
		"/", "/sources", "/sources/" + id, "/sources/" + id + "/configuration", "/sources/" + id + "/tools",
		"/cron", "/login/pat", "/signed-out", "/activity", "/nope",
	} {
		for _, hx := range []map[string]string{nil, htmxHeaders} {
			rec := e.do(http.MethodGet, path, nil, hx)
			fmt.Fprintf(&seen, "%s %d\n%v\n%s\n", path, rec.Code, rec.Header(), rec.Body.String())
		}
	}
	// The sign-in itself (login redirect, callback, bounce) and a PAT sign-in too.
	rec := e.signIn("admin", "/")
	fmt.Fprintf(&seen, "%v\n%s\n", rec.Header(), rec.Body.String())
	form := url.Values{"client_id": {sandbox.DemoPATClientID}, "client_secret": {sandbox.DemoPATClientSecret}}
	rec = e.do(http.MethodPost, "/login/pat", strings.NewReader(form.Encode()), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	fmt.Fprintf(&seen, "%v\n%s\n", rec.Header(), rec.Body.String())

	all := seen.String()
	assert.False(t, jwtPattern.MatchString(all), "a JWT (access or refresh token) reached the browser")
	assert.NotContains(t, all, testClientSecret)
	assert.NotContains(t, all, sandbox.DemoPATClientSecret)
}

// firstSourceID is the id of some source of the env's sandbox.
func firstSourceID(t *testing.T, e *testEnv) string {
	t.Helper()
	cl, ctx := e.adminAPI()
	for src, err := range cl.AllSources(ctx, api.ListSourcesParams{}) {
		require.NoError(t, err)
		return src.ID
	}
	t.Fatal("the sandbox has no sources")
	return ""
}

func TestCSRF_Cases09to11(t *testing.T) {
	e := newTestEnvAs(t, "admin", nil)
	id := firstSourceID(t, e)
	target := "/sources/" + id + "/tools/test-connection"
	cases := []struct {
		name    string
		headers map[string]string
		want    int
	}{
		{"case 9: cross-site without token", map[string]string{"Sec-Fetch-Site": "cross-site", "X-CSRF-Token": ""}, http.StatusForbidden},
		{"case 9: cross-site even with the token", map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"case 10: same-site without token", map[string]string{"Sec-Fetch-Site": "same-site", "X-CSRF-Token": ""}, http.StatusForbidden},
		{"case 11: no Sec-Fetch-Site, no token", map[string]string{"X-CSRF-Token": ""}, http.StatusForbidden},
		{"case 11: no Sec-Fetch-Site, wrong token", map[string]string{"X-CSRF-Token": "forged"}, http.StatusForbidden},
		{"case 11: valid header token", map[string]string{}, http.StatusOK},
		{"same-origin browser request", map[string]string{"Sec-Fetch-Site": "same-origin", "X-CSRF-Token": ""}, http.StatusOK},
	}
	for _, tc := range cases {
		for _, hx := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/htmx=%v", tc.name, hx), func(t *testing.T) {
				h := map[string]string{}
				for k, v := range tc.headers {
					h[k] = v
				}
				if hx {
					h["HX-Request"] = "true"
				}
				before := e.sandbox.CallCounts()["*"]
				rec := e.do(http.MethodPost, target, nil, h)
				assert.Equal(t, tc.want, rec.Code, rec.Body.String())
				if tc.want == http.StatusForbidden {
					assert.Equal(t, before, e.sandbox.CallCounts()["*"], "zero upstream calls")
					assert.Contains(t, rec.Body.String(), "did not come from a Sourcedesk page")
				}
			})
		}
	}
}

func TestCase13_PreflightGetsNoCORSHeaders(t *testing.T) {
	e := newTestEnvAs(t, "admin", nil)
	for _, path := range []string{"/sources", "/logout", "/sources/x/tools/test-connection"} {
		rec := e.do(http.MethodOptions, path, nil, map[string]string{
			"Origin": "https://evil.example", "Access-Control-Request-Method": "POST",
			"Access-Control-Request-Headers": "X-CSRF-Token, HX-Request",
		})
		for k := range rec.Header() {
			assert.False(t, strings.HasPrefix(strings.ToLower(k), "access-control-allow"), "%s: %s", path, k)
		}
	}
}

func TestCase14_GetRoutesMakeOnlyGetCallsUpstream(t *testing.T) {
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

func TestCallbackState_Cases15and16(t *testing.T) {
	e := newSignedOutEnv(t, nil)
	rec := e.do(http.MethodGet, "/login?next=/sources", nil, nil)
	require.Equal(t, http.StatusFound, rec.Code)
	authURL, _ := url.Parse(rec.Header().Get("Location"))
	assert.Equal(t, testRedirectURI, authURL.Query().Get("redirect_uri"))
	cb := sandboxLogin(t, e.sbURL, rec.Header().Get("Location"), "admin")
	code, state := cb.Query().Get("code"), cb.Query().Get("state")
	e.mu.Lock()
	saved := map[string]string{}
	for k, v := range e.cookies {
		saved[k] = v
	}
	e.mu.Unlock()

	for _, tc := range []struct{ name, query string }{
		{"missing state", "code=" + url.QueryEscape(code)},
		{"mismatched state", "code=" + url.QueryEscape(code) + "&state=" + url.QueryEscape("x"+state[1:])},
	} {
		t.Run("case 15: "+tc.name, func(t *testing.T) {
			rec := e.do(http.MethodGet, "/auth/callback?"+tc.query, nil, nil)
			assert.Equal(t, http.StatusForbidden, rec.Code)
			assert.Equal(t, 1, parse(t, rec.Body).Find(`[data-testid="auth-problem"]`).Length())
			assert.Zero(t, e.sandbox.TokenRequests(""), "no code redeemed")
		})
	}
	require.Equal(t, http.StatusOK, e.do(http.MethodGet, cb.RequestURI(), nil, nil).Code, "the real callback works")
	require.Equal(t, 1, e.sandbox.TokenRequests(""))

	t.Run("case 16: replay", func(t *testing.T) {
		e.mu.Lock()
		e.cookies = saved // the login cookie, as it was before the callback consumed it
		e.mu.Unlock()
		rec := e.do(http.MethodGet, cb.RequestURI(), nil, nil)
		assert.Equal(t, http.StatusForbidden, rec.Code)
		assert.Equal(t, 1, e.sandbox.TokenRequests(""), "the code is not redeemed twice")
	})
}

func TestCancelledSignInSaysSo(t *testing.T) {
	e := newSignedOutEnv(t, nil)
	rec := e.do(http.MethodGet, "/login?next=/", nil, nil)
	authURL, _ := url.Parse(rec.Header().Get("Location"))
	form := authURL.Query()
	form.Set("action", "cancel")
	resp, err := http.DefaultTransport.RoundTrip(mustRequest(t, http.MethodPost, e.sbURL+"/oauth/authorize", form))
	require.NoError(t, err)
	resp.Body.Close()
	cb, _ := url.Parse(resp.Header.Get("Location"))
	rec = e.do(http.MethodGet, cb.RequestURI(), nil, nil)
	assert.Equal(t, http.StatusUnauthorized, rec.Code)
	assert.Contains(t, rec.Body.String(), "You cancelled")
}

func TestUpstream401_Case27(t *testing.T) {
	e := newTestEnvAs(t, "admin", nil)
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

func TestUpstream403KeepsSession_Case28(t *testing.T) {
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

func TestRefreshFailures_Case26(t *testing.T) {
	t.Run("invalid_grant ends the session", func(t *testing.T) {
		e := newTestEnvAs(t, "admin", nil)
		e.sandbox.ExpireAccessTokens()
		e.sandbox.SetTokenFailure("invalid_grant")
		rec := e.do(http.MethodGet, "/sources", nil, map[string]string{"HX-Request": "true"})
		assert.Equal(t, http.StatusUnauthorized, rec.Code)
		assert.True(t, strings.HasPrefix(rec.Header().Get("HX-Redirect"), "/login?next="))
		e.sandbox.SetTokenFailure("")
		assert.Equal(t, http.StatusSeeOther, e.do(http.MethodGet, "/sources", nil, nil).Code, "the session is gone")
	})
	t.Run("network error keeps the session", func(t *testing.T) {
		e := newTestEnvAs(t, "admin", nil)
		e.sandbox.ExpireAccessTokens()
		e.sandbox.SetTokenFailure(sandbox.TokenFailureHangUp)
		rec := e.do(http.MethodGet, "/sources", nil, map[string]string{"HX-Request": "true"})
		assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
		assert.Contains(t, rec.Body.String(), "still signed in")
		e.sandbox.SetTokenFailure("")
		assert.Equal(t, http.StatusOK, e.do(http.MethodGet, "/sources", nil, nil).Code, "recovers once the tenant answers")
	})
}

func TestExpiredSession_Case30(t *testing.T) {
	e := newTestEnvAs(t, "admin", nil)
	_, err := e.sessions.KillUser(context.Background(), adminIdentity)
	require.NoError(t, err)
	rec := e.do(http.MethodGet, "/sources?q=a", nil, map[string]string{"HX-Request": "true", "HX-Current-URL": "http://example.com/sources?q=a"})
	assert.Equal(t, http.StatusUnauthorized, rec.Code)
	assert.Equal(t, "/login?next=%2Fsources%3Fq%3Da", rec.Header().Get("HX-Redirect"), "relative")
	rec = e.do(http.MethodGet, "/sources?q=a", nil, nil)
	assert.Equal(t, http.StatusSeeOther, rec.Code)
	assert.Equal(t, "/login?next=%2Fsources%3Fq%3Da", rec.Header().Get("Location"))
}

func TestSecurityHeaders_Case32(t *testing.T) {
	e := newTestEnvAs(t, "admin", func(c *Config) { c.HSTS = true })
	id := firstSourceID(t, e)
	check := func(name string, rec *http.Response) {
		t.Helper()
		h := rec.Header
		if !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
			return
		}
		csp := h.Get("Content-Security-Policy")
		assert.NotContains(t, csp, "unsafe-eval", name)
		assert.NotContains(t, csp, "unsafe-inline", name)
		for _, d := range []string{"object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"} {
			assert.Contains(t, csp, d, name)
		}
		assert.Equal(t, "nosniff", h.Get("X-Content-Type-Options"), name)
		assert.NotEmpty(t, h.Get("Strict-Transport-Security"), name)
		assert.Equal(t, "no-referrer", h.Get("Referrer-Policy"), name)
		assert.Equal(t, "no-store", h.Get("Cache-Control"), name)
		if rec.StatusCode != http.StatusFound && rec.StatusCode != http.StatusSeeOther {
			assert.Contains(t, h.Values("Vary"), "HX-Request", name)
		}
	}
	for _, path := range []string{"/", "/sources", "/sources/" + id, "/login/pat", "/signed-out", "/cron", "/nope", "/sources/not-an-id"} {
		for _, hx := range []map[string]string{nil, htmxHeaders} {
			check(path, e.do(http.MethodGet, path, nil, hx).Result())
		}
	}
	rec := e.signIn("admin", "/")
	check("callback bounce", rec.Result())
	bad := e.do(http.MethodGet, "/auth/callback?state=x&code=y", nil, nil)
	check("callback refused", bad.Result())
	check("logout", e.do(http.MethodPost, "/logout", nil, nil).Result())
}

func TestPATFormRefusalKeepsSecretOut(t *testing.T) {
	e := newSignedOutEnv(t, nil)
	e.csrfPrime()
	form := url.Values{"client_id": {"demo-pat"}, "client_secret": {"wrong-secret-value"}, "next": {"/sources"}}
	rec := e.do(http.MethodPost, "/login/pat", strings.NewReader(form.Encode()), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	assert.Equal(t, http.StatusUnauthorized, rec.Code)
	body, _ := io.ReadAll(rec.Body)
	assert.Contains(t, string(body), "were refused")
	assert.NotContains(t, string(body), "wrong-secret-value")
	doc := parse(t, strings.NewReader(string(body)))
	assert.Equal(t, "demo-pat", doc.Find(`input[name="client_id"]`).AttrOr("value", ""))
	assert.Equal(t, "/sources", doc.Find(`input[name="next"]`).AttrOr("value", ""))

	// The form field carries the CSRF token for a plain (non-htmx) POST.
	e.mu.Lock()
	tok := e.cookies["sd_csrf"]
	e.mu.Unlock()
	e.headers.Del("X-CSRF-Token")
	form = url.Values{"client_id": {"demo-pat"}, "client_secret": {sandbox.DemoPATClientSecret}, "_csrf": {tok}, "next": {"/sources"}}
	rec = e.do(http.MethodPost, "/login/pat", strings.NewReader(form.Encode()), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	assert.Equal(t, http.StatusSeeOther, rec.Code)
	assert.Equal(t, "/sources", rec.Header().Get("Location"))
}

// The session manager is what bff expects, and its budget is what api paces with.
var (
	_ sessionManager = (*session.Manager)(nil)
	_ api.Limiter    = (*session.RateBudget)(nil)
)

// TestCase12_CSRFNeverReadsTheUploadBody: the CSRF check of an upload route looks
// at headers only, so a refused upload is refused before one body byte is read
// (Echo's form lookup would have parsed the whole multipart body first).
func TestCase12_CSRFNeverReadsTheUploadBody(t *testing.T) {
	e := newTestEnvAs(t, "admin", nil)
	id := firstSourceID(t, e)
	body := &countingReader{r: strings.NewReader("--b\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\nforged\r\n--b\r\n" +
		"Content-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\r\nname\nx\n--b--\r\n")}
	rec := e.do(http.MethodPost, "/sources/"+id+"/import/accounts", body, map[string]string{
		"Content-Type": "multipart/form-data; boundary=b", "X-CSRF-Token": "", "HX-Request": "true",
	})
	assert.Equal(t, http.StatusForbidden, rec.Code)
	assert.Zero(t, body.n.Load(), "body bytes read before the CSRF refusal")
}
