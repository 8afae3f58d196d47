package session

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"sourcedesk/internal/sandbox"
)

func TestSignInLandsOnNextAndShowsUser(t *testing.T) {
	e := newEnv(t, envOpts{})
	b := e.browser()
	assert.Equal(t, http.StatusUnauthorized, b.me(0), "before sign-in")

	resp := b.login("admin", "/sources")
	assert.Equal(t, "/sources", resp.Header.Get("Location"))
	assert.Equal(t, http.StatusOK, b.me(0))
	assert.Equal(t, http.StatusOK, b.get(e.url(0)+"/api").StatusCode, "API call with the session's token")
}

func TestSessionCookieAttributes(t *testing.T) {
	e := newEnv(t, envOpts{})
	b := e.browser()
	start := b.get(e.url(0) + "/login?next=/x")
	var login *http.Cookie
	for _, c := range start.Cookies() {
		if strings.HasPrefix(c.Name, "__Host-sd_login_") {
			login = c
		}
	}
	require.NotNil(t, login, "login-state cookie")
	assert.Equal(t, http.SameSiteLaxMode, login.SameSite, "login cookie must survive the IdP's redirect back")
	assert.True(t, login.HttpOnly)
	assert.True(t, login.Secure)
	assert.Equal(t, "/", login.Path)
	assert.Empty(t, login.Domain)
	assert.Positive(t, login.MaxAge)
	assert.LessOrEqual(t, login.MaxAge, 600)

	u, _ := url.Parse(start.Header.Get("Location"))
	resp := b.callback(0, b.authorize(u, "admin"))
	sess := setCookies(resp)["__Host-sd_session"]
	require.NotNil(t, sess, "session cookie set by the callback")
	assert.True(t, sess.Secure)
	assert.True(t, sess.HttpOnly)
	assert.Equal(t, "/", sess.Path)
	assert.Empty(t, sess.Domain)
	assert.Equal(t, http.SameSiteStrictMode, sess.SameSite)
	raw := resp.Header.Values("Set-Cookie")
	for _, line := range raw {
		assert.NotContains(t, strings.ToLower(line), "domain=", line)
	}
	assert.Equal(t, -1, setCookies(resp)[login.Name].MaxAge, "login cookie consumed")
}

func TestInsecureDemoDropsHostPrefix(t *testing.T) {
	e := newEnv(t, envOpts{secure: boolp(false)})
	b := e.browser()
	resp := b.login("admin", "/")
	c := setCookies(resp)["sd_session"]
	require.NotNil(t, c)
	assert.False(t, c.Secure)
	assert.Equal(t, http.StatusOK, b.me(0))
}

func TestFixationCookieRejectedAfterLogin(t *testing.T) {
	e := newEnv(t, envOpts{})
	b := e.browser()
	// An anonymous session the attacker could have planted (EnsureSession creates one).
	resp := b.get(e.url(0) + "/login?next=/")
	_ = resp
	m := e.m()
	req := httptest_newRequestWithSession(t, m)
	planted := req.token
	require.NotEmpty(t, planted)

	b.c.Jar.SetCookies(mustURL(e.url(0)), []*http.Cookie{{Name: "__Host-sd_session", Value: planted, Path: "/"}})
	b.login("admin", "/")
	after := b.sessionCookie()
	require.NotNil(t, after)
	assert.NotEqual(t, planted, after.Value, "session token renewed at sign-in")

	// The planted token is not signed in, and its store entry is gone.
	_, found, err := m.store.Find(hashToken(planted))
	require.NoError(t, err)
	assert.False(t, found, "old store key deleted")
	attacker := e.browser()
	attacker.c.Jar.SetCookies(mustURL(e.url(0)), []*http.Cookie{{Name: "__Host-sd_session", Value: planted, Path: "/"}})
	assert.Equal(t, http.StatusUnauthorized, attacker.me(0))
}

// sessionReq is an scs session created outside HTTP, for fixation tests.
type sessionReq struct{ token string }

