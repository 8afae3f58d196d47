// Package session owns sign-in and the signed-in state of the console: the scs
// session (cookie, idle and absolute timeouts, store selection), the OAuth
// authorization-code + PKCE login and the personal-access-token login, the
// encrypted token vault kept beside the scs blob, token refresh serialised across
// replicas, "kill user", the CSRF token accessor and the shared API rate budget.
//
// It works at the net/http level (no Echo): Manager.LoadAndSave is a plain
// func(http.Handler) http.Handler, which internal/bff wraps with echo.WrapMiddleware.
//
// A session can be signed in to several tenants (Config.Tenants), each
// separately, with a token set of its own. Which tenant a call speaks of is the
// context's (WithTenant), the first tenant when the context names none.
//
// Where state lives:
//   - the scs blob (cookie __Host-sd_session → store key sha256(token)) holds only
//     timestamps and the CSRF token;
//   - the vault record "tok:<sha256(token)>:<tenant>" holds one tenant's tokens,
//     AES-GCM encrypted under a key ring, versioned and written with compare-and-set;
//   - "user:<hash(identity)>" indexes a user's sessions for KillUser;
//   - "lock:<hash>:<tenant>" serialises refreshes; "rate:…" counts each tenant's API budget.
//
// All of them sit in one backend chosen by Config.Store (memory, SQLite file,
// Redis, Postgres), so with Redis or Postgres every replica sees the same state.
// OpenStore (store.go) is the one place that reads a store URL: a process opens the
// store once and hands the connection to the Manager (Config.Conn) and to whatever
// else keeps shared state there, such as the activity log.
package session

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/alexedwards/scs/goredisstore"
	"github.com/alexedwards/scs/pgxstore"
	"github.com/alexedwards/scs/v2"
	"golang.org/x/oauth2"
	"golang.org/x/sync/singleflight"
)

// Defaults for Config's zero values.
const (
	DefaultIdleTimeout   = 30 * time.Minute
	DefaultLifetime      = 12 * time.Hour
	DefaultRefreshMargin = 60 * time.Second
	DefaultRateLimit     = 100
	DefaultRateWindow    = 10 * time.Second
)

// Cookie names. The __Host- prefix makes the browser insist on Secure, Path=/ and
// no Domain; it is dropped (with Secure) only when Config.Secure is false.
const (
	cookieSession = "sd_session"
	cookieLogin   = "sd_login_"
	hostPrefix    = "__Host-"
)

// Config configures a Manager. Everything is passed in explicitly; zero values take
// the defaults named per field.
type Config struct {
	// Store selects where sessions, tokens, locks and the rate budget live:
	// "memory" (default; one process, lost on restart), "file:/path/to.db"
	// (embedded SQLite, survives restarts, one process), "redis://…"/"rediss://…"
	// or "postgres://…"/"postgresql://…" (shared by replicas). Ignored when Conn is set.
	Store string
	// Conn is the store, already open (OpenStore), when other parts of the process
	// share its connection pool (the activity log); the caller closes it after the
	// Manager. Nil: New opens Store and Close closes it.
	Conn *StoreConn
	// Keys is the key ring for the token vault and the login-state cookie:
	// 32 bytes each; Keys[0] encrypts, any decrypts. Required except for the memory
	// store, where a random key is generated (sessions die with the process anyway).
	Keys [][]byte
	// IdleTimeout ends a session after this long without a request (default 30 min).
	IdleTimeout time.Duration
	// Lifetime ends a session this long after sign-in, however active (default 12 h).
	Lifetime time.Duration
	// Secure marks cookies Secure and gives the session cookie the __Host- prefix.
	// Only a demo on plain-HTTP loopback sets it false; the caller should log that.
	Secure bool
	// Tenants are the ISC tenants users sign in to, at least one; the first is
	// the one a context that names none speaks of.
	Tenants []Tenant
	// HTTPClient talks to the token endpoint; give it a short timeout. Required.
	HTTPClient *http.Client
	// RefreshMargin refreshes access tokens this long before they expire (default 60 s).
	RefreshMargin time.Duration
	// RateLimit API requests per RateWindow per OAuth client, shared by all replicas
	// on a shared store (default 100 per 10 s; negative disables).
	RateLimit  int
	RateWindow time.Duration
	// Now is the clock for every policy decision (timeouts, token expiry, rate
	// windows); tests pass a fake one. Default time.Now.
	Now func() time.Time
	// Logger defaults to a discarding logger. Tokens and secrets are never logged.
	Logger *slog.Logger
	// OnStoreError answers a request whose session could not be loaded or saved
	// (store down). Default: 503 with a short plain-text message, failing closed.
	OnStoreError func(w http.ResponseWriter, r *http.Request, err error)
}

