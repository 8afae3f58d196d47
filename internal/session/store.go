package session

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/redis/go-redis/v9"
	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" database/sql driver
)

// StoreKind is the backend a store URL selects.
type StoreKind string

// The store kinds.
const (
	StoreMemory   StoreKind = "memory"   // "memory": one process, lost on restart
	StoreSQLite   StoreKind = "sqlite"   // "file:/path/to.db": embedded, one process
	StoreRedis    StoreKind = "redis"    // "redis://…" or "rediss://…": shared by replicas
	StorePostgres StoreKind = "postgres" // "postgres://…" or "postgresql://…": shared by replicas
)

// ParseStoreURL says which backend a store URL names. It is the one place that knows
// the URL schemes; the error says what is accepted.
func ParseStoreURL(s string) (StoreKind, error) {
	switch {
	case s == "memory":
		return StoreMemory, nil
	case strings.HasPrefix(s, "file:") && len(s) > len("file:"):
		return StoreSQLite, nil
	case strings.HasPrefix(s, "redis://"), strings.HasPrefix(s, "rediss://"):
		return StoreRedis, nil
	case strings.HasPrefix(s, "postgres://"), strings.HasPrefix(s, "postgresql://"):
		return StorePostgres, nil
	}
	return "", errors.New("must be memory, file:PATH, redis://… or postgres://…")
}

// StoreConn is one open connection pool to the store backend, for everything that
// keeps shared state there: the session manager (Config.Conn) and the activity log.
// A process opens it once, so each backend has one pool, and closes it after its
// users are done.
type StoreConn struct {
	Kind StoreKind
	// Path is the SQLite file (StoreSQLite).
	Path string
	// DB is the SQL database (StoreSQLite, StorePostgres).
	DB *sql.DB
	// Redis is the Redis client (StoreRedis).
	Redis *redis.Client

	pool *pgxpool.Pool // StorePostgres: the pool behind DB, which pgxstore needs
}

// OpenStore connects to the backend url names (see ParseStoreURL) and checks that
// it answers. The password of a URL never appears in its errors.
func OpenStore(ctx context.Context, url string) (*StoreConn, error) {
	kind, err := ParseStoreURL(url)
	if err != nil {
		return nil, fmt.Errorf("session store %q: %w", redactDSN(url), err)
	}
	c := &StoreConn{Kind: kind}
	switch kind {
	case StoreSQLite:
		c.Path = strings.TrimPrefix(url, "file:")
		// WAL lets readers run beside the writer; busy_timeout waits out the writer
		// instead of failing with SQLITE_BUSY.
		c.DB, err = sql.Open("sqlite", "file:"+c.Path+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_pragma=synchronous(NORMAL)")
	case StoreRedis:
		var opts *redis.Options
		if opts, err = redis.ParseURL(url); err == nil {
			c.Redis = redis.NewClient(opts)
		}
	case StorePostgres:
		if c.pool, err = pgxpool.New(ctx, url); err == nil {
			c.DB = stdlib.OpenDBFromPool(c.pool)
		}
	}
	if err == nil {
		err = c.ping(ctx)
	}
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("session store %s: %w", redactDSN(url), err)
	}
	return c, nil
}

func (c *StoreConn) ping(ctx context.Context) error {
	switch {
	case c.DB != nil:
		return c.DB.PingContext(ctx)
	case c.Redis != nil:
		return c.Redis.Ping(ctx).Err()
	}
	return nil
}

// Close closes the connection pool.
func (c *StoreConn) Close() error {
	var errs []error
	if c.DB != nil {
		errs = append(errs, c.DB.Close())
	}
	if c.pool != nil {
		c.pool.Close()
	}
	if c.Redis != nil {
		errs = append(errs, c.Redis.Close())
	}
	return errors.Join(errs...)
}