// httptest_newRequestWithSession commits an anonymous session and returns its
// token, as a visit to the sign-in form would.
func httptest_newRequestWithSession(t *testing.T, m *Manager) sessionReq {
	t.Helper()
	ctx, err := m.scs.Load(context.Background(), "")
	require.NoError(t, err)
	require.NoError(t, m.scs.RenewToken(ctx)) // what EnsureSession does for the sign-in form
	tok, _, err := m.scs.Commit(ctx)
	require.NoError(t, err)
	return sessionReq{token: tok}
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

func TestCallbackStateMissingOrMismatched(t *testing.T) {
	e := newEnv(t, envOpts{})
	b := e.browser()
	cb := b.authorize(b.startLogin(0, "/"), "admin")
	calls := e.sb.TokenRequests("")

	cases := []struct {
		name  string
		query func(url.Values)
	}{
		{"missing state", func(q url.Values) { q.Del("state") }},
		{"mismatched state", func(q url.Values) { q.Set("state", "AAAA"+q.Get("state")[4:]) }},
		{"empty state", func(q url.Values) { q.Set("state", "") }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u := *cb
			q := u.Query()
			tc.query(q)
			u.RawQuery = q.Encode()
			resp := b.callback(0, &u)
			assert.Equal(t, http.StatusForbidden, resp.StatusCode)
		})
	}
	// Another browser (no login cookie) with the real callback URL: 403.
	assert.Equal(t, http.StatusForbidden, e.browser().callback(0, cb).StatusCode, "callback without the login cookie")
	assert.Equal(t, calls, e.sb.TokenRequests(""), "no code was redeemed")
}

func TestReplayedStateRejected(t *testing.T) {
	e := newEnv(t, envOpts{})
	b := e.browser()
	start := b.get(e.url(0) + "/login?next=/")
	authURL, _ := url.Parse(start.Header.Get("Location"))
	cb := b.authorize(authURL, "admin")
	require.Equal(t, http.StatusSeeOther, b.callback(0, cb).StatusCode)
	calls := e.sb.TokenRequests("")

	// A replay with the same login cookie (copied before the browser deleted it).
	attacker := e.browser()
	attacker.c.Jar.SetCookies(mustURL(e.url(0)), start.Cookies())
	assert.Equal(t, http.StatusForbidden, attacker.callback(0, cb).StatusCode)
	assert.Equal(t, calls, e.sb.TokenRequests(""), "replayed code never redeemed")
}

func TestCancelledSignIn(t *testing.T) {
	e := newEnv(t, envOpts{})
	b := e.browser()
	authURL := b.startLogin(0, "/")
	form := authURL.Query()
	form.Set("action", "cancel")
	resp := b.do(http.MethodPost, e.sbSrv.URL+"/oauth/authorize", form)
	require.Equal(t, http.StatusFound, resp.StatusCode)
	cb, _ := url.Parse(resp.Header.Get("Location"))
	assert.Equal(t, http.StatusUnauthorized, b.callback(0, cb).StatusCode, "mapped to 'you cancelled'")
	assert.Zero(t, e.sb.TokenRequests(""))
}

func TestAuthorizeURLUsesS256(t *testing.T) {
	e := newEnv(t, envOpts{})
	seen := map[string]bool{}
	for range 5 {
		b := e.browser()
		start := b.get(e.url(0) + "/login?next=/")
		u, err := url.Parse(start.Header.Get("Location"))
		require.NoError(t, err)
		q := u.Query()
		assert.Equal(t, "S256", q.Get("code_challenge_method"))
		assert.Equal(t, "code", q.Get("response_type"))
		assert.Len(t, q.Get("code_challenge"), 43)

		// The verifier is in the (encrypted) login cookie: open it to check.
		var ls *loginState
		for _, c := range start.Cookies() {
			if strings.HasPrefix(c.Name, "__Host-sd_login_") {
				ls, err = e.m().openLoginState(c)
				require.NoError(t, err)
			}
		}
		require.NotNil(t, ls)
		assert.GreaterOrEqual(t, len(ls.Verifier), 43)
		assert.LessOrEqual(t, len(ls.Verifier), 128)
		sum := sha256.Sum256([]byte(ls.Verifier))
		assert.Equal(t, base64.RawURLEncoding.EncodeToString(sum[:]), q.Get("code_challenge"))
		assert.False(t, seen[ls.Verifier], "verifier unique per attempt")
		seen[ls.Verifier] = true
		assert.NotContains(t, start.Header.Get("Location"), "plain")
	}
}

