package session

import (
	"context"
	"encoding/binary"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// The shared budget's admission: one decision, made atomically in the backend,
// per attempt to call ISC (on Redis one script, so one round trip).
//
// State per budget (one OAuth client), under a key prefix:
//   - the calls admitted per bucket (rateBuckets+1 buckets cover a window), in all
//     and per user: what the user has used lately orders users who wait;
//   - the claims of the replicas that have callers waiting: each replica's best
//     waiting caller, ranked by (priority, the user's use of the window). A caller is
//     admitted only when the window has room and no other replica's claim ranks
//     before it; a refused caller leaves (or refreshes) its replica's claim, which
//     expires on its own if the replica goes away.

// rankStep separates priorities in a claim's score: a user's use of one window
// (at most the limit, far below 2^32) orders users within a priority.
const rankStep = 1 << 32

// admitRequest is one attempt to take a call from the budget.
type admitRequest struct {
	prefix string // the budget's keys (one per OAuth client)
	user   string // the caller's user key; "" for none
	rank   int64  // its priority (api.Priority): lower goes first
	claim  string // this replica's claim id
	limit  int64
	bucket time.Duration // window / rateBuckets
	now    time.Time     // the budget's clock (Config.Now): which bucket a call counts in
	// wall is the real time, for the claims' expiry: a claim says a replica is
	// still waiting, which is about liveness, not policy.
	wall time.Time
}

// admitResult is the decision.
type admitResult struct {
	admitted bool
	// full: the window has no room (retry at the next bucket); otherwise a
	// refusal means another replica's waiting caller goes first.
	full bool
}

func (r admitRequest) cur() int64              { return r.now.UnixNano() / int64(r.bucket) }
func (r admitRequest) ttl() time.Duration      { return time.Duration(rateBuckets+2) * r.bucket }
func (r admitRequest) claimTTL() time.Duration { return 2 * r.bucket }
func (r admitRequest) globalKey() string       { return r.prefix + "g" }
func (r admitRequest) userKey() string         { return r.prefix + "u:" + r.user }
func (r admitRequest) claimsKey() string       { return r.prefix + "claims" }
func (r admitRequest) claimExpKey() string     { return r.prefix + "claimexp" }

// decide is the admission rule every backend applies to what it read: total calls
// in the window, calls in the current bucket, the user's calls in the window, and
// the other replicas' claims.
//
// Priorities beyond the first also keep out of the way of page loads: a call of
// rank r (1 bulk, 2 background, 3 prefetch) leaves r buckets' worth of the window
// free (limit/rateBuckets each; on a budget of a few calls, still room for one), and once half the window is used it takes at most one
// bucket's worth per bucket. Without that, a saturated window frees its calls in
// bursts, the oldest bucket at once, which the waiting bulk calls would take
// whole: a page load arriving after such a burst would wait a whole window. Paced,
// bulk work frees a bucket's worth every bucket, and page loads always find room;
// on a quiet budget, background work still goes at once.
func decide(total, current, used int64, claims map[string]claimEntry, r admitRequest) (admitResult, int64) {
	score := r.rank*rankStep + used
	share := max(1, r.limit/rateBuckets)
	if total >= max(1, r.limit-r.rank*share) || (r.rank > 0 && total*2 >= r.limit && current >= share) {
		return admitResult{full: true}, score
	}
	for id, c := range claims {
		if id != r.claim && c.exp.After(r.wall) && c.score < score {
			return admitResult{}, score
		}
	}
	return admitResult{admitted: true}, score
}

type claimEntry struct {
	score int64
	exp   time.Time
}

// admitScript is decide, run in Redis (nb is rateBuckets): read the window's counts (dropping buckets
// that left it), look at the other replicas' claims (dropping expired ones), then
// either count the call or leave this replica's claim.
var admitScript = redis.NewScript(`
local cur, nb, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local ttl, rank, claim = tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]
local now, claimttl = tonumber(ARGV[7]), tonumber(ARGV[8])
local function window(key)
  local sum, current = 0, 0
  local kv = redis.call('HGETALL', key)
  for i = 1, #kv, 2 do
    local b = tonumber(kv[i])
    if b < cur - nb then
      redis.call('HDEL', key, kv[i])
    else
      sum = sum + tonumber(kv[i + 1])
      if b == cur then current = tonumber(kv[i + 1]) end
    end
  end
  return sum, current
end
local total, current = window(KEYS[1])
local used = window(KEYS[2])
local score = rank * 4294967296 + used
local share = math.max(1, math.floor(limit / nb))
local full = total >= math.max(1, limit - rank * share) or (rank > 0 and total * 2 >= limit and current >= share)
if not full then
  local ahead = false
  local claims = redis.call('ZRANGE', KEYS[3], 0, -1, 'WITHSCORES')
  for i = 1, #claims, 2 do
    local id = claims[i]
    if id ~= claim then
      local exp = tonumber(redis.call('HGET', KEYS[4], id) or '0')
      if exp <= now then
        redis.call('ZREM', KEYS[3], id)
        redis.call('HDEL', KEYS[4], id)
      elseif tonumber(claims[i + 1]) < score then
        ahead = true
      end
    end
  end
  if not ahead then
    redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
    redis.call('PEXPIRE', KEYS[1], ttl)
    redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
    redis.call('PEXPIRE', KEYS[2], ttl)
    if redis.call('ZREM', KEYS[3], claim) == 1 then redis.call('HDEL', KEYS[4], claim) end
    return 1
  end
end
redis.call('ZADD', KEYS[3], score, claim)
redis.call('HSET', KEYS[4], claim, now + claimttl)
redis.call('PEXPIRE', KEYS[3], claimttl * 4)
redis.call('PEXPIRE', KEYS[4], claimttl * 4)
if full then return 0 end
return -1`)

func (r *redisBackend) Admit(ctx context.Context, req admitRequest) (admitResult, error) {
	keys := []string{r.prefix + req.globalKey(), r.prefix + req.userKey(), r.prefix + req.claimsKey(), r.prefix + req.claimExpKey()}
	n, err := admitScript.Run(ctx, r.c, keys, strconv.FormatInt(req.cur(), 10), rateBuckets, req.limit,
		req.ttl().Milliseconds(), req.rank, req.claim, req.wall.UnixMilli(), req.claimTTL().Milliseconds()).Int()
	if err != nil {
		return admitResult{}, err
	}
	return admitResult{admitted: n == 1, full: n == 0}, nil
}

func (r *redisBackend) ReleaseClaim(ctx context.Context, req admitRequest) error {
	_, err := r.c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZRem(ctx, r.prefix+req.claimsKey(), req.claim)
		p.HDel(ctx, r.prefix+req.claimExpKey(), req.claim)
		return nil
	})
	return err
}

