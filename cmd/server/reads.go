package main

import (
	"log/slog"

	"sourcedesk/internal/readcache"
	"sourcedesk/internal/session"
)

// newReads shares answers read from ISC between users for READ_CACHE_TTL, on the
// session store's connection: in Redis, so every replica serves and drops the
// same copies; in this process for the memory and SQLite stores (one process).
// With Postgres, sharing is off: copies kept per replica would miss the other
// replicas' changes.
func newReads(cfg *Config, store *session.StoreConn, logger *slog.Logger) *readcache.Cache {
	var st readcache.Store
	ttl := cfg.ReadCacheTTL
	switch store.Kind {
	case session.StoreRedis:
		st = readcache.NewRedis(store.Redis)
	case session.StoreMemory, session.StoreSQLite:
		st = readcache.NewMemory()
	default:
		if ttl > 0 {
			logger.Info("shared reads are off with a Postgres session store; use Redis to share answers from ISC between replicas")
		}
		ttl = 0
	}
	c := readcache.New(st, ttl, "sd:rc:")
	c.OnStoreError = func(op string, err error) {
		logger.Warn("shared reads: the store failed; reading from ISC instead", slog.String("op", op), slog.String("error", err.Error()))
	}
	return c
}
