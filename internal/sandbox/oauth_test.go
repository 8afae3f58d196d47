package sandbox_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"sourcedesk/internal/sandbox"
)

const (
	oauthTestClient   = "console"
	oauthTestSecret   = "console-secret"
	oauthTestCallback = "http://127.0.0.1:8080/auth/callback"
	oauthTestOtherCB  = "http://127.0.0.1:8080/other/callback"
	oauthTestTTL      = 749 * time.Second
)

// oauthClock is a settable clock for Config.Now.
type oauthClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *oauthClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *oauthClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// oauthEnv is a sandbox over real HTTP plus an x/oauth2 client for it.
type oauthEnv struct {
	sb      *sandbox.Sandbox
	srv     *httptest.Server
	clock   *oauthClock
	conf    *oauth2.Config
	ctx     context.Context // carries the server's client for x/oauth2
	browser *http.Client    // does not follow redirects
}

func newOAuthEnv(t *testing.T, mutate func(*sandbox.Config)) *oauthEnv {
	t.Helper()
	clock := &oauthClock{t: time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)}
	cfg := sandbox.Config{
		Now: clock.Now,
		Clients: []sandbox.Client{
			{ID: oauthTestClient, Secret: oauthTestSecret, RedirectURIs: []string{oauthTestCallback, oauthTestOtherCB}},
			{ID: "other", Secret: "other-secret", RedirectURIs: []string{oauthTestCallback}},
		},
	}
	if mutate != nil {
		mutate(&cfg)
	}
	sb := sandbox.New(cfg)
	srv := httptest.NewServer(sb.Handler())
	t.Cleanup(srv.Close)
	browser := srv.Client()
	browser.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &oauthEnv{
		sb:    sb,
		srv:   srv,
		clock: clock,
		conf: &oauth2.Config{
			ClientID:     oauthTestClient,
			ClientSecret: oauthTestSecret,
			Endpoint: oauth2.Endpoint{
				AuthURL:   srv.URL + "/oauth/authorize",
				TokenURL:  srv.URL + "/oauth/token",
				AuthStyle: oauth2.AuthStyleInHeader,
			},
			RedirectURL: oauthTestCallback,
		},
		ctx:     context.WithValue(t.Context(), oauth2.HTTPClient, srv.Client()),
		browser: browser,
	}
}

// loginPage GETs authURL and returns the response and its parsed document.
func (e *oauthEnv) loginPage(t *testing.T, authURL string) (*http.Response, *goquery.Document) {
	t.Helper()
	resp, err := e.browser.Get(authURL)
	require.NoError(t, err)
	defer resp.Body.Close()
	doc, err := goquery.NewDocumentFromReader(resp.Body)
	require.NoError(t, err)
	return resp, doc
}

// submit posts the login form of doc the way a browser would: its hidden
// fields plus username, password and the pressed button's action.
func (e *oauthEnv) submit(t *testing.T, doc *goquery.Document, username, password, action string) (*http.Response, *goquery.Document) {
	t.Helper()
	form := url.Values{}
	doc.Find(`form[data-testid="login-form"] input[type="hidden"]`).Each(func(_ int, s *goquery.Selection) {
		form.Add(s.AttrOr("name", ""), s.AttrOr("value", ""))
	})
	require.NotEmpty(t, form, "login form has hidden fields")
	form.Set("username", username)
	form.Set("password", password)
	form.Set("action", action)
	action, ok := doc.Find(`form[data-testid="login-form"]`).Attr("action")
	require.True(t, ok, "the login form says where it posts")
	resp, err := e.browser.PostForm(e.srv.URL+action, form)
	require.NoError(t, err)
	defer resp.Body.Close()
	out, err := goquery.NewDocumentFromReader(resp.Body)
	require.NoError(t, err)
	return resp, out
}

// authorize signs username in with a fresh state and verifier and returns
// the code and verifier from the redirect.
func (e *oauthEnv) authorize(t *testing.T, username string) (code, verifier string) {
	t.Helper()
	verifier = oauth2.GenerateVerifier()
	return e.authorizeWith(t, username, verifier), verifier
}

func (e *oauthEnv) authorizeWith(t *testing.T, username, verifier string) string {
	t.Helper()
	state := "st-" + username
	resp, doc := e.loginPage(t, e.conf.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier)))
	require.Equal(t, http.StatusOK, resp.StatusCode)
	resp, _ = e.submit(t, doc, username, username, "login")
	require.Equal(t, http.StatusFound, resp.StatusCode)
	loc := oauthLocation(t, resp, oauthTestCallback)
	require.Equal(t, state, loc.Get("state"))
	require.NotEmpty(t, loc.Get("code"))
	return loc.Get("code")
}

// login runs the whole code flow for username.
func (e *oauthEnv) login(t *testing.T, username string) *oauth2.Token {
	t.Helper()
	code, verifier := e.authorize(t, username)
	tok, err := e.conf.Exchange(e.ctx, code, oauth2.VerifierOption(verifier))
	require.NoError(t, err)
	return tok
}

// oauthLocation checks the redirect goes to wantBase and returns its query.
func oauthLocation(t *testing.T, resp *http.Response, wantBase string) url.Values {
	t.Helper()
	u, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	assert.Equal(t, wantBase, u.Scheme+"://"+u.Host+u.Path)
	return u.Query()
}

// userinfo calls GET /oauth/userinfo, which answers through authenticate.
func (e *oauthEnv) userinfo(t *testing.T, accessToken string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.srv.URL+"/oauth/userinfo", nil)
	require.NoError(t, err)
	if accessToken != "" {
		req.Header.Set("Authorization", "Bearer "+accessToken)
	}
	resp, err := e.srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var body map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	return resp.StatusCode, body
}

