package sandbox

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"time"
)

// oauthError is an RFC 6749 §5.2 error response.
type oauthError struct {
	status int
	code   string
	desc   string
}

func (e *oauthError) Error() string { return e.code + ": " + e.desc }

func oauthInvalidRequest(desc string) *oauthError {
	return &oauthError{http.StatusBadRequest, "invalid_request", desc}
}

func oauthInvalidGrant(desc string) *oauthError {
	return &oauthError{http.StatusBadRequest, "invalid_grant", desc}
}

// oauthTokenResponse is ISC's token response.
type oauthTokenResponse struct {
	AccessToken         string `json:"access_token"`
	TokenType           string `json:"token_type"`
	RefreshToken        string `json:"refresh_token,omitempty"`
	ExpiresIn           int64  `json:"expires_in"`
	Scope               string `json:"scope"`
	TenantID            string `json:"tenant_id"`
	Pod                 string `json:"pod"`
	Org                 string `json:"org"`
	IdentityID          string `json:"identity_id"`
	UserID              string `json:"user_id"`
	Internal            bool   `json:"internal"`
	StrongAuth          bool   `json:"strong_auth"`
	StrongAuthSupported bool   `json:"strong_auth_supported"`
	JTI                 string `json:"jti"`
}

// oauthToken handles "POST /oauth/token": the authorization_code,
// refresh_token and client_credentials grants. Parameters are read from the
// form body only (ISC also takes the query string, but a client that puts
// secrets there is a bug we want our tests to catch).
func (s *Sandbox) oauthToken(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		oauthWriteError(w, oauthInvalidRequest("the request body is not a valid form"), false)
		return
	}
	form := r.PostForm
	grantType := form.Get("grant_type")
	if r.URL.Query().Has("client_secret") {
		// Same reason as at /oauth/authorize: query strings end up in logs.
		oauthWriteError(w, oauthInvalidRequest("client_secret must not be sent in the query string"), false)
		return
	}

	o := s.oauth
	o.mu.Lock()
	o.tokenCalls[oauthCountedGrant(grantType)]++
	failure, delay := o.tokenFailure, o.tokenDelay
	o.mu.Unlock()
	if delay > 0 {
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return // the client gave up; it reads no answer
		}
	}
	switch failure {
	case "":
	case TokenFailureHangUp:
		// The server closes the connection without a response.
		panic(http.ErrAbortHandler)
	default:
		oauthWriteError(w, &oauthError{oauthFailureStatus(failure), failure, "injected failure"}, false)
		return
	}

	client, basic, oerr := s.oauthClient(r)
	if oerr != nil {
		oauthWriteError(w, oerr, basic)
		return
	}
	var resp *oauthTokenResponse
	switch grantType {
	case "authorization_code":
		resp, oerr = s.oauthRedeemCode(client, form)
	case "refresh_token":
		resp, oerr = s.oauthRefresh(client, form)
	case "client_credentials":
		resp, oerr = s.oauthClientCredentials(client)
	case "":
		oerr = oauthInvalidRequest("grant_type is required")
	default:
		oerr = &oauthError{http.StatusBadRequest, "unsupported_grant_type", "grant_type " + grantType + " is not supported"}
	}
	if oerr != nil {
		s.log.Info("oauth token refused", "grant_type", grantType, "client_id", client.ID, "error", oerr.code, "reason", oerr.desc)
		oauthWriteError(w, oerr, basic)
		return
	}
	s.log.Info("oauth token issued", "grant_type", grantType, "client_id", client.ID, "jti", resp.JTI)
	oauthNoStore(w)
	oauthWriteJSON(w, http.StatusOK, resp)
}

