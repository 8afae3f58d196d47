package session

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"sourcedesk/internal/sandbox"
)

// fakeClock is a settable clock shared by the sandbox and the session managers.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Now()}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

const (
	testClientID     = "sourcedesk-test"
	testClientSecret = "s3cr3t-client-secret-value"
)

// env is one sandbox tenant plus one or more console replicas (each a Manager
// behind its own TLS test server) sharing one store.
type env struct {
	t     *testing.T
	clock *fakeClock
	sb    *sandbox.Sandbox
	sbSrv *httptest.Server
	// prod and prodSrv are a second tenant, "production", when envOpts.production is set.
	prod     *sandbox.Sandbox
	prodSrv  *httptest.Server
	replicas []*replica
	logs     *syncBuffer
	redirect string
	opts     envOpts
	// slow, when set, makes GET /slow wait for it after the session is loaded.
	slow chan struct{}
}

type replica struct {
	m   *Manager
	srv *httptest.Server
	app atomic.Pointer[http.Handler] // swapped by restart
}

type envOpts struct {
	store    string // default memory
	replicas int    // default 1
	secure   *bool  // default true
	idle     time.Duration
	lifetime time.Duration
	keys     [][]byte
	// production adds a second tenant, "production" (a sandbox seeded as
	// production), which requests name with ?tenant=production.
	production bool
}

func newKey() []byte {
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	return k
}

// syncBuffer collects log output for "no secrets in logs" checks.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newEnv(t *testing.T, o envOpts) *env {
	t.Helper()
	if o.store == "" {
		o.store = "memory"
	}
	if o.replicas == 0 {
		o.replicas = 1
	}
	secure := o.secure == nil || *o.secure
	if o.keys == nil {
		o.keys = [][]byte{newKey()}
	}
	e := &env{t: t, clock: newFakeClock(), logs: &syncBuffer{}, opts: o}
	// Console servers first: the sandbox must know the redirect URI.
	var srvs []*httptest.Server
	for range o.replicas {
		rep := &replica{}
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			(*rep.app.Load()).ServeHTTP(w, r)
		}))
		rep.srv = srv
		srvs = append(srvs, srv)
		e.replicas = append(e.replicas, rep)
	}
	scheme := "http"
	if secure {
		scheme = "https"
	}
	// One constant redirect URI for every replica, as behind a load balancer.
	e.redirect = scheme + "://" + srvs[0].Listener.Addr().String() + "/auth/callback"
	e.sb = sandbox.New(sandbox.Config{
		Clients: []sandbox.Client{{ID: testClientID, Secret: testClientSecret, RedirectURIs: []string{e.redirect}}},
		Now:     e.clock.Now,
	})
	e.sbSrv = httptest.NewServer(e.sb.Handler())
	t.Cleanup(e.sbSrv.Close)
	if o.production {
		e.prod = sandbox.New(sandbox.Config{
			Seed:    sandbox.SeedProduction,
			Clients: []sandbox.Client{{ID: testClientID, Secret: testClientSecret, RedirectURIs: []string{e.redirect}}},
			Now:     e.clock.Now,
		})
		e.prodSrv = httptest.NewServer(e.prod.Handler())
		t.Cleanup(e.prodSrv.Close)
	}
	for i, rep := range e.replicas {
		rep.m = e.newManager(o.keys)
		app := rep.m.testApp(e)
		rep.app.Store(&app)
		if secure {
			rep.srv.StartTLS()
		} else {
			rep.srv.Start()
		}
		t.Cleanup(func() { rep.srv.Close(); rep.m.Close() })
		_ = i
	}
	return e
}

