package bff

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"sourcedesk/internal/api"
	"sourcedesk/internal/readcache"
	"sourcedesk/internal/sandbox"
	"sourcedesk/internal/session"
)

// testEnv is a console wired to a real sandbox tenant over loopback HTTP, with a
// signed-in user. Handler tests use it through env.do, which goes through the whole
// router (middleware, session, CSRF, error handler) and keeps cookies like a browser.
type testEnv struct {
	t        *testing.T
	srv      *Server
	sandbox  *sandbox.Sandbox
	sbURL    string
	sessions *session.Manager
	headers  http.Header // sent with every request (the CSRF token)
	// prod is the second tenant, "production", of newTwoTenantEnv (nil otherwise).
	prod    *sandbox.Sandbox
	prodURL string

	mu      sync.Mutex
	cookies map[string]string // the browser's cookie jar, updated by every response
}

// Test OAuth client of the console in the sandbox.
const (
	testClientID     = "sourcedesk-test"
	testClientSecret = "test-client-secret"
	testRedirectURI  = "http://console.test/auth/callback"
)

// newTestEnv starts a sandbox and a console signed in as the sandbox's admin, through
// the demo personal access token (POST /login/pat).
func newTestEnv(t *testing.T, mutate func(*Config)) *testEnv {
	t.Helper()
	e := newSignedOutEnv(t, mutate)
	e.csrfPrime()
	form := url.Values{"client_id": {sandbox.DemoPATClientID}, "client_secret": {sandbox.DemoPATClientSecret}}
	rec := e.do(http.MethodPost, "/login/pat", strings.NewReader(form.Encode()),
		map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	require.Equal(t, http.StatusSeeOther, rec.Code, "PAT sign-in: %s", rec.Body.String())
	e.headers.Set("X-CSRF-Token", e.pageCSRFToken("/")) // the token follows the session, renewed at sign-in
	return e
}

// newTestEnvAs is newTestEnv signed in as username (a sandbox demo user, e.g.
// "helpdesk") through the authorization-code flow and the sandbox's login page.
func newTestEnvAs(t *testing.T, username string, mutate func(*Config)) *testEnv {
	t.Helper()
	e := newSignedOutEnv(t, mutate)
	rec := e.signIn(username, "/")
	require.Equal(t, http.StatusOK, rec.Code, "callback: %s", rec.Body.String())
	return e
}

// newSignedOutEnv is a console and sandbox with nobody signed in.
func newSignedOutEnv(t *testing.T, mutate func(*Config)) *testEnv {
	t.Helper()
	sb, hs := newTestSandbox(t)
	return newConsole(t, sb, hs, "memory", mutate)
}

// newTestSandbox starts a sandbox tenant that knows the console's test client. Like a
// gateway that takes only sized bodies, it refuses a request body without a
// Content-Length (411), so every console test that uploads proves it sends one.
func newTestSandbox(t *testing.T) (*sandbox.Sandbox, *httptest.Server) {
	t.Helper()
	sb := sandbox.New(sandbox.Config{
		TaskStep:             20 * time.Millisecond,
		Clients:              []sandbox.Client{{ID: testClientID, Secret: testClientSecret, RedirectURIs: []string{testRedirectURI}}},
		RequireContentLength: true,
	})
	hs := httptest.NewServer(sb.Handler())
	t.Cleanup(hs.Close)
	return sb, hs
}

// noSharedReads turns the shared reads off, for tests of what one request sends
// upstream (retries, renewals, methods).
func noSharedReads(c *Config) { c.Reads = readcache.New(nil, 0, "") }

// testSessionKey encrypts the token vault of every test console, so replicas on one
// store can read each other's records.
var testSessionKey = []byte("0123456789abcdef0123456789abcdef")

// newConsole is one console (one replica) on the given sandbox and session store.
func newConsole(t *testing.T, sb *sandbox.Sandbox, hs *httptest.Server, store string, mutate func(*Config)) *testEnv {
	t.Helper()
	mgr, err := session.New(context.Background(), session.Config{
		Store: store,
		Keys:  [][]byte{testSessionKey},
		Tenants: []session.Tenant{{Key: "sandbox", OAuth2: &oauth2.Config{
			ClientID:     testClientID,
			ClientSecret: testClientSecret,
			Endpoint: oauth2.Endpoint{
				AuthURL: hs.URL + "/oauth/authorize", TokenURL: hs.URL + "/oauth/token",
			},
			RedirectURL: testRedirectURI,
		}}},
		HTTPClient: hs.Client(),
	})
	require.NoError(t, err)
	t.Cleanup(func() { mgr.Close() })
	cl, err := api.New(api.Config{BaseURL: hs.URL, HTTPClient: hs.Client(), Limiter: mgr.Limiter("sandbox")})
	require.NoError(t, err)
	srv := newTestServer(t, func(c *Config) {
		c.Tenants = []Tenant{{Key: "sandbox", API: cl}}
		c.Sessions = mgr
		if mutate != nil {
			mutate(c)
		}
	})
	return &testEnv{t: t, srv: srv, sandbox: sb, sbURL: hs.URL, sessions: mgr, headers: http.Header{}, cookies: map[string]string{}}
}

// csrfPrime opens the sign-in form, which gives a signed-out browser a session and
// a CSRF token bound to it, and sends the token in the X-CSRF-Token header from
// then on (as hx-headers does in the browser).
func (e *testEnv) csrfPrime() {
	e.t.Helper()
	e.headers.Set("X-CSRF-Token", e.pageCSRFToken("/login/pat"))
}

// pageCSRFToken is the CSRF token a page gives the browser: the X-CSRF-Token of
// <body hx-headers>, else the _csrf field of its form (the signed-out PAT form).
func (e *testEnv) pageCSRFToken(path string) string {
	e.t.Helper()
	rec := e.do(http.MethodGet, path, nil, map[string]string{"X-CSRF-Token": ""})
	doc := parse(e.t, rec.Body)
	if hx, ok := doc.Find("body").Attr("hx-headers"); ok {
		var h map[string]string
		require.NoError(e.t, json.Unmarshal([]byte(hx), &h))
		if h["X-CSRF-Token"] != "" {
			return h["X-CSRF-Token"]
		}
	}
	tok := doc.Find(`input[name="_csrf"]`).AttrOr("value", "")
	require.NotEmpty(e.t, tok, "%s gives the browser a CSRF token", path)
	return tok
}

// signIn runs the authorization-code flow as username through the sandbox's login
// page and returns the console's callback response (200 bounce page on success).
func (e *testEnv) signIn(username, next string) *httptest.ResponseRecorder {
	e.t.Helper()
	rec := e.do(http.MethodGet, "/login?next="+url.QueryEscape(next), nil, nil)
	require.Equal(e.t, http.StatusFound, rec.Code)
	cb := sandboxLogin(e.t, e.sbURL, rec.Header().Get("Location"), username)
	rec = e.do(http.MethodGet, cb.RequestURI(), nil, nil)
	if rec.Code == http.StatusOK {
		e.headers.Set("X-CSRF-Token", e.pageCSRFToken("/"))
	}
	return rec
}

// sandboxLogin answers the sandbox's login page as username (whose demo password is
// the username) for the authorize URL the console redirected to, and returns the
// callback URL the sandbox sends the browser back to, code and state included.
func sandboxLogin(t *testing.T, sbURL, authorizeLocation, username string) *url.URL {
	t.Helper()
	authURL, err := url.Parse(authorizeLocation)
	require.NoError(t, err)
	form := authURL.Query()
	form.Set("username", username)
	form.Set("password", username)
	form.Set("action", "login")
	resp, err := http.DefaultTransport.RoundTrip(mustRequest(t, http.MethodPost, sbURL+"/oauth/authorize", form))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusFound, resp.StatusCode, "sandbox login")
	cb, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	return cb
}

