package sandbox

import (
	"crypto/rand"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The sandbox tenant's fixed identity, reported by /oauth/info and in every token.
const (
	oauthTenantID = "2c9180857a1b4c2d017a1b4c2d000000"
	oauthPod      = "sandbox-local1"
	oauthScope    = "sp:scopes:all"
)

// The built-in personal access token client, always registered.
const (
	// DemoPATClientID is the built-in personal access token's client id.
	DemoPATClientID = "demo-pat"
	// DemoPATClientSecret is the built-in personal access token's secret.
	DemoPATClientSecret = "demo-pat-secret"
	// DemoPATOwner is the username the built-in personal access token speaks for.
	DemoPATOwner = "admin"
)

// TokenFailureHangUp, passed to SetTokenFailure, makes /oauth/token drop the
// connection without answering, as a network failure would.
const TokenFailureHangUp = "hang-up"

const (
	oauthCodeTTL = 60 * time.Second
	// oauthCodeMemory is how long a redeemed code is remembered after it
	// expires, so that a late replay still revokes the tokens issued from it.
	oauthCodeMemory = 10 * time.Minute
	// oauthPruneEvery bounds how often expired records are swept (sandbox clock).
	oauthPruneEvery = 30 * time.Second
)

// Messages of the ISC 401 body ({"error": "..."}) that verifyBearer returns.
var (
	oauthErrJWTMissing = errors.New("JWT validation failed: JWT is missing")
	oauthErrJWTExpired = errors.New("JWT validation failed: JWT is expired")
	oauthErrJWTInvalid = errors.New("JWT validation failed: JWT is invalid")
	oauthErrJWTRevoked = errors.New("JWT validation failed: JWT has been revoked")
)

// oauthState is the OAuth half's state.
//
// It has its own mutex instead of s.mu: the API half may call authenticate
// while it holds s.mu, and sync.Mutex is not reentrant. Lock order: s.mu
// before o.mu, never the other way round (this half never takes s.mu).
type oauthState struct {
	key     []byte            // HS256 key, random per sandbox, so tokens never work across sandboxes
	clients map[string]Client // read-only after New
	users   map[string]User   // read-only after New

	mu           sync.Mutex
	codes        map[string]*oauthCode    // by code
	access       map[string]*oauthAccess  // by access token jti
	refresh      map[string]*oauthRefresh // by refresh token jti
	tokenCalls   map[string]int           // by oauthCountedGrant(grant_type)
	tokenAuth    map[string]int           // by client authentication method, see TokenClientAuth
	tokenFailure string                   // see SetTokenFailure
	tokenDelay   time.Duration            // see SetTokenDelay
	nextPrune    time.Time
}

// oauthGrant is one authorization: a login (code grant) or one PAT token
// request. Every token derived from it by refresh shares it, so revoking it
// revokes the whole family.
type oauthGrant struct {
	clientID string
	username string
	revoked  bool
}

// oauthCode is an authorization code and what it is bound to.
type oauthCode struct {
	clientID    string
	redirectURI string
	challenge   string // S256 code challenge
	username    string
	expires     time.Time
	used        bool
	grant       *oauthGrant // set on redemption, revoked on replay
}

// oauthAccess is an issued access token.
type oauthAccess struct {
	grant   *oauthGrant
	exp     time.Time
	expired bool // forced by ExpireAccessTokens
}

// oauthRefresh is an issued refresh token.
type oauthRefresh struct {
	grant *oauthGrant
	exp   time.Time
	used  bool // rotated away: presenting it again revokes the grant
}

// oauthClaims are the claims of both token kinds. The names follow ISC's
// tokens (Spring Security OAuth style: user_name, authorities, ati).
type oauthClaims struct {
	jwt.RegisteredClaims
	ClientID    string   `json:"client_id"`
	IdentityID  string   `json:"identity_id"`
	UserName    string   `json:"user_name"`
	Authorities []string `json:"authorities"`
	TenantID    string   `json:"tenant_id"`
	Pod         string   `json:"pod"`
	Org         string   `json:"org"`
	Scope       []string `json:"scope"`
	StrongAuth  bool     `json:"strong_auth"`
	// ATI, in a refresh token, is the jti of the access token issued with it.
	ATI string `json:"ati,omitempty"`
}

func newOAuthState(s *Sandbox) *oauthState {
	o := &oauthState{
		key:        make([]byte, 32),
		clients:    map[string]Client{},
		users:      map[string]User{},
		codes:      map[string]*oauthCode{},
		access:     map[string]*oauthAccess{},
		refresh:    map[string]*oauthRefresh{},
		tokenCalls: map[string]int{},
		tokenAuth:  map[string]int{},
	}
	rand.Read(o.key) // never fails (crypto/rand, Go 1.24+)
	// A configured client with the built-in's id replaces it.
	o.clients[DemoPATClientID] = Client{ID: DemoPATClientID, Secret: DemoPATClientSecret, PATOwner: DemoPATOwner}
	for _, c := range s.cfg.Clients {
		o.clients[c.ID] = c
	}
	for _, u := range s.cfg.Users {
		o.users[u.Username] = u
	}
	return o
}

// registerOAuthRoutes installs the OAuth half: ISC's /oauth endpoints, the
// userinfo endpoint SailPoint's own clients use, and the logout page.
func (s *Sandbox) registerOAuthRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET "+s.prefix+"/oauth/authorize", s.oauthAuthorizePage)
	mux.HandleFunc("POST "+s.prefix+"/oauth/authorize", s.oauthLogin)
	mux.HandleFunc("POST "+s.prefix+"/oauth/token", s.oauthToken)
	mux.HandleFunc("GET "+s.prefix+"/oauth/info", s.oauthInfo)
	mux.HandleFunc("GET "+s.prefix+"/oauth/userinfo", s.oauthUserInfo)
	mux.HandleFunc("GET "+s.prefix+"/logout", s.oauthLogout)
}