// oauthClient authenticates the client by HTTP Basic (RFC 6749 §2.3.1, with
// form-urlencoded id and secret) or by client_id/client_secret form fields,
// never both. basic reports whether the Basic header was used.
func (s *Sandbox) oauthClient(r *http.Request) (c Client, basic bool, oerr *oauthError) {
	form := r.PostForm
	id, secret, basic := r.BasicAuth()
	if basic {
		var err1, err2 error
		id, err1 = url.QueryUnescape(id)
		secret, err2 = url.QueryUnescape(secret)
		if err1 != nil || err2 != nil {
			return c, basic, oauthInvalidRequest("malformed Basic credentials")
		}
		if form.Has("client_secret") {
			return c, basic, oauthInvalidRequest("use one client authentication method, not both")
		}
		if fid := form.Get("client_id"); fid != "" && fid != id {
			return c, basic, oauthInvalidRequest("client_id does not match the authenticated client")
		}
	} else {
		id, secret = form.Get("client_id"), form.Get("client_secret")
	}
	failed := &oauthError{http.StatusUnauthorized, "invalid_client", "client authentication failed"}
	if id == "" {
		return c, basic, failed
	}
	method := ClientSecretPost
	if basic {
		method = ClientSecretBasic
	}
	s.oauth.mu.Lock()
	s.oauth.tokenAuth[method]++
	s.oauth.mu.Unlock()
	c, ok := s.oauth.clients[id]
	// A client without a secret cannot authenticate: the sandbox has no public clients.
	if !ok || c.Secret == "" || subtle.ConstantTimeCompare([]byte(secret), []byte(c.Secret)) != 1 {
		return Client{ID: id}, basic, failed
	}
	return c, basic, nil
}

// oauthRedeemCode is the authorization_code grant (RFC 6749 §4.1.3, RFC 7636 §4.6).
func (s *Sandbox) oauthRedeemCode(client Client, form url.Values) (*oauthTokenResponse, *oauthError) {
	o := s.oauth
	o.mu.Lock()
	defer o.mu.Unlock()
	ac := o.codes[form.Get("code")]
	if ac == nil || ac.clientID != client.ID {
		return nil, oauthInvalidGrant("the authorization code is invalid")
	}
	if ac.used {
		// RFC 6749 §4.1.2: a replayed code revokes what it issued.
		if ac.grant != nil {
			ac.grant.revoked = true
		}
		return nil, oauthInvalidGrant("the authorization code has already been used")
	}
	// Any redemption attempt by its client burns the code, so a wrong
	// verifier cannot be retried.
	ac.used = true
	if !s.now().Before(ac.expires) {
		return nil, oauthInvalidGrant("the authorization code has expired")
	}
	if form.Get("redirect_uri") != ac.redirectURI {
		return nil, oauthInvalidGrant("redirect_uri does not match the authorization request")
	}
	verifier := form.Get("code_verifier")
	if !oauthValidPKCE(verifier) {
		return nil, oauthInvalidGrant("code_verifier must be 43 to 128 characters of [A-Za-z0-9-._~]")
	}
	sum := sha256.Sum256([]byte(verifier))
	if subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(ac.challenge)) != 1 {
		return nil, oauthInvalidGrant("code_verifier does not match the code challenge")
	}
	ac.grant = &oauthGrant{clientID: client.ID, username: ac.username}
	return s.oauthIssueLocked(ac.grant, true)
}

// oauthRefresh is the refresh_token grant with rotation and reuse detection
// (RFC 9700 §4.14.2): each refresh token works once; presenting a rotated one
// again revokes the whole grant, including the newest tokens.
func (s *Sandbox) oauthRefresh(client Client, form url.Values) (*oauthTokenResponse, *oauthError) {
	claims, err := s.oauthParse(form.Get("refresh_token"))
	if err != nil {
		return nil, oauthInvalidGrant("the refresh token is invalid or expired")
	}
	o := s.oauth
	o.mu.Lock()
	defer o.mu.Unlock()
	rec := o.refresh[claims.ID]
	switch {
	case rec == nil || rec.grant.clientID != client.ID:
		return nil, oauthInvalidGrant("the refresh token is invalid")
	case rec.grant.revoked:
		return nil, oauthInvalidGrant("the refresh token has been revoked")
	case rec.used:
		rec.grant.revoked = true
		return nil, oauthInvalidGrant("the refresh token was already used; its grant is revoked")
	}
	rec.used = true
	return s.oauthIssueLocked(rec.grant, true)
}

