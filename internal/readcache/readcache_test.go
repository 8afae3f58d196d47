package readcache

import (
	"context"
	"errors"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"sourcedesk/internal/testservers"
)

// TestMain stops the Redis server the store tests start.
func TestMain(m *testing.M) { os.Exit(testservers.Run(m)) }

// stores runs f against each store: two caches on one Memory (one process) and
// two caches on one real Redis (two replicas).
func stores(t *testing.T, f func(t *testing.T, a, b *Cache)) {
	t.Run("memory", func(t *testing.T) {
		m := NewMemory()
		f(t, New(m, time.Minute, "t:"), New(m, time.Minute, "t:"))
	})
	t.Run("redis", func(t *testing.T) {
		opts, err := redis.ParseURL(testservers.Redis(t))
		require.NoError(t, err)
		ra, rb := redis.NewClient(opts), redis.NewClient(opts)
		t.Cleanup(func() { ra.Close(); rb.Close() })
		f(t, New(NewRedis(ra), time.Minute, "t:"), New(NewRedis(rb), time.Minute, "t:"))
	})
}

// source stands for an answer from ISC.
type source struct {
	ID, Name string
}

// upstream counts the calls a fetch makes.
type upstream struct {
	calls atomic.Int64
	name  atomic.Value
}

func (u *upstream) fetch(id string, extra ...string) Fetch[source] {
	return func(context.Context) (source, []string, error) {
		u.calls.Add(1)
		name, _ := u.name.Load().(string)
		return source{ID: id, Name: name}, extra, nil
	}
}

// TestReadsAreSharedAcrossReplicasUntilAChange: an answer read on one replica is
// served on the other with its time, until a change of a scope it depends on,
// marked on either replica; then it is read again.
func TestReadsAreSharedAcrossReplicasUntilAChange(t *testing.T) {
	stores(t, func(t *testing.T, a, b *Cache) {
		ctx := context.Background()
		up := &upstream{}
		up.name.Store("HR feed")
		read := Read{Key: "source:1", Scopes: []string{"src:1"}}

		v, res, err := Get(ctx, a, read, up.fetch("1"))
		require.NoError(t, err)
		assert.Equal(t, "HR feed", v.Name)
		assert.False(t, res.Cached)
		first := res.FetchedAt
		assert.WithinDuration(t, time.Now(), first, 5*time.Second)

		v, res, err = Get(ctx, b, read, up.fetch("1"))
		require.NoError(t, err)
		assert.Equal(t, "HR feed", v.Name)
		assert.True(t, res.Cached, "the other replica's copy")
		assert.Equal(t, first.UnixMicro(), res.FetchedAt.UnixMicro(), "with the time it was read")
		assert.EqualValues(t, 1, up.calls.Load())

		up.name.Store("HR feed (renamed)")
		require.NoError(t, b.Changed(ctx, "src:2"))
		_, res, err = Get(ctx, a, read, up.fetch("1"))
		require.NoError(t, err)
		assert.True(t, res.Cached, "another source's change leaves it")

		require.NoError(t, b.Changed(ctx, "src:1"))
		v, res, err = Get(ctx, a, read, up.fetch("1"))
		require.NoError(t, err)
		assert.False(t, res.Cached)
		assert.Equal(t, "HR feed (renamed)", v.Name, "read again after the change")
		assert.EqualValues(t, 2, up.calls.Load())

		// A refresh skips the copy and stores what it read for the others.
		_, res, err = Get(ctx, b, Read{Key: "source:1", Scopes: []string{"src:1"}, Fresh: true}, up.fetch("1"))
		require.NoError(t, err)
		assert.False(t, res.Cached)
		assert.EqualValues(t, 3, up.calls.Load())
		_, res, err = Get(ctx, a, read, up.fetch("1"))
		require.NoError(t, err)
		assert.True(t, res.Cached)
		assert.EqualValues(t, 3, up.calls.Load())
	})
}

