package session

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"sourcedesk/internal/sandbox"
	"sourcedesk/internal/testservers"
)

// storeKinds names every Config.Store kind with a function giving a fresh one.
func storeKinds() []struct {
	name string
	dsn  func(t *testing.T) string
} {
	return []struct {
		name string
		dsn  func(t *testing.T) string
	}{
		{"memory", func(*testing.T) string { return "memory" }},
		{"file", func(t *testing.T) string { return "file:" + filepath.Join(t.TempDir(), "sessions.db") }},
		{"redis", func(t *testing.T) string { return testservers.Redis(t) }},
		{"postgres", func(t *testing.T) string { return testservers.Postgres(t) }},
	}
}

// TestManagerSharesAnOpenStore: a Manager built on a connection the process opened
// (Config.Conn) uses that pool and leaves it open when it closes, so the activity log
// on the same connection keeps working; one the Manager opened itself, it closes.
func TestManagerSharesAnOpenStore(t *testing.T) {
	for _, kind := range storeKinds() {
		t.Run(kind.name, func(t *testing.T) {
			ctx := context.Background()
			conn, err := OpenStore(ctx, kind.dsn(t))
			require.NoError(t, err)
			defer conn.Close()
			m, err := New(ctx, Config{Conn: conn, Keys: [][]byte{newKey()}, Tenants: testTenants(), HTTPClient: http.DefaultClient})
			require.NoError(t, err)
			require.NoError(t, m.Ready(ctx))
			require.NoError(t, m.Close())
			require.NoError(t, conn.ping(ctx), "the shared connection is still open")
			m, err = New(ctx, Config{Conn: conn, Keys: [][]byte{newKey()}, Tenants: testTenants(), HTTPClient: http.DefaultClient})
			require.NoError(t, err, "a second user of the same connection")
			require.NoError(t, m.Ready(ctx))
			require.NoError(t, m.Close())
		})
	}
}

// TestOpenStoreNamesWhatItAccepts: an unknown scheme is refused before anything is
// dialled, with the accepted forms and without the URL's password.
func TestOpenStoreNamesWhatItAccepts(t *testing.T) {
	for _, bad := range []string{"mongodb://u:secret@x", "file:", "", "redis:/x"} {
		_, err := OpenStore(context.Background(), bad)
		require.Error(t, err, bad)
		assert.Contains(t, err.Error(), "must be memory, file:PATH, redis://… or postgres://…")
		assert.NotContains(t, err.Error(), "secret")
	}
}

