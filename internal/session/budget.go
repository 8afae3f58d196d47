package session

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"

	"sourcedesk/internal/api"
)

// rateBuckets splits the window into this many buckets. A call is admitted only if
// the current bucket and the previous rateBuckets together hold fewer than the
// limit; then any window-long interval (which spans at most rateBuckets+1 buckets)
// holds at most limit admissions, so the upstream's sliding or fixed window is
// never exceeded, whatever the replica count. The price is a slightly lower
// sustained rate (limit per 1.1 windows).
const rateBuckets = 10

// RateBudget is the API rate budget of one tenant's OAuth client (ISC: 100 requests
// per 10 s per client id), kept in the session backend so all replicas share it on
// Redis or Postgres. Its Wait satisfies api.Limiter.
//
// When the budget has room, a call costs one atomic step in the backend (on Redis
// one round trip, admit.go) and goes. When calls must wait, they go in order:
//
//  1. by priority (api.PriorityOf the call's context): page loads
//     (PriorityInteractive, the default) before bulk actions (PriorityBulk) before
//     background work (PriorityBackground) before reading ahead (PriorityPrefetch). Marking work as background is all it
//     takes for it to yield to page loads: internal/bff states a route's priority
//     where it registers the route;
//  2. within a priority, by user: on this replica the user served least recently
//     goes first (round robin), across replicas the user who has used the least of
//     the current window, so each signed-in user gets a fair share however many
//     calls one of them queues;
//  3. then first come, first served.
//
// Each replica queues its waiting calls and lets only its best one contend for the
// shared budget; that call's rank is the replica's claim in the backend, and a
// replica is admitted only when no other replica's claim ranks before its own.
type RateBudget struct {
	m      *Manager
	tenant string
	limit  int
	window time.Duration
	claim  string // this replica's claim id

	mu     sync.Mutex
	queues map[string]*budgetQueue // by budget (OAuth client)
}

// budgetQueue holds this replica's calls waiting for one budget.
type budgetQueue struct {
	waiting  []*budgetWaiter
	running  bool              // a dispatcher is serving the queue
	wake     chan struct{}     // tells the dispatcher a better call arrived
	seq      uint64            // arrivals so far
	admitted uint64            // admissions so far
	served   map[string]uint64 // per user, the number of its last admission here
}

type budgetWaiter struct {
	rank int64
	user string
	seq  uint64
	done chan error // buffered: the dispatcher never blocks on it
}

func newRateBudget(m *Manager, tenant string, limit int, window time.Duration) *RateBudget {
	return &RateBudget{m: m, tenant: tenant, limit: limit, window: window, claim: randomString(12), queues: map[string]*budgetQueue{}}
}

// request describes one attempt of the waiter w on budget prefix.
func (rb *RateBudget) request(prefix string, rank int64, user string) admitRequest {
	return admitRequest{prefix: prefix, user: user, rank: rank, claim: rb.claim, limit: int64(rb.limit),
		bucket: rb.window / rateBuckets, now: rb.m.now(), wall: time.Now()}
}

