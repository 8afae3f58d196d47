package sandbox

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// oauthInternalToken gets an access token for the PAT client id/secret over HTTP.
func oauthInternalToken(t testing.TB, srv *httptest.Server, id, secret string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/oauth/token",
		strings.NewReader(url.Values{"grant_type": {"client_credentials"}}.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(id, secret)
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var body struct {
		AccessToken string `json:"access_token"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	return body.AccessToken
}

func TestOAuthAuthenticate(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	s := New(Config{
		Now: func() time.Time {
			mu.Lock()
			defer mu.Unlock()
			return now
		},
		Clients: []Client{{ID: "sub-pat", Secret: "sub-secret", PATOwner: "subadmin"}},
	})
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	tok := oauthInternalToken(t, srv, "sub-pat", "sub-secret")
	bearer := func(tok string) *http.Request {
		r := httptest.NewRequest(http.MethodGet, "/v2025/sources", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		return r
	}

	p, ok := s.authenticate(bearer(tok))
	require.True(t, ok)
	sub := DemoUsers()[2]
	assert.Equal(t, &Principal{
		ClientID:         "sub-pat",
		IdentityID:       sub.IdentityID,
		Username:         "subadmin",
		DisplayName:      sub.DisplayName,
		UserLevel:        LevelSourceSubadmin,
		GovernanceGroups: []string{DemoWorkgroupID},
	}, p)
	p.GovernanceGroups[0] = "changed"
	p, _ = s.authenticate(bearer(tok))
	assert.Equal(t, []string{DemoWorkgroupID}, p.GovernanceGroups, "callers get their own copy")

	t.Run("scheme is case-insensitive, other schemes are refused", func(t *testing.T) {
		r := bearer(tok)
		r.Header.Set("Authorization", "bearer "+tok)
		_, ok := s.authenticate(r)
		assert.True(t, ok)
		r.Header.Set("Authorization", "Basic "+tok)
		_, ok = s.authenticate(r)
		assert.False(t, ok)
	})

	t.Run("callable while the API half holds s.mu", func(t *testing.T) {
		done := make(chan bool)
		s.mu.Lock()
		go func() {
			_, ok := s.authenticate(bearer(tok))
			done <- ok
		}()
		select {
		case ok := <-done:
			assert.True(t, ok)
		case <-time.After(5 * time.Second):
			t.Error("authenticate blocked on s.mu")
		}
		s.mu.Unlock()
	})

	t.Run("expired on the sandbox clock", func(t *testing.T) {
		mu.Lock()
		now = now.Add(s.cfg.AccessTokenTTL)
		mu.Unlock()
		p, ok := s.authenticate(bearer(tok))
		assert.False(t, ok)
		assert.Nil(t, p)
		_, err := s.verifyBearer(bearer(tok))
		assert.Equal(t, "JWT validation failed: JWT is expired", err.Error())
	})
}

// BenchmarkOAuthAuthenticate measures the per-API-call cost of verifying a
// bearer token (HS256 check plus the grant lookup), serially and in parallel.
func BenchmarkOAuthAuthenticate(b *testing.B) {
	s := New(Config{})
	srv := httptest.NewServer(s.Handler())
	b.Cleanup(srv.Close)
	tok := oauthInternalToken(b, srv, DemoPATClientID, DemoPATClientSecret)
	r := httptest.NewRequest(http.MethodGet, "/v2025/sources", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	b.Run("serial", func(b *testing.B) {
		for b.Loop() {
			if _, ok := s.authenticate(r); !ok {
				b.Fatal("rejected")
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, ok := s.authenticate(r); !ok {
					b.Error("rejected")
					return
				}
			}
		})
	})
}