// authenticate returns the Principal for the request's bearer token, or false.
func (s *Sandbox) authenticate(r *http.Request) (*Principal, bool) {
	p, err := s.verifyBearer(r)
	return p, err == nil
}

// verifyBearer is authenticate with the reason for a failure; the error's text
// is the message of ISC's 401 body ({"error": err.Error()}).
func (s *Sandbox) verifyBearer(r *http.Request) (*Principal, error) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return nil, oauthErrJWTMissing
	}
	claims, err := s.oauthParse(tok)
	if errors.Is(err, jwt.ErrTokenExpired) {
		return nil, oauthErrJWTExpired
	}
	if err != nil {
		return nil, oauthErrJWTInvalid
	}
	o := s.oauth
	o.mu.Lock()
	defer o.mu.Unlock()
	rec := o.access[claims.ID]
	switch {
	case rec == nil: // a refresh token, or pruned after expiry
		return nil, oauthErrJWTInvalid
	case rec.expired:
		return nil, oauthErrJWTExpired
	case rec.grant.revoked:
		return nil, oauthErrJWTRevoked
	}
	u, ok := o.users[rec.grant.username]
	if !ok {
		return nil, oauthErrJWTInvalid
	}
	return &Principal{
		ClientID:         rec.grant.clientID,
		IdentityID:       u.IdentityID,
		Username:         u.Username,
		DisplayName:      u.DisplayName,
		UserLevel:        u.UserLevel,
		GovernanceGroups: append([]string(nil), u.GovernanceGroups...),
	}, nil
}

// oauthParse verifies a token's signature and expiry on the sandbox clock.
func (s *Sandbox) oauthParse(tok string) (*oauthClaims, error) {
	var c oauthClaims
	_, err := jwt.ParseWithClaims(tok, &c,
		func(*jwt.Token) (any, error) { return s.oauth.key, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithTimeFunc(s.now),
		jwt.WithExpirationRequired(),
	)
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// oauthSign signs claims for user u and grant g, expiring ttl after now.
func (s *Sandbox) oauthSign(g *oauthGrant, u User, now time.Time, ttl time.Duration, ati string) (tok, jti string, exp time.Time, err error) {
	jti = rand.Text()
	exp = now.Add(ttl)
	c := oauthClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			ID:        jti,
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(exp),
		},
		ClientID:    g.clientID,
		IdentityID:  u.IdentityID,
		UserName:    u.Username,
		Authorities: []string{u.UserLevel},
		TenantID:    s.localID(oauthTenantID),
		Pod:         oauthPod,
		Org:         s.cfg.TenantName,
		Scope:       []string{oauthScope},
		ATI:         ati,
	}
	tok, err = jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(s.oauth.key)
	return tok, jti, exp, err
}

