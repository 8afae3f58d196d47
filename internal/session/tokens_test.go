package session

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"sourcedesk/internal/sandbox"
)

// accessTokenTTL is the sandbox's default access-token lifetime.
const accessTokenTTL = 749 * time.Second

// storedRecord decrypts the session's vault record, as the Manager would.
func storedRecord(t *testing.T, m *Manager, b *browser) *record {
	t.Helper()
	c := b.sessionCookie()
	require.NotNil(t, c, "session cookie")
	rec, err := m.loadRecord(context.Background(), hashToken(c.Value), testTenant)
	require.NoError(t, err)
	return rec
}

func TestParallelRequestsShareOneRefresh(t *testing.T) {
	e := newEnv(t, envOpts{})
	b := e.browser()
	b.login("admin", "/")
	e.clock.Advance(accessTokenTTL) // expired (and within the 60 s margin)

	var wg sync.WaitGroup
	codes := make([]int, 20)
	for i := range codes {
		wg.Go(func() { codes[i] = b.get(e.url(0) + "/api").StatusCode })
	}
	wg.Wait()
	for i, c := range codes {
		assert.Equal(t, http.StatusOK, c, "request %d", i)
	}
	assert.Equal(t, 1, e.sb.TokenRequests("refresh_token"))
}

func TestRefreshHappensBeforeExpiry(t *testing.T) {
	e := newEnv(t, envOpts{})
	b := e.browser()
	b.login("admin", "/")
	e.clock.Advance(accessTokenTTL - 2*time.Minute)
	require.Equal(t, http.StatusOK, b.get(e.url(0)+"/api").StatusCode)
	assert.Equal(t, 0, e.sb.TokenRequests("refresh_token"), "still fresh")
	e.clock.Advance(90 * time.Second) // 30 s left: inside the 60 s margin
	require.Equal(t, http.StatusOK, b.get(e.url(0)+"/api").StatusCode)
	assert.Equal(t, 1, e.sb.TokenRequests("refresh_token"))
}

func TestSlowRequestDoesNotRevertRefreshToken(t *testing.T) {
	e := newEnv(t, envOpts{})
	b := e.browser()
	b.login("admin", "/")
	before := storedRecord(t, e.m(), b)

	// A loads the session, then stalls.
	e.slow = make(chan struct{})
	done := make(chan int)
	go func() { done <- b.get(e.url(0) + "/slow").StatusCode }()
	time.Sleep(100 * time.Millisecond)

	// B refreshes and rotates the refresh token.
	e.clock.Advance(accessTokenTTL)
	require.Equal(t, http.StatusOK, b.get(e.url(0)+"/api").StatusCode)
	mid := storedRecord(t, e.m(), b)
	require.NotEqual(t, before.RefreshToken, mid.RefreshToken, "rotated")

	// A commits its (older) session blob last.
	close(e.slow)
	require.Equal(t, http.StatusNoContent, <-done)

	after := storedRecord(t, e.m(), b)
	assert.Equal(t, mid.RefreshToken, after.RefreshToken, "newest refresh token kept")
	assert.Equal(t, before.Version+1, after.Version)
	// And it works: a stale token would trip the sandbox's reuse detection.
	e.clock.Advance(accessTokenTTL)
	assert.Equal(t, http.StatusOK, b.get(e.url(0)+"/api").StatusCode)
	assert.Equal(t, 2, e.sb.TokenRequests("refresh_token"))
}

func TestRefreshFailures(t *testing.T) {
	t.Run("invalid_grant ends the session", func(t *testing.T) {
		e := newEnv(t, envOpts{})
		b := e.browser()
		b.login("admin", "/")
		e.clock.Advance(accessTokenTTL)
		e.sb.SetTokenFailure("invalid_grant")
		assert.Equal(t, http.StatusUnauthorized, b.get(e.url(0)+"/api").StatusCode)
		e.sb.SetTokenFailure("")
		assert.Equal(t, http.StatusUnauthorized, b.me(0), "session destroyed")
	})
	t.Run("revoked user ends the session", func(t *testing.T) {
		e := newEnv(t, envOpts{})
		b := e.browser()
		b.login("admin", "/")
		e.clock.Advance(accessTokenTTL)
		e.sb.RevokeUser("admin")
		assert.Equal(t, http.StatusUnauthorized, b.get(e.url(0)+"/api").StatusCode)
		assert.Equal(t, http.StatusUnauthorized, b.me(0))
	})
	for _, failure := range []string{sandbox.TokenFailureHangUp, "server_error", "temporarily_unavailable"} {
		t.Run(failure+" keeps the session", func(t *testing.T) {
			e := newEnv(t, envOpts{})
			b := e.browser()
			b.login("admin", "/")
			e.clock.Advance(accessTokenTTL)
			e.sb.SetTokenFailure(failure)
			assert.Equal(t, http.StatusServiceUnavailable, b.get(e.url(0)+"/api").StatusCode)
			assert.Equal(t, http.StatusOK, b.me(0), "still signed in")
			e.sb.SetTokenFailure("")
			assert.Equal(t, http.StatusOK, b.get(e.url(0)+"/api").StatusCode, "recovers")
		})
	}
}