// TestAListIsInvalidatedByAChangeOfAnyOfItsSources: a list page depends on the
// lists and on each source it holds (scopes the fetch adds); a change of any one
// of them, or of the lists, makes it be read again.
func TestAListIsInvalidatedByAChangeOfAnyOfItsSources(t *testing.T) {
	stores(t, func(t *testing.T, a, b *Cache) {
		ctx := context.Background()
		up := &upstream{}
		read := Read{Key: "list:q=hr", Scopes: []string{"lists"}}
		get := func() bool {
			_, res, err := Get(ctx, a, read, up.fetch("page", "src:1", "src:2"))
			require.NoError(t, err)
			return res.Cached
		}
		assert.False(t, get())
		assert.True(t, get())
		require.NoError(t, b.Changed(ctx, "src:3"))
		assert.True(t, get(), "a source not on the page")
		require.NoError(t, b.Changed(ctx, "src:2"))
		assert.False(t, get(), "a source on the page")
		assert.True(t, get())
		require.NoError(t, b.Changed(ctx, "lists"))
		assert.False(t, get(), "the lists (a source created, deleted, renamed)")
		assert.EqualValues(t, 3, up.calls.Load())
	})
}

// TestAReadThatRacedWithAChangeIsNotServed: an answer whose upstream call began
// before a change and was stored after it is never served.
func TestAReadThatRacedWithAChangeIsNotServed(t *testing.T) {
	stores(t, func(t *testing.T, a, b *Cache) {
		ctx := context.Background()
		calls := 0
		read := Read{Key: "source:1", Scopes: []string{"src:1"}}
		racing := func(context.Context) (source, []string, error) {
			calls++
			if calls == 1 {
				// The change lands on the other replica while this call is upstream.
				require.NoError(t, b.Changed(ctx, "src:1"))
				return source{Name: "before the change"}, nil, nil
			}
			return source{Name: "after the change"}, nil, nil
		}
		v, _, err := Get(ctx, a, read, racing)
		require.NoError(t, err)
		assert.Equal(t, "before the change", v.Name, "its own request gets what it read")
		v, res, err := Get(ctx, b, read, racing)
		require.NoError(t, err)
		assert.False(t, res.Cached)
		assert.Equal(t, "after the change", v.Name)
	})
}

// TestConcurrentMissesCostOneCall: N requests for one answer at once, on one
// replica, make one upstream call.
func TestConcurrentMissesCostOneCall(t *testing.T) {
	stores(t, func(t *testing.T, a, _ *Cache) {
		const n = 20
		var calls atomic.Int64
		release := make(chan struct{})
		var started sync.WaitGroup
		started.Add(n)
		slow := func(context.Context) (source, []string, error) {
			calls.Add(1)
			<-release
			return source{Name: "shared"}, nil, nil
		}
		var wg sync.WaitGroup
		names := make([]string, n)
		for i := range n {
			wg.Go(func() {
				started.Done()
				v, _, err := Get(context.Background(), a, Read{Key: "source:9", Scopes: []string{"src:9"}}, slow)
				assert.NoError(t, err)
				names[i] = v.Name
			})
		}
		started.Wait()
		close(release)
		wg.Wait()
		assert.EqualValues(t, 1, calls.Load(), "one upstream call for %d requests", n)
		for _, name := range names {
			assert.Equal(t, "shared", name)
		}
	})
}

