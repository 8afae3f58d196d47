package session

import (
	"context"
	"math/rand/v2"
	"strconv"
	"time"
)

// rateBuckets splits the window into this many buckets. A request is admitted only
// if the current bucket and the previous rateBuckets together hold fewer than the
// limit; then any window-long interval (which spans at most rateBuckets+1 buckets)
// holds at most limit admissions, so the upstream's sliding or fixed window is
// never exceeded, whatever the replica count. The price is a slightly lower
// sustained rate (limit per 1.1 windows).
const rateBuckets = 10

// RateBudget is the API rate budget of one tenant's OAuth client (ISC: 100 requests per
// 10 s per client id), kept in the session backend so all replicas share it on
// Redis or Postgres. Its Wait satisfies api.Limiter.
type RateBudget struct {
	m      *Manager
	tenant string
	limit  int
	window time.Duration
	// turn lets one waiter per replica at a time contend for the shared budget.
	// Without it, every waiting request increments at the same bucket boundary,
	// all see the sum over the limit, all back off, and none gets through.
	turn chan struct{}
}

// Wait blocks until the request's OAuth client may make one more API call, or ctx
// is done. The client is the session's PAT id for PAT sign-ins (each PAT has its
// own budget upstream) and the console's client id otherwise.
func (rb *RateBudget) Wait(ctx context.Context) error {
	if rb.limit < 0 {
		return nil
	}
	client := rb.m.tenants[rb.tenant].OAuth2.ClientID
	if rec := rb.m.state(ctx).rec(rb.tenant); rec != nil && rec.ClientID != "" {
		client = rec.ClientID
	}
	prefix := "rate:" + hashToken("client\x00" + rb.tenant + "\x00" + client)[:22] + ":"
	bucket := rb.window / rateBuckets
	select {
	case rb.turn <- struct{}{}:
		defer func() { <-rb.turn }()
	case <-ctx.Done():
		return ctx.Err()
	}
	for {
		now := rb.m.now()
		cur := now.UnixNano() / int64(bucket)
		keys := make([]string, 0, rateBuckets+1)
		for i := int64(0); i <= rateBuckets; i++ {
			keys = append(keys, prefix+strconv.FormatInt(cur-i, 10))
		}
		// Increment first, then count: of two racing replicas each sees the other.
		if _, err := rb.m.b.Incr(ctx, keys[0], 1, 2*rb.window+bucket); err != nil {
			return err
		}
		n, err := rb.m.b.Counters(ctx, keys...)
		if err != nil {
			return err
		}
		if n <= int64(rb.limit) {
			return nil
		}
		if _, err := rb.m.b.Incr(ctx, keys[0], -1, 2*rb.window+bucket); err != nil {
			return err
		}
		// Wait for the next bucket (only then can an old one drop out), plus jitter so
		// that the replicas' contenders do not all retry at the same instant.
		next := time.Unix(0, (cur+1)*int64(bucket))
		jitter := time.Duration(rand.Int64N(int64(bucket)/4 + 1))
		t := time.NewTimer(max(next.Sub(now), time.Millisecond) + jitter)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}