// Wait blocks until the request's OAuth client may make one more API call, or ctx
// is done. The client is the session's PAT id for PAT sign-ins (each PAT has its
// own budget upstream) and the console's client id otherwise.
func (rb *RateBudget) Wait(ctx context.Context) error {
	if rb.limit < 0 {
		return nil
	}
	client := rb.m.tenants[rb.tenant].OAuth2.ClientID
	user := "-"
	if rec := rb.m.state(ctx).rec(rb.tenant); rec != nil {
		if rec.ClientID != "" {
			client = rec.ClientID
		}
		if rec.IdentityID != "" {
			user = hashToken("user\x00" + rec.IdentityID)[:22]
		}
	}
	prefix := "rate:" + hashToken("client\x00" + rb.tenant + "\x00" + client)[:22] + ":"
	rank := int64(api.PriorityOf(ctx))

	rb.mu.Lock()
	q := rb.queues[prefix]
	if q == nil {
		q = &budgetQueue{wake: make(chan struct{}, 1), served: map[string]uint64{}}
		rb.queues[prefix] = q
	}
	if len(q.waiting) == 0 && !q.running {
		// Nobody waits here: one attempt, and most of the time that is all.
		rb.mu.Unlock()
		res, err := rb.m.b.Admit(ctx, rb.request(prefix, rank, user))
		if err != nil || res.admitted {
			return err
		}
		rb.mu.Lock()
	}
	q.seq++
	w := &budgetWaiter{rank: rank, user: user, seq: q.seq, done: make(chan error, 1)}
	if best := q.best(); best != nil && q.before(w, best) {
		select {
		case q.wake <- struct{}{}:
		default:
		}
	}
	q.waiting = append(q.waiting, w)
	if !q.running {
		q.running = true
		go rb.dispatch(prefix, q)
	}
	rb.mu.Unlock()

	select {
	case err := <-w.done:
		return err
	case <-ctx.Done():
		rb.mu.Lock()
		defer rb.mu.Unlock()
		for i, x := range q.waiting {
			if x == w {
				q.waiting = append(q.waiting[:i], q.waiting[i+1:]...)
				return ctx.Err()
			}
		}
		return <-w.done // served just now: the call may go
	}
}

// before reports whether a goes before b on this replica.
func (q *budgetQueue) before(a, b *budgetWaiter) bool {
	if a.rank != b.rank {
		return a.rank < b.rank
	}
	if sa, sb := q.served[a.user], q.served[b.user]; sa != sb {
		return sa < sb // the user served least recently first
	}
	return a.seq < b.seq
}

// best is the waiting call that goes next (nil when none); the caller holds rb.mu.
func (q *budgetQueue) best() *budgetWaiter {
	var b *budgetWaiter
	for _, w := range q.waiting {
		if b == nil || q.before(w, b) {
			b = w
		}
	}
	return b
}

// attemptTimeout bounds one attempt of the dispatcher in the backend.
const attemptTimeout = 2 * time.Second

// dispatch serves q until nobody waits: it lets the best waiting call contend for
// the shared budget, and in between waits for the next bucket (a full window) or
// a little longer (another replica's caller goes first).
func (rb *RateBudget) dispatch(prefix string, q *budgetQueue) {
	bucket := rb.window / rateBuckets
	claimed := false
	t := time.NewTimer(0)
	<-t.C
	defer t.Stop()
	for {
		rb.mu.Lock()
		w := q.best()
		if w == nil {
			q.running = false
			rb.mu.Unlock()
			if claimed {
				ctx, cancel := context.WithTimeout(context.Background(), attemptTimeout)
				_ = rb.m.b.ReleaseClaim(ctx, rb.request(prefix, 0, ""))
				cancel()
			}
			return
		}
		rb.mu.Unlock()
		req := rb.request(prefix, w.rank, w.user)
		ctx, cancel := context.WithTimeout(context.Background(), attemptTimeout)
		res, err := rb.m.b.Admit(ctx, req)
		cancel()
		if err != nil || res.admitted {
			rb.mu.Lock()
			for i, x := range q.waiting {
				if x == w {
					q.waiting = append(q.waiting[:i], q.waiting[i+1:]...)
					q.admitted++
					q.served[w.user] = q.admitted
					w.done <- err
					break
				}
			}
			rb.mu.Unlock()
			claimed = claimed && err != nil
			continue
		}
		claimed = true
		// Wait for the next bucket, when old calls leave the window. Refused because
		// another replica's caller ranks first: a little longer, so it goes first.
		next := time.Unix(0, (req.now.UnixNano()/int64(bucket)+1)*int64(bucket))
		jitter := time.Duration(rand.Int64N(int64(bucket)/4 + 1))
		if !res.full {
			jitter += bucket / 4
		}
		t.Reset(max(next.Sub(req.now), time.Millisecond) + jitter)
		select {
		case <-t.C:
		case <-q.wake:
			if !t.Stop() {
				<-t.C
			}
		}
	}
}