// postToken sends a raw token request; basic, when non-nil, is {id, secret}.
func (e *oauthEnv) postToken(t *testing.T, form url.Values, basic []string) (*http.Response, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/oauth/token", strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basic != nil {
		req.SetBasicAuth(basic[0], basic[1])
	}
	resp, err := e.srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var body map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	return resp, body
}

func (e *oauthEnv) refresh(t *testing.T, refreshToken string) (*http.Response, map[string]any) {
	t.Helper()
	return e.postToken(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}},
		[]string{oauthTestClient, oauthTestSecret})
}

// oauthErrorCode is the OAuth error code of an x/oauth2 failure, or "".
func oauthErrorCode(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return re.ErrorCode
	}
	return ""
}

func oauthUser(t *testing.T, username string) sandbox.User {
	t.Helper()
	for _, u := range sandbox.DemoUsers() {
		if u.Username == username {
			return u
		}
	}
	t.Fatalf("no demo user %q", username)
	return sandbox.User{}
}

func TestOAuthCodeFlow(t *testing.T) {
	for _, style := range []struct {
		name  string
		style oauth2.AuthStyle
	}{{"basic", oauth2.AuthStyleInHeader}, {"form", oauth2.AuthStyleInParams}} {
		for _, u := range sandbox.DemoUsers() {
			t.Run(style.name+"/"+u.Username, func(t *testing.T) {
				e := newOAuthEnv(t, nil)
				e.conf.Endpoint.AuthStyle = style.style
				tok := e.login(t, u.Username)

				assert.Equal(t, "bearer", tok.TokenType)
				assert.NotEmpty(t, tok.RefreshToken)
				for k, want := range map[string]any{
					"expires_in":  float64(749),
					"scope":       "sp:scopes:all",
					"identity_id": u.IdentityID,
					"org":         sandbox.TenantName,
					"internal":    false,
					"strong_auth": false,
				} {
					assert.Equal(t, want, tok.Extra(k), k)
				}
				for _, k := range []string{"tenant_id", "pod", "user_id", "jti"} {
					assert.NotEmpty(t, tok.Extra(k), k)
				}

				var claims jwt.MapClaims
				_, _, err := jwt.NewParser().ParseUnverified(tok.AccessToken, &claims)
				require.NoError(t, err)
				assert.Equal(t, oauthTestClient, claims["client_id"])
				assert.Equal(t, u.Username, claims["user_name"])
				assert.Equal(t, u.IdentityID, claims["identity_id"])
				assert.Equal(t, []any{u.UserLevel}, claims["authorities"])
				assert.Equal(t, tok.Extra("tenant_id"), claims["tenant_id"])
				assert.Equal(t, tok.Extra("jti"), claims["jti"])
				assert.Equal(t, float64(e.clock.Now().Unix()), claims["iat"])
				assert.Equal(t, float64(e.clock.Now().Add(oauthTestTTL).Unix()), claims["exp"])

				status, info := e.userinfo(t, tok.AccessToken)
				require.Equal(t, http.StatusOK, status, info)
				assert.Equal(t, u.Username, info["uid"])
				assert.Equal(t, u.IdentityID, info["id"])
				assert.Equal(t, []any{u.UserLevel}, info["capabilities"])

				assert.Equal(t, 1, e.sb.TokenRequests("authorization_code"))
				assert.Equal(t, 1, e.sb.TokenRequests(""))
			})
		}
	}
}

func TestOAuthAuthorizeRejectsUntrustedRedirect(t *testing.T) {
	e := newOAuthEnv(t, nil)
	challenge := oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier())
	base := func() url.Values {
		return url.Values{
			"client_id": {oauthTestClient}, "redirect_uri": {oauthTestCallback}, "response_type": {"code"},
			"state": {"s1"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"},
		}
	}
	tests := []struct {
		name   string
		mutate func(url.Values)
	}{
		{"unknown client", func(v url.Values) { v.Set("client_id", "nope") }},
		{"foreign host", func(v url.Values) { v.Set("redirect_uri", "https://evil.example/auth/callback") }},
		{"trailing slash", func(v url.Values) { v.Set("redirect_uri", oauthTestCallback+"/") }},
		{"extra query", func(v url.Values) { v.Set("redirect_uri", oauthTestCallback+"?next=x") }},
		{"case changed", func(v url.Values) { v.Set("redirect_uri", "http://127.0.0.1:8080/Auth/callback") }},
		{"registered for another client only", func(v url.Values) { v.Set("client_id", "demo-pat") }},
		{"missing", func(v url.Values) { v.Del("redirect_uri") }},
		{"repeated", func(v url.Values) { v.Add("redirect_uri", oauthTestCallback) }},
		{"client_secret in the URL", func(v url.Values) { v.Set("client_secret", oauthTestSecret) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := base()
			tt.mutate(v)
			resp, doc := e.loginPage(t, e.srv.URL+"/oauth/authorize?"+v.Encode())
			assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
			assert.Empty(t, resp.Header.Get("Location"), "never redirects")
			assert.Equal(t, 0, doc.Find("form").Length(), "no login form")
			assert.NotEmpty(t, strings.TrimSpace(doc.Find(`[data-testid="message"]`).Text()))
		})
	}
	t.Run("control: the unmodified request shows the login form", func(t *testing.T) {
		resp, doc := e.loginPage(t, e.srv.URL+"/oauth/authorize?"+base().Encode())
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, 1, doc.Find(`form[data-testid="login-form"]`).Length())
	})
}