// The memory backend keeps the same state in its maps, under its lock.

func (m *memoryBackend) Admit(_ context.Context, req admitRequest) (admitResult, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	sum := func(key string) int64 {
		var n int64
		for i := int64(0); i <= rateBuckets; i++ {
			if c, ok := m.counters[key+":"+strconv.FormatInt(req.cur()-i, 10)]; ok && m.now().Before(c.exp) {
				n += c.n
			}
		}
		return n
	}
	if m.claims == nil {
		m.claims = map[string]map[string]claimEntry{}
	}
	claims := m.claims[req.claimsKey()]
	var current int64
	if c, ok := m.counters[req.globalKey()+":"+strconv.FormatInt(req.cur(), 10)]; ok && m.now().Before(c.exp) {
		current = c.n
	}
	res, score := decide(sum(req.globalKey()), current, sum(req.userKey()), claims, req)
	if !res.admitted {
		if claims == nil {
			claims = map[string]claimEntry{}
			m.claims[req.claimsKey()] = claims
		}
		claims[req.claim] = claimEntry{score: score, exp: req.wall.Add(req.claimTTL())}
		return res, nil
	}
	delete(claims, req.claim)
	for _, k := range []string{req.globalKey(), req.userKey()} {
		k += ":" + strconv.FormatInt(req.cur(), 10)
		c, ok := m.counters[k]
		if !ok || !m.now().Before(c.exp) {
			c = memCounter{exp: m.now().Add(req.ttl())}
		}
		c.n++
		m.counters[k] = c
	}
	m.sweep()
	return res, nil
}

func (m *memoryBackend) ReleaseClaim(_ context.Context, req admitRequest) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.claims[req.claimsKey()], req.claim)
	return nil
}

