package session

import (
	"cmp"
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/alexedwards/scs/v2"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// Login-state limits.
const (
	loginStateTTL    = 10 * time.Minute
	maxLoginAttempts = 4 // login cookies kept per browser; more would bloat every request
)

// loginState is what a login attempt needs at the callback. It travels in its own
// encrypted cookie, one per attempt, so two tabs can sign in at once.
type loginState struct {
	State    string    `json:"s"`
	Verifier string    `json:"v"`
	Next     string    `json:"n"`
	Tenant   string    `json:"k"`
	Created  time.Time `json:"t"`
}

// loginCookieName derives the attempt's cookie name from its state, so the
// callback finds the right cookie among several tabs' attempts.
func (m *Manager) loginCookieName(state string) string {
	return m.cookieName(cookieLogin) + hashToken("login\x00" + state)[:16]
}

// StartLogin begins an authorization-code + PKCE sign-in to the tenant the
// request's context speaks of: it sets the attempt's login cookie (SameSite=Lax
// so it survives the redirect back, Max-Age 10 min) and returns the authorize URL
// to redirect to. next is passed through SafeNext. The redirect_uri is the
// tenant's OAuth2.RedirectURL, never derived from the request.
func (m *Manager) StartLogin(w http.ResponseWriter, r *http.Request, next string) (string, error) {
	t := m.tenant(r.Context())
	if t == nil {
		return "", ErrUnknownTenant
	}
	ls := loginState{
		State:    randomString(32),
		Verifier: oauth2.GenerateVerifier(),
		Next:     SafeNext(next),
		Tenant:   t.Key,
		Created:  m.now(),
	}
	name := m.loginCookieName(ls.State)
	plain, err := json.Marshal(ls)
	if err != nil {
		return "", err
	}
	sealed, err := m.keys.seal(plain, []byte(name))
	if err != nil {
		return "", err
	}
	m.pruneLoginCookies(w, r)
	http.SetCookie(w, m.loginCookie(name, base64.RawURLEncoding.EncodeToString(sealed), int(loginStateTTL/time.Second)))
	return t.OAuth2.AuthCodeURL(ls.State, oauth2.S256ChallengeOption(ls.Verifier)), nil
}

func (m *Manager) loginCookie(name, value string, maxAge int) *http.Cookie {
	if maxAge < 0 {
		value = ""
	}
	return &http.Cookie{
		Name:     name,
		Value:    value,
		Path:     "/",
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   m.cfg.Secure,
		SameSite: http.SameSiteLaxMode,
	}
}

// pruneLoginCookies expires the oldest abandoned login attempts so that at most
// maxLoginAttempts remain after the new one is added.
func (m *Manager) pruneLoginCookies(w http.ResponseWriter, r *http.Request) {
	type attempt struct {
		name    string
		created time.Time
	}
	var attempts []attempt
	prefix := m.cookieName(cookieLogin)
	for _, c := range r.Cookies() {
		if !strings.HasPrefix(c.Name, prefix) {
			continue
		}
		ls, err := m.openLoginState(c)
		if err != nil || m.now().Sub(ls.Created) > loginStateTTL {
			http.SetCookie(w, m.loginCookie(c.Name, "", -1))
			continue
		}
		attempts = append(attempts, attempt{c.Name, ls.Created})
	}
	sort.Slice(attempts, func(i, j int) bool { return attempts[i].created.Before(attempts[j].created) })
	for len(attempts) >= maxLoginAttempts {
		http.SetCookie(w, m.loginCookie(attempts[0].name, "", -1))
		attempts = attempts[1:]
	}
}

func (m *Manager) openLoginState(c *http.Cookie) (*loginState, error) {
	sealed, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil {
		return nil, err
	}
	plain, err := m.keys.open(sealed, []byte(c.Name))
	if err != nil {
		return nil, err
	}
	var ls loginState
	if err := json.Unmarshal(plain, &ls); err != nil {
		return nil, err
	}
	return &ls, nil
}

// FinishLogin completes a sign-in at the callback (r must have passed through
// LoadAndSave). It checks the state against the attempt's cookie before redeeming
// anything, consumes the state (a replay gets ErrInvalidState), exchanges the code
// with the PKCE verifier as a confidential client of the tenant the attempt was
// for, renews the session token (preventing fixation) and stores the tokens
// beside those of the tenants the session was signed in to already. It returns
// that tenant's key and the validated next path.
//
// Errors: ErrInvalidState (403), ErrLoginCancelled (the user declined),
// ErrLoginFailed (the server refused), ErrRefreshUnavailable (token endpoint down),
// ErrStoreUnavailable (the session store failed).
func (m *Manager) FinishLogin(ctx context.Context, w http.ResponseWriter, r *http.Request) (tenant, next string, err error) {
	q := r.URL.Query()
	state := q.Get("state")
	if state == "" {
		return "", "", fmt.Errorf("%w: no state parameter", ErrInvalidState)
	}
	name := m.loginCookieName(state)
	c, err := r.Cookie(name)
	if err != nil {
		return "", "", fmt.Errorf("%w: no login cookie for this state", ErrInvalidState)
	}
	// The attempt is over whatever happens next.
	http.SetCookie(w, m.loginCookie(name, "", -1))
	ls, err := m.openLoginState(c)
	if err != nil {
		return "", "", fmt.Errorf("%w: unreadable login cookie", ErrInvalidState)
	}
	if subtle.ConstantTimeCompare([]byte(ls.State), []byte(state)) != 1 {
		return "", "", fmt.Errorf("%w: state mismatch", ErrInvalidState)
	}
	if m.now().Sub(ls.Created) > loginStateTTL {
		return "", "", fmt.Errorf("%w: login attempt expired", ErrInvalidState)
	}
	t := m.tenants[cmp.Or(ls.Tenant, m.cfg.Tenants[0].Key)]
	if t == nil {
		return "", "", fmt.Errorf("%w: the attempt was for a tenant no longer configured", ErrInvalidState)
	}
	// One-time use across replicas: a browser that kept the cookie cannot replay.
	fresh, err := m.b.SetNX(ctx, stateKey(state), []byte{1}, loginStateTTL+time.Minute)
	if err != nil {
		return "", "", fmt.Errorf("%w: mark the sign-in state used: %w", ErrStoreUnavailable, err)
	}
	if !fresh {
		return "", "", fmt.Errorf("%w: state already used", ErrInvalidState)
	}
	if e := q.Get("error"); e != "" {
		if e == "access_denied" {
			return "", "", ErrLoginCancelled
		}
		return "", "", fmt.Errorf("%w: authorization server said %q", ErrLoginFailed, e)
	}
	code := q.Get("code")
	if code == "" {
		return "", "", fmt.Errorf("%w: no code", ErrLoginFailed)
	}
	tok, err := t.OAuth2.Exchange(m.oauthCtx(ctx), code, oauth2.VerifierOption(ls.Verifier))
	if err != nil {
		return "", "", classifyGrantError("exchange code", err, ErrLoginFailed)
	}
	rec := newRecord(tok, m.now(), nil)
	if rec.ClientID == "" {
		rec.ClientID = t.OAuth2.ClientID
	}
	if err := m.signIn(ctx, t.Key, rec); err != nil {
		return "", "", err
	}
	return t.Key, ls.Next, nil
}

// LoginWithPAT signs the session in to the tenant the context speaks of with a
// personal access token (client credentials grant). The secret is kept only inside the encrypted record, to get
// a new token when this one expires (a PAT has no refresh token). addr is the
// client's address: failed attempts are limited per client id and per address
// (throttle.go), and over the limit the tenant is not asked (*ThrottledError).
func (m *Manager) LoginWithPAT(ctx context.Context, clientID, secret, addr string) error {
	t := m.tenant(ctx)
	if t == nil {
		return ErrUnknownTenant
	}
	if clientID == "" || secret == "" {
		return fmt.Errorf("%w: client id and secret are required", ErrLoginFailed)
	}
	succeeded, err := m.patAttempt(ctx, clientID, addr)
	if err != nil {
		return err
	}
	tok, err := m.patConfig(t, clientID, secret).Token(m.oauthCtx(ctx))
	if err != nil {
		err = classifyGrantError("personal access token", err, ErrLoginFailed)
		if !errors.Is(err, ErrLoginFailed) {
			succeeded() // the tenant did not answer: not a wrong secret
		}
		return err
	}
	succeeded()
	rec := newRecord(tok, m.now(), nil)
	rec.ClientID = clientID
	rec.PATSecret = secret
	return m.signIn(ctx, t.Key, rec)
}

func (m *Manager) patConfig(t *Tenant, clientID, secret string) *clientcredentials.Config {
	return &clientcredentials.Config{
		ClientID:     clientID,
		ClientSecret: secret,
		TokenURL:     t.OAuth2.Endpoint.TokenURL,
		AuthStyle:    t.OAuth2.Endpoint.AuthStyle,
	}
}

// oauthCtx makes x/oauth2 use the configured client for the token endpoint.
func (m *Manager) oauthCtx(ctx context.Context) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, m.cfg.HTTPClient)
}