func TestOAuthAuthorizeErrorsGoToTheClient(t *testing.T) {
	e := newOAuthEnv(t, nil)
	verifier := oauth2.GenerateVerifier()
	tests := []struct {
		name      string
		mutate    func(url.Values)
		wantError string
	}{
		{"implicit grant", func(v url.Values) { v.Set("response_type", "token") }, "unsupported_response_type"},
		{"plain PKCE", func(v url.Values) { v.Set("code_challenge_method", "plain"); v.Set("code_challenge", verifier) }, "invalid_request"},
		{"no PKCE method", func(v url.Values) { v.Del("code_challenge_method") }, "invalid_request"},
		{"no PKCE challenge", func(v url.Values) { v.Del("code_challenge") }, "invalid_request"},
		{"short challenge", func(v url.Values) { v.Set("code_challenge", "abc") }, "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := url.Parse(e.conf.AuthCodeURL("s-"+tt.name, oauth2.S256ChallengeOption(verifier)))
			require.NoError(t, err)
			v := u.Query()
			tt.mutate(v)
			u.RawQuery = v.Encode()
			resp, _ := e.loginPage(t, u.String())
			require.Equal(t, http.StatusFound, resp.StatusCode)
			q := oauthLocation(t, resp, oauthTestCallback)
			assert.Equal(t, tt.wantError, q.Get("error"))
			assert.Equal(t, "s-"+tt.name, q.Get("state"))
			assert.Empty(t, q.Get("code"))
		})
	}
}

func TestOAuthLoginPage(t *testing.T) {
	e := newOAuthEnv(t, nil)
	const hostileState = `"><script>alert(1)</script>`
	const hostileUser = `<img src=x onerror=alert(1)>`
	authURL := e.conf.AuthCodeURL(hostileState, oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))

	resp, doc := e.loginPage(t, authURL)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	html, _ := doc.Html()
	assert.NotContains(t, html, "<script>alert(1)")
	assert.Equal(t, hostileState, doc.Find(`input[name="state"]`).AttrOr("value", ""))
	assert.Equal(t, 1, doc.Find(`input[name="username"]`).Length())
	assert.Equal(t, "password", doc.Find(`input[name="password"]`).AttrOr("type", ""))
	assert.Equal(t, 1, doc.Find(`button[type="submit"][value="login"]`).Length())
	assert.Equal(t, 1, doc.Find(`button[type="submit"][value="cancel"]`).Length())
	for _, u := range sandbox.DemoUsers() {
		assert.Contains(t, doc.Find(`[data-testid="demo-users"]`).Text(), u.Username)
	}
	assert.Equal(t, 0, doc.Find(`script, link, img, [style]`).Length(), "no scripts, external assets or inline style attributes")
	nonce := doc.Find("style").AttrOr("nonce", "")
	require.NotEmpty(t, nonce)
	assert.Contains(t, resp.Header.Get("Content-Security-Policy"), "style-src 'nonce-"+nonce+"'")
	assert.Contains(t, resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'")
	assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"))

	t.Run("wrong password shows the form again, escaped", func(t *testing.T) {
		resp, out := e.submit(t, doc, hostileUser, "wrong", "login")
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		assert.Empty(t, resp.Header.Get("Location"))
		html, _ := out.Html()
		assert.NotContains(t, html, "<img src=x")
		assert.Equal(t, 0, out.Find("img, script").Length())
		assert.Equal(t, hostileUser, out.Find(`input[name="username"]`).AttrOr("value", ""))
		assert.Empty(t, out.Find(`input[name="password"]`).AttrOr("value", ""), "the password is never echoed")
		assert.NotEmpty(t, out.Find(`[data-testid="login-error"]`).Text())
		assert.Equal(t, hostileState, out.Find(`input[name="state"]`).AttrOr("value", ""))
	})
	t.Run("a known user with a wrong password is refused", func(t *testing.T) {
		resp, _ := e.submit(t, doc, "admin", "helpdesk", "login")
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	})
	t.Run("success passes the hostile state back unchanged", func(t *testing.T) {
		resp, _ := e.submit(t, doc, "admin", "admin", "login")
		require.Equal(t, http.StatusFound, resp.StatusCode)
		q := oauthLocation(t, resp, oauthTestCallback)
		assert.Equal(t, hostileState, q.Get("state"))
		assert.NotEmpty(t, q.Get("code"))
	})
	t.Run("cancel redirects with access_denied", func(t *testing.T) {
		resp, _ := e.submit(t, doc, "", "", "cancel")
		require.Equal(t, http.StatusFound, resp.StatusCode)
		q := oauthLocation(t, resp, oauthTestCallback)
		assert.Equal(t, "access_denied", q.Get("error"))
		assert.Equal(t, hostileState, q.Get("state"))
		assert.Empty(t, q.Get("code"))
	})
	t.Run("tampered hidden redirect_uri is refused", func(t *testing.T) {
		form := url.Values{}
		doc.Find(`input[type="hidden"]`).Each(func(_ int, s *goquery.Selection) {
			form.Set(s.AttrOr("name", ""), s.AttrOr("value", ""))
		})
		form.Set("redirect_uri", "https://evil.example/cb")
		form.Set("username", "admin")
		form.Set("password", "admin")
		action, ok := doc.Find(`form[data-testid="login-form"]`).Attr("action")
		require.True(t, ok, "the login form says where it posts")
		resp, err := e.browser.PostForm(e.srv.URL+action, form)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
		assert.Empty(t, resp.Header.Get("Location"))
	})
}