// TestFailuresAreNeitherStoredNorPassedOn: a failed read is not stored, and a
// request that waited on another request's failed call makes its own call (the
// failure may be the other user's: their sign-in, their cancelled request).
func TestFailuresAreNeitherStoredNorPassedOn(t *testing.T) {
	stores(t, func(t *testing.T, a, _ *Cache) {
		ctx := context.Background()
		read := Read{Key: "source:5", Scopes: []string{"src:5"}}
		boom := errors.New("the leader's token was revoked")
		inLeader := make(chan struct{})
		release := make(chan struct{})
		failing := func(context.Context) (source, []string, error) {
			close(inLeader)
			<-release
			return source{}, nil, boom
		}
		var ownCalls atomic.Int64
		own := func(context.Context) (source, []string, error) {
			ownCalls.Add(1)
			return source{Name: "mine"}, nil, nil
		}
		var leaderErr error
		done := make(chan struct{})
		go func() {
			defer close(done)
			_, _, leaderErr = Get(ctx, a, read, failing)
		}()
		<-inLeader
		var v source
		var err error
		waiter := make(chan struct{})
		go func() {
			defer close(waiter)
			v, _, err = Get(ctx, a, read, own)
		}()
		close(release)
		<-done
		<-waiter
		assert.ErrorIs(t, leaderErr, boom)
		require.NoError(t, err, "the other request is not handed the failure")
		assert.Equal(t, "mine", v.Name)
		assert.EqualValues(t, 1, ownCalls.Load())

		_, res, err := Get(ctx, a, read, own)
		require.NoError(t, err)
		assert.True(t, res.Cached, "what the second request read was stored; the failure was not")
	})
}

// TestOffReadsEveryTime: with a zero TTL every read goes upstream and nothing is
// coalesced or stored.
func TestOffReadsEveryTime(t *testing.T) {
	c := New(NewMemory(), 0, "t:")
	up := &upstream{}
	for range 3 {
		_, res, err := Get(context.Background(), c, Read{Key: "source:1"}, up.fetch("1"))
		require.NoError(t, err)
		assert.False(t, res.Cached)
		assert.True(t, res.FetchedAt.IsZero())
	}
	assert.EqualValues(t, 3, up.calls.Load())
	assert.NoError(t, c.Changed(context.Background(), "src:1"))
}

// TestEntriesExpire: an entry lives its TTL (times the read's factor), and is
// served to a reader with a MaxAge only while younger than that.
func TestEntriesExpire(t *testing.T) {
	m := NewMemory()
	now := time.Now()
	m.now = func() time.Time { return now }
	c := New(m, 30*time.Second, "t:")
	c.now = m.now
	up := &upstream{}
	get := func(r Read) bool {
		_, res, err := Get(context.Background(), c, r, up.fetch("1"))
		require.NoError(t, err)
		return res.Cached
	}
	short, long := Read{Key: "source:1"}, Read{Key: "schedules:1", TTLFactor: 10}
	assert.False(t, get(short))
	assert.False(t, get(long))
	now = now.Add(29 * time.Second)
	assert.True(t, get(short))
	now = now.Add(2 * time.Second)
	assert.False(t, get(short), "30 s later")
	assert.True(t, get(long), "ten times as long")
	now = now.Add(5 * time.Minute)
	assert.False(t, get(long))

	// One stored answer, two readers: one takes it at any age within its TTL,
	// the other only while it is younger than its MaxAge.
	assert.True(t, get(long), "just read again")
	now = now.Add(time.Minute)
	assert.True(t, get(long), "a minute old: within the TTL")
	assert.False(t, get(Read{Key: "schedules:1", TTLFactor: 10, MaxAge: 30 * time.Second}), "too old for this reader")
	assert.True(t, get(Read{Key: "schedules:1", TTLFactor: 10, MaxAge: 30 * time.Second}), "which read it again, for both")
	assert.Equal(t, int64(5), up.calls.Load())
}