func TestClientSecretNeverInURLOrLogs(t *testing.T) {
	e := newEnv(t, envOpts{})
	b := e.browser()
	authURL := b.startLogin(0, "/")
	assert.NotContains(t, authURL.String(), testClientSecret)
	assert.NotContains(t, authURL.String(), "client_secret")
	cb := b.authorize(authURL, "admin")
	assert.NotContains(t, cb.String(), testClientSecret)
	require.Equal(t, http.StatusSeeOther, b.callback(0, cb).StatusCode)
	b2 := e.browser()
	b2.do(http.MethodPost, e.url(0)+"/login/pat", url.Values{"client_id": {sandbox.DemoPATClientID}, "client_secret": {sandbox.DemoPATClientSecret}})
	logs := e.logs.String()
	require.NotEmpty(t, logs, "sign-ins are logged")
	assert.NotContains(t, logs, testClientSecret)
	assert.NotContains(t, logs, sandbox.DemoPATClientSecret)
}

func TestRedirectURIIgnoresHostHeaders(t *testing.T) {
	e := newEnv(t, envOpts{})
	b := e.browser()
	resp := b.do(http.MethodGet, e.url(0)+"/login?next=/", nil,
		"Host", "evil.example", "X-Forwarded-Host", "evil.example", "X-Forwarded-Proto", "http", "Forwarded", "host=evil.example")
	u, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	assert.Equal(t, e.redirect, u.Query().Get("redirect_uri"))
}

func TestNextWithQuerySurvivesLogin(t *testing.T) {
	e := newEnv(t, envOpts{})
	resp := e.browser().login("admin", "/sources/123?tab=schema")
	assert.Equal(t, "/sources/123?tab=schema", resp.Header.Get("Location"))
}

func TestOffsiteNextFallsBackToRoot(t *testing.T) {
	e := newEnv(t, envOpts{})
	for _, next := range []string{"https://evil.example", "//evil", `/\evil`, "%2f%2fevil", "javascript:alert(1)", "/%2F%2Fevil"} {
		t.Run(next, func(t *testing.T) {
			resp := e.browser().login("admin", next)
			assert.Equal(t, "/", resp.Header.Get("Location"))
		})
	}
}

func TestTwoTabsSignInAtOnce(t *testing.T) {
	e := newEnv(t, envOpts{})
	b := e.browser()
	// Both tabs start before either finishes: two login cookies side by side.
	a1 := b.startLogin(0, "/tab1")
	a2 := b.startLogin(0, "/tab2")
	cb1 := b.authorize(a1, "admin")
	cb2 := b.authorize(a2, "admin")
	r2 := b.callback(0, cb2)
	r1 := b.callback(0, cb1)
	assert.Equal(t, http.StatusSeeOther, r2.StatusCode)
	assert.Equal(t, "/tab2", r2.Header.Get("Location"))
	assert.Equal(t, http.StatusSeeOther, r1.StatusCode)
	assert.Equal(t, "/tab1", r1.Header.Get("Location"))
	assert.Equal(t, http.StatusOK, b.me(0))
}

func TestLoginCookiesAreCapped(t *testing.T) {
	e := newEnv(t, envOpts{})
	b := e.browser()
	for range 10 {
		b.startLogin(0, "/")
	}
	n := 0
	for _, c := range b.c.Jar.Cookies(mustURL(e.url(0))) {
		if strings.HasPrefix(c.Name, "__Host-sd_login_") {
			n++
		}
	}
	assert.LessOrEqual(t, n, maxLoginAttempts)
	assert.Positive(t, n)
}

