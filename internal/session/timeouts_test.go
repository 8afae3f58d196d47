package session

import (
	"context"
	"encoding/base64"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestIdleAndAbsoluteTimeouts(t *testing.T) {
	t.Run("idle for IdleTimeout+1s signs out", func(t *testing.T) {
		e := newEnv(t, envOpts{})
		b := e.browser()
		b.login("admin", "/")
		e.clock.Advance(DefaultIdleTimeout - time.Second)
		require.Equal(t, http.StatusOK, b.me(0), "just inside the idle timeout")
		e.clock.Advance(DefaultIdleTimeout + time.Second)
		assert.Equal(t, http.StatusUnauthorized, b.me(0))
		assert.Equal(t, http.StatusUnauthorized, b.me(0), "and stays signed out")
	})
	t.Run("continuous activity past Lifetime signs out", func(t *testing.T) {
		e := newEnv(t, envOpts{})
		b := e.browser()
		b.login("admin", "/")
		for elapsed := time.Duration(0); elapsed < DefaultLifetime; elapsed += 20 * time.Minute {
			require.Equal(t, http.StatusOK, b.me(0), "active at %s", elapsed)
			e.clock.Advance(20 * time.Minute)
		}
		e.clock.Advance(time.Second)
		assert.Equal(t, http.StatusUnauthorized, b.me(0), "past the 12 h lifetime")
	})
	t.Run("configurable", func(t *testing.T) {
		e := newEnv(t, envOpts{idle: 5 * time.Minute, lifetime: time.Hour})
		b := e.browser()
		b.login("admin", "/")
		e.clock.Advance(5*time.Minute + time.Second)
		assert.Equal(t, http.StatusUnauthorized, b.me(0))
	})
}

func TestSessionIDsAreUnique256Bit(t *testing.T) {
	m, err := New(context.Background(), Config{Tenants: testTenants(), HTTPClient: http.DefaultClient})
	require.NoError(t, err)
	defer m.Close()
	const n = 100_000
	seen := make(map[string]struct{}, n)
	for range n {
		ctx, err := m.scs.Load(context.Background(), "")
		require.NoError(t, err)
		require.NoError(t, m.scs.RenewToken(ctx))
		tok := m.scs.Token(ctx)
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		require.NoError(t, err)
		require.Len(t, raw, 32, "256-bit token")
		seen[tok] = struct{}{}
	}
	assert.Len(t, seen, n, "all unique")
}
