package session

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// getJSON decodes GET path's answer into out and returns its status.
func (b *browser) getJSON(path string, out any) int {
	b.t.Helper()
	resp, err := b.c.Get(b.e.url(0) + path)
	require.NoError(b.t, err)
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK && out != nil {
		require.NoError(b.t, json.NewDecoder(resp.Body).Decode(out))
	} else {
		_, _ = io.Copy(io.Discard, resp.Body)
	}
	return resp.StatusCode
}

// A browser signs in to each tenant on its own, as a different user there: each
// tenant's user, level and tokens are its own, signing in to the second keeps the
// first (under a renewed session token), and signing out ends both.
func TestASessionSignsInToEachTenantSeparately(t *testing.T) {
	e := newEnv(t, envOpts{production: true})
	b := e.browser()
	b.login("admin", "/")
	var tenants []string
	require.Equal(t, http.StatusOK, b.getJSON("/tenants", &tenants))
	assert.Equal(t, []string{"sandbox"}, tenants)
	assert.Equal(t, http.StatusUnauthorized, b.getJSON("/me?tenant=production", nil), "not signed in to production yet")
	assert.Equal(t, http.StatusUnauthorized, b.get(e.url(0)+"/api?tenant=production").StatusCode)
	before := b.sessionCookie().Value

	// Sign in to production, as another user.
	resp := b.get(e.url(0) + "/login?tenant=production&next=" + url.QueryEscape("/t/production/sources"))
	require.Equal(t, http.StatusFound, resp.StatusCode)
	authURL, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	assert.Equal(t, e.prodSrv.URL, authURL.Scheme+"://"+authURL.Host, "the production tenant's login page")
	resp = b.callback(0, b.authorize(authURL, "source-admin"))
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Equal(t, "/t/production/sources", resp.Header.Get("Location"))

	require.Equal(t, http.StatusOK, b.getJSON("/tenants", &tenants))
	assert.Equal(t, []string{"sandbox", "production"}, tenants)
	var sbx, prod User
	require.Equal(t, http.StatusOK, b.getJSON("/me", &sbx))
	require.Equal(t, http.StatusOK, b.getJSON("/me?tenant=production", &prod))
	assert.Equal(t, "admin", sbx.Name)
	assert.Equal(t, "ORG_ADMIN", sbx.UserLevel)
	assert.Equal(t, "source-admin", prod.Name)
	assert.Equal(t, "SOURCE_ADMIN", prod.UserLevel, "the user level is the tenant's")
	assert.Equal(t, "production", prod.TenantName)
	assert.NotEqual(t, sbx.Tenant, prod.Tenant)
	assert.Equal(t, http.StatusOK, b.get(e.url(0)+"/api").StatusCode, "the sandbox's token still works there")
	assert.Equal(t, http.StatusOK, b.get(e.url(0)+"/api?tenant=production").StatusCode, "production's token works there")
	assert.Equal(t, 1, e.prod.TokenRequests("authorization_code"))
	e.prod.ExpireAccessTokens()
	assert.Equal(t, http.StatusOK, b.get(e.url(0)+"/api?tenant=production").StatusCode, "refreshed after the tenant's 401")
	assert.Equal(t, 1, e.prod.TokenRequests("refresh_token"), "at production's token endpoint")
	assert.Zero(t, e.sb.TokenRequests("refresh_token"), "the sandbox's tokens were left alone")
	assert.Equal(t, http.StatusOK, b.get(e.url(0)+"/api").StatusCode)

	// The session token was renewed: the cookie from before reaches nothing.
	after := b.sessionCookie().Value
	assert.NotEqual(t, before, after)
	old := e.browser()
	u, _ := url.Parse(e.url(0))
	old.c.Jar.SetCookies(u, []*http.Cookie{{Name: e.m().SessionCookieName(), Value: before, Path: "/"}})
	assert.Equal(t, http.StatusUnauthorized, old.getJSON("/me", nil))
	assert.Equal(t, http.StatusUnauthorized, old.getJSON("/me?tenant=production", nil))

	require.Equal(t, http.StatusSeeOther, b.do(http.MethodPost, e.url(0)+"/logout", url.Values{}).StatusCode)
	assert.Equal(t, http.StatusUnauthorized, b.getJSON("/me", nil))
	assert.Equal(t, http.StatusUnauthorized, b.getJSON("/me?tenant=production", nil))
	stored, err := e.m().b.Get(context.Background(), vaultKey(hashToken(after), "production"))
	assert.ErrorIs(t, err, errNotFound, "signing out deletes every tenant's tokens: %q", stored)
}

// Each tenant's API budget is its own: one tenant's calls never wait for the other's.
func TestEachTenantHasItsOwnRateBudget(t *testing.T) {
	clock := newFakeClock()
	m, err := New(context.Background(), Config{
		Keys: [][]byte{newKey()}, HTTPClient: http.DefaultClient, RateLimit: 5, RateWindow: 1e9, Now: clock.Now,
		Tenants: []Tenant{{Key: "sandbox", OAuth2: testOAuthConfig()}, {Key: "production", OAuth2: testOAuthConfig()}},
	})
	require.NoError(t, err)
	t.Cleanup(func() { m.Close() })
	ctx := context.Background()
	for range 5 {
		require.NoError(t, m.Limiter("sandbox").Wait(ctx))
	}
	assert.True(t, waitBlocks(t, m.Limiter("sandbox")), "the sandbox's budget is spent")
	for range 5 {
		require.NoError(t, m.Limiter("production").Wait(ctx), "production's is untouched")
	}
	assert.True(t, waitBlocks(t, m.Limiter("production")))
	assert.Nil(t, m.Limiter("staging"), "no budget for a tenant that is not configured")
}

// A tenant that is not configured can neither be signed in to nor used.
func TestAnUnknownTenantIsRefused(t *testing.T) {
	e := newEnv(t, envOpts{})
	b := e.browser()
	b.login("admin", "/")
	assert.Equal(t, http.StatusInternalServerError, b.get(e.url(0)+"/login?tenant=staging").StatusCode)
	assert.Equal(t, http.StatusUnauthorized, b.getJSON("/me?tenant=staging", nil))
	assert.Equal(t, http.StatusUnauthorized, b.get(e.url(0)+"/api?tenant=staging").StatusCode)
	_, err := New(context.Background(), Config{HTTPClient: http.DefaultClient,
		Tenants: []Tenant{{Key: "Prod/1", OAuth2: testOAuthConfig()}, {Key: "sandbox", OAuth2: testOAuthConfig()}, {Key: "sandbox", OAuth2: testOAuthConfig()}}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `tenant key "Prod/1"`)
	assert.Contains(t, err.Error(), `tenant key "sandbox" is given twice`)
}