// TestBackendContract runs every backend through the same operations.
func TestBackendContract(t *testing.T) {
	for _, kind := range storeKinds() {
		t.Run(kind.name, func(t *testing.T) {
			ctx := context.Background()
			m, err := New(ctx, Config{Store: kind.dsn(t), Keys: [][]byte{newKey()}, Tenants: testTenants(), HTTPClient: http.DefaultClient})
			require.NoError(t, err)
			defer m.Close()
			b := m.b
			require.NoError(t, m.Ready(ctx))

			_, err = b.Get(ctx, "k")
			assert.ErrorIs(t, err, errNotFound)
			require.NoError(t, b.Set(ctx, "k", []byte("v1"), time.Minute))
			got, err := b.Get(ctx, "k")
			require.NoError(t, err)
			assert.Equal(t, "v1", string(got))

			ok, err := b.SetNX(ctx, "k", []byte("x"), time.Minute)
			require.NoError(t, err)
			assert.False(t, ok, "SetNX on an existing key")
			ok, err = b.SetNX(ctx, "n", []byte("x"), time.Minute)
			require.NoError(t, err)
			assert.True(t, ok)

			ok, err = b.CAS(ctx, "k", []byte("wrong"), []byte("v2"), time.Minute)
			require.NoError(t, err)
			assert.False(t, ok)
			ok, err = b.CAS(ctx, "k", []byte("v1"), []byte("v2"), time.Minute)
			require.NoError(t, err)
			assert.True(t, ok)
			ok, err = b.CAS(ctx, "k", []byte("v2"), nil, time.Minute)
			require.NoError(t, err)
			assert.True(t, ok, "compare-and-delete")
			_, err = b.Get(ctx, "k")
			assert.ErrorIs(t, err, errNotFound)
			ok, err = b.CAS(ctx, "missing", []byte("v"), []byte("w"), time.Minute)
			require.NoError(t, err)
			assert.False(t, ok, "CAS never creates")

			require.NoError(t, b.Set(ctx, "short", []byte("v"), 50*time.Millisecond))
			time.Sleep(80 * time.Millisecond)
			_, err = b.Get(ctx, "short")
			assert.ErrorIs(t, err, errNotFound, "expired")
			ok, err = b.SetNX(ctx, "short", []byte("w"), time.Minute)
			require.NoError(t, err)
			assert.True(t, ok, "an expired key counts as absent")

			n, err := b.Incr(ctx, "c1", 3, time.Minute)
			require.NoError(t, err)
			assert.Equal(t, int64(3), n)
			n, err = b.Incr(ctx, "c1", -1, time.Minute)
			require.NoError(t, err)
			assert.Equal(t, int64(2), n)
			_, err = b.Incr(ctx, "c2", 5, time.Minute)
			require.NoError(t, err)
			sum, err := b.Counters(ctx, "c1", "c2", "c3")
			require.NoError(t, err)
			assert.Equal(t, int64(7), sum)

			require.NoError(t, b.SAdd(ctx, "s", "a", time.Minute))
			require.NoError(t, b.SAdd(ctx, "s", "b", time.Minute))
			require.NoError(t, b.SRem(ctx, "s", "a"))
			members, err := b.SMembers(ctx, "s")
			require.NoError(t, err)
			assert.Equal(t, []string{"b"}, members)
			require.NoError(t, b.Delete(ctx, "s", "n"))
			members, err = b.SMembers(ctx, "s")
			require.NoError(t, err)
			assert.Empty(t, members)

			// The lock admits one holder at a time.
			var mu sync.Mutex
			inside, maxInside := 0, 0
			var wg sync.WaitGroup
			for range 8 {
				wg.Go(func() {
					unlock, err := lock(ctx, b, "L", 5*time.Second)
					if !assert.NoError(t, err) {
						return
					}
					mu.Lock()
					inside++
					maxInside = max(maxInside, inside)
					mu.Unlock()
					time.Sleep(5 * time.Millisecond)
					mu.Lock()
					inside--
					mu.Unlock()
					unlock()
				})
			}
			wg.Wait()
			assert.Equal(t, 1, maxInside)
		})
	}
}

// TestSignInOnEveryStore runs sign-in, refresh, kill and logout on each store kind.
func TestSignInOnEveryStore(t *testing.T) {
	for _, kind := range storeKinds() {
		t.Run(kind.name, func(t *testing.T) {
			e := newEnv(t, envOpts{store: kind.dsn(t)})
			b := e.browser()
			b.login("admin", "/")
			require.Equal(t, http.StatusOK, b.me(0))
			e.clock.Advance(accessTokenTTL)
			require.Equal(t, http.StatusOK, b.get(e.url(0)+"/api").StatusCode)
			assert.Equal(t, 1, e.sb.TokenRequests("refresh_token"))

			other := e.browser()
			other.login("admin", "/")
			n, err := e.m().KillUser(context.Background(), "2c9180857a1b4c2d017a1b4c2d0e0001")
			require.NoError(t, err)
			assert.Equal(t, 2, n)
			assert.Equal(t, http.StatusUnauthorized, b.me(0))
			assert.Equal(t, http.StatusUnauthorized, other.me(0))
		})
	}
}

func TestFileStoreSurvivesRestartAndKeyRotation(t *testing.T) {
	k1, k2 := newKey(), newKey()
	e := newEnv(t, envOpts{store: "file:" + filepath.Join(t.TempDir(), "s.db"), keys: [][]byte{k1}})
	b := e.browser()
	b.login("admin", "/")

	e.restart(0, [][]byte{k1})
	assert.Equal(t, http.StatusOK, b.me(0), "same key after restart")

	e.restart(0, [][]byte{k2, k1})
	assert.Equal(t, http.StatusOK, b.me(0), "new key in front: old records still open")
	e.clock.Advance(accessTokenTTL)
	require.Equal(t, http.StatusOK, b.get(e.url(0)+"/api").StatusCode, "refresh re-encrypts under the new key")
	sealed, err := e.m().b.Get(context.Background(), vaultKey(hashToken(b.sessionCookie().Value), testTenant))
	require.NoError(t, err)
	assert.Equal(t, e.m().keys.ids[0][:], sealed[:keyIDLen], "written with the newest key")

	e.restart(0, [][]byte{k2})
	assert.Equal(t, http.StatusOK, b.me(0), "old key retired after the record was rewritten")

	e.restart(0, [][]byte{newKey()})
	assert.Equal(t, http.StatusUnauthorized, b.me(0), "unknown key: signed out, not an error")
}

