package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"sourcedesk/internal/activity"
	"sourcedesk/internal/session"
)

// Two processes on one file store write to and read the same activity log, next to
// the sessions, and it survives a restart.
func TestActivityLogSharesTheSessionFile(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	url := "file:" + filepath.Join(t.TempDir(), "sessions.db")
	cfg := &Config{SessionStore: url, ActivityRetention: time.Hour}
	logger := slog.New(slog.DiscardHandler)
	open := func() (activity.Store, *session.StoreConn) {
		store, err := session.OpenStore(ctx, url)
		require.NoError(t, err)
		al, err := newActivityLog(ctx, cfg, store, logger)
		require.NoError(t, err)
		return al, store
	}

	a, storeA := open()
	b, storeB := open()
	at := time.Now().UTC().Truncate(time.Millisecond)
	require.NoError(t, a.Append(ctx, activity.Entry{ID: activity.NewID(at), At: at, UserName: "Ada Admin", Action: "source.update", SourceID: "s1", Status: 200}))

	got, total, err := b.Query(ctx, activity.Filter{Limit: 10})
	require.NoError(t, err)
	require.Equal(t, 1, total)
	assert.Equal(t, "Ada Admin", got[0].UserName)
	require.NoError(t, storeA.Close())
	require.NoError(t, storeB.Close())

	c, storeC := open()
	defer storeC.Close()
	_, total, err = c.Query(ctx, activity.Filter{Limit: 10})
	require.NoError(t, err)
	assert.Equal(t, 1, total, "the log survives a restart")
}