func TestOAuthCodeExchangeFailures(t *testing.T) {
	tests := []struct {
		name string
		// run redeems a fresh code for admin and returns the error.
		run      func(t *testing.T, e *oauthEnv) error
		wantCode string
	}{
		{"wrong verifier", func(t *testing.T, e *oauthEnv) error {
			code, _ := e.authorize(t, "admin")
			_, err := e.conf.Exchange(e.ctx, code, oauth2.VerifierOption(oauth2.GenerateVerifier()))
			return err
		}, "invalid_grant"},
		{"no verifier", func(t *testing.T, e *oauthEnv) error {
			code, _ := e.authorize(t, "admin")
			_, err := e.conf.Exchange(e.ctx, code)
			return err
		}, "invalid_grant"},
		{"verifier of 42 characters", func(t *testing.T, e *oauthEnv) error {
			v := strings.Repeat("a", 42)
			code := e.authorizeWith(t, "admin", v)
			_, err := e.conf.Exchange(e.ctx, code, oauth2.VerifierOption(v))
			return err
		}, "invalid_grant"},
		{"verifier of 129 characters", func(t *testing.T, e *oauthEnv) error {
			v := strings.Repeat("a", 129)
			code := e.authorizeWith(t, "admin", v)
			_, err := e.conf.Exchange(e.ctx, code, oauth2.VerifierOption(v))
			return err
		}, "invalid_grant"},
		{"other registered redirect_uri", func(t *testing.T, e *oauthEnv) error {
			code, v := e.authorize(t, "admin")
			conf := *e.conf
			conf.RedirectURL = oauthTestOtherCB
			_, err := conf.Exchange(e.ctx, code, oauth2.VerifierOption(v))
			return err
		}, "invalid_grant"},
		{"another client", func(t *testing.T, e *oauthEnv) error {
			code, v := e.authorize(t, "admin")
			conf := *e.conf
			conf.ClientID, conf.ClientSecret = "other", "other-secret"
			_, err := conf.Exchange(e.ctx, code, oauth2.VerifierOption(v))
			return err
		}, "invalid_grant"},
		{"expired after 60 s", func(t *testing.T, e *oauthEnv) error {
			code, v := e.authorize(t, "admin")
			e.clock.Advance(60 * time.Second)
			_, err := e.conf.Exchange(e.ctx, code, oauth2.VerifierOption(v))
			return err
		}, "invalid_grant"},
		{"made-up code", func(t *testing.T, e *oauthEnv) error {
			_, err := e.conf.Exchange(e.ctx, "made-up", oauth2.VerifierOption(oauth2.GenerateVerifier()))
			return err
		}, "invalid_grant"},
		{"bad client secret", func(t *testing.T, e *oauthEnv) error {
			code, v := e.authorize(t, "admin")
			conf := *e.conf
			conf.ClientSecret = "wrong"
			_, err := conf.Exchange(e.ctx, code, oauth2.VerifierOption(v))
			return err
		}, "invalid_client"},
		{"control: a correct exchange 59 s later succeeds", func(t *testing.T, e *oauthEnv) error {
			code, v := e.authorize(t, "admin")
			e.clock.Advance(59 * time.Second)
			_, err := e.conf.Exchange(e.ctx, code, oauth2.VerifierOption(v))
			return err
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newOAuthEnv(t, nil)
			err := tt.run(t, e)
			if tt.wantCode == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, tt.wantCode, oauthErrorCode(err), err.Error())
		})
	}

	t.Run("a failed PKCE check burns the code", func(t *testing.T) {
		e := newOAuthEnv(t, nil)
		code, v := e.authorize(t, "admin")
		_, err := e.conf.Exchange(e.ctx, code, oauth2.VerifierOption(oauth2.GenerateVerifier()))
		require.Equal(t, "invalid_grant", oauthErrorCode(err))
		_, err = e.conf.Exchange(e.ctx, code, oauth2.VerifierOption(v))
		assert.Equal(t, "invalid_grant", oauthErrorCode(err))
	})
	t.Run("a failed client authentication does not burn the code", func(t *testing.T) {
		e := newOAuthEnv(t, nil)
		code, v := e.authorize(t, "admin")
		conf := *e.conf
		conf.ClientSecret = "wrong"
		_, err := conf.Exchange(e.ctx, code, oauth2.VerifierOption(v))
		require.Equal(t, "invalid_client", oauthErrorCode(err))
		_, err = e.conf.Exchange(e.ctx, code, oauth2.VerifierOption(v))
		assert.NoError(t, err)
	})
}

func TestOAuthCodeReuseRevokesItsTokens(t *testing.T) {
	e := newOAuthEnv(t, nil)
	code, v := e.authorize(t, "admin")
	tok, err := e.conf.Exchange(e.ctx, code, oauth2.VerifierOption(v))
	require.NoError(t, err)
	other := e.login(t, "helpdesk")
	status, _ := e.userinfo(t, tok.AccessToken)
	require.Equal(t, http.StatusOK, status)

	_, err = e.conf.Exchange(e.ctx, code, oauth2.VerifierOption(v))
	assert.Equal(t, "invalid_grant", oauthErrorCode(err))

	status, body := e.userinfo(t, tok.AccessToken)
	assert.Equal(t, http.StatusUnauthorized, status, "the access token issued from the code is revoked")
	assert.Contains(t, body["error"], "JWT validation failed")
	resp, body := e.refresh(t, tok.RefreshToken)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Equal(t, "invalid_grant", body["error"], "so is the refresh token")
	status, _ = e.userinfo(t, other.AccessToken)
	assert.Equal(t, http.StatusOK, status, "other grants are untouched")
}