func TestUpstream401RefreshesOnceAndRetries(t *testing.T) {
	e := newEnv(t, envOpts{})
	b := e.browser()
	b.login("admin", "/")
	e.sb.ExpireAccessTokens() // the API now says 401 although our clock says fresh
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() { assert.Equal(t, http.StatusOK, b.get(e.url(0)+"/api").StatusCode) })
	}
	wg.Wait()
	assert.Equal(t, 1, e.sb.TokenRequests("refresh_token"), "one refresh for five 401s")
}

func TestRecordRoundTripKeepsEverything(t *testing.T) {
	e := newEnv(t, envOpts{})
	b := e.browser()
	b.login("admin", "/")
	rec := storedRecord(t, e.m(), b)
	assert.NotEmpty(t, rec.AccessToken)
	assert.NotEmpty(t, rec.RefreshToken)
	assert.Equal(t, "2c9180857a1b4c2d017a1b4c2d0e0001", rec.IdentityID)
	assert.Equal(t, "2c9180857a1b4c2d017a1b4c2d000000", rec.TenantID)
	assert.Equal(t, "admin", rec.UserName)
	assert.Equal(t, sandbox.LevelOrgAdmin, rec.UserLevel)
	assert.WithinDuration(t, e.clock.Now().Add(accessTokenTTL), rec.Expiry, time.Second)

	// Seal, store and reopen: nothing lost (gob would drop oauth2.Token's extras).
	sealed, err := e.m().keys.sealRecord("tok:x", rec)
	require.NoError(t, err)
	back, err := e.m().keys.openRecord("tok:x", sealed)
	require.NoError(t, err)
	assert.Equal(t, rec.RefreshToken, back.RefreshToken)
	assert.Equal(t, rec.IdentityID, back.IdentityID)
	assert.Equal(t, rec.TenantID, back.TenantID)
	assert.True(t, rec.Expiry.Equal(back.Expiry))
	_, err = e.m().keys.openRecord("tok:y", sealed)
	assert.Error(t, err, "a record moved to another session's key does not open")

	// After a refresh the identity and tenant are still there.
	e.clock.Advance(accessTokenTTL)
	require.Equal(t, http.StatusOK, b.get(e.url(0)+"/api").StatusCode)
	ref := storedRecord(t, e.m(), b)
	assert.Equal(t, rec.IdentityID, ref.IdentityID)
	assert.Equal(t, rec.TenantID, ref.TenantID)
	assert.NotEqual(t, rec.RefreshToken, ref.RefreshToken)
}

func TestCurrentUser(t *testing.T) {
	e := newEnv(t, envOpts{})
	b := e.browser()
	b.login("subadmin", "/")
	rec := storedRecord(t, e.m(), b)
	assert.Equal(t, User{Name: "subadmin", IdentityID: rec.IdentityID, UserLevel: sandbox.LevelSourceSubadmin, Tenant: rec.TenantID, TenantName: sandbox.TenantName}, rec.user())
}

func TestStaleWriterLosesCompareAndSet(t *testing.T) {
	ctx := context.Background()
	m, err := New(ctx, Config{
		Tenants:    testTenants(),
		HTTPClient: http.DefaultClient,
	})
	require.NoError(t, err)
	defer m.Close()
	key := vaultKey("h", testTenant)
	v1, _ := m.keys.sealRecord(key, &record{Version: 1, RefreshToken: "rt1"})
	v2, _ := m.keys.sealRecord(key, &record{Version: 2, RefreshToken: "rt2"})
	stale, _ := m.keys.sealRecord(key, &record{Version: 2, RefreshToken: "rt-stale"})
	require.NoError(t, m.b.Set(ctx, key, v1, time.Minute))
	ok, err := m.b.CAS(ctx, key, v1, v2, time.Minute)
	require.NoError(t, err)
	require.True(t, ok)
	ok, err = m.b.CAS(ctx, key, v1, stale, time.Minute)
	require.NoError(t, err)
	assert.False(t, ok, "writer that read v1 cannot overwrite v2")
	got, err := m.loadRecord(ctx, "h", testTenant)
	require.NoError(t, err)
	assert.Equal(t, "rt2", got.RefreshToken)
}
