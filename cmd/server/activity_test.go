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
)

// Two processes on one file store write to and read the same activity log, next to
// the sessions, and it survives a restart.
func TestActivityLogSharesTheSessionFile(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := &Config{SessionStore: "file:" + filepath.Join(t.TempDir(), "sessions.db"), ActivityRetention: time.Hour}
	logger := slog.New(slog.DiscardHandler)

	a, closeA, err := newActivityLog(ctx, cfg, logger)
	require.NoError(t, err)
	b, closeB, err := newActivityLog(ctx, cfg, logger)
	require.NoError(t, err)
	at := time.Now().UTC().Truncate(time.Millisecond)
	require.NoError(t, a.Append(ctx, activity.Entry{ID: activity.NewID(at), At: at, UserName: "Ada Admin", Action: "source.update", SourceID: "s1", Status: 200}))

	got, total, err := b.Query(ctx, activity.Filter{Limit: 10})
	require.NoError(t, err)
	require.Equal(t, 1, total)
	assert.Equal(t, "Ada Admin", got[0].UserName)
	closeA()
	closeB()

	c, closeC, err := newActivityLog(ctx, cfg, logger)
	require.NoError(t, err)
	defer closeC()
	_, total, err = c.Query(ctx, activity.Filter{Limit: 10})
	require.NoError(t, err)
	assert.Equal(t, 1, total, "the log survives a restart")

	_, _, err = newActivityLog(ctx, &Config{SessionStore: "mongodb://x"}, logger)
	assert.Error(t, err)
}