// Answers kept within one space (one tenant's) are not served in another, and a
// change marked in one leaves the other's copies alone.
func TestSpacesKeepTheirAnswersApart(t *testing.T) {
	root := New(NewMemory(), time.Minute, "sd:rc:")
	a, b := root.Within("sandbox"), root.Within("production")
	ctx := context.Background()
	read := Read{Key: "source:1", Scopes: []string{"src:1"}}
	calls := 0
	fetch := func(name string) Fetch[string] {
		return func(context.Context) (string, []string, error) { calls++; return name, nil, nil }
	}
	v, _, err := Get(ctx, a, read, fetch("sandbox's"))
	require.NoError(t, err)
	assert.Equal(t, "sandbox's", v)
	v, _, err = Get(ctx, b, read, fetch("production's"))
	require.NoError(t, err)
	assert.Equal(t, "production's", v, "the same key in another space is another answer")
	require.NoError(t, b.Changed(ctx, "src:1"))
	v, res, err := Get(ctx, a, read, fetch("again"))
	require.NoError(t, err)
	assert.True(t, res.Cached, "a change in production leaves the sandbox's copy")
	assert.Equal(t, "sandbox's", v)
	assert.Equal(t, 2, calls)
}

// TestAStatusChangeServesTheCopyWhileOneRefreshRuns: after a change of a scope
// the reader takes stale (the statuses of a list), every reader on either replica
// gets the copy, marked stale, without a call; however many readers ask for a
// refresh at once, one reads; another such change within the interval asks for
// no other read; a change of any other scope drops the copy at once; a copy past
// its TTL is served stale too.
func TestAStatusChangeServesTheCopyWhileOneRefreshRuns(t *testing.T) {
	stores(t, func(t *testing.T, a, b *Cache) {
		ctx := context.Background()
		var up upstream
		up.name.Store("before")
		r := Read{Key: "every-source:" + t.Name(), Scopes: []string{"lists", "lists:status"}, StaleScopes: []string{"lists:status"}}
		_, _, err := Get(ctx, a, r, up.fetch("all"))
		require.NoError(t, err)
		up.name.Store("after")
		require.NoError(t, b.Changed(ctx, "lists:status"))

		for _, c := range []*Cache{a, b, a, b} {
			v, res, err := Get(ctx, c, r, up.fetch("all"))
			require.NoError(t, err)
			assert.Equal(t, "before", v.Name, "the copy from before the change")
			assert.True(t, res.Cached && res.Stale, "marked as a stale copy")
		}
		assert.EqualValues(t, 1, up.calls.Load(), "serving the stale copy costs no call")

		var wg sync.WaitGroup
		var reads atomic.Int64
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				read, err := Revalidate(ctx, []*Cache{a, b}[i%2], r, time.Minute, up.fetch("all"))
				assert.NoError(t, err)
				if read {
					reads.Add(1)
				}
			}()
		}
		wg.Wait()
		assert.EqualValues(t, 1, reads.Load(), "one refresh for every reader on both replicas")
		assert.EqualValues(t, 2, up.calls.Load())
		v, res, err := Get(ctx, b, r, up.fetch("all"))
		require.NoError(t, err)
		assert.Equal(t, "after", v.Name, "the refreshed copy")
		assert.True(t, res.Cached && !res.Stale)

		require.NoError(t, a.Changed(ctx, "lists:status"))
		read, err := Revalidate(ctx, b, r, time.Minute, up.fetch("all"))
		require.NoError(t, err)
		assert.False(t, read, "one refresh per interval, however many changes")
		_, res, err = Get(ctx, a, r, up.fetch("all"))
		require.NoError(t, err)
		assert.True(t, res.Stale)

		require.NoError(t, a.Changed(ctx, "lists"))
		_, res, err = Get(ctx, b, r, up.fetch("all"))
		require.NoError(t, err)
		assert.False(t, res.Cached, "a change of the lists is never served stale")
		assert.EqualValues(t, 3, up.calls.Load())

		later := time.Now().Add(90 * time.Second) // past the TTL (a minute)
		a.now = func() time.Time { return later }
		_, res, err = Get(ctx, a, r, up.fetch("all"))
		require.NoError(t, err)
		assert.True(t, res.Cached && res.Stale, "a copy past its TTL is served stale too, while it is read again")
		assert.EqualValues(t, 3, up.calls.Load())
	})
}
