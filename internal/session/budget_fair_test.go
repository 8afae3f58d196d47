package session

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"sourcedesk/internal/api"
	"sourcedesk/internal/testservers"
)

// asUser is a request context signed in as identity, with priority p.
func asUser(identity string, p api.Priority) context.Context {
	st := &reqState{loaded: true}
	st.setRec(testTenant, &record{IdentityID: identity})
	return api.WithPriority(context.WithValue(context.Background(), reqStateKey{}, st), p)
}

// order records the order in which waiting calls are let through.
type order struct {
	mu   sync.Mutex
	seen []string
}

func (o *order) wait(t *testing.T, rb *RateBudget, ctx context.Context, name string, wg *sync.WaitGroup) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if err := rb.Wait(ctx); err != nil {
			t.Errorf("%s: %v", name, err)
			return
		}
		o.mu.Lock()
		o.seen = append(o.seen, name)
		o.mu.Unlock()
	}()
}

func (o *order) list() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.seen...)
}

// queued waits until n calls wait on rb's replica.
func queued(t *testing.T, rb *RateBudget, n int) {
	t.Helper()
	require.Eventually(t, func() bool {
		rb.mu.Lock()
		defer rb.mu.Unlock()
		k := 0
		for _, q := range rb.queues {
			k += len(q.waiting)
		}
		return k == n
	}, 5*time.Second, time.Millisecond)
}

// TestRateBudgetPageLoadsFirstAndAFairShareAcrossReplicas: when the shared budget
// is used up and calls wait, a page load goes before every waiting bulk call, and a
// user with one call goes before another user's long queue, even when the two wait
// on different replicas; every waiting call is let through in the end.
func TestRateBudgetPageLoadsFirstAndAFairShareAcrossReplicas(t *testing.T) {
	for _, kind := range []string{"memory", "file", "redis", "postgres"} {
		for _, tc := range []struct {
			name          string
			queue, latest context.Context
			within        int // the latest call's place at worst (0 = first)
		}{
			// The page load goes first; the bulk calls that follow in the same instant
			// (the window leaves them three) may be recorded before it.
			{"a page load before bulk calls", asUser("bulk-user", api.PriorityBulk), asUser("admin", api.PriorityInteractive), 3},
			// Five interactive calls go at once when the window moves on.
			{"one user's call before another's queue", asUser("busy-user", api.PriorityInteractive), asUser("admin", api.PriorityInteractive), 4},
		} {
			t.Run(kind+"/"+tc.name, func(t *testing.T) {
				clock := newFakeClock()
				store := "memory"
				switch kind {
				case "redis":
					store = testservers.Redis(t)
				case "postgres":
					store = testservers.Postgres(t)
				case "file":
					store = "file:" + filepath.Join(t.TempDir(), "s.db")
				}
				a := newBudgetManager(t, store, clock) // 5 calls per second
				b := a
				if kind == "redis" || kind == "postgres" {
					b = newBudgetManager(t, store, clock) // a second replica
				}
				rbA, rbB := a.Limiter(testTenant), b.Limiter(testTenant)
				for range 5 { // the budget is used up, by the queue's user
					require.NoError(t, rbA.Wait(api.WithPriority(tc.queue, api.PriorityInteractive)))
				}
				var o order
				var wg sync.WaitGroup
				for range 8 {
					o.wait(t, rbA, tc.queue, "queue", &wg)
				}
				queued(t, rbA, 8)
				o.wait(t, rbB, tc.latest, "latest", &wg) // arrives last, on the other replica
				if a != b {
					queued(t, rbB, 1)
				} else {
					queued(t, rbA, 9)
				}
				// The window moves on: five calls may go at once, and then bulk calls
				// go at most one bucket's worth per bucket, so the clock goes on.
				clock.Advance(1200 * time.Millisecond)
				for len(o.list()) < 9 {
					require.Eventually(t, func() bool { return len(o.list()) > 0 }, 10*time.Second, time.Millisecond)
					time.Sleep(10 * time.Millisecond) // the runner's pace of fake time, not a wait for a result
					clock.Advance(100 * time.Millisecond)
				}
				wg.Wait()
				got := o.list()
				require.Len(t, got, 9)
				assert.LessOrEqual(t, slices.Index(got, "latest"), tc.within, "let through among the first: %v", got)
			})
		}
	}
}

// TestRateBudgetPageLoadsDoNotWaitBehindSaturatingBulk: while bulk work keeps the
// shared budget saturated, page loads still go at once: bulk calls are paced and
// leave room, so the window never frees its capacity in bursts that the waiting
// bulk calls would take whole (a page load would then wait a whole window).
func TestRateBudgetPageLoadsDoNotWaitBehindSaturatingBulk(t *testing.T) {
	m, err := New(context.Background(), Config{
		Store: "memory", Keys: [][]byte{testBudgetKey}, Tenants: testTenants(), HTTPClient: http.DefaultClient,
		RateLimit: 20, RateWindow: time.Second, // buckets of 100 ms
	})
	require.NoError(t, err)
	t.Cleanup(func() { m.Close() })
	rb := m.Limiter(testTenant)
	ctx, stop := context.WithCancel(context.Background())
	var bulk atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for ctx.Err() == nil {
				if rb.Wait(api.WithPriority(asUser("bulk-user", api.PriorityBulk), api.PriorityBulk)) == nil {
					bulk.Add(1)
				}
			}
		})
	}
	// Saturated: the bulk calls have filled more than a window.
	require.Eventually(t, func() bool { return bulk.Load() >= 40 }, 10*time.Second, time.Millisecond)
	var worst time.Duration
	for range 15 {
		start := time.Now()
		require.NoError(t, rb.Wait(asUser("admin", api.PriorityInteractive)))
		worst = max(worst, time.Since(start))
		time.Sleep(70 * time.Millisecond) // a person's next click, not a wait for a result
	}
	stop()
	wg.Wait()
	assert.Less(t, worst, 300*time.Millisecond, "a page load waited %s behind bulk work (the window is 1 s)", worst)
}

// TestSmallBudgetsStillAdmitEveryPriority: with a budget of a few calls per window
// (ISC_RATE_LIMIT=2/1s is a valid setting), bulk, background and read-ahead work
// still go when the budget is quiet; leaving room for page loads must never leave
// a priority no room at all (home page tiles would never load).
func TestSmallBudgetsStillAdmitEveryPriority(t *testing.T) {
	for _, kind := range []string{"memory", "redis"} {
		for _, limit := range []int{1, 2, 3} {
			t.Run(fmt.Sprintf("%s/%d per window", kind, limit), func(t *testing.T) {
				store := "memory"
				if kind == "redis" {
					store = testservers.Redis(t)
				}
				clock := newFakeClock()
				m, err := New(context.Background(), Config{
					Store: store, Keys: [][]byte{testBudgetKey}, Tenants: testTenants(), HTTPClient: http.DefaultClient,
					RateLimit: limit, RateWindow: time.Second, Now: clock.Now,
				})
				require.NoError(t, err)
				t.Cleanup(func() { m.Close() })
				rb := m.Limiter(testTenant)
				for _, p := range []api.Priority{api.PriorityPrefetch, api.PriorityBackground, api.PriorityBulk} {
					ctx, cancel := context.WithTimeout(asUser("admin", p), 2*time.Second)
					require.NoError(t, rb.Wait(ctx), "priority %v on a quiet budget of %d", p, limit)
					cancel()
					clock.Advance(2 * time.Second) // a fresh window for the next priority
				}
			})
		}
	}
}
