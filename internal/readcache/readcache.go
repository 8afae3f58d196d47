// Package readcache shares answers read from ISC between the users and the
// replicas of the console for a short time: N people opening the same list page
// or the same source within the TTL cost ISC one call, whose budget (100 calls per
// 10 s per OAuth client) every user of the console shares.
//
// It only stores and coalesces. Which answers may be shared, and with whom, is
// the caller's decision (internal/bff keys a list page by the user level that
// asked, and serves a cached source only to a user whose own visible set holds
// it); the cache never decides who sees what.
//
// Freshness works by change marks rather than by deleting keys. The store keeps a
// change counter; every change made through the console advances it and sets the
// mark of each scope it touched ("source X", "the lists") to the new value, in one
// atomic step (Mark). An entry remembers the counter as it was before its upstream
// call started and the scopes it depends on (for a list page: the lists, and each
// source on the page); it is served only while every one of those marks is still at
// most that value. So a change invalidates every entry that depends on it, on every
// replica at once, and a read that raced with the change (started before it, stored
// after it) is never served.
//
// Two stores: Memory (one process) and Redis (shared by replicas, on the
// connection the session store already opened).
package readcache

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/singleflight"
)

// Store holds the entries and the change marks. Every method is one round trip.
type Store interface {
	// Get returns the values at keys in order, nil where there is none.
	Get(ctx context.Context, keys ...string) ([][]byte, error)
	// Put stores val at key for ttl.
	Put(ctx context.Context, key string, val []byte, ttl time.Duration) error
	// Mark advances the change counter at counterKey and sets every key of scopes
	// to its new value (decimal) for markTTL, atomically, and returns the value.
	Mark(ctx context.Context, counterKey string, scopes []string, markTTL time.Duration) (int64, error)
	// Claim sets key for ttl unless it is set, and reports whether it did.
	Claim(ctx context.Context, key string, ttl time.Duration) (bool, error)
}

// markTTL is how long a change mark is kept: far longer than any entry lives,
// so an entry never outlives the mark that would invalidate it.
const markTTL = 24 * time.Hour

// Cache is a read cache over a Store. The zero TTL turns it off: every read goes
// upstream, nothing is coalesced.
type Cache struct {
	store  Store
	ttl    time.Duration
	prefix string
	now    func() time.Time
	group  singleflight.Group
	// OnStoreError, if set, hears about a failing store; reads then go upstream.
	OnStoreError func(op string, err error)
}

// New returns a cache over store whose entries live ttl (0: off), with every key
// under prefix (e.g. "sd:rc:").
func New(store Store, ttl time.Duration, prefix string) *Cache {
	return &Cache{store: store, ttl: ttl, prefix: prefix, now: time.Now}
}

// Within returns a cache over the same store and TTL whose keys and change
// marks live apart, under space (e.g. one tenant's answers beside another's:
// a change in one marks nothing in the other).
func (c *Cache) Within(space string) *Cache {
	if c == nil {
		return nil
	}
	return &Cache{store: c.store, ttl: c.ttl, prefix: c.prefix + space + ":", now: c.now, OnStoreError: c.OnStoreError}
}

// On reports whether the cache shares anything.
func (c *Cache) On() bool { return c != nil && c.ttl > 0 && c.store != nil }

// TTL is how long entries live (0: the cache is off).
func (c *Cache) TTL() time.Duration {
	if !c.On() {
		return 0
	}
	return c.ttl
}

// Read describes one cached read.
type Read struct {
	// Key names the answer: the operation and everything the answer depends on
	// (ids, the query, the user level or identity whose view it is).
	Key string
	// Scopes are the change scopes the answer depends on, known before the call
	// ("source X"). The fetch may add more (the sources a list page holds).
	Scopes []string
	// TTLFactor stretches the cache's TTL for answers that change rarely
	// (schedules); 0 means 1.
	TTLFactor int
	// MaxAge, when set, serves a stored answer only while it is younger than
	// this: a reader that wants a fresher copy than the answer's TTL keeps
	// (a page about one source) beside one that does not (a summary of all).
	MaxAge time.Duration
	// Fresh skips the stored copy (the user asked for a refresh) but stores the
	// answer for the next readers.
	Fresh bool
	// StaleScopes are scopes among Scopes whose change leaves the copy worth
	// showing while it is read again (the statuses in a list of sources, after a
	// connection test: the same sources, one status older). A copy changed in
	// these only is served with Result.Stale set; the caller then reads it again
	// apart from the request (Revalidate). So is a copy past its TTL (such copies
	// are kept staleKeep times as long, so that a refresh that waits for a busy
	// budget does not leave readers without one). A change of any other scope
	// still drops it at once.
	StaleScopes []string
}