func (e *env) newManager(keys [][]byte) *Manager {
	e.t.Helper()
	m, err := New(context.Background(), Config{
		Store:       e.opts.store,
		Keys:        keys,
		IdleTimeout: e.opts.idle,
		Lifetime:    e.opts.lifetime,
		Secure:      e.opts.secure == nil || *e.opts.secure,
		Tenants:     e.tenants(),
		HTTPClient:  &http.Client{Timeout: 5 * time.Second},
		Now:         e.clock.Now,
		Logger:      slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	require.NoError(e.t, err)
	return m
}

// tenants are the env's tenants: the sandbox, and production if asked for.
func (e *env) tenants() []Tenant {
	client := func(base string) *oauth2.Config {
		return &oauth2.Config{
			ClientID:     testClientID,
			ClientSecret: testClientSecret,
			Endpoint: oauth2.Endpoint{
				AuthURL:   base + "/oauth/authorize",
				TokenURL:  base + "/oauth/token",
				AuthStyle: oauth2.AuthStyleInHeader,
			},
			RedirectURL: e.redirect,
			Scopes:      []string{"sp:scopes:all"},
		}
	}
	ts := []Tenant{{Key: testTenant, OAuth2: client(e.sbSrv.URL)}}
	if e.prodSrv != nil {
		ts = append(ts, Tenant{Key: "production", OAuth2: client(e.prodSrv.URL)})
	}
	return ts
}

// restart replaces replica i's Manager with a new one on the same store, as a
// process restart (or a rolling key rotation) would.
func (e *env) restart(i int, keys [][]byte) {
	e.t.Helper()
	rep := e.replicas[i]
	require.NoError(e.t, rep.m.Close())
	rep.m = e.newManager(keys)
	app := rep.m.testApp(e)
	rep.app.Store(&app)
}

func (e *env) m() *Manager { return e.replicas[0].m }

// testApp is a minimal console: the routes the bff will have, at the net/http level.
func (m *Manager) testApp(e *env) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		u, err := m.StartLogin(w, r, r.URL.Query().Get("next"))
		if err != nil {
			http.Error(w, "start", http.StatusInternalServerError)
			return
		}
		http.Redirect(w, r, u, http.StatusFound)
	})
	mux.HandleFunc("GET /auth/callback", func(w http.ResponseWriter, r *http.Request) {
		_, next, err := m.FinishLogin(r.Context(), w, r)
		switch {
		case errors.Is(err, ErrInvalidState):
			http.Error(w, "sign-in expired or already used", http.StatusForbidden)
		case errors.Is(err, ErrLoginCancelled):
			http.Error(w, "you cancelled", http.StatusUnauthorized)
		case err != nil:
			http.Error(w, "sign-in failed", http.StatusBadGateway)
		default:
			http.Redirect(w, r, next, http.StatusSeeOther)
		}
	})
	mux.HandleFunc("POST /login/pat", func(w http.ResponseWriter, r *http.Request) {
		if err := m.LoginWithPAT(r.Context(), r.FormValue("client_id"), r.FormValue("client_secret"), r.RemoteAddr); err != nil {
			http.Error(w, "sign-in failed", http.StatusUnauthorized)
			return
		}
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
	mux.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) {
		if err := m.Logout(r.Context()); err != nil {
			http.Error(w, "logout", http.StatusInternalServerError)
			return
		}
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
	mux.HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) {
		<-e.slow
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /tenants", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(m.SignedIn(r.Context()))
	})
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		u, ok := m.Current(r.Context())
		if !ok {
			http.Error(w, "not signed in", http.StatusUnauthorized)
			return
		}
		_ = json.NewEncoder(w).Encode(u)
	})
	// /api calls the sandbox's API with the session's token, refreshing and
	// retrying once on a 401, as internal/api will.
	mux.HandleFunc("GET /api", func(w http.ResponseWriter, r *http.Request) {
		ts := m.tokenSource(r.Context())
		base := e.sbSrv.URL
		if m.tenantOf(r.Context()) == "production" {
			base = e.prodSrv.URL
		}
		status, err := callSandbox(r.Context(), base, ts)
		switch {
		case errors.Is(err, ErrSessionEnded), errors.Is(err, ErrNotSignedIn):
			http.Error(w, "sign in again", http.StatusUnauthorized)
		case errors.Is(err, ErrRefreshUnavailable):
			http.Error(w, "try again", http.StatusServiceUnavailable)
		case err != nil:
			http.Error(w, "internal", http.StatusInternalServerError)
		default:
			w.WriteHeader(status)
		}
	})
	// ?tenant= names the tenant a request speaks of, as the console's addresses do.
	h := m.LoadAndSave(mux)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if k := r.URL.Query().Get("tenant"); k != "" {
			r = r.WithContext(WithTenant(r.Context(), k))
		}
		h.ServeHTTP(w, r)
	})
}

