package session

import (
	"context"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"sourcedesk/internal/testservers"
)

// roundTrips counts the requests a go-redis client sends: one per command, one
// per pipeline (the client waits for each answer before going on).
type roundTrips struct{ n atomic.Int64 }

func (*roundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }

func (r *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		r.n.Add(1)
		return next(ctx, cmd)
	}
}

func (r *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		r.n.Add(1)
		return next(ctx, cmds)
	}
}

// BenchmarkRateBudgetRedis measures what one call to ISC costs in the shared budget
// on Redis, with a budget that always has room (the common case): round trips per
// admitted call (roundtrips/op) and the time of one admission, for the admission
// script ("one-script") beside the way the budget admitted calls before it in the
// same run ("incr-then-count": increment the current bucket, then read the
// window's buckets back, two round trips).
//
//	go test -run '^$' -bench RateBudgetRedis ./internal/session/
func BenchmarkRateBudgetRedis(b *testing.B) {
	m, err := New(context.Background(), Config{
		Store: testservers.Redis(b), Keys: [][]byte{newKey()}, Tenants: testTenants(), HTTPClient: http.DefaultClient,
		RateLimit: 1 << 30, RateWindow: 10 * time.Second,
	})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	rt := &roundTrips{}
	m.b.(*redisBackend).c.AddHook(rt)
	ctx := context.Background()
	run := func(b *testing.B, admit func() error) {
		if err := admit(); err != nil { // loads the script once
			b.Fatal(err)
		}
		rt.n.Store(0)
		for b.Loop() {
			if err := admit(); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(rt.n.Load())/float64(b.N), "roundtrips/op")
	}
	b.Run("one-script", func(b *testing.B) {
		rb := m.Limiter(testTenant)
		run(b, func() error { return rb.Wait(ctx) })
	})
	b.Run("incr-then-count", func(b *testing.B) {
		window, limit := 10*time.Second, int64(1<<30)
		bucket := window / rateBuckets
		prefix := "rate:before:"
		run(b, func() error {
			cur := m.now().UnixNano() / int64(bucket)
			keys := make([]string, 0, rateBuckets+1)
			for i := int64(0); i <= rateBuckets; i++ {
				keys = append(keys, prefix+strconv.FormatInt(cur-i, 10))
			}
			if _, err := m.b.Incr(ctx, keys[0], 1, 2*window+bucket); err != nil {
				return err
			}
			n, err := m.b.Counters(ctx, keys...)
			if err == nil && n > limit {
				b.Fatal("the budget has room")
			}
			return err
		})
	})
}