func TestOAuthRefreshRotation(t *testing.T) {
	e := newOAuthEnv(t, nil)
	tok1 := e.login(t, "source-admin")
	bystander := e.login(t, "source-admin")

	// x/oauth2's TokenSource refreshes an expired token with our endpoint.
	stale := *tok1
	stale.Expiry = time.Now().Add(-time.Minute)
	tok2, err := e.conf.TokenSource(e.ctx, &stale).Token()
	require.NoError(t, err)
	assert.NotEqual(t, tok1.AccessToken, tok2.AccessToken)
	require.NotEmpty(t, tok2.RefreshToken)
	assert.NotEqual(t, tok1.RefreshToken, tok2.RefreshToken, "refresh rotates the refresh token")
	assert.Equal(t, oauthUser(t, "source-admin").IdentityID, tok2.Extra("identity_id"))
	assert.Equal(t, 1, e.sb.TokenRequests("refresh_token"))
	status, _ := e.userinfo(t, tok2.AccessToken)
	assert.Equal(t, http.StatusOK, status)

	resp, tok3 := e.refresh(t, tok2.RefreshToken)
	require.Equal(t, http.StatusOK, resp.StatusCode, tok3)
	assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
	status, _ = e.userinfo(t, tok3["access_token"].(string))
	require.Equal(t, http.StatusOK, status)

	// Replaying the rotated tok1 refresh token revokes the whole family.
	resp, body := e.refresh(t, tok1.RefreshToken)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Equal(t, "invalid_grant", body["error"])
	resp, body = e.refresh(t, tok3["refresh_token"].(string))
	assert.Equal(t, "invalid_grant", body["error"], "the newest refresh token is revoked too")
	status, _ = e.userinfo(t, tok3["access_token"].(string))
	assert.Equal(t, http.StatusUnauthorized, status, "and the newest access token")

	// Another login of the same user is another family.
	status, _ = e.userinfo(t, bystander.AccessToken)
	assert.Equal(t, http.StatusOK, status)
	resp, _ = e.refresh(t, bystander.RefreshToken)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

func TestOAuthRefreshRejects(t *testing.T) {
	tests := []struct {
		name string
		form func(tok *oauth2.Token) url.Values
		auth []string
	}{
		{"access token as refresh token", func(tok *oauth2.Token) url.Values {
			return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.AccessToken}}
		}, []string{oauthTestClient, oauthTestSecret}},
		{"another client's refresh token", func(tok *oauth2.Token) url.Values {
			return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}
		}, []string{"other", "other-secret"}},
		{"tampered refresh token", func(tok *oauth2.Token) url.Values {
			return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken[:len(tok.RefreshToken)-2] + "xx"}}
		}, []string{oauthTestClient, oauthTestSecret}},
		{"missing refresh token", func(*oauth2.Token) url.Values {
			return url.Values{"grant_type": {"refresh_token"}}
		}, []string{oauthTestClient, oauthTestSecret}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newOAuthEnv(t, nil)
			tok := e.login(t, "admin")
			resp, body := e.postToken(t, tt.form(tok), tt.auth)
			assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
			assert.Equal(t, "invalid_grant", body["error"])
			assert.NotEmpty(t, body["error_description"])
		})
	}
	t.Run("expired refresh token", func(t *testing.T) {
		e := newOAuthEnv(t, func(c *sandbox.Config) { c.RefreshTokenTTL = time.Hour })
		tok := e.login(t, "admin")
		e.clock.Advance(time.Hour)
		resp, body := e.refresh(t, tok.RefreshToken)
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
		assert.Equal(t, "invalid_grant", body["error"])
	})
	t.Run("control: a refresh token just before expiry works", func(t *testing.T) {
		e := newOAuthEnv(t, func(c *sandbox.Config) { c.RefreshTokenTTL = time.Hour })
		tok := e.login(t, "admin")
		e.clock.Advance(time.Hour - time.Second)
		resp, _ := e.refresh(t, tok.RefreshToken)
		assert.Equal(t, http.StatusOK, resp.StatusCode)
	})
}

func TestOAuthConcurrentRefreshIsReuse(t *testing.T) {
	e := newOAuthEnv(t, nil)
	tok := e.login(t, "admin")
	const n = 8
	results := make(chan map[string]any, n)
	var wg sync.WaitGroup
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}
	for range n {
		// No require here: FailNow must not run off the test goroutine.
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/oauth/token", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth(oauthTestClient, oauthTestSecret)
			var body map[string]any
			if resp, err := e.srv.Client().Do(req); assert.NoError(t, err) {
				defer resp.Body.Close()
				assert.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
			}
			if body == nil {
				body = map[string]any{"error": "no response"}
			}
			results <- body
		})
	}
	wg.Wait()
	close(results)
	var winners []map[string]any
	for body := range results {
		if body["error"] == nil {
			winners = append(winners, body)
		} else {
			assert.Equal(t, "invalid_grant", body["error"])
		}
	}
	require.Len(t, winners, 1, "a refresh token is redeemed exactly once")
	_, body := e.refresh(t, winners[0]["refresh_token"].(string))
	assert.Equal(t, "invalid_grant", body["error"], "the losers' replays revoked the winner's family")
	assert.Equal(t, n+1, e.sb.TokenRequests("refresh_token"))
}

func TestOAuthClientCredentials(t *testing.T) {
	for _, style := range []oauth2.AuthStyle{oauth2.AuthStyleInHeader, oauth2.AuthStyleInParams} {
		t.Run(map[oauth2.AuthStyle]string{oauth2.AuthStyleInHeader: "basic", oauth2.AuthStyleInParams: "form"}[style], func(t *testing.T) {
			e := newOAuthEnv(t, func(c *sandbox.Config) {
				c.Clients = append(c.Clients, sandbox.Client{ID: "hal-pat", Secret: "hal-secret", PATOwner: "helpdesk"})
			})
			for _, pat := range []struct{ id, secret, owner string }{
				{sandbox.DemoPATClientID, sandbox.DemoPATClientSecret, "admin"},
				{"hal-pat", "hal-secret", "helpdesk"},
			} {
				cc := clientcredentials.Config{ClientID: pat.id, ClientSecret: pat.secret, TokenURL: e.srv.URL + "/oauth/token", AuthStyle: style}
				tok, err := cc.Token(e.ctx)
				require.NoError(t, err)
				assert.Empty(t, tok.RefreshToken, "no refresh token for client_credentials")
				owner := oauthUser(t, pat.owner)
				assert.Equal(t, owner.IdentityID, tok.Extra("identity_id"))
				status, info := e.userinfo(t, tok.AccessToken)
				require.Equal(t, http.StatusOK, status)
				assert.Equal(t, pat.owner, info["uid"])
				assert.Equal(t, []any{owner.UserLevel}, info["capabilities"])
			}
			assert.Equal(t, 2, e.sb.TokenRequests("client_credentials"))
			assert.Equal(t, 0, e.sb.TokenRequests("refresh_token"))
		})
	}
	t.Run("a client that is not a PAT", func(t *testing.T) {
		e := newOAuthEnv(t, nil)
		cc := clientcredentials.Config{ClientID: oauthTestClient, ClientSecret: oauthTestSecret, TokenURL: e.srv.URL + "/oauth/token", AuthStyle: oauth2.AuthStyleInHeader}
		_, err := cc.Token(e.ctx)
		assert.Equal(t, "unauthorized_client", oauthErrorCode(err))
	})
}