// pruneLocked drops records that can no longer matter: expired tokens
// (their JWT exp rejects them anyway) and long-expired codes. It runs at most
// every oauthPruneEvery so issuing stays O(1) amortised. Caller holds o.mu.
func (o *oauthState) pruneLocked(now time.Time) {
	if now.Before(o.nextPrune) {
		return
	}
	o.nextPrune = now.Add(oauthPruneEvery)
	for k, a := range o.access {
		if !now.Before(a.exp) {
			delete(o.access, k)
		}
	}
	for k, r := range o.refresh {
		if !now.Before(r.exp) {
			delete(o.refresh, k)
		}
	}
	for k, c := range o.codes {
		if now.After(c.expires.Add(oauthCodeMemory)) {
			delete(o.codes, k)
		}
	}
}

// TokenRequests reports how many requests reached /oauth/token with the given
// grant_type, whether or not they succeeded: "authorization_code",
// "refresh_token", "client_credentials", "other" (any other or no
// grant_type), or "" for all of them.
// It is a test hook, e.g. to assert that concurrent requests caused exactly
// one refresh.
func (s *Sandbox) TokenRequests(grantType string) int {
	o := s.oauth
	o.mu.Lock()
	defer o.mu.Unlock()
	if grantType != "" {
		return o.tokenCalls[grantType]
	}
	n := 0
	for _, c := range o.tokenCalls {
		n += c
	}
	return n
}

// Client authentication methods at /oauth/token (RFC 8414 names), for TokenClientAuth.
const (
	// ClientSecretPost is client_id and client_secret sent as form fields, as
	// SailPoint's SDKs and CLI send them.
	ClientSecretPost = "client_secret_post"
	// ClientSecretBasic is HTTP Basic authentication of the client.
	ClientSecretBasic = "client_secret_basic"
)

// TokenClientAuth reports how many requests to /oauth/token authenticated the
// client with method (ClientSecretPost or ClientSecretBasic), whether or not
// the credentials were right. The sandbox accepts both; tests use it to see
// which one a client sends.
func (s *Sandbox) TokenClientAuth(method string) int {
	o := s.oauth
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.tokenAuth[method]
}

// RevokeUser revokes every grant of username: its access tokens get 401,
// its refresh tokens invalid_grant, and its unredeemed codes are discarded.
// It is a test hook standing in for an ISC admin disabling the user.
func (s *Sandbox) RevokeUser(username string) {
	o := s.oauth
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, a := range o.access {
		if a.grant.username == username {
			a.grant.revoked = true
		}
	}
	for _, r := range o.refresh {
		if r.grant.username == username {
			r.grant.revoked = true
		}
	}
	for k, c := range o.codes {
		if c.username == username && !c.used {
			delete(o.codes, k)
		}
	}
}

// ExpireAccessTokens makes every access token issued so far expired: the next
// API call with one gets 401 "JWT validation failed: JWT is expired" although
// its exp claim has not passed. Refresh tokens and later tokens are unaffected.
// It is a test hook for the console's refresh path.
func (s *Sandbox) ExpireAccessTokens() {
	o := s.oauth
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, a := range o.access {
		a.expired = true
	}
}

// SetTokenFailure makes every later /oauth/token request fail until it is
// called again with "": TokenFailureHangUp drops the connection (a network
// error for the client); any other value is answered as that OAuth error code
// (401 for invalid_client, 500 for server_error, 503 for
// temporarily_unavailable, 400 otherwise). Failed requests are still counted
// by TokenRequests. It is a test hook.
func (s *Sandbox) SetTokenFailure(oauthError string) {
	o := s.oauth
	o.mu.Lock()
	defer o.mu.Unlock()
	o.tokenFailure = oauthError
}

// SetTokenDelay makes every later /oauth/token request wait d (real time, not
// the sandbox clock) before it is handled; 0 turns it off. It is a test hook
// that widens the window in which concurrent refreshes race.
func (s *Sandbox) SetTokenDelay(d time.Duration) {
	o := s.oauth
	o.mu.Lock()
	defer o.mu.Unlock()
	o.tokenDelay = d
}