// Tenant is one ISC tenant users sign in to.
type Tenant struct {
	// Key names the tenant in the console (addresses, store keys, the activity
	// log): lower-case letters, digits and hyphens.
	Key string
	// OAuth2 is the console's confidential client there: ClientID,
	// ClientSecret, Endpoint, one constant RedirectURL, Scopes.
	// Endpoint.AuthStyle is not used: the token endpoint always gets client_id
	// and client_secret as form fields (client_secret_post), as SailPoint's SDKs
	// and CLI send them; HTTP Basic is not seen in any SailPoint client, and the
	// URL would put the secret in logs.
	OAuth2 *oauth2.Config
}

// tenantCtxKey carries the tenant a request speaks of.
type tenantCtxKey struct{}

// WithTenant returns ctx speaking of the tenant key: Current, TokenSource,
// Invalidate, StartLogin, LoginWithPAT and the rate budget called with it are
// about that tenant. Without it they are about the first tenant.
func WithTenant(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, tenantCtxKey{}, key)
}

// tenantOf is the key of the tenant ctx speaks of.
func (m *Manager) tenantOf(ctx context.Context) string {
	if k, ok := ctx.Value(tenantCtxKey{}).(string); ok {
		return k
	}
	return m.cfg.Tenants[0].Key
}

// tenant is the configuration of the tenant ctx speaks of (nil for a key that
// is not configured).
func (m *Manager) tenant(ctx context.Context) *Tenant {
	return m.tenants[m.tenantOf(ctx)]
}

// ErrUnknownTenant is returned for a context that names a tenant the console does not know.
var ErrUnknownTenant = errors.New("session: unknown tenant")

// User is who a session is signed in as.
type User struct {
	Name       string // user_name claim
	IdentityID string
	UserLevel  string // first of the token's authorities, e.g. ORG_ADMIN
	Tenant     string // tenant id
	TenantName string // tenant name (the token's org), when the tenant reports it
	PAT        bool   // signed in with a personal access token
}

// Errors callers map to responses.
var (
	// ErrInvalidState means the login callback's state was missing, did not match
	// the browser's login cookie, had expired or was already used: answer 403 and
	// offer to sign in again. No code has been redeemed.
	ErrInvalidState = errors.New("session: sign-in state missing, expired or already used")
	// ErrLoginCancelled means the user declined at the authorization server.
	ErrLoginCancelled = errors.New("session: sign-in cancelled")
	// ErrLoginFailed means the authorization server or the token endpoint refused
	// the sign-in (wrong PAT, error response, failed exchange).
	ErrLoginFailed = errors.New("session: sign-in failed")
	// ErrSessionEnded means the session is gone (logged out, killed, expired or its
	// refresh token rejected): send the user to sign in again.
	ErrSessionEnded = errors.New("session: session ended")
	// ErrRefreshUnavailable means the token endpoint could not be reached; the session
	// is kept and the user can retry (503).
	ErrRefreshUnavailable = errors.New("session: token endpoint unavailable")
	// ErrNotSignedIn means the request has no signed-in session.
	ErrNotSignedIn = errors.New("session: not signed in")
	// ErrStoreUnavailable means the session store failed a read or a write, so
	// nobody can sign in (or stay signed in) until it is back: answer 503.
	ErrStoreUnavailable = errors.New("session: session store unavailable")
)

