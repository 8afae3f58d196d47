package bff

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
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

func TestLogoutEndsTheSessionOnEveryReplica(t *testing.T) {
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

func TestKillUserSignsOutOnEveryReplica(t *testing.T) {
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

func TestNoTokenOnTheMainPages(t *testing.T) {
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

func TestCallbackRefusesBadOrReplayedState(t *testing.T) {
	e := newSignedOutEnv(t, nil)
	rec := e.do(http.MethodGet, "/login?next=/sources", nil, nil)
	require.Equal(t, http.StatusFound, rec.Code)
	authURL, _ := url.Parse(rec.Header().Get("Location"))
	assert.Equal(t, testRedirectURI, authURL.Query().Get("redirect_uri"))
	cb := sandboxLogin(t, e.sbURL, rec.Header().Get("Location"), "admin")
	code, state := cb.Query().Get("code"), cb.Query().Get("state")
	// Another state of the same shape: its first character changed (never to itself).
	other := "x" + state[1:]
	if state[0] == 'x' {
		other = "y" + state[1:]
	}
	e.mu.Lock()
	saved := map[string]string{}
	for k, v := range e.cookies {
		saved[k] = v
	}
	e.mu.Unlock()

	for _, tc := range []struct{ name, query string }{
		{"missing state", "code=" + url.QueryEscape(code)},
		{"mismatched state", "code=" + url.QueryEscape(code) + "&state=" + url.QueryEscape(other)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := e.do(http.MethodGet, "/auth/callback?"+tc.query, nil, nil)
			assert.Equal(t, http.StatusForbidden, rec.Code)
			assert.Equal(t, 1, parse(t, rec.Body).Find(`[data-testid="auth-problem"]`).Length())
			assert.Zero(t, e.sandbox.TokenRequests(""), "no code redeemed")
		})
	}
	require.Equal(t, http.StatusOK, e.do(http.MethodGet, cb.RequestURI(), nil, nil).Code, "the real callback works")
	require.Equal(t, 1, e.sandbox.TokenRequests(""))

	t.Run("replayed callback", func(t *testing.T) {
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

func TestRefreshFailureEndsTheSessionOnlyForADeadGrant(t *testing.T) {
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

func TestEndedSessionSendsTheUserToSignIn(t *testing.T) {
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
	tok := doc.Find(`input[name="_csrf"]`).AttrOr("value", "")
	require.NotEmpty(t, tok, "the refused form carries the CSRF token again")
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

// TestSecretsNeverInURLsOrLogs captures the console's own log output
// (bff and session, debug level) across a code-flow sign-in, a refresh, a refused
// and an accepted PAT sign-in, error pages and the sign-out: no client secret, PAT
// secret or token appears in it, the authorize URL carries no secret, and the token
// requests send the client's credentials in the body or header, never the URL.
func TestSecretsNeverInURLsOrLogs(t *testing.T) {
	e, tap, logs := tappedEnv(t)
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

// TestSpoofedHostHeadersDoNotMoveTheRedirectURI sends the real Host header
// (not a header map entry, which Go's client drops) plus every forwarding header: the
// authorize URL keeps the constant redirect_uri and points at the configured tenant,
// and the sign-in redirects the console builds stay relative.
func TestSpoofedHostHeadersDoNotMoveTheRedirectURI(t *testing.T) {
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