// classifyGrantError sorts token-endpoint failures. For a refresh (refused =
// ErrSessionEnded) only invalid_grant and invalid_client are fatal, as in
// oauth2-proxy: anything else (5xx, temporarily_unavailable, a network error)
// leaves the session alone. For a sign-in (refused = ErrLoginFailed) any 4xx
// answer is a refusal.
func classifyGrantError(what string, err error, refused error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		status := statusOf(re)
		fatal := re.ErrorCode == "invalid_grant" || re.ErrorCode == "invalid_client"
		if refused == ErrLoginFailed && status >= 400 && status < 500 {
			fatal = true
		}
		if fatal {
			return fmt.Errorf("%w: %s: %s", refused, what, re.ErrorCode)
		}
		return fmt.Errorf("%w: %s: status %d %s", ErrRefreshUnavailable, what, status, re.ErrorCode)
	}
	return fmt.Errorf("%w: %s: %w", ErrRefreshUnavailable, what, err)
}

func statusOf(re *oauth2.RetrieveError) int {
	if re.Response == nil {
		return 0
	}
	return re.Response.StatusCode
}

// signIn stores rec as the session's tokens for tenant, under a new session
// token (renewed against fixation). The session's records for the other tenants
// it is signed in to move to the new token; one it held for this tenant is
// replaced. The session's lifetime still counts from its first sign-in.
func (m *Manager) signIn(ctx context.Context, tenant string, rec *record) error {
	st := m.state(ctx)
	keep := map[string]*record{}
	for _, key := range m.signedIn(st) {
		if key != tenant {
			keep[key] = st.rec(key)
		}
	}
	now := m.now()
	first := now
	if t := m.getTime(ctx, keySignedIn); !t.IsZero() && len(keep) > 0 {
		first = t
	}
	if st.hash != "" {
		if err := m.dropRecords(ctx, st.hash); err != nil {
			m.log.WarnContext(ctx, "delete token records", "err", err)
		}
	}
	m.scs.Clear(ctx)
	if err := m.scs.RenewToken(ctx); err != nil {
		return fmt.Errorf("%w: renew the session token: %w", ErrStoreUnavailable, err)
	}
	hash := hashToken(m.scs.Token(ctx))
	rec.Version = 1
	rec.SignedIn = now
	keep[tenant] = rec
	st.mu.Lock()
	st.hash, st.recs = hash, map[string]*record{}
	st.mu.Unlock()
	for key, r := range keep {
		if err := m.storeRecord(ctx, hash, key, r, first); err != nil {
			return err
		}
		st.setRec(key, r)
	}
	m.putTime(ctx, keySignedIn, first)
	m.putTime(ctx, keySeen, now)
	m.putTime(ctx, keyTouched, now)
	m.log.InfoContext(ctx, "signed in", "tenant", tenant, "identity_id", rec.IdentityID, "user_level", rec.UserLevel, "pat", rec.PATSecret != "")
	return nil
}