// Keys in the scs blob. Only timestamps live there (Unix nanoseconds: gob needs no
// type registration for int64, and this package registers nothing globally); the
// CSRF token is derived from the session token (csrf.go).
const (
	keySignedIn = "sd.signed_in" // sign-in time; absent for anonymous sessions
	keySeen     = "sd.seen"      // time of the last request
	keyTouched  = "sd.touched"   // time the vault TTL was last extended
)

// Manager is the session layer. Create it with New, wrap the dynamic routes with
// LoadAndSave, and Close it on shutdown.
type Manager struct {
	cfg      Config
	log      *slog.Logger
	now      func() time.Time
	scs      *scs.SessionManager
	store    scs.Store
	b        backend
	keys     *keyRing
	csrfKeys [][]byte // HMAC keys of the CSRF token, newest first (csrf.go)
	flight   singleflight.Group
	tenants  map[string]*Tenant
	budgets  map[string]*RateBudget // by tenant key
	closers  []func() error
}

// New validates cfg (reporting every problem at once), connects to the store and
// returns a ready Manager.
func New(ctx context.Context, cfg Config) (*Manager, error) {
	if cfg.Store == "" {
		cfg.Store = "memory"
	}
	if cfg.Conn != nil {
		cfg.Store = string(cfg.Conn.Kind)
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.Lifetime == 0 {
		cfg.Lifetime = DefaultLifetime
	}
	if cfg.RefreshMargin == 0 {
		cfg.RefreshMargin = DefaultRefreshMargin
	}
	if cfg.RateLimit == 0 {
		cfg.RateLimit = DefaultRateLimit
	}
	if cfg.RateWindow == 0 {
		cfg.RateWindow = DefaultRateWindow
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Store == string(StoreMemory) && len(cfg.Keys) == 0 {
		k := make([]byte, 32)
		if _, err := rand.Read(k); err != nil {
			return nil, err
		}
		cfg.Keys = [][]byte{k}
	}
	if err := validate(cfg); err != nil {
		return nil, err
	}
	keys, err := newKeyRing(cfg.Keys)
	if err != nil {
		return nil, err
	}
	m := &Manager{cfg: cfg, log: cfg.Logger, now: cfg.Now, keys: keys, csrfKeys: csrfKeys(cfg.Keys),
		tenants: map[string]*Tenant{}, budgets: map[string]*RateBudget{}}
	m.cfg.Tenants = slices.Clone(cfg.Tenants)
	for i := range m.cfg.Tenants {
		t := &m.cfg.Tenants[i]
		oc := *t.OAuth2 // the caller's copy stays as it was
		oc.Endpoint.AuthStyle = oauth2.AuthStyleInParams
		t.OAuth2 = &oc
		m.tenants[t.Key] = t
		m.budgets[t.Key] = newRateBudget(m, t.Key, cfg.RateLimit, cfg.RateWindow)
	}
	conn := cfg.Conn
	if conn == nil {
		if conn, err = OpenStore(ctx, cfg.Store); err != nil {
			return nil, err
		}
		m.closers = append(m.closers, conn.Close)
	}
	if err := m.openStore(ctx, conn); err != nil {
		m.Close()
		return nil, fmt.Errorf("session store %s: %w", redactDSN(cfg.Store), err)
	}
	// A literal rather than scs.New(): New starts a memstore cleanup goroutine that
	// cannot be stopped without a data race (scs v2.9.0), and we never use that
	// store. The one thing New adds, a unique context key, only matters when two
	// SessionManagers wrap the same request, which the console never does.
	sm := &scs.SessionManager{Codec: scs.GobCodec{}}
	sm.Store = m.store
	sm.HashTokenInStore = true
	sm.IdleTimeout = cfg.IdleTimeout
	sm.Lifetime = cfg.Lifetime
	sm.Cookie = scs.SessionCookie{
		Name:     m.cookieName(cookieSession),
		HttpOnly: true,
		Path:     "/",
		// Strict: the session cookie is never sent on cross-site requests. The OAuth
		// callback is a cross-site navigation, so the login state rides in its own Lax
		// cookie and the callback answers with a same-site "bounce" page that forwards to
		// the page the user asked for, so the Strict cookie is sent on the next request.
		SameSite: http.SameSiteStrictMode,
		Secure:   cfg.Secure,
		Persist:  false, // a browser session cookie; the server enforces the timeouts
	}
	sm.ErrorFunc = m.storeError
	m.scs = sm
	return m, nil
}

func validate(cfg Config) error {
	var errs []error
	if cfg.Conn == nil {
		if _, err := ParseStoreURL(cfg.Store); err != nil {
			errs = append(errs, fmt.Errorf("session store %q: %w", redactDSN(cfg.Store), err))
		}
	}
	if len(cfg.Keys) == 0 {
		errs = append(errs, errors.New("session keys: at least one 32-byte key is required for a persistent store"))
	}
	for i, k := range cfg.Keys {
		if len(k) != 32 {
			errs = append(errs, fmt.Errorf("session key %d: %d bytes, want 32", i, len(k)))
		}
	}
	if cfg.IdleTimeout < 0 || cfg.Lifetime < 0 {
		errs = append(errs, errors.New("session timeouts must be positive"))
	}
	if cfg.IdleTimeout > cfg.Lifetime {
		errs = append(errs, fmt.Errorf("session idle timeout %s exceeds lifetime %s", cfg.IdleTimeout, cfg.Lifetime))
	}
	if len(cfg.Tenants) == 0 {
		errs = append(errs, errors.New("session: at least one tenant is required"))
	}
	seen := map[string]bool{}
	for _, t := range cfg.Tenants {
		if !ValidTenantKey(t.Key) {
			errs = append(errs, fmt.Errorf("tenant key %q: lower-case letters, digits and hyphens, at most 32", t.Key))
		}
		if seen[t.Key] {
			errs = append(errs, fmt.Errorf("tenant key %q is given twice", t.Key))
		}
		seen[t.Key] = true
		if t.OAuth2 == nil {
			errs = append(errs, fmt.Errorf("tenant %s: OAuth2 config is required", t.Key))
			continue
		}
		if t.OAuth2.ClientID == "" {
			errs = append(errs, fmt.Errorf("tenant %s: oauth client id is empty", t.Key))
		}
		if t.OAuth2.Endpoint.AuthURL == "" || t.OAuth2.Endpoint.TokenURL == "" {
			errs = append(errs, fmt.Errorf("tenant %s: oauth authorize and token URLs are required", t.Key))
		}
		if u, err := url.Parse(t.OAuth2.RedirectURL); err != nil || !u.IsAbs() {
			errs = append(errs, fmt.Errorf("tenant %s: oauth redirect URL %q must be absolute", t.Key, t.OAuth2.RedirectURL))
		}
	}
	if cfg.HTTPClient == nil {
		errs = append(errs, errors.New("session: HTTPClient for the token endpoint is required"))
	}
	return errors.Join(errs...)
}

// ValidTenantKey reports whether key can name a tenant: it appears in addresses
// and store keys, so it is short and plain (lower-case letters, digits and
// hyphens, at most 32).
func ValidTenantKey(key string) bool {
	if key == "" || len(key) > 32 || key[0] == '-' {
		return false
	}
	for _, r := range key {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// redactDSN hides a password in a store URL before it is logged or returned.
func redactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	return u.Redacted()
}

// openStore builds the backend and the scs store on conn.
func (m *Manager) openStore(ctx context.Context, conn *StoreConn) error {
	switch conn.Kind {
	case StoreMemory:
		// scs's memstore is not used: its StopCleanup races with its cleanup
		// goroutine (v2.9.0), and the memory backend already sweeps expired entries.
		m.b = newMemoryBackend()
		m.store = &backendStore{b: m.b}
	case StoreSQLite:
		b, err := newSQLBackend(ctx, conn.DB, false)
		if err != nil {
			return err
		}
		m.b = b
		m.store = &backendStore{b: b}
	case StoreRedis:
		m.b = newRedisBackend(conn.Redis, "sd:")
		m.store = goredisstore.NewWithPrefix(conn.Redis, "sd:scs:")
	case StorePostgres:
		b, err := newSQLBackend(ctx, conn.DB, true)
		if err != nil {
			return err
		}
		m.b = b
		// pgxstore expects this table (its README's schema).
		if _, err := conn.pool.Exec(ctx, `CREATE TABLE IF NOT EXISTS sessions (
			token TEXT PRIMARY KEY, data BYTEA NOT NULL, expiry TIMESTAMPTZ NOT NULL);
			CREATE INDEX IF NOT EXISTS sessions_expiry_idx ON sessions (expiry);`); err != nil {
			return err
		}
		// No pgxstore cleanup goroutine: its StopCleanup races with it (like
		// memstore's); the backend's sweeper deletes expired sessions instead.
		b.extraSweep = append(b.extraSweep, "DELETE FROM sessions WHERE expiry < current_timestamp")
		m.store = pgxstore.NewWithCleanupInterval(conn.pool, 0)
	default:
		return fmt.Errorf("no backend for %q", conn.Kind)
	}
	return m.b.Ping(ctx)
}

// cookieName applies the __Host- prefix when cookies are Secure.
func (m *Manager) cookieName(base string) string {
	if m.cfg.Secure {
		return hostPrefix + base
	}
	return base
}

// SessionCookieName is the name of the session cookie (for tests and logs).
func (m *Manager) SessionCookieName() string { return m.scs.Cookie.Name }

// readyTimeout bounds the readiness probe's write and read.
const readyTimeout = 2 * time.Second

// Ready reports whether the store works, for a readiness probe: it writes a
// short-lived probe key, reads it back and deletes it, both in the shared
// backend and in the scs session store. A ping alone says nothing about a store
// that answers but cannot write (a truncated SQLite file, a read-only replica,
// a full disk).
func (m *Manager) Ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	probe := randomString(16)
	key := "ready:" + probe
	if err := m.b.Set(ctx, key, []byte(probe), time.Minute); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	got, err := m.b.Get(ctx, key)
	if err != nil {
		return fmt.Errorf("read back: %w", err)
	}
	if string(got) != probe {
		return errors.New("read back a different value than written")
	}
	if err := m.b.Delete(ctx, key); err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	token := hashToken("ready\x00" + probe) // never a real session's key
	commit, find, del := m.store.Commit, m.store.Find, m.store.Delete
	if cs, ok := m.store.(scs.CtxStore); ok { // the Redis and Postgres stores take the deadline
		commit = func(t string, b []byte, e time.Time) error { return cs.CommitCtx(ctx, t, b, e) }
		find = func(t string) ([]byte, bool, error) { return cs.FindCtx(ctx, t) }
		del = func(t string) error { return cs.DeleteCtx(ctx, t) }
	}
	if err := commit(token, []byte(probe), time.Now().Add(time.Minute)); err != nil {
		return fmt.Errorf("write a session: %w", err)
	}
	b, found, err := find(token)
	switch {
	case err != nil:
		return fmt.Errorf("read a session back: %w", err)
	case !found || string(b) != probe:
		return errors.New("a session written was not read back")
	}
	if err := del(token); err != nil {
		return fmt.Errorf("delete a session: %w", err)
	}
	return nil
}

// SetStoreErrorHandler sets what answers a request whose session could not be
// loaded or saved (Config.OnStoreError). The console sets its own 503 page;
// call it before serving.
func (m *Manager) SetStoreErrorHandler(f func(w http.ResponseWriter, r *http.Request, err error)) {
	m.cfg.OnStoreError = f
}

// Close stops background work and closes the store's connections.
func (m *Manager) Close() error {
	var errs []error
	if m.b != nil {
		errs = append(errs, m.b.Close())
	}
	for _, c := range m.closers {
		errs = append(errs, c())
	}
	m.closers = nil
	return errors.Join(errs...)
}

// storeError answers a request whose session could not be loaded or saved with a
// 503 (Config.OnStoreError, or plain text), and makes sure nothing else is
// written after it: scs reports a failed save when the handler starts writing
// its own answer, which must not follow the 503 onto the wire.
func (m *Manager) storeError(w http.ResponseWriter, r *http.Request, err error) {
	m.log.ErrorContext(r.Context(), "session store failed", "err", err)
	g, _ := r.Context().Value(guardKey{}).(*guardWriter)
	if g == nil {
		g = &guardWriter{ResponseWriter: w}
	}
	if g.answered {
		return
	}
	g.answered = true
	out := g.ResponseWriter
	for _, h := range []string{"Location", "HX-Redirect", "HX-Location", "HX-Push-Url", "Content-Length", "Content-Type"} {
		out.Header().Del(h) // what the handler meant to answer does not apply
	}
	err = fmt.Errorf("%w: %w", ErrStoreUnavailable, err)
	if m.cfg.OnStoreError != nil {
		m.cfg.OnStoreError(out, r, err)
		return
	}
	http.Error(out, "Sessions are temporarily unavailable. Please retry shortly.", http.StatusServiceUnavailable)
}

// guardWriter sits below scs's response writer. Once storeError has answered,
// it drops whatever the handler still writes.
type guardWriter struct {
	http.ResponseWriter
	answered bool
}

type guardKey struct{}

func (g *guardWriter) WriteHeader(code int) {
	if !g.answered {
		g.ResponseWriter.WriteHeader(code)
	}
}

func (g *guardWriter) Write(b []byte) (int, error) {
	if g.answered {
		return len(b), nil
	}
	return g.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (read deadlines).
func (g *guardWriter) Unwrap() http.ResponseWriter { return g.ResponseWriter }

// reqState is this request's view of its session, cached so that Current and the
// token source do not decrypt the records more than needed. A request may use
// its token sources from several goroutines (a promotion reads in parallel).
type reqState struct {
	hash   string // hashToken(session token); "" for a session with no token yet
	loaded bool   // the scs session is in the context (false when its load failed)

	mu   sync.Mutex
	recs map[string]*record // by tenant key; absent when not signed in there
}

// rec is the record of tenant key (nil when not signed in there).
func (st *reqState) rec(key string) *record {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.recs[key]
}

// setRec sets (or with nil forgets) the record of tenant key.
func (st *reqState) setRec(key string, rec *record) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.recs == nil {
		st.recs = map[string]*record{}
	}
	if rec == nil {
		delete(st.recs, key)
		return
	}
	st.recs[key] = rec
}

// signedIn lists the tenants with a record, keys in the order of Config.Tenants.
func (m *Manager) signedIn(st *reqState) []string {
	st.mu.Lock()
	defer st.mu.Unlock()
	var out []string
	for _, t := range m.cfg.Tenants {
		if st.recs[t.Key] != nil {
			out = append(out, t.Key)
		}
	}
	return out
}

type reqStateKey struct{}

func (m *Manager) state(ctx context.Context) *reqState {
	if st, ok := ctx.Value(reqStateKey{}).(*reqState); ok {
		return st
	}
	return &reqState{}
}

// LoadAndSave is the session middleware for the dynamic routes: it loads the scs
// session, enforces the idle and absolute timeouts against Config.Now, loads the
// token record, and commits the session before the first byte of the response.
// A session whose token record is gone (logout or KillUser on any replica) is
// treated as signed out.
func (m *Manager) LoadAndSave(next http.Handler) http.Handler {
	h := m.loadAndSave(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g := &guardWriter{ResponseWriter: w}
		h.ServeHTTP(g, r.WithContext(context.WithValue(r.Context(), guardKey{}, g)))
	})
}

func (m *Manager) loadAndSave(next http.Handler) http.Handler {
	return m.scs.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		st := &reqState{loaded: true}
		if tok := m.scs.Token(ctx); tok != "" {
			st.hash = hashToken(tok)
			if err := m.loadSignedIn(ctx, st); err != nil {
				m.storeError(w, r, err)
				return
			}
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(ctx, reqStateKey{}, st)))
	}))
}