// The SQL backends decide in one transaction: SQLite serves one process, whose
// admissions the backend's lock orders; Postgres takes an advisory lock on the
// budget for the transaction, so replicas take turns. Counts live in sd_counters,
// claims in sd_kv (the score as 8 bytes, the expiry as the row's).

func (b *sqlBackend) Admit(ctx context.Context, req admitRequest) (admitResult, error) {
	b.admitMu.Lock()
	defer b.admitMu.Unlock()
	tx, err := b.db.BeginTx(ctx, nil)
	if err != nil {
		return admitResult{}, err
	}
	defer tx.Rollback()
	if b.postgres {
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtext($1))", req.prefix); err != nil {
			return admitResult{}, err
		}
	}
	nowMS := b.ms(0)
	// sum gives the calls of the window at key, and those of the current bucket.
	sum := func(key string) (int64, int64, error) {
		args := []any{nowMS}
		marks := make([]string, 0, rateBuckets+1)
		for i := int64(0); i <= rateBuckets; i++ {
			marks = append(marks, "?")
			args = append(args, key+":"+strconv.FormatInt(req.cur()-i, 10))
		}
		rows, err := tx.QueryContext(ctx, b.q("SELECT k, n FROM sd_counters WHERE exp > ? AND k IN ("+
			strings.Join(marks, ",")+")"), args...)
		if err != nil {
			return 0, 0, err
		}
		defer rows.Close()
		var total, current int64
		for rows.Next() {
			var k string
			var n int64
			if err := rows.Scan(&k, &n); err != nil {
				return 0, 0, err
			}
			total += n
			if k == args[1] {
				current = n
			}
		}
		return total, current, rows.Err()
	}
	total, current, err := sum(req.globalKey())
	if err != nil {
		return admitResult{}, err
	}
	used, _, err := sum(req.userKey())
	if err != nil {
		return admitResult{}, err
	}
	claimPrefix := req.claimsKey() + ":"
	rows, err := tx.QueryContext(ctx, b.q("SELECT k, v, exp FROM sd_kv WHERE k LIKE ? AND exp > ?"), claimPrefix+"%", nowMS)
	if err != nil {
		return admitResult{}, err
	}
	claims := map[string]claimEntry{}
	for rows.Next() {
		var k string
		var v []byte
		var exp int64
		if err := rows.Scan(&k, &v, &exp); err != nil {
			rows.Close()
			return admitResult{}, err
		}
		if len(v) == 8 {
			claims[strings.TrimPrefix(k, claimPrefix)] = claimEntry{score: int64(binary.BigEndian.Uint64(v)), exp: time.UnixMilli(exp)}
		}
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return admitResult{}, err
	}
	res, score := decide(total, current, used, claims, req)
	if res.admitted {
		for _, k := range []string{req.globalKey(), req.userKey()} {
			k += ":" + strconv.FormatInt(req.cur(), 10)
			if _, err := tx.ExecContext(ctx, b.q(`INSERT INTO sd_counters (k, n, exp) VALUES (?, 1, ?)
				ON CONFLICT (k) DO UPDATE SET n = CASE WHEN sd_counters.exp <= ? THEN 1 ELSE sd_counters.n + 1 END,
					exp = CASE WHEN sd_counters.exp <= ? THEN excluded.exp ELSE sd_counters.exp END`),
				k, b.ms(req.ttl()), nowMS, nowMS); err != nil {
				return admitResult{}, err
			}
		}
		if _, err := tx.ExecContext(ctx, b.q("DELETE FROM sd_kv WHERE k = ?"), claimPrefix+req.claim); err != nil {
			return admitResult{}, err
		}
	} else {
		var v [8]byte
		binary.BigEndian.PutUint64(v[:], uint64(score))
		if _, err := tx.ExecContext(ctx, b.q(`INSERT INTO sd_kv (k, v, exp) VALUES (?, ?, ?)
			ON CONFLICT (k) DO UPDATE SET v = excluded.v, exp = excluded.exp`),
			claimPrefix+req.claim, v[:], b.ms(req.claimTTL())); err != nil {
			return admitResult{}, err
		}
	}
	return res, tx.Commit()
}

func (b *sqlBackend) ReleaseClaim(ctx context.Context, req admitRequest) error {
	_, err := b.exec(ctx, "DELETE FROM sd_kv WHERE k = ?", req.claimsKey()+":"+req.claim)
	return err
}
