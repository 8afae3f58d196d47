package api

import (
	"context"
	"sync"
	"time"
)

// Limiter paces calls to ISC. Wait blocks until one more request may be sent
// or ctx ends. The Client calls it before every attempt, retries included.
// Replace the in-process WindowLimiter with a shared one (e.g. a Redis budget)
// when several replicas use one OAuth client.
type Limiter interface {
	Wait(ctx context.Context) error
}

// WindowLimiter allows at most n requests in any sliding window of length per.
// ISC counts 100 requests per 10 s per OAuth client; a token bucket with a
// burst of 100 could let 200 through in 10 s, a sliding window cannot.
type WindowLimiter struct {
	n   int
	per time.Duration

	mu   sync.Mutex
	sent []time.Time // ring of the last n grant times
	next int         // index of the oldest grant in sent
}

// NewWindowLimiter returns a limiter of n requests per sliding window per.
func NewWindowLimiter(n int, per time.Duration) *WindowLimiter {
	return &WindowLimiter{n: max(n, 1), per: per, sent: make([]time.Time, max(n, 1))}
}

// Wait blocks until a request may be sent within the budget, or ctx ends.
func (l *WindowLimiter) Wait(ctx context.Context) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		wait := l.reserve(time.Now())
		if wait <= 0 {
			return nil
		}
		if err := sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// reserve takes a slot and returns 0, or returns how long until the oldest
// grant leaves the window.
func (l *WindowLimiter) reserve(now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	oldest := l.sent[l.next]
	if age := now.Sub(oldest); !oldest.IsZero() && age < l.per {
		return l.per - age
	}
	l.sent[l.next] = now
	l.next = (l.next + 1) % l.n
	return 0
}
