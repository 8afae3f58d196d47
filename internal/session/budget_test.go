package session

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"sourcedesk/internal/testservers"
)

func newBudgetManager(t *testing.T, store string, clock *fakeClock) *Manager {
	t.Helper()
	m, err := New(context.Background(), Config{
		Store: store, Keys: [][]byte{testBudgetKey}, Tenants: testTenants(), HTTPClient: http.DefaultClient,
		RateLimit: 5, RateWindow: time.Second, Now: clock.Now,
	})
	require.NoError(t, err)
	t.Cleanup(func() { m.Close() })
	return m
}

var testBudgetKey = newKey()

// waitBlocks reports whether Wait is still blocked after a short while.
func waitBlocks(t *testing.T, rb *RateBudget) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := rb.Wait(ctx)
	if err == nil {
		return false
	}
	require.ErrorIs(t, err, context.DeadlineExceeded)
	return true
}

func TestRateBudgetSharedAcrossReplicas(t *testing.T) {
	for _, kind := range []struct{ name, store string }{{"memory", ""}, {"redis", "redis"}} {
		t.Run(kind.name, func(t *testing.T) {
			clock := newFakeClock()
			store := "memory"
			if kind.store == "redis" {
				store = testservers.Redis(t)
			}
			a := newBudgetManager(t, store, clock)
			b := a
			if kind.store == "redis" {
				b = newBudgetManager(t, store, clock) // a second replica
			}
			ctx := context.Background()
			for i := range 5 {
				rb := a.Limiter(testTenant)
				if i%2 == 1 {
					rb = b.Limiter(testTenant)
				}
				require.NoError(t, rb.Wait(ctx), "request %d within budget", i)
			}
			assert.True(t, waitBlocks(t, a.Limiter(testTenant)), "6th on replica A waits")
			assert.True(t, waitBlocks(t, b.Limiter(testTenant)), "6th on replica B waits")

			// Half a window later the old requests still count (sliding, not fixed).
			clock.Advance(500 * time.Millisecond)
			assert.True(t, waitBlocks(t, a.Limiter(testTenant)))
			// A full window (plus one bucket) later they have dropped out.
			clock.Advance(600 * time.Millisecond)
			assert.NoError(t, a.Limiter(testTenant).Wait(ctx))
		})
	}
}

func TestRateBudgetNeverExceedsLimitInAnyWindow(t *testing.T) {
	clock := newFakeClock()
	m := newBudgetManager(t, "memory", clock)
	var admitted []time.Time
	for range 400 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
		if m.Limiter(testTenant).Wait(ctx) == nil {
			admitted = append(admitted, clock.Now())
		}
		cancel()
		clock.Advance(37 * time.Millisecond)
	}
	require.NotEmpty(t, admitted)
	for i := range admitted {
		n := 0
		for _, a := range admitted[i:] {
			if a.Sub(admitted[i]) < time.Second {
				n++
			}
		}
		assert.LessOrEqual(t, n, 5, "window starting at admission %d", i)
	}
}

func TestStoreDownFailsClosed(t *testing.T) {
	conn, err := OpenStore(context.Background(), testservers.Redis(t))
	require.NoError(t, err)
	m, err := New(context.Background(), Config{Conn: conn, Keys: [][]byte{newKey()}, Tenants: testTenants(), HTTPClient: http.DefaultClient})
	require.NoError(t, err)
	require.NoError(t, conn.Close()) // the connection is gone
	assert.Error(t, m.Ready(context.Background()))

	reached := false
	h := m.LoadAndSave(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached = true }))
	req := httptest.NewRequest(http.MethodGet, "/sources", nil)
	req.AddCookie(&http.Cookie{Name: "sd_session", Value: "abc"})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
	assert.False(t, reached, "no unauthenticated pass-through")
}