func TestOAuthTokenEndpointRejects(t *testing.T) {
	cc := url.Values{"grant_type": {"client_credentials"}}
	withForm := func(v url.Values, kv ...string) url.Values {
		out := url.Values{}
		for k, vs := range v {
			out[k] = vs
		}
		for i := 0; i < len(kv); i += 2 {
			out.Set(kv[i], kv[i+1])
		}
		return out
	}
	tests := []struct {
		name       string
		form       url.Values
		basic      []string
		wantStatus int
		wantError  string
	}{
		{"bad secret, Basic", cc, []string{"demo-pat", "wrong"}, 401, "invalid_client"},
		{"bad secret, form", withForm(cc, "client_id", "demo-pat", "client_secret", "wrong"), nil, 401, "invalid_client"},
		{"empty secret, form", withForm(cc, "client_id", "demo-pat"), nil, 401, "invalid_client"},
		{"unknown client", cc, []string{"nobody", "demo-pat-secret"}, 401, "invalid_client"},
		{"no client authentication", cc, nil, 401, "invalid_client"},
		{"Basic and form secret together", withForm(cc, "client_secret", "demo-pat-secret"), []string{"demo-pat", "demo-pat-secret"}, 400, "invalid_request"},
		{"Basic and a different form client_id", withForm(cc, "client_id", "console"), []string{"demo-pat", "demo-pat-secret"}, 400, "invalid_request"},
		{"unsupported grant type", url.Values{"grant_type": {"password"}}, []string{"demo-pat", "demo-pat-secret"}, 400, "unsupported_grant_type"},
		{"missing grant type", url.Values{}, []string{"demo-pat", "demo-pat-secret"}, 400, "invalid_request"},
		{"control: good Basic credentials", cc, []string{"demo-pat", "demo-pat-secret"}, 200, ""},
		{"control: good form credentials", withForm(cc, "client_id", "demo-pat", "client_secret", "demo-pat-secret"), nil, 200, ""},
	}
	e := newOAuthEnv(t, nil)
	t.Cleanup(func() {
		assert.Equal(t, 2, e.sb.TokenRequests("other"), "password and missing grant types")
		assert.Equal(t, len(tests), e.sb.TokenRequests(""))
	})
	t.Run("client_secret in the query string", func(t *testing.T) {
		req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/oauth/token?client_id=demo-pat&client_secret=demo-pat-secret",
			strings.NewReader(cc.Encode()))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := e.srv.Client().Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := e.postToken(t, tt.form, tt.basic)
			assert.Equal(t, tt.wantStatus, resp.StatusCode)
			assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
			if tt.wantError == "" {
				assert.NotEmpty(t, body["access_token"])
				return
			}
			assert.Equal(t, tt.wantError, body["error"])
			assert.NotEmpty(t, body["error_description"])
			assert.Nil(t, body["access_token"])
			if tt.wantStatus == 401 && tt.basic != nil {
				assert.NotEmpty(t, resp.Header.Get("WWW-Authenticate"))
			}
		})
	}
}

