package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"sourcedesk/internal/activity"
	"sourcedesk/internal/session"
)

// newActivityLog opens the team's activity log on the session store's connection
// (memory, the SQLite file, Redis or Postgres), so every replica writes to and reads
// one log, and starts pruning entries older than ACTIVITY_RETENTION until ctx ends.
func newActivityLog(ctx context.Context, cfg *Config, store *session.StoreConn, logger *slog.Logger) (activity.Store, error) {
	var (
		al  activity.Store
		err error
	)
	switch store.Kind {
	case session.StoreMemory:
		al = activity.NewMemory()
	case session.StoreSQLite:
		al, err = activity.NewSQL(ctx, store.DB, activity.SQLite)
	case session.StoreRedis:
		al = activity.NewRedis(store.Redis, "sd:activity:")
	case session.StorePostgres:
		al, err = activity.NewSQL(ctx, store.DB, activity.Postgres)
	default:
		err = fmt.Errorf("no activity log backend for a %s store", store.Kind)
	}
	if err != nil {
		return nil, err
	}
	go activity.KeepFor(ctx, al, cfg.ActivityRetention, time.Hour, time.Now, func(err error) {
		logger.Warn("pruning the activity log failed", slog.String("error", err.Error()))
	})
	return al, nil
}
