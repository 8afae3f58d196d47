package main

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/redis/go-redis/v9"

	"sourcedesk/internal/activity"
)

// newActivityLog opens the team's activity log in the same backend as the sessions
// (memory, the SQLite file, Redis or Postgres), so every replica writes to and reads
// one log, and starts pruning entries older than ACTIVITY_RETENTION. The returned
// func closes the connection.
func newActivityLog(ctx context.Context, cfg *Config, logger *slog.Logger) (activity.Store, func(), error) {
	var (
		store activity.Store
		close = func() {}
	)
	switch s := cfg.SessionStore; {
	case s == "memory":
		store = activity.NewMemory()
	case strings.HasPrefix(s, "file:"):
		// The same file and pragmas as the session store: WAL and a busy timeout let
		// both connection pools share it.
		db, err := sql.Open("sqlite", "file:"+strings.TrimPrefix(s, "file:")+
			"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_pragma=synchronous(NORMAL)")
		if err != nil {
			return nil, nil, err
		}
		if store, err = activity.NewSQL(ctx, db, activity.SQLite); err != nil {
			db.Close()
			return nil, nil, err
		}
		close = func() { db.Close() }
	case strings.HasPrefix(s, "redis://"), strings.HasPrefix(s, "rediss://"):
		opts, err := redis.ParseURL(s)
		if err != nil {
			return nil, nil, err
		}
		client := redis.NewClient(opts)
		store = activity.NewRedis(client, "sd:activity:")
		close = func() { client.Close() }
	case strings.HasPrefix(s, "postgres://"), strings.HasPrefix(s, "postgresql://"):
		pool, err := pgxpool.New(ctx, s)
		if err != nil {
			return nil, nil, err
		}
		db := stdlib.OpenDBFromPool(pool)
		if store, err = activity.NewSQL(ctx, db, activity.Postgres); err != nil {
			db.Close()
			pool.Close()
			return nil, nil, err
		}
		close = func() { db.Close(); pool.Close() }
	default:
		return nil, nil, fmt.Errorf("SESSION_STORE %q has no activity log backend", s)
	}
	go activity.KeepFor(ctx, store, cfg.ActivityRetention, time.Hour, time.Now, func(err error) {
		logger.Warn("pruning the activity log failed", slog.String("error", err.Error()))
	})
	return store, close, nil
}
