package session

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"
)

// sqlBackend keeps the shared state in SQL tables. It serves both the embedded
// SQLite file (single binary, survives restarts) and Postgres (several replicas).
// Expiry times are Unix milliseconds from this process's clock; replicas are
// expected to run NTP, and the only sub-second-sensitive use (the refresh lock's
// lease of a few seconds) tolerates the usual skew.
type sqlBackend struct {
	admitMu  sync.Mutex // orders this process's budget admissions (admit.go)
	db       *sql.DB
	postgres bool
	now      func() time.Time
	stop     chan struct{}
	wg       sync.WaitGroup
	// extraSweep are more statements the sweeper runs (the scs sessions table).
	extraSweep []string
}

// sqlSchema creates the three tables; {{blob}} is the dialect's byte type.
const sqlSchema = `
CREATE TABLE IF NOT EXISTS sd_kv (k TEXT PRIMARY KEY, v {{blob}} NOT NULL, exp BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS sd_counters (k TEXT PRIMARY KEY, n BIGINT NOT NULL, exp BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS sd_sets (k TEXT NOT NULL, m TEXT NOT NULL, exp BIGINT NOT NULL, PRIMARY KEY (k, m));
CREATE INDEX IF NOT EXISTS sd_kv_exp ON sd_kv (exp);
`

// newSQLBackend creates the tables and starts the sweeper that deletes expired rows.
func newSQLBackend(ctx context.Context, db *sql.DB, postgres bool) (*sqlBackend, error) {
	b := &sqlBackend{db: db, postgres: postgres, now: time.Now, stop: make(chan struct{})}
	blob := "BLOB"
	if postgres {
		blob = "BYTEA"
	}
	for _, stmt := range strings.Split(strings.ReplaceAll(sqlSchema, "{{blob}}", blob), ";") {
		if strings.TrimSpace(stmt) == "" {
			continue
		}
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			return nil, err
		}
	}
	b.wg.Add(1)
	go b.sweepLoop(5 * time.Minute)
	return b, nil
}

func (b *sqlBackend) sweepLoop(every time.Duration) {
	defer b.wg.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			now := b.ms(0)
			for _, table := range []string{"sd_kv", "sd_counters", "sd_sets"} {
				_, _ = b.exec(ctx, "DELETE FROM "+table+" WHERE exp <= ?", now)
			}
			for _, stmt := range b.extraSweep {
				_, _ = b.exec(ctx, stmt)
			}
			cancel()
		}
	}
}

// ms is now+d in Unix milliseconds.
func (b *sqlBackend) ms(d time.Duration) int64 { return b.now().Add(d).UnixMilli() }

// q rewrites ? placeholders to Postgres's $n.
func (b *sqlBackend) q(query string) string {
	if !b.postgres {
		return query
	}
	var sb strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			sb.WriteString("$" + strconv.Itoa(n))
			continue
		}
		sb.WriteRune(r)
	}
	return sb.String()
}

func (b *sqlBackend) exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := b.db.ExecContext(ctx, b.q(query), args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (b *sqlBackend) Get(ctx context.Context, key string) ([]byte, error) {
	var v []byte
	err := b.db.QueryRowContext(ctx, b.q("SELECT v FROM sd_kv WHERE k = ? AND exp > ?"), key, b.ms(0)).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNotFound
	}
	return v, err
}

func (b *sqlBackend) Set(ctx context.Context, key string, val []byte, ttl time.Duration) error {
	_, err := b.exec(ctx, `INSERT INTO sd_kv (k, v, exp) VALUES (?, ?, ?)
		ON CONFLICT (k) DO UPDATE SET v = excluded.v, exp = excluded.exp`, key, val, b.ms(ttl))
	return err
}

func (b *sqlBackend) SetNX(ctx context.Context, key string, val []byte, ttl time.Duration) (bool, error) {
	// An expired row counts as absent, so a crashed lock holder's lease can be taken over.
	n, err := b.exec(ctx, `INSERT INTO sd_kv (k, v, exp) VALUES (?, ?, ?)
		ON CONFLICT (k) DO UPDATE SET v = excluded.v, exp = excluded.exp WHERE sd_kv.exp <= ?`,
		key, val, b.ms(ttl), b.ms(0))
	return n == 1, err
}