// storeRecord writes a new record of a session and indexes it by its identity.
func (m *Manager) storeRecord(ctx context.Context, hash, tenant string, rec *record, signedIn time.Time) error {
	sealed, err := m.keys.sealRecord(vaultKey(hash, tenant), rec)
	if err != nil {
		return err
	}
	if err := m.b.Set(ctx, vaultKey(hash, tenant), sealed, m.recordTTL(signedIn)); err != nil {
		return fmt.Errorf("%w: store the tokens: %w", ErrStoreUnavailable, err)
	}
	if rec.IdentityID != "" {
		if err := m.b.SAdd(ctx, userKey(rec.IdentityID), hash, m.cfg.Lifetime); err != nil {
			return fmt.Errorf("%w: index the session: %w", ErrStoreUnavailable, err)
		}
	}
	return nil
}

// dropRecords deletes a session's vault records, one per tenant, and their index entries.
func (m *Manager) dropRecords(ctx context.Context, hash string) error {
	var errs []error
	for _, t := range m.cfg.Tenants {
		if rec, err := m.loadRecord(ctx, hash, t.Key); err == nil && rec.IdentityID != "" {
			_ = m.b.SRem(ctx, userKey(rec.IdentityID), hash)
		}
		if err := m.b.Delete(ctx, vaultKey(hash, t.Key)); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Logout ends the session on the server (every replica sees it gone) and deletes
// its tokens on every tenant, including PAT secrets. Call it before writing the
// response.
func (m *Manager) Logout(ctx context.Context) error {
	st := m.state(ctx)
	if st.hash != "" {
		if err := m.dropRecords(ctx, st.hash); err != nil {
			m.log.WarnContext(ctx, "delete token records", "err", err)
		}
	}
	st.mu.Lock()
	st.hash, st.recs = "", nil
	st.mu.Unlock()
	if err := m.scs.Destroy(ctx); err != nil {
		return fmt.Errorf("%w: end the session: %w", ErrStoreUnavailable, err)
	}
	return nil
}

// KillUser ends every session of identityID on every replica (an admin action, or
// a user disabled upstream). Their next request finds no token and must sign in.
// It returns how many sessions it ended.
func (m *Manager) KillUser(ctx context.Context, identityID string) (int, error) {
	hashes, err := m.b.SMembers(ctx, userKey(identityID))
	if err != nil {
		return 0, err
	}
	n := 0
	for _, h := range hashes {
		for _, t := range m.cfg.Tenants {
			if err := m.b.Delete(ctx, vaultKey(h, t.Key)); err != nil {
				return n, err
			}
		}
		// scs names its entries by the same hash (HashTokenInStore), so the blob can
		// be deleted without ever knowing the session token.
		if err := m.deleteSCS(ctx, h); err != nil {
			return n, err
		}
		n++
	}
	if err := m.b.Delete(ctx, userKey(identityID)); err != nil {
		return n, err
	}
	m.log.InfoContext(ctx, "ended all sessions of a user", "identity_id", identityID, "sessions", n)
	return n, nil
}

func (m *Manager) deleteSCS(ctx context.Context, hash string) error {
	if cs, ok := m.store.(scs.CtxStore); ok {
		return cs.DeleteCtx(ctx, hash)
	}
	return m.store.Delete(hash)
}

// Paths that must not be a post-login destination: they would loop or sign out.
var nextDenied = []string{"/login", "/logout", "/auth/"}

// maxNextLen bounds next: it rides in a cookie.
const maxNextLen = 1024

// SafeNext returns raw if it is a local path on this origin, and "/" otherwise.
// It rejects anything a browser could read as another origin: schemes,
// protocol-relative "//" and "/\", backslashes anywhere, control characters,
// non-ASCII (look-alike slashes), encoded slashes, backslashes or percent signs in
// the path, the same tricks percent-encoded (checked up to four layers deep), and
// the sign-in/sign-out paths themselves (which would loop).
func SafeNext(raw string) string {
	if !safeLocalPath(raw) {
		return "/"
	}
	return raw
}

func safeLocalPath(raw string) bool {
	if raw == "" || len(raw) > maxNextLen || raw[0] != '/' {
		return false
	}
	// Encoded slashes, backslashes and percent signs have no business in our own
	// paths (ids are hex); refusing them outright leaves no decoding ambiguity.
	pathPart, _, _ := strings.Cut(raw, "?")
	pathPart, _, _ = strings.Cut(pathPart, "#")
	lp := strings.ToLower(pathPart)
	if strings.Contains(lp, "%2f") || strings.Contains(lp, "%5c") || strings.Contains(lp, "%25") {
		return false
	}
	s := raw
	for range 4 {
		if !plainSafe(s) {
			return false
		}
		dec, err := url.PathUnescape(s)
		if err != nil {
			return false // malformed escapes: nothing legitimate needs them
		}
		if dec == s {
			break
		}
		s = dec
		if s == "" || s[0] != '/' {
			return false
		}
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || !strings.HasPrefix(u.Path, "/") {
		return false
	}
	p := strings.ToLower(u.Path)
	for _, d := range nextDenied {
		if p == strings.TrimSuffix(d, "/") || strings.HasPrefix(p, d) || strings.HasPrefix(p, d+"/") {
			return false
		}
	}
	return true
}

// plainSafe checks one decoding layer.
func plainSafe(s string) bool {
	if strings.HasPrefix(s, "//") || strings.HasPrefix(s, "/\\") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '\\' {
			return false
		}
	}
	return true
}
