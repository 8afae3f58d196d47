package session

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"
)

// errNotFound reports a key that does not exist or has expired.
var errNotFound = errors.New("session: key not found")

// backend is the small shared store behind everything that is not the scs blob:
// the token vault, the user index, login-state markers, the refresh lock and the
// rate budget. One implementation per Config.Store kind; with Redis or Postgres every
// replica sees the same data, which is what makes logout, "kill user" and the refresh
// lock work across replicas.
//
// Values are opaque bytes. Every write takes a TTL (> 0) so that abandoned entries
// disappear on their own.
type backend interface {
	Get(ctx context.Context, key string) ([]byte, error)
	Set(ctx context.Context, key string, val []byte, ttl time.Duration) error
	// SetNX stores val only when key is absent (or expired) and reports whether it did.
	SetNX(ctx context.Context, key string, val []byte, ttl time.Duration) (bool, error)
	// CAS replaces key's value with val only if it is currently exactly old, and
	// reports whether it did. A nil val deletes the key instead (compare-and-delete).
	// Records carry a version and a random nonce, so equal bytes mean the same write.
	CAS(ctx context.Context, key string, old, val []byte, ttl time.Duration) (bool, error)
	Delete(ctx context.Context, keys ...string) error
	// Expire resets key's TTL; a missing key is not an error.
	Expire(ctx context.Context, key string, ttl time.Duration) error
	// Incr adds delta to the counter at key (created at 0) and returns the new value;
	// the TTL is set when the counter is created.
	Incr(ctx context.Context, key string, delta int64, ttl time.Duration) (int64, error)
	// Counters returns the sum of the counters at keys (missing ones count 0).
	Counters(ctx context.Context, keys ...string) (int64, error)
	// Admit takes one call from a shared rate budget, or refuses it and leaves the
	// replica's claim (admit.go); one atomic step, on Redis one round trip.
	Admit(ctx context.Context, req admitRequest) (admitResult, error)
	// ReleaseClaim drops the replica's claim when it has nobody waiting any more.
	ReleaseClaim(ctx context.Context, req admitRequest) error
	// SAdd adds member to the set at key and resets the set's TTL.
	SAdd(ctx context.Context, key, member string, ttl time.Duration) error
	SMembers(ctx context.Context, key string) ([]string, error)
	SRem(ctx context.Context, key, member string) error
	Ping(ctx context.Context) error
	Close() error
}

// lockPoll is how often a waiting lock holder retries.
const lockPoll = 15 * time.Millisecond

// lock takes the lease lock at key for at most ttl, waiting until ctx is done.
// It returns the function that releases it (only if still ours: a lease that
// expired and was taken by someone else is left alone).
func lock(ctx context.Context, b backend, key string, ttl time.Duration) (func(), error) {
	owner := make([]byte, 16)
	if _, err := rand.Read(owner); err != nil {
		return nil, err
	}
	owner = []byte(hex.EncodeToString(owner))
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		ok, err := b.SetNX(ctx, key, owner, ttl)
		if err != nil {
			return nil, fmt.Errorf("take lock: %w", err)
		}
		if ok {
			return func() {
				// Release even if the caller's context is done, but do not hang.
				ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
				defer cancel()
				_, _ = b.CAS(ctx, key, owner, nil, ttl)
			}, nil
		}
		t.Reset(lockPoll)
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("take lock: %w", ctx.Err())
		case <-t.C:
		}
	}
}

// memoryBackend keeps everything in this process. Good for tests and a single
// replica whose sessions need not survive a restart.
type memoryBackend struct {
	mu       sync.Mutex
	now      func() time.Time // real time: TTLs are about housekeeping, not policy
	vals     map[string]memEntry
	counters map[string]memCounter
	sets     map[string]memSet
	claims   map[string]map[string]claimEntry // rate budget claims, by budget
	writes   int
	closed   bool
}

type memEntry struct {
	val []byte
	exp time.Time
}

type memCounter struct {
	n   int64
	exp time.Time
}

type memSet struct {
	members map[string]struct{}
	exp     time.Time
}