func TestPATSignInAndRegrant(t *testing.T) {
	e := newEnv(t, envOpts{})
	b := e.browser()
	bad := b.do(http.MethodPost, e.url(0)+"/login/pat", url.Values{"client_id": {sandbox.DemoPATClientID}, "client_secret": {"wrong"}})
	assert.Equal(t, http.StatusUnauthorized, bad.StatusCode)

	resp := b.do(http.MethodPost, e.url(0)+"/login/pat", url.Values{"client_id": {sandbox.DemoPATClientID}, "client_secret": {sandbox.DemoPATClientSecret}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, http.StatusOK, b.get(e.url(0)+"/api").StatusCode)
	grants := e.sb.TokenRequests("client_credentials")

	e.clock.Advance(13 * time.Hour) // the PAT token (and any session) would expire...
	// ...so keep the session alive by staying within the idle timeout instead:
	e2 := newEnv(t, envOpts{})
	b2 := e2.browser()
	require.Equal(t, http.StatusSeeOther, b2.do(http.MethodPost, e2.url(0)+"/login/pat", url.Values{"client_id": {sandbox.DemoPATClientID}, "client_secret": {sandbox.DemoPATClientSecret}}).StatusCode)
	before := e2.sb.TokenRequests("client_credentials")
	e2.clock.Advance(749 * time.Second)
	assert.Equal(t, http.StatusOK, b2.get(e2.url(0)+"/api").StatusCode)
	assert.Equal(t, before+1, e2.sb.TokenRequests("client_credentials"), "expired PAT token re-granted")
	assert.Equal(t, 0, e2.sb.TokenRequests("refresh_token"))
	_ = grants
}

func TestLogoutEndsSessionServerSide(t *testing.T) {
	e := newEnv(t, envOpts{})
	b := e.browser()
	b.login("admin", "/")
	old := b.sessionCookie()
	require.NotNil(t, old)
	resp := b.do(http.MethodPost, e.url(0)+"/logout", url.Values{})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Equal(t, -1, setCookies(resp)["__Host-sd_session"].MaxAge)

	replay := e.browser()
	replay.c.Jar.SetCookies(mustURL(e.url(0)), []*http.Cookie{{Name: old.Name, Value: old.Value, Path: "/"}})
	assert.Equal(t, http.StatusUnauthorized, replay.me(0))
	_, err := e.m().b.Get(context.Background(), vaultKey(hashToken(old.Value), testTenant))
	assert.ErrorIs(t, err, errNotFound, "token record deleted")
}

func TestKillUserEndsAllTheirSessions(t *testing.T) {
	e := newEnv(t, envOpts{})
	admin1, admin2, other := e.browser(), e.browser(), e.browser()
	admin1.login("admin", "/")
	admin2.login("admin", "/")
	other.login("helpdesk", "/")
	n, err := e.m().KillUser(context.Background(), "2c9180857a1b4c2d017a1b4c2d0e0001")
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	assert.Equal(t, http.StatusUnauthorized, admin1.me(0))
	assert.Equal(t, http.StatusUnauthorized, admin2.me(0))
	assert.Equal(t, http.StatusOK, other.me(0))
}

func TestParallelLoginsDoNotInterfere(t *testing.T) {
	e := newEnv(t, envOpts{})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			b := e.browser()
			b.login("source-admin", "/")
			assert.Equal(t, http.StatusOK, b.me(0))
		})
	}
	wg.Wait()
}

func TestTokenEndpointGetsClientCredentialsAsFormFields(t *testing.T) {
	e := newEnv(t, envOpts{}) // its Config asks for HTTP Basic; the Manager sends form fields all the same
	b := e.browser()
	b.login("admin", "/")
	e.clock.Advance(accessTokenTTL - 30*time.Second)
	require.Equal(t, http.StatusOK, b.get(e.url(0)+"/api").StatusCode)
	require.Equal(t, 1, e.sb.TokenRequests("refresh_token"))
	pat := e.browser()
	require.Equal(t, http.StatusSeeOther, pat.do(http.MethodPost, e.url(0)+"/login/pat",
		url.Values{"client_id": {sandbox.DemoPATClientID}, "client_secret": {sandbox.DemoPATClientSecret}}).StatusCode)

	assert.Equal(t, 3, e.sb.TokenClientAuth(sandbox.ClientSecretPost), "code, refresh and PAT grants, as SailPoint's SDKs send them")
	assert.Zero(t, e.sb.TokenClientAuth(sandbox.ClientSecretBasic), "no HTTP Basic")
}