func mustRequest(t *testing.T, method, target string, form url.Values) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, target, strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}

// do sends one request through the console and returns the recorded response. It
// sends the jar's cookies (unless headers set Cookie) and keeps the ones it gets.
func (e *testEnv) do(method, target string, body io.Reader, headers map[string]string) *httptest.ResponseRecorder {
	e.t.Helper()
	return e.doFrom("", method, target, body, headers)
}

// doFrom is do from the client address remoteAddr (host:port; "" keeps httptest's).
func (e *testEnv) doFrom(remoteAddr, method, target string, body io.Reader, headers map[string]string) *httptest.ResponseRecorder {
	e.t.Helper()
	req := httptest.NewRequest(method, target, body)
	if remoteAddr != "" {
		req.RemoteAddr = remoteAddr
	}
	for k, vs := range e.headers {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	e.mu.Lock()
	for name, v := range e.cookies {
		req.AddCookie(&http.Cookie{Name: name, Value: v})
	}
	e.mu.Unlock()
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	e.srv.ServeHTTP(rec, req)
	e.mu.Lock()
	for _, c := range rec.Result().Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(e.cookies, c.Name)
		} else {
			e.cookies[c.Name] = c.Value
		}
	}
	e.mu.Unlock()
	return rec
}

// oauth2HTTPClient is the context key x/oauth2 reads its HTTP client from (used by
// other tests' helpers).
var oauth2HTTPClient = oauth2.HTTPClient

// sessionHeaders are what the signed-in browser sends with every request (its
// cookies and the CSRF token), for tests that call the console over real HTTP.
func (e *testEnv) sessionHeaders() http.Header {
	h := e.headers.Clone()
	e.mu.Lock()
	defer e.mu.Unlock()
	var parts []string
	for name, v := range e.cookies {
		parts = append(parts, (&http.Cookie{Name: name, Value: v}).String())
	}
	if len(parts) > 0 {
		h.Set("Cookie", strings.Join(parts, "; "))
	}
	return h
}

// rawSessionHeaders is sessionHeaders as HTTP/1.1 header lines ("Name: value\r\n").
func (e *testEnv) rawSessionHeaders() string {
	var b strings.Builder
	for k, vs := range e.sessionHeaders() {
		for _, v := range vs {
			b.WriteString(k + ": " + v + "\r\n")
		}
	}
	return b.String()
}

// client is an HTTP client for srv (the console served over loopback) that sends
// the signed-in browser's cookies and CSRF token.
func (e *testEnv) client(srv *httptest.Server) *http.Client {
	c := *srv.Client()
	base := c.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	c.Transport = sessionTransport{base: base, e: e}
	return &c
}

type sessionTransport struct {
	base http.RoundTripper
	e    *testEnv
}

func (t sessionTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	for k, vs := range t.e.sessionHeaders() {
		req.Header[k] = vs
	}
	return t.base.RoundTrip(req)
}

// goneTo is where a response sends the user after an action (goTo): for htmx the
// path in HX-Location, which must aim at #main, else the Location of the 303.
func goneTo(t *testing.T, h http.Header) string {
	t.Helper()
	hxLoc := h.Get("HX-Location")
	if hxLoc == "" {
		return h.Get("Location")
	}
	var loc struct{ Path, Target string }
	require.NoError(t, json.Unmarshal([]byte(hxLoc), &loc), hxLoc)
	require.Equal(t, "#main", loc.Target, "HX-Location keeps the layout and replaces #main")
	return loc.Path
}