// Result is what a read gave back.
type Result struct {
	// FetchedAt is when the answer was read from ISC; the zero time when the
	// cache is off.
	FetchedAt time.Time
	// Cached reports whether the answer came from a stored copy (another
	// request's call), rather than from a call made for this request, alone or
	// coalesced with others.
	Cached bool
	// Stale reports that the copy was changed since, in Read.StaleScopes only.
	Stale bool
}

// Fetch reads an answer upstream and returns it with the extra scopes it
// depends on (nil when Read.Scopes says it all).
type Fetch[T any] func(ctx context.Context) (T, []string, error)

// Get returns r's answer: a stored copy whose scopes have not changed since it
// was read, else the answer of fetch, which it stores. Concurrent misses of one
// key in this process share one fetch; a failed shared fetch is not passed on:
// each waiter then fetches for itself (with its own credentials), and errors are
// never stored.
func Get[T any](ctx context.Context, c *Cache, r Read, fetch Fetch[T]) (T, Result, error) {
	var zero T
	if !c.On() {
		v, _, err := fetch(ctx)
		return v, Result{}, err
	}
	key := c.prefix + "e:" + r.Key
	seq, stored, stale, err := c.lookup(ctx, key, r)
	if err != nil {
		c.storeError("read", err)
		v, _, err := fetch(ctx)
		return v, Result{}, err
	}
	if stored != nil {
		var v T
		if err := json.Unmarshal(stored.payload, &v); err == nil {
			return v, Result{FetchedAt: stored.at, Cached: true, Stale: stale}, nil
		}
	}
	fill := func(ctx context.Context) (*entry, error) { return fill(ctx, c, key, r, seq, fetch) }
	flight := key
	if r.Fresh {
		flight += "\x00fresh"
	}
	led := false // this request ran the flight (singleflight says "shared" to the leader too)
	res, err, shared := c.group.Do(flight, func() (any, error) {
		led = true
		if !r.Fresh {
			// A flight that just ended may have stored the answer after this
			// request looked: look once more before calling upstream.
			if _, e, stale, err := c.lookup(ctx, key, r); err == nil && e != nil && !stale {
				return flown{e, true}, nil
			}
		}
		e, err := fill(ctx)
		return flown{e, false}, err
	})
	if err != nil && shared && !led {
		// The leader's failure may be its own (its sign-in, its cancelled request).
		var e *entry
		e, err = fill(ctx)
		res = flown{e, false}
	}
	if err != nil {
		return zero, Result{}, err
	}
	f := res.(flown)
	var v T
	if err := json.Unmarshal(f.e.payload, &v); err != nil {
		return zero, Result{}, fmt.Errorf("readcache: decode %s: %w", r.Key, err)
	}
	return v, Result{FetchedAt: f.e.at, Cached: f.stored}, nil
}

// fill reads r's answer with fetch and stores it under key with seq, the counter
// as it was before the call.
func fill[T any](ctx context.Context, c *Cache, key string, r Read, seq int64, fetch Fetch[T]) (*entry, error) {
	v, extra, err := fetch(ctx)
	if err != nil {
		return nil, err
	}
	payload, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("readcache: encode %s: %w", r.Key, err)
	}
	e := &entry{seq: seq, at: c.now(), scopes: append(append([]string(nil), r.Scopes...), extra...), payload: payload}
	ttl := r.ttl(c)
	if len(r.StaleScopes) > 0 {
		ttl *= staleKeep // served stale past its TTL, while it is read again
	}
	if err := c.store.Put(context.WithoutCancel(ctx), key, e.encode(), ttl); err != nil {
		c.storeError("write", err)
	}
	return e, nil
}

