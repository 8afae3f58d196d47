package readcache

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Memory is a Store in this process: for a console that runs alone (the memory
// and SQLite session stores).
type Memory struct {
	mu     sync.Mutex
	now    func() time.Time
	vals   map[string]memValue
	writes int
}

type memValue struct {
	val []byte
	exp time.Time
}

// NewMemory returns an empty in-process store.
func NewMemory() *Memory { return &Memory{now: time.Now, vals: map[string]memValue{}} }

// Get implements Store.
func (m *Memory) Get(_ context.Context, keys ...string) ([][]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	out := make([][]byte, len(keys))
	for i, k := range keys {
		if v, ok := m.vals[k]; ok && (v.exp.IsZero() || now.Before(v.exp)) {
			out[i] = v.val
		}
	}
	return out, nil
}

// Put implements Store. Stored bytes are never changed afterwards, so readers
// may keep the slice they got.
func (m *Memory) Put(_ context.Context, key string, val []byte, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweep()
	m.vals[key] = memValue{val: append([]byte(nil), val...), exp: m.now().Add(ttl)}
	return nil
}

// Mark implements Store.
func (m *Memory) Mark(_ context.Context, counterKey string, scopes []string, markTTL time.Duration) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweep()
	n := parseInt(m.vals[counterKey].val) + 1
	val := []byte(strconv.FormatInt(n, 10))
	m.vals[counterKey] = memValue{val: val} // the counter never expires
	exp := m.now().Add(markTTL)
	for _, s := range scopes {
		m.vals[s] = memValue{val: val, exp: exp}
	}
	return n, nil
}

// Claim implements Store.
func (m *Memory) Claim(_ context.Context, key string, ttl time.Duration) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if v, ok := m.vals[key]; ok && (v.exp.IsZero() || m.now().Before(v.exp)) {
		return false, nil
	}
	m.sweep()
	m.vals[key] = memValue{val: []byte("1"), exp: m.now().Add(ttl)}
	return true, nil
}

// sweepEvery is how many writes pass between sweeps of expired values.
const sweepEvery = 512

// sweep drops expired values now and then; the caller holds mu.
func (m *Memory) sweep() {
	m.writes++
	if m.writes%sweepEvery != 0 {
		return
	}
	now := m.now()
	for k, v := range m.vals {
		if !v.exp.IsZero() && !now.Before(v.exp) {
			delete(m.vals, k)
		}
	}
}

// Redis is a Store in Redis, shared by every replica.
type Redis struct{ c redis.UniversalClient }

// NewRedis returns a Store on c (the caller owns c).
func NewRedis(c redis.UniversalClient) *Redis { return &Redis{c: c} }

// Get implements Store with one MGET.
func (r *Redis) Get(ctx context.Context, keys ...string) ([][]byte, error) {
	vals, err := r.c.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, err
	}
	out := make([][]byte, len(keys))
	for i, v := range vals {
		if s, ok := v.(string); ok {
			out[i] = []byte(s)
		}
	}
	return out, nil
}

// Put implements Store.
func (r *Redis) Put(ctx context.Context, key string, val []byte, ttl time.Duration) error {
	return r.c.Set(ctx, key, val, ttl).Err()
}

// Claim implements Store with one SET NX.
func (r *Redis) Claim(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	return r.c.SetNX(ctx, key, 1, ttl).Result()
}

// markScript advances the counter and sets every scope's mark to its new value
// in one step, so no reader sees the counter moved without the marks.
var markScript = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
for i = 2, #KEYS do redis.call('SET', KEYS[i], n, 'PX', ARGV[1]) end
return n`)

// Mark implements Store with one script call.
func (r *Redis) Mark(ctx context.Context, counterKey string, scopes []string, markTTL time.Duration) (int64, error) {
	n, err := markScript.Run(ctx, r.c, append([]string{counterKey}, scopes...), markTTL.Milliseconds()).Int64()
	if errors.Is(err, redis.Nil) {
		return 0, errors.New("readcache: mark script returned nothing")
	}
	return n, err
}