// callSandbox does GET /v2025/sources?limit=1 with one refresh-and-retry on 401.
func callSandbox(ctx context.Context, base string, ts *TokenSource) (int, error) {
	tok, err := ts.Token()
	if err != nil {
		return 0, err
	}
	for attempt := 0; ; attempt++ {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/v2025/sources?limit=1", nil)
		tok.SetAuthHeader(req)
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			return 0, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || attempt == 1 {
			return resp.StatusCode, nil
		}
		if tok, err = ts.ForceRefresh(tok.AccessToken); err != nil {
			return 0, err
		}
	}
}

// browser is a cookie-keeping client that does not follow redirects, so each
// step of a sign-in can be inspected.
type browser struct {
	t *testing.T
	c *http.Client
	e *env
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{
		Jar:           jar,
		Timeout:       20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	if tr, ok := e.replicas[0].srv.Client().Transport.(*http.Transport); ok && e.replicas[0].srv.TLS != nil {
		c.Transport = tr.Clone()
	}
	return &browser{t: e.t, c: c, e: e}
}

func (b *browser) do(method, rawURL string, form url.Values, hdr ...string) *http.Response {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, rawURL, body)
	require.NoError(b.t, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := b.c.Do(req)
	require.NoError(b.t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func (b *browser) get(rawURL string) *http.Response { return b.do(http.MethodGet, rawURL, nil) }

// url is replica i's base URL.
func (e *env) url(i int) string { return e.replicas[i].srv.URL }

// startLogin does GET /login?next= and returns the authorize URL.
func (b *browser) startLogin(replica int, next string) *url.URL {
	b.t.Helper()
	resp := b.get(b.e.url(replica) + "/login?next=" + url.QueryEscape(next))
	require.Equal(b.t, http.StatusFound, resp.StatusCode)
	u, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(b.t, err)
	return u
}

// authorize submits the sandbox login form and returns the callback URL it
// redirects to.
func (b *browser) authorize(authURL *url.URL, user string) *url.URL {
	b.t.Helper()
	form := authURL.Query()
	form.Set("username", user)
	form.Set("password", user)
	form.Set("action", "login")
	resp := b.do(http.MethodPost, authURL.Scheme+"://"+authURL.Host+"/oauth/authorize", form)
	require.Equal(b.t, http.StatusFound, resp.StatusCode, "sandbox login")
	u, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(b.t, err)
	return u
}

// callback follows the callback URL on replica i.
func (b *browser) callback(replica int, cb *url.URL) *http.Response {
	b.t.Helper()
	// The callback URL names replica 0 (the constant redirect URI); a load
	// balancer could send it anywhere, so rewrite the host to the chosen replica.
	target, _ := url.Parse(b.e.url(replica))
	u := *cb
	u.Host = target.Host
	return b.get(u.String())
}

// login signs in as user and returns the callback response (303 to next).
func (b *browser) login(user, next string) *http.Response {
	b.t.Helper()
	resp := b.callback(0, b.authorize(b.startLogin(0, next), user))
	require.Equal(b.t, http.StatusSeeOther, resp.StatusCode, "callback")
	return resp
}

// me returns GET /me's status on replica i.
func (b *browser) me(replica int) int {
	return b.get(b.e.url(replica) + "/me").StatusCode
}

func (b *browser) sessionCookie() *http.Cookie {
	u, _ := url.Parse(b.e.url(0))
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == b.e.m().SessionCookieName() {
			return c
		}
	}
	return nil
}

func setCookies(resp *http.Response) map[string]*http.Cookie {
	out := map[string]*http.Cookie{}
	for _, c := range resp.Cookies() {
		out[c.Name] = c
	}
	return out
}

func boolp(b bool) *bool { return &b }

// testOAuthConfig is a client config for tests that never reach a token endpoint.
// testTenant is the key of the one tenant most tests sign in to.
const testTenant = "sandbox"

// testTenants is one tenant with testOAuthConfig.
func testTenants() []Tenant { return []Tenant{{Key: testTenant, OAuth2: testOAuthConfig()}} }

func testOAuthConfig() *oauth2.Config {
	return &oauth2.Config{
		ClientID:     testClientID,
		ClientSecret: testClientSecret,
		Endpoint:     oauth2.Endpoint{AuthURL: "https://login.example/oauth/authorize", TokenURL: "https://api.example/oauth/token"},
		RedirectURL:  "https://console.example/auth/callback",
	}
}
