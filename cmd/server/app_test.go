package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// startApp runs the real wiring (run) in demo mode on an ephemeral loopback port
// (the sandbox tenant under /sandbox on the same port, as by default), with env
// overriding the test defaults, and stops it when the test ends.
func startApp(t *testing.T, env map[string]string) *App {
	t.Helper()
	app, _ := startAppLogging(t, env, nil)
	return app
}

// startAppLogging is startApp with the app's JSON log written to w (nil: the test
// log), returning also the configuration run used (run fills in demo secrets).
func startAppLogging(t *testing.T, env map[string]string, w io.Writer) (*App, *Config) {
	t.Helper()
	vars := map[string]string{
		"ADDR":          "127.0.0.1:0",
		"SESSION_STORE": "memory",
		"LOG_LEVEL":     "warn",
	}
	for k, v := range env {
		vars[k] = v
	}
	if w == nil {
		w = testLogWriter{t}
	}
	app, cfg, stop := launchApp(t, vars, w)
	t.Cleanup(func() { require.NoError(t, stop(), "graceful shutdown") })
	return app, cfg
}

// launchApp runs the real wiring (run) with vars as the whole environment, logging
// to w, and returns once it listens. stop is what SIGTERM does: it ends run's
// context and returns run's result, the graceful shutdown's (later calls return
// the same). The caller stops it.
func launchApp(t *testing.T, vars map[string]string, w io.Writer) (*App, *Config, func() error) {
	t.Helper()
	cfg, err := loadConfig(func(k string) string { return vars[k] })
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan *App, 1)
	done := make(chan error, 1)
	logger := slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: cfg.LogLevel}))
	go func() { done <- run(ctx, cfg, logger, func(a *App) { started <- a }) }()
	select {
	case app := <-started:
		var once sync.Once
		var result error
		stop := func() error {
			once.Do(func() {
				cancel()
				select {
				case result = <-done:
				case <-time.After(60 * time.Second):
					result = errors.New("the app did not shut down within 60 s")
				}
			})
			return result
		}
		return app, cfg, stop
	case err := <-done:
		cancel()
		t.Fatalf("the app did not start: %v", err)
	case <-time.After(20 * time.Second):
		cancel()
		t.Fatal("the app did not start within 20 s")
	}
	return nil, nil, nil
}

// testLogWriter sends the app's log lines to the test log (shown on failure or -v).
type testLogWriter struct{ t *testing.T }

func (w testLogWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// artifactDir is where a test leaves screenshots: e2e-artifacts/<test name>/ at the
// repository root (gitignored; CI keeps it with the run's output).
func artifactDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join("..", "..", "e2e-artifacts", strings.ReplaceAll(t.Name(), "/", "_"))
	require.NoError(t, os.MkdirAll(dir, 0o755))
	return dir
}

// `make run` on a fresh clone: demo mode with the default file store must start,
// generate its session key next to the database, and serve a sign-in. (Every other
// test uses the memory store, which needs no key.)
func TestDemoModeStartsWithTheDefaultFileStore(t *testing.T) {
	dir := t.TempDir()
	app := startApp(t, map[string]string{"SESSION_STORE": "file:" + filepath.Join(dir, "sessions.db")})
	resp, err := http.Get(app.ConsoleURL + "/healthz")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	fi, err := os.Stat(filepath.Join(dir, "session.key"))
	require.NoError(t, err, "demo mode generated its session key")
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err = noRedirect.Get(app.ConsoleURL + "/login")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusFound, resp.StatusCode)
	assert.Equal(t, "/t/sandbox/login", resp.Header.Get("Location"), "the default tenant's sign-in")
	resp, err = noRedirect.Get(app.ConsoleURL + "/t/sandbox/login")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusFound, resp.StatusCode)
	assert.True(t, strings.HasPrefix(resp.Header.Get("Location"), app.SandboxURL+"/oauth/authorize?"), "sign-in goes to the sandbox")
}