func (b *sqlBackend) CAS(ctx context.Context, key string, old, val []byte, ttl time.Duration) (bool, error) {
	var n int64
	var err error
	if val == nil {
		n, err = b.exec(ctx, "DELETE FROM sd_kv WHERE k = ? AND v = ?", key, old)
	} else {
		n, err = b.exec(ctx, "UPDATE sd_kv SET v = ?, exp = ? WHERE k = ? AND v = ? AND exp > ?",
			val, b.ms(ttl), key, old, b.ms(0))
	}
	return n == 1, err
}

func (b *sqlBackend) Delete(ctx context.Context, keys ...string) error {
	for _, k := range keys {
		for _, table := range []string{"sd_kv", "sd_counters", "sd_sets"} {
			if _, err := b.exec(ctx, "DELETE FROM "+table+" WHERE k = ?", k); err != nil {
				return err
			}
		}
	}
	return nil
}

func (b *sqlBackend) Expire(ctx context.Context, key string, ttl time.Duration) error {
	_, err := b.exec(ctx, "UPDATE sd_kv SET exp = ? WHERE k = ? AND exp > ?", b.ms(ttl), key, b.ms(0))
	return err
}

func (b *sqlBackend) Incr(ctx context.Context, key string, delta int64, ttl time.Duration) (int64, error) {
	now := b.ms(0)
	var n int64
	err := b.db.QueryRowContext(ctx, b.q(`INSERT INTO sd_counters (k, n, exp) VALUES (?, ?, ?)
		ON CONFLICT (k) DO UPDATE SET
			n = CASE WHEN sd_counters.exp <= ? THEN excluded.n ELSE sd_counters.n + excluded.n END,
			exp = CASE WHEN sd_counters.exp <= ? THEN excluded.exp ELSE sd_counters.exp END
		RETURNING n`), key, delta, b.ms(ttl), now, now).Scan(&n)
	return n, err
}

func (b *sqlBackend) Counters(ctx context.Context, keys ...string) (int64, error) {
	if len(keys) == 0 {
		return 0, nil
	}
	args := []any{b.ms(0)}
	marks := make([]string, len(keys))
	for i, k := range keys {
		marks[i] = "?"
		args = append(args, k)
	}
	var sum int64
	err := b.db.QueryRowContext(ctx, b.q("SELECT COALESCE(SUM(n), 0) FROM sd_counters WHERE exp > ? AND k IN ("+
		strings.Join(marks, ",")+")"), args...).Scan(&sum)
	return sum, err
}

func (b *sqlBackend) SAdd(ctx context.Context, key, member string, ttl time.Duration) error {
	exp := b.ms(ttl)
	if _, err := b.exec(ctx, `INSERT INTO sd_sets (k, m, exp) VALUES (?, ?, ?)
		ON CONFLICT (k, m) DO UPDATE SET exp = excluded.exp`, key, member, exp); err != nil {
		return err
	}
	_, err := b.exec(ctx, "UPDATE sd_sets SET exp = ? WHERE k = ?", exp, key)
	return err
}

func (b *sqlBackend) SMembers(ctx context.Context, key string) ([]string, error) {
	rows, err := b.db.QueryContext(ctx, b.q("SELECT m FROM sd_sets WHERE k = ? AND exp > ?"), key, b.ms(0))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var m string
		if err := rows.Scan(&m); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

func (b *sqlBackend) SRem(ctx context.Context, key, member string) error {
	_, err := b.exec(ctx, "DELETE FROM sd_sets WHERE k = ? AND m = ?", key, member)
	return err
}

func (b *sqlBackend) Ping(ctx context.Context) error { return b.db.PingContext(ctx) }

func (b *sqlBackend) Close() error {
	close(b.stop)
	b.wg.Wait()
	return nil // the connection is the StoreConn's
}