// touchEvery limits how often an active session extends its vault record's TTL.
const touchEvery = time.Minute

// loadSignedIn checks timeouts and loads the records of a signed-in session, one
// per tenant it is signed in to.
func (m *Manager) loadSignedIn(ctx context.Context, st *reqState) error {
	signedIn := m.getTime(ctx, keySignedIn)
	if signedIn.IsZero() {
		return nil
	}
	now := m.now()
	seen := m.getTime(ctx, keySeen)
	switch {
	case now.Sub(signedIn) > m.cfg.Lifetime:
		m.log.InfoContext(ctx, "session reached its lifetime", "signed_in", signedIn)
		return m.endSession(ctx, st)
	case now.Sub(seen) > m.cfg.IdleTimeout:
		m.log.InfoContext(ctx, "session idle too long", "last_seen", seen)
		return m.endSession(ctx, st)
	}
	for _, t := range m.cfg.Tenants {
		rec, err := m.loadRecord(ctx, st.hash, t.Key)
		if errors.Is(err, errNotFound) || errors.Is(err, errUndecryptable) {
			continue // not signed in there, or its key was retired
		}
		if err != nil {
			return err
		}
		st.setRec(t.Key, rec)
	}
	signed := m.signedIn(st)
	if len(signed) == 0 {
		// Logged out or killed elsewhere, or every key was retired: signed out here too.
		return m.endSession(ctx, st)
	}
	m.putTime(ctx, keySeen, now)
	if now.Sub(m.getTime(ctx, keyTouched)) > touchEvery {
		for _, key := range signed {
			if err := m.b.Expire(ctx, vaultKey(st.hash, key), m.recordTTL(signedIn)); err != nil {
				return err
			}
		}
		m.putTime(ctx, keyTouched, now)
	}
	return nil
}

