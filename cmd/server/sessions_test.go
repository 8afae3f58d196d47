package main

import (
	"encoding/base64"
	"log/slog"
	"os"
	"path/filepath"
	"sourcedesk/internal/session"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSessionKeys(t *testing.T) {
	logger := slog.New(slog.DiscardHandler)
	k1 := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("a", 32)))
	k2 := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("b", 32)))

	tenant := map[string]string{"ISC_TENANT": "acme", "ISC_CLIENT_ID": "id", "ISC_CLIENT_SECRET": "s",
		"PUBLIC_URL": "https://console.example"}
	withKeys := func(keys string) map[string]string {
		m := map[string]string{"SESSION_KEYS": keys}
		for k, v := range tenant {
			m[k] = v
		}
		return m
	}
	cfg, err := loadConfig(envOf(withKeys(k2 + ", " + k1)))
	require.NoError(t, err)
	keys, err := sessionKeys(cfg, &session.StoreConn{Kind: session.StoreRedis}, logger)
	require.NoError(t, err)
	require.Len(t, keys, 2)
	assert.Equal(t, strings.Repeat("b", 32), string(keys[0]), "newest first")

	_, err = loadConfig(envOf(withKeys(k1 + ",c2hvcnQ=")))
	assert.ErrorContains(t, err, "SESSION_KEYS: key 2 is not base64 of 32 bytes", "checked with the rest of the configuration")

	keys, err = sessionKeys(&Config{SessionStore: "memory"}, &session.StoreConn{Kind: session.StoreMemory}, logger)
	require.NoError(t, err)
	assert.Empty(t, keys, "the memory store makes its own")

	// Demo mode with a file store: one key generated next to the database, then reused.
	dir := t.TempDir()
	cfg = &Config{SessionStore: "file:" + filepath.Join(dir, "sessions.db"), demo: true}
	file := &session.StoreConn{Kind: session.StoreSQLite, Path: filepath.Join(dir, "sessions.db")}
	first, err := sessionKeys(cfg, file, logger)
	require.NoError(t, err)
	require.Len(t, first, 1)
	fi, err := os.Stat(filepath.Join(dir, "session.key"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	again, err := sessionKeys(cfg, file, logger)
	require.NoError(t, err)
	assert.Equal(t, first, again, "sessions survive a restart")
}