func newMemoryBackend() *memoryBackend {
	return &memoryBackend{
		now:      time.Now,
		vals:     map[string]memEntry{},
		counters: map[string]memCounter{},
		sets:     map[string]memSet{},
	}
}

// get returns the live entry at key; the caller holds mu.
func (m *memoryBackend) get(key string) (memEntry, bool) {
	e, ok := m.vals[key]
	if ok && !m.now().Before(e.exp) {
		delete(m.vals, key)
		return memEntry{}, false
	}
	return e, ok
}

func (m *memoryBackend) Get(_ context.Context, key string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.get(key)
	if !ok {
		return nil, errNotFound
	}
	return append([]byte(nil), e.val...), nil
}

// sweepEvery is how many writes pass between sweeps of expired entries, so that a
// long-running process does not keep abandoned sessions forever.
const sweepEvery = 1024

// sweep drops expired entries now and then; the caller holds mu.
func (m *memoryBackend) sweep() {
	m.writes++
	if m.writes%sweepEvery != 0 {
		return
	}
	now := m.now()
	for k, e := range m.vals {
		if !now.Before(e.exp) {
			delete(m.vals, k)
		}
	}
	for k, c := range m.counters {
		if !now.Before(c.exp) {
			delete(m.counters, k)
		}
	}
	for k, s := range m.sets {
		if !now.Before(s.exp) {
			delete(m.sets, k)
		}
	}
}

func (m *memoryBackend) Set(_ context.Context, key string, val []byte, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweep()
	m.vals[key] = memEntry{append([]byte(nil), val...), m.now().Add(ttl)}
	return nil
}

func (m *memoryBackend) SetNX(_ context.Context, key string, val []byte, ttl time.Duration) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.get(key); ok {
		return false, nil
	}
	m.sweep()
	m.vals[key] = memEntry{append([]byte(nil), val...), m.now().Add(ttl)}
	return true, nil
}

func (m *memoryBackend) CAS(_ context.Context, key string, old, val []byte, ttl time.Duration) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.get(key)
	if !ok || string(e.val) != string(old) {
		return false, nil
	}
	if val == nil {
		delete(m.vals, key)
		return true, nil
	}
	m.vals[key] = memEntry{append([]byte(nil), val...), m.now().Add(ttl)}
	return true, nil
}

func (m *memoryBackend) Delete(_ context.Context, keys ...string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, k := range keys {
		delete(m.vals, k)
		delete(m.counters, k)
		delete(m.sets, k)
	}
	return nil
}

func (m *memoryBackend) Expire(_ context.Context, key string, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.get(key); ok {
		e.exp = m.now().Add(ttl)
		m.vals[key] = e
	}
	return nil
}

func (m *memoryBackend) Incr(_ context.Context, key string, delta int64, ttl time.Duration) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.counters[key]
	if !ok || !m.now().Before(c.exp) {
		c = memCounter{exp: m.now().Add(ttl)}
	}
	c.n += delta
	m.counters[key] = c
	return c.n, nil
}

func (m *memoryBackend) Counters(_ context.Context, keys ...string) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var sum int64
	for _, k := range keys {
		if c, ok := m.counters[k]; ok && m.now().Before(c.exp) {
			sum += c.n
		}
	}
	return sum, nil
}

func (m *memoryBackend) SAdd(_ context.Context, key, member string, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.sets[key]
	if !ok || !m.now().Before(s.exp) {
		s = memSet{members: map[string]struct{}{}}
	}
	s.members[member] = struct{}{}
	s.exp = m.now().Add(ttl)
	m.sets[key] = s
	return nil
}

func (m *memoryBackend) SMembers(_ context.Context, key string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.sets[key]
	if !ok || !m.now().Before(s.exp) {
		return nil, nil
	}
	out := make([]string, 0, len(s.members))
	for k := range s.members {
		out = append(out, k)
	}
	return out, nil
}

func (m *memoryBackend) SRem(_ context.Context, key, member string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if s, ok := m.sets[key]; ok {
		delete(s.members, member)
	}
	return nil
}

func (m *memoryBackend) Ping(context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return errors.New("session: memory backend closed")
	}
	return nil
}

func (m *memoryBackend) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	return nil
}