func TestRedisKeysAreHashed(t *testing.T) {
	dsn := testservers.Redis(t)
	e := newEnv(t, envOpts{store: dsn})
	code, pat := e.browser(), e.browser()
	code.login("admin", "/")
	require.Equal(t, http.StatusSeeOther, pat.do(http.MethodPost, e.url(0)+"/login/pat",
		map[string][]string{"client_id": {sandbox.DemoPATClientID}, "client_secret": {sandbox.DemoPATClientSecret}}).StatusCode)
	rec := storedRecord(t, e.m(), code)
	sid := code.sessionCookie().Value

	opts, _ := redis.ParseURL(dsn)
	c := redis.NewClient(opts)
	defer c.Close()
	ctx := context.Background()
	keys, err := c.Keys(ctx, "*").Result()
	require.NoError(t, err)
	require.NotEmpty(t, keys)
	assert.Contains(t, keys, "sd:scs:"+hashToken(sid), "scs blob under the hashed token")
	assert.Contains(t, keys, "sd:"+vaultKey(hashToken(sid), testTenant), "vault record under the hashed token")

	var dump strings.Builder
	for _, k := range keys {
		dump.WriteString(k + "\n")
		switch c.Type(ctx, k).Val() {
		case "string":
			dump.WriteString(c.Get(ctx, k).Val())
		case "set":
			dump.WriteString(strings.Join(c.SMembers(ctx, k).Val(), "\n"))
		}
		dump.WriteString("\n")
	}
	d := dump.String()
	for name, secret := range map[string]string{
		"session id":    sid,
		"refresh token": rec.RefreshToken,
		"access token":  rec.AccessToken,
		"PAT secret":    sandbox.DemoPATClientSecret,
		"client secret": testClientSecret,
		"identity id":   rec.IdentityID,
	} {
		assert.NotContains(t, d, secret, name)
	}
	assert.NotContains(t, d, "eyJ", "no JWT in the clear")
}

func TestTwoReplicasOneRefresh(t *testing.T) {
	e := newEnv(t, envOpts{store: testservers.Redis(t), replicas: 2})
	b := e.browser()
	b.login("admin", "/")
	require.Equal(t, http.StatusOK, b.me(1), "replica 2 knows the session")
	e.clock.Advance(accessTokenTTL)

	var wg sync.WaitGroup
	codes := make([]int, 10)
	for i := range codes {
		wg.Go(func() { codes[i] = b.get(e.url(i%2) + "/api").StatusCode })
	}
	wg.Wait()
	for i, c := range codes {
		assert.Equal(t, http.StatusOK, c, "request %d on replica %d", i, i%2)
	}
	assert.Equal(t, 1, e.sb.TokenRequests("refresh_token"), "exactly one token call")

	// The newest refresh token is stored: the next refresh succeeds (a stale one
	// would trip the sandbox's reuse detection and revoke the session).
	e.clock.Advance(accessTokenTTL)
	assert.Equal(t, http.StatusOK, b.get(e.url(1)+"/api").StatusCode)
	assert.Equal(t, http.StatusOK, b.me(0))
	assert.Equal(t, 2, e.sb.TokenRequests("refresh_token"))
}

func TestTwoReplicasLogoutAndKill(t *testing.T) {
	e := newEnv(t, envOpts{store: testservers.Redis(t), replicas: 2})
	b := e.browser()
	b.login("admin", "/")
	old := b.sessionCookie()
	require.Equal(t, http.StatusSeeOther, b.do(http.MethodPost, e.url(1)+"/logout", nil).StatusCode)
	for i := range 2 {
		replay := e.browser()
		replay.c.Jar.SetCookies(mustURL(e.url(0)), []*http.Cookie{{Name: old.Name, Value: old.Value, Path: "/"}})
		assert.Equal(t, http.StatusUnauthorized, replay.me(i), "old cookie on replica %d", i)
	}

	v := e.browser()
	v.login("helpdesk", "/")
	_, err := e.replicas[0].m.KillUser(context.Background(), "2c9180857a1b4c2d017a1b4c2d0e0004")
	require.NoError(t, err)
	assert.Equal(t, http.StatusUnauthorized, v.me(1), "killed on replica 1, seen on replica 2")
}
