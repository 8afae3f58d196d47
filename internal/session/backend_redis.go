package session

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisBackend keeps the shared state in Redis so every replica sees it.
// Keys are prefixed; none of them contains a raw session token.
type redisBackend struct {
	c      *redis.Client
	prefix string
}

func newRedisBackend(c *redis.Client, prefix string) *redisBackend {
	return &redisBackend{c: c, prefix: prefix}
}

// casScript swaps (or deletes, when ARGV[2] is empty and ARGV[4] is "del") a value
// only if it is still the one the caller read: a plain GET+SET would let a slow
// writer overwrite a newer refresh token.
var casScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[3] == 'del' then redis.call('DEL', KEYS[1]) return 1 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[4])
return 1`)

// incrScript creates counters with a TTL in the same step as the first increment,
// so a crash between INCR and PEXPIRE cannot leave a counter that never expires.
var incrScript = redis.NewScript(`
local n = redis.call('INCRBY', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return n`)

func (r *redisBackend) Get(ctx context.Context, key string) ([]byte, error) {
	b, err := r.c.Get(ctx, r.prefix+key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, errNotFound
	}
	return b, err
}

func (r *redisBackend) Set(ctx context.Context, key string, val []byte, ttl time.Duration) error {
	return r.c.Set(ctx, r.prefix+key, val, ttl).Err()
}

func (r *redisBackend) SetNX(ctx context.Context, key string, val []byte, ttl time.Duration) (bool, error) {
	err := r.c.SetArgs(ctx, r.prefix+key, val, redis.SetArgs{Mode: "NX", TTL: ttl}).Err()
	if errors.Is(err, redis.Nil) {
		return false, nil
	}
	return err == nil, err
}

func (r *redisBackend) CAS(ctx context.Context, key string, old, val []byte, ttl time.Duration) (bool, error) {
	mode := "set"
	if val == nil {
		mode = "del"
	}
	n, err := casScript.Run(ctx, r.c, []string{r.prefix + key}, old, val, mode, ttl.Milliseconds()).Int()
	return n == 1, err
}

func (r *redisBackend) Delete(ctx context.Context, keys ...string) error {
	if len(keys) == 0 {
		return nil
	}
	full := make([]string, len(keys))
	for i, k := range keys {
		full[i] = r.prefix + k
	}
	return r.c.Del(ctx, full...).Err()
}

func (r *redisBackend) Expire(ctx context.Context, key string, ttl time.Duration) error {
	return r.c.PExpire(ctx, r.prefix+key, ttl).Err()
}

func (r *redisBackend) Incr(ctx context.Context, key string, delta int64, ttl time.Duration) (int64, error) {
	return incrScript.Run(ctx, r.c, []string{r.prefix + key}, delta, ttl.Milliseconds()).Int64()
}

func (r *redisBackend) Counters(ctx context.Context, keys ...string) (int64, error) {
	full := make([]string, len(keys))
	for i, k := range keys {
		full[i] = r.prefix + k
	}
	vals, err := r.c.MGet(ctx, full...).Result()
	if err != nil {
		return 0, err
	}
	var sum int64
	for _, v := range vals {
		s, ok := v.(string)
		if !ok {
			continue
		}
		var n int64
		if _, err := fmt.Sscan(s, &n); err == nil {
			sum += n
		}
	}
	return sum, nil
}

func (r *redisBackend) SAdd(ctx context.Context, key, member string, ttl time.Duration) error {
	_, err := r.c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.SAdd(ctx, r.prefix+key, member)
		p.PExpire(ctx, r.prefix+key, ttl)
		return nil
	})
	return err
}

func (r *redisBackend) SMembers(ctx context.Context, key string) ([]string, error) {
	return r.c.SMembers(ctx, r.prefix+key).Result()
}

func (r *redisBackend) SRem(ctx context.Context, key, member string) error {
	return r.c.SRem(ctx, r.prefix+key, member).Err()
}

func (r *redisBackend) Ping(ctx context.Context) error { return r.c.Ping(ctx).Err() }

// Close leaves the client open: it is the StoreConn's.
func (r *redisBackend) Close() error { return nil }