func (m *Manager) getTime(ctx context.Context, key string) time.Time {
	n := m.scs.GetInt64(ctx, key)
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

func (m *Manager) putTime(ctx context.Context, key string, t time.Time) {
	m.scs.Put(ctx, key, t.UnixNano())
}

// recordTTL keeps a vault record only as long as its session could still be used.
func (m *Manager) recordTTL(signedIn time.Time) time.Duration {
	ttl := m.cfg.IdleTimeout + touchEvery
	if left := m.cfg.Lifetime - m.now().Sub(signedIn); left < ttl {
		ttl = left
	}
	if ttl < time.Second {
		ttl = time.Second
	}
	return ttl
}

// endSession deletes the records and the scs session (server side and cookie).
func (m *Manager) endSession(ctx context.Context, st *reqState) error {
	if st.hash != "" {
		if err := m.dropRecords(ctx, st.hash); err != nil {
			return err
		}
	}
	st.mu.Lock()
	st.recs, st.hash = nil, ""
	st.mu.Unlock()
	return m.scs.Destroy(ctx)
}

func (m *Manager) loadRecord(ctx context.Context, hash, tenant string) (*record, error) {
	key := vaultKey(hash, tenant)
	sealed, err := m.b.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	return m.keys.openRecord(key, sealed)
}

// Current returns the user the request's session is signed in as on the tenant
// the context speaks of, if any.
func (m *Manager) Current(ctx context.Context) (User, bool) {
	rec := m.state(ctx).rec(m.tenantOf(ctx))
	if rec == nil {
		return User{}, false
	}
	return rec.user(), true
}

// SignedIn lists the tenants the request's session is signed in to, keys in
// the order of Config.Tenants.
func (m *Manager) SignedIn(ctx context.Context) []string {
	return m.signedIn(m.state(ctx))
}

// randomString is n random bytes, base64url.
func randomString(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// Limiter returns the shared API rate budget of tenant key (api.Limiter
// structurally); nil for a key that is not configured. Each tenant's budget is
// its own: ISC counts requests per OAuth client, and each tenant has its clients.
func (m *Manager) Limiter(key string) *RateBudget { return m.budgets[key] }