// Revalidate reads r's answer again with fetch and stores it, for a copy Get
// served stale, unless a refresh of it started within the last interval on any
// replica (one claim in the store): however many users see the stale copy, and
// however many changes keep marking it, it costs at most one call per interval.
// It reports whether it read.
func Revalidate[T any](ctx context.Context, c *Cache, r Read, interval time.Duration, fetch Fetch[T]) (bool, error) {
	if !c.On() {
		return false, nil
	}
	key := c.prefix + "e:" + r.Key
	claimed, err := c.store.Claim(ctx, c.prefix+"refresh:"+r.Key, max(interval, time.Millisecond)) // a claim never lives forever
	if err != nil {
		c.storeError("claim", err)
		return false, err
	}
	if !claimed {
		return false, nil
	}
	vals, err := c.store.Get(ctx, c.prefix+"seq")
	if err != nil {
		c.storeError("read", err)
		return false, err
	}
	_, err = fill(ctx, c, key, r, parseInt(vals[0]), fetch)
	return err == nil, err
}

// staleKeep is how many TTLs a copy that may be served stale is kept.
const staleKeep = 10

// ttl is how long r's answer is fresh.
func (r Read) ttl(c *Cache) time.Duration { return c.ttl * time.Duration(max(r.TTLFactor, 1)) }

// tooOld reports whether e is older than r takes.
func (r Read) tooOld(e *entry, now time.Time) bool {
	return r.MaxAge > 0 && now.Sub(e.at) > r.MaxAge
}

// flown is what one flight gave: an entry, and whether it was a stored one.
type flown struct {
	e      *entry
	stored bool
}

// lookup reads key's entry, the counter and the marks of r.Scopes in one round
// trip (and the marks of the entry's other scopes in a second one). It returns
// the counter (the seq a new entry is stored with) and the entry when it is
// still valid, or stale: changed in r.StaleScopes only.
func (c *Cache) lookup(ctx context.Context, key string, r Read) (seq int64, e *entry, stale bool, err error) {
	keys := append([]string{key, c.prefix + "seq"}, c.markKeys(r.Scopes)...)
	vals, err := c.store.Get(ctx, keys...)
	if err != nil {
		return 0, nil, false, err
	}
	seq = parseInt(vals[1])
	if r.Fresh || vals[0] == nil {
		return seq, nil, false, nil
	}
	e, err = decodeEntry(vals[0])
	if err != nil || r.tooOld(e, c.now()) {
		return seq, nil, false, nil // an entry of another version, or older than the reader takes: read it again
	}
	marks := map[string]int64{}
	for i, s := range r.Scopes {
		marks[s] = parseInt(vals[2+i])
	}
	var more []string
	for _, s := range e.scopes {
		if _, ok := marks[s]; !ok {
			more = append(more, s)
		}
	}
	if len(more) > 0 {
		mv, err := c.store.Get(ctx, c.markKeys(more)...)
		if err != nil {
			return 0, nil, false, err
		}
		for i, s := range more {
			marks[s] = parseInt(mv[i])
		}
	}
	stale = len(r.StaleScopes) > 0 && c.now().Sub(e.at) > r.ttl(c)
	for _, s := range e.scopes {
		if marks[s] > e.seq {
			if !slices.Contains(r.StaleScopes, s) {
				return seq, nil, false, nil // changed since it was read
			}
			stale = true
		}
	}
	return seq, e, stale, nil
}

// Changed records a change of every scope: entries that depend on any of them
// are not served again, on any replica. Call it after a change reached ISC,
// whether or not ISC said it worked (a failed answer may hide a change made).
func (c *Cache) Changed(ctx context.Context, scopes ...string) error {
	if !c.On() || len(scopes) == 0 {
		return nil
	}
	_, err := c.store.Mark(context.WithoutCancel(ctx), c.prefix+"seq", c.markKeys(scopes), markTTL)
	if err != nil {
		c.storeError("mark", err)
		return fmt.Errorf("readcache: mark a change: %w", err)
	}
	return nil
}

func (c *Cache) markKeys(scopes []string) []string {
	out := make([]string, len(scopes))
	for i, s := range scopes {
		out[i] = c.prefix + "m:" + s
	}
	return out
}