// oauthClientCredentials issues a personal access token's access token: it
// speaks for the PAT's owner and has no refresh token (RFC 6749 §4.4.3).
func (s *Sandbox) oauthClientCredentials(client Client) (*oauthTokenResponse, *oauthError) {
	if client.PATOwner == "" {
		return nil, &oauthError{http.StatusBadRequest, "unauthorized_client", "the client is not a personal access token"}
	}
	o := s.oauth
	o.mu.Lock()
	defer o.mu.Unlock()
	if _, ok := o.users[client.PATOwner]; !ok {
		return nil, oauthInvalidGrant("the personal access token's owner does not exist")
	}
	return s.oauthIssueLocked(&oauthGrant{clientID: client.ID, username: client.PATOwner}, false)
}

// oauthIssueLocked mints an access token, and a refresh token when
// withRefresh, for grant g. Caller holds o.mu.
func (s *Sandbox) oauthIssueLocked(g *oauthGrant, withRefresh bool) (*oauthTokenResponse, *oauthError) {
	o := s.oauth
	u, ok := o.users[g.username]
	if !ok {
		return nil, oauthInvalidGrant("the user no longer exists")
	}
	now := s.now()
	o.pruneLocked(now)
	serverError := &oauthError{http.StatusInternalServerError, "server_error", "could not sign the token"}
	at, jti, exp, err := s.oauthSign(g, u, now, s.cfg.AccessTokenTTL, "")
	if err != nil {
		return nil, serverError
	}
	resp := &oauthTokenResponse{
		AccessToken: at,
		TokenType:   "bearer",
		ExpiresIn:   int64(s.cfg.AccessTokenTTL.Seconds()),
		Scope:       oauthScope,
		TenantID:    s.localID(oauthTenantID),
		Pod:         oauthPod,
		Org:         s.cfg.TenantName,
		IdentityID:  u.IdentityID,
		UserID:      u.Username,
		JTI:         jti,
	}
	if withRefresh {
		rt, rjti, rexp, err := s.oauthSign(g, u, now, s.cfg.RefreshTokenTTL, jti)
		if err != nil {
			return nil, serverError
		}
		o.refresh[rjti] = &oauthRefresh{grant: g, exp: rexp}
		resp.RefreshToken = rt
	}
	o.access[jti] = &oauthAccess{grant: g, exp: exp}
	return resp, nil
}

// oauthValidPKCE reports whether v is a syntactically valid PKCE verifier or
// challenge: 43 to 128 unreserved characters (RFC 7636 §4.1, §4.2).
func oauthValidPKCE(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for _, c := range []byte(v) {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '-', c == '.', c == '_', c == '~':
		default:
			return false
		}
	}
	return true
}

// oauthCountedGrant is the TokenRequests key for grantType: the grants the
// sandbox knows by name, anything else as "other" (so a client cannot grow
// the map without bound).
func oauthCountedGrant(grantType string) string {
	switch grantType {
	case "authorization_code", "refresh_token", "client_credentials":
		return grantType
	}
	return "other"
}

// oauthFailureStatus is the status an injected OAuth error is answered with.
func oauthFailureStatus(code string) int {
	switch code {
	case "invalid_client":
		return http.StatusUnauthorized
	case "server_error":
		return http.StatusInternalServerError
	case "temporarily_unavailable":
		return http.StatusServiceUnavailable
	}
	return http.StatusBadRequest
}

// oauthWriteError writes e as RFC 6749 JSON; basic adds the challenge RFC
// 6749 §5.2 requires when a Basic-authenticated client fails.
func oauthWriteError(w http.ResponseWriter, e *oauthError, basic bool) {
	if e.status == http.StatusUnauthorized && basic {
		w.Header().Set("WWW-Authenticate", `Basic realm="`+TenantName+`"`)
	}
	oauthNoStore(w)
	oauthWriteJSON(w, e.status, map[string]string{"error": e.code, "error_description": e.desc})
}

func oauthNoStore(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
}

func oauthWriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the client may be gone; nothing to do
}
