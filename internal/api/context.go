package api

import (
	"context"
	"sync/atomic"
	"time"
)

// Priority orders the calls that wait for the rate budget (Config.Limiter): when
// calls wait, a lower value goes first, and among calls of one priority the user
// who has used the least of the budget lately goes first. A Limiter reads it with
// PriorityOf; the default in-process WindowLimiter ignores it.
type Priority int

const (
	// PriorityInteractive is a page or partial a person is waiting for (the default).
	PriorityInteractive Priority = iota
	// PriorityBulk is one call of a bulk action (many sources at once).
	PriorityBulk
	// PriorityBackground is work nobody is looking at yet: dashboard tiles that
	// refresh themselves, task polling.
	PriorityBackground
	// PriorityPrefetch is reading ahead for a later load, which nobody waits for
	// at all (the upcoming tile's schedules, read on after the tile answered): it
	// yields even to background work.
	PriorityPrefetch
)

type priorityKey struct{}

// WithPriority marks the calls made with ctx as being of priority p.
func WithPriority(ctx context.Context, p Priority) context.Context {
	return context.WithValue(ctx, priorityKey{}, p)
}

// PriorityOf is the priority of the calls made with ctx (PriorityInteractive
// unless WithPriority said otherwise).
func PriorityOf(ctx context.Context) Priority {
	p, _ := ctx.Value(priorityKey{}).(Priority)
	return p
}

// CallCounter counts the attempts a request sent to ISC (retries included):
// those that passed the rate budget and went to the transport; it also adds up
// the time they waited for the budget and the time ISC took to answer them.
type CallCounter struct {
	n        atomic.Int64
	waited   atomic.Int64 // nanoseconds in Limiter.Wait
	upstream atomic.Int64 // nanoseconds from sending to the response headers
}

// N is the number of attempts sent so far.
func (c *CallCounter) N() int64 { return c.n.Load() }

// Waited is the time the request's calls spent waiting for the rate budget
// (calls made at once each count their own wait).
func (c *CallCounter) Waited() time.Duration { return time.Duration(c.waited.Load()) }

// Upstream is the time ISC took to answer the request's calls, summed.
func (c *CallCounter) Upstream() time.Duration { return time.Duration(c.upstream.Load()) }

type callCounterKey struct{}

// WithCallCounter returns a context whose calls are counted by the returned
// counter, e.g. to tell whether a request reached ISC at all.
func WithCallCounter(ctx context.Context) (context.Context, *CallCounter) {
	c := &CallCounter{}
	return context.WithValue(ctx, callCounterKey{}, c), c
}

func countCall(ctx context.Context) {
	if c, ok := ctx.Value(callCounterKey{}).(*CallCounter); ok {
		c.n.Add(1)
	}
}

func countWait(ctx context.Context, d time.Duration) {
	if c, ok := ctx.Value(callCounterKey{}).(*CallCounter); ok {
		c.waited.Add(int64(d))
	}
}

func countUpstream(ctx context.Context, d time.Duration) {
	if c, ok := ctx.Value(callCounterKey{}).(*CallCounter); ok {
		c.upstream.Add(int64(d))
	}
}