func (c *Cache) storeError(op string, err error) {
	if c.OnStoreError != nil && !errors.Is(err, context.Canceled) {
		c.OnStoreError(op, err)
	}
}

func parseInt(b []byte) int64 {
	n, _ := strconv.ParseInt(string(b), 10, 64)
	return n
}

// entry is a stored answer: the counter before its call, when it was read, the
// scopes it depends on, and the JSON of the answer.
type entry struct {
	seq     int64
	at      time.Time
	scopes  []string
	payload []byte
}

// entryVersion starts every encoded entry, so a change of layout reads as a miss.
const entryVersion = 1

// encode lays an entry out as: version byte, seq and time (varints), the scopes
// joined by NUL and their length, then the payload.
func (e *entry) encode() []byte {
	scopes := strings.Join(e.scopes, "\x00")
	b := make([]byte, 0, 1+3*binary.MaxVarintLen64+len(scopes)+len(e.payload))
	b = append(b, entryVersion)
	b = binary.AppendVarint(b, e.seq)
	b = binary.AppendVarint(b, e.at.UnixMicro())
	b = binary.AppendUvarint(b, uint64(len(scopes)))
	b = append(b, scopes...)
	return append(b, e.payload...)
}

var errBadEntry = errors.New("readcache: unreadable entry")

func decodeEntry(b []byte) (*entry, error) {
	if len(b) < 1 || b[0] != entryVersion {
		return nil, errBadEntry
	}
	b = b[1:]
	seq, n := binary.Varint(b)
	if n <= 0 {
		return nil, errBadEntry
	}
	b = b[n:]
	at, n := binary.Varint(b)
	if n <= 0 {
		return nil, errBadEntry
	}
	b = b[n:]
	sl, n := binary.Uvarint(b)
	if n <= 0 || uint64(len(b)-n) < sl {
		return nil, errBadEntry
	}
	b = b[n:]
	e := &entry{seq: seq, at: time.UnixMicro(at), payload: b[sl:]}
	if sl > 0 {
		e.scopes = strings.Split(string(b[:sl]), "\x00")
	}
	return e, nil
}

// Stored returns, for each of rs, its stored answer when there is one still
// valid, without fetching anything (two round trips for all of them): the
// answers, their results and whether each had one. A read with Fresh set has
// none. With the cache off nothing is stored.
func Stored[T any](ctx context.Context, c *Cache, rs []Read) ([]T, []Result, []bool, error) {
	vals, res, ok := make([]T, len(rs)), make([]Result, len(rs)), make([]bool, len(rs))
	if !c.On() || len(rs) == 0 {
		return vals, res, ok, nil
	}
	keys := make([]string, len(rs))
	for i, r := range rs {
		keys[i] = c.prefix + "e:" + r.Key
	}
	raw, err := c.store.Get(ctx, keys...)
	if err != nil {
		c.storeError("read", err)
		return vals, res, ok, err
	}
	entries := make([]*entry, len(rs))
	var scopes []string
	seen := map[string]bool{}
	for i, b := range raw {
		if b == nil || rs[i].Fresh {
			continue
		}
		if e, err := decodeEntry(b); err == nil && !rs[i].tooOld(e, c.now()) {
			entries[i] = e
			for _, s := range e.scopes {
				if !seen[s] {
					seen[s] = true
					scopes = append(scopes, s)
				}
			}
		}
	}
	marks := map[string]int64{}
	if len(scopes) > 0 {
		mv, err := c.store.Get(ctx, c.markKeys(scopes)...)
		if err != nil {
			c.storeError("read", err)
			return vals, res, ok, err
		}
		for i, s := range scopes {
			marks[s] = parseInt(mv[i])
		}
	}
next:
	for i, e := range entries {
		if e == nil {
			continue
		}
		for _, s := range e.scopes {
			if marks[s] > e.seq {
				continue next
			}
		}
		if json.Unmarshal(e.payload, &vals[i]) == nil {
			res[i], ok[i] = Result{FetchedAt: e.at, Cached: true}, true
		}
	}
	return vals, res, ok, nil
}