func TestOAuthInfo(t *testing.T) {
	t.Run("under BaseURL", func(t *testing.T) {
		e := newOAuthEnv(t, func(c *sandbox.Config) { c.BaseURL = "https://sandbox.example/" })
		resp, err := e.srv.Client().Get(e.srv.URL + "/oauth/info")
		require.NoError(t, err)
		defer resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
		var info map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&info))
		tenantID, pod := info["tenantId"], info["pod"]
		assert.NotEmpty(t, tenantID)
		assert.NotEmpty(t, pod)
		assert.Equal(t, map[string]any{
			"tenantId":          tenantID,
			"tenantName":        sandbox.TenantName,
			"authorizeEndpoint": "https://sandbox.example/oauth/authorize",
			"tokenEndpoint":     "https://sandbox.example/oauth/token",
			"cloudDomainUrl":    "https://sandbox.example",
			"logoutUrl":         "https://sandbox.example/logout",
			"pod":               pod,
		}, info)

		tok, err := (&clientcredentials.Config{ClientID: "demo-pat", ClientSecret: "demo-pat-secret", TokenURL: e.srv.URL + "/oauth/token"}).Token(e.ctx)
		require.NoError(t, err)
		assert.Equal(t, tenantID, tok.Extra("tenant_id"), "the token names the same tenant")
		assert.Equal(t, pod, tok.Extra("pod"))
	})
	t.Run("under a BaseURL with a path, as mounted in another server", func(t *testing.T) {
		// The console serves the demo sandbox under its own origin, at /sandbox/:
		// every route, the login form and the endpoints it reports are under it.
		e := newOAuthEnv(t, func(c *sandbox.Config) { c.BaseURL = "https://demo.example/sandbox/" })
		get := func(path string) *http.Response {
			resp, err := e.srv.Client().Get(e.srv.URL + path)
			require.NoError(t, err)
			t.Cleanup(func() { resp.Body.Close() })
			return resp
		}
		resp := get("/sandbox/oauth/info")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		var info map[string]string
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&info))
		assert.Equal(t, "https://demo.example/sandbox/oauth/authorize", info["authorizeEndpoint"])
		assert.Equal(t, "https://demo.example/sandbox/oauth/token", info["tokenEndpoint"])
		assert.Equal(t, "https://demo.example/sandbox/logout", info["logoutUrl"])
		assert.Equal(t, "https://demo.example/sandbox", info["cloudDomainUrl"])
		assert.Equal(t, http.StatusNotFound, get("/oauth/info").StatusCode, "nothing outside the prefix")
		assert.Equal(t, http.StatusNotFound, get("/v2025/sources").StatusCode, "nothing outside the prefix")

		base := e.srv.URL + "/sandbox"
		e.conf.Endpoint = oauth2.Endpoint{AuthURL: base + "/oauth/authorize", TokenURL: base + "/oauth/token", AuthStyle: oauth2.AuthStyleInHeader}
		_, doc := e.loginPage(t, e.conf.AuthCodeURL("st", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
		assert.Equal(t, "/sandbox/oauth/authorize", doc.Find(`form[data-testid="login-form"]`).AttrOr("action", ""),
			"the login form posts under the prefix")
		tok := e.login(t, "admin") // the whole code flow, through the form's action
		req, err := http.NewRequest(http.MethodGet, base+"/v2025/sources?limit=1", nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		api, err := e.srv.Client().Do(req)
		require.NoError(t, err)
		api.Body.Close()
		assert.Equal(t, http.StatusOK, api.StatusCode, "the API is under the prefix too")
		assert.Equal(t, http.StatusOK, get("/sandbox/logout").StatusCode)
	})
	t.Run("without BaseURL the endpoints work as given", func(t *testing.T) {
		e := newOAuthEnv(t, nil)
		resp, err := e.srv.Client().Get(e.srv.URL + "/oauth/info")
		require.NoError(t, err)
		defer resp.Body.Close()
		var info map[string]string
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&info))
		assert.Equal(t, e.srv.URL+"/oauth/token", info["tokenEndpoint"])

		resp, doc := e.loginPage(t, info["logoutUrl"])
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Contains(t, doc.Find(`[data-testid="message"]`).Text(), "signed out")
		e.conf.Endpoint = oauth2.Endpoint{AuthURL: info["authorizeEndpoint"], TokenURL: info["tokenEndpoint"], AuthStyle: oauth2.AuthStyleInHeader}
		assert.NotEmpty(t, e.login(t, "helpdesk").AccessToken)
	})
}

func TestOAuthAccessTokenValidity(t *testing.T) {
	t.Run("expires after expires_in", func(t *testing.T) {
		e := newOAuthEnv(t, nil)
		tok := e.login(t, "admin")
		e.clock.Advance(oauthTestTTL - time.Second)
		status, _ := e.userinfo(t, tok.AccessToken)
		require.Equal(t, http.StatusOK, status)
		e.clock.Advance(time.Second)
		status, body := e.userinfo(t, tok.AccessToken)
		assert.Equal(t, http.StatusUnauthorized, status)
		assert.Equal(t, map[string]any{"error": "JWT validation failed: JWT is expired"}, body)
	})
	t.Run("ExpireAccessTokens", func(t *testing.T) {
		e := newOAuthEnv(t, nil)
		tok := e.login(t, "admin")
		pat, err := (&clientcredentials.Config{ClientID: "demo-pat", ClientSecret: "demo-pat-secret", TokenURL: e.srv.URL + "/oauth/token"}).Token(e.ctx)
		require.NoError(t, err)
		e.sb.ExpireAccessTokens()
		for _, at := range []string{tok.AccessToken, pat.AccessToken} {
			status, body := e.userinfo(t, at)
			assert.Equal(t, http.StatusUnauthorized, status)
			assert.Equal(t, "JWT validation failed: JWT is expired", body["error"])
		}
		resp, fresh := e.refresh(t, tok.RefreshToken)
		require.Equal(t, http.StatusOK, resp.StatusCode, "refresh tokens are unaffected")
		status, _ := e.userinfo(t, fresh["access_token"].(string))
		assert.Equal(t, http.StatusOK, status, "tokens issued afterwards work")
	})
	t.Run("RevokeUser", func(t *testing.T) {
		e := newOAuthEnv(t, nil)
		admin := e.login(t, "admin")
		pat, err := (&clientcredentials.Config{ClientID: "demo-pat", ClientSecret: "demo-pat-secret", TokenURL: e.srv.URL + "/oauth/token"}).Token(e.ctx)
		require.NoError(t, err)
		helpdesk := e.login(t, "helpdesk")
		pendingCode, pendingVerifier := e.authorize(t, "admin")

		e.sb.RevokeUser("admin")
		for _, at := range []string{admin.AccessToken, pat.AccessToken} {
			status, _ := e.userinfo(t, at)
			assert.Equal(t, http.StatusUnauthorized, status)
		}
		_, body := e.refresh(t, admin.RefreshToken)
		assert.Equal(t, "invalid_grant", body["error"])
		_, err = e.conf.Exchange(e.ctx, pendingCode, oauth2.VerifierOption(pendingVerifier))
		assert.Equal(t, "invalid_grant", oauthErrorCode(err), "codes issued before the revocation are void")

		status, _ := e.userinfo(t, helpdesk.AccessToken)
		assert.Equal(t, http.StatusOK, status, "other users keep their tokens")
		assert.NotEmpty(t, e.login(t, "admin").AccessToken, "the user can sign in again")
	})
	t.Run("forged or malformed bearer tokens", func(t *testing.T) {
		e := newOAuthEnv(t, nil)
		tok := e.login(t, "admin")
		foreign := newOAuthEnv(t, nil).login(t, "admin")
		none, err := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{
			"jti": tok.Extra("jti"), "exp": e.clock.Now().Add(time.Hour).Unix(), "user_name": "admin",
		}).SignedString(jwt.UnsafeAllowNoneSignatureType)
		require.NoError(t, err)
		for name, at := range map[string]string{
			"no token":           "",
			"tampered signature": tok.AccessToken[:len(tok.AccessToken)-2] + "xx",
			"another sandbox's":  foreign.AccessToken,
			"alg none":           none,
			"refresh token":      tok.RefreshToken,
			"not a JWT":          "opaque",
		} {
			status, body := e.userinfo(t, at)
			assert.Equal(t, http.StatusUnauthorized, status, name)
			assert.Contains(t, body["error"], "JWT validation failed", name)
		}
		status, _ := e.userinfo(t, tok.AccessToken)
		assert.Equal(t, http.StatusOK, status, "control")
	})
}

func TestOAuthTokenFailureInjection(t *testing.T) {
	e := newOAuthEnv(t, nil)
	tok := e.login(t, "admin")
	stale := *tok
	stale.Expiry = time.Now().Add(-time.Minute)

	e.sb.SetTokenFailure("invalid_grant")
	_, err := e.conf.TokenSource(e.ctx, &stale).Token()
	assert.Equal(t, "invalid_grant", oauthErrorCode(err))

	e.sb.SetTokenFailure("temporarily_unavailable")
	_, err = e.conf.TokenSource(e.ctx, &stale).Token()
	var re *oauth2.RetrieveError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, http.StatusServiceUnavailable, re.Response.StatusCode)

	e.sb.SetTokenFailure(sandbox.TokenFailureHangUp)
	_, err = e.conf.TokenSource(e.ctx, &stale).Token()
	require.Error(t, err)
	assert.False(t, errors.As(err, &re), "a hang-up is a transport error, not an OAuth error: %v", err)

	e.sb.SetTokenFailure("")
	fresh, err := e.conf.TokenSource(e.ctx, &stale).Token()
	require.NoError(t, err, "injected failures consumed nothing")
	assert.NotEqual(t, tok.AccessToken, fresh.AccessToken)
	assert.Equal(t, 4, e.sb.TokenRequests("refresh_token"))
	assert.Equal(t, 5, e.sb.TokenRequests(""))
}

// TestOAuthTokensOpenTheAPI checks the seam: the Sources API accepts our
// access tokens and rejects them once ExpireAccessTokens or RevokeUser ran.
func TestOAuthTokensOpenTheAPI(t *testing.T) {
	e := newOAuthEnv(t, nil)
	get := func(accessToken string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, e.srv.URL+"/v2025/sources?limit=1", nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+accessToken)
		resp, err := e.srv.Client().Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var body strings.Builder
		_, err = io.Copy(&body, resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, body.String()
	}
	tok := e.login(t, "admin")
	status, body := get(tok.AccessToken)
	require.Equal(t, http.StatusOK, status, body)

	e.sb.ExpireAccessTokens()
	status, body = get(tok.AccessToken)
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.Contains(t, body, "JWT validation failed")

	resp, fresh := e.refresh(t, tok.RefreshToken)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	status, body = get(fresh["access_token"].(string))
	assert.Equal(t, http.StatusOK, status, body)

	e.sb.RevokeUser("admin")
	status, _ = get(fresh["access_token"].(string))
	assert.Equal(t, http.StatusUnauthorized, status)
}

func TestOAuthTokenDelay(t *testing.T) {
	e := newOAuthEnv(t, nil)
	cc := clientcredentials.Config{ClientID: sandbox.DemoPATClientID, ClientSecret: sandbox.DemoPATClientSecret, TokenURL: e.srv.URL + "/oauth/token"}
	const delay = 200 * time.Millisecond
	e.sb.SetTokenDelay(delay)
	start := time.Now()
	_, err := cc.Token(e.ctx)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, time.Since(start), delay)

	e.sb.SetTokenDelay(0)
	start = time.Now()
	_, err = cc.Token(e.ctx)
	require.NoError(t, err)
	assert.Less(t, time.Since(start), delay)
}

// TestOAuthConcurrentUse runs token requests, API authentication and the test
// hooks at once; its value is under -race.
func TestOAuthConcurrentUse(t *testing.T) {
	e := newOAuthEnv(t, nil)
	cc := clientcredentials.Config{ClientID: sandbox.DemoPATClientID, ClientSecret: sandbox.DemoPATClientSecret, TokenURL: e.srv.URL + "/oauth/token"}
	const workers, rounds = 4, 10
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range rounds {
				tok, err := cc.Token(e.ctx)
				if !assert.NoError(t, err) {
					return
				}
				req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/oauth/userinfo", nil)
				req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
				resp, err := e.srv.Client().Do(req)
				if !assert.NoError(t, err) {
					return
				}
				resp.Body.Close()
				// 401 is fine: the hooks below may expire or revoke it meanwhile.
				assert.Contains(t, []int{http.StatusOK, http.StatusUnauthorized}, resp.StatusCode)
			}
		})
	}
	wg.Go(func() {
		for range rounds {
			e.sb.ExpireAccessTokens()
			e.sb.RevokeUser("helpdesk")
			_ = e.sb.TokenRequests("")
			e.clock.Advance(time.Minute)
		}
	})
	wg.Wait()
	assert.Equal(t, workers*rounds, e.sb.TokenRequests("client_credentials"))
}
