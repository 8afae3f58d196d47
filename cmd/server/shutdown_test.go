package main

import (
	"context"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2/clientcredentials"

	"sourcedesk/internal/sandbox"
)

// A request in flight when SIGTERM arrives still gets its answer; new connections
// are refused; run returns once the request is done.
func TestGracefulShutdownFinishesInFlightRequests(t *testing.T) {
	vars := map[string]string{"ADDR": "127.0.0.1:0", "SANDBOX_ADDR": "127.0.0.1:0", "SESSION_STORE": "memory", "LOG_LEVEL": "error"}
	cfg, err := loadConfig(func(k string) string { return vars[k] })
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	started := make(chan *App, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, cfg, slog.New(slog.DiscardHandler), func(a *App) { started <- a })
	}()
	app := <-started

	cc := clientcredentials.Config{ClientID: sandbox.DemoPATClientID, ClientSecret: sandbox.DemoPATClientSecret, TokenURL: app.SandboxURL + "/oauth/token"}
	httpc := cc.Client(context.Background())
	app.Sandbox.SetFault("listSources", sandbox.Fault{Latency: 800 * time.Millisecond})

	type result struct {
		status int
		err    error
	}
	inflight := make(chan result, 1)
	requestAt := time.Now()
	go func() {
		resp, err := httpc.Get(app.SandboxURL + "/v2025/sources?limit=1")
		if err != nil {
			inflight <- result{err: err}
			return
		}
		resp.Body.Close()
		inflight <- result{status: resp.StatusCode}
	}()
	waitUntil(t, "the request is waiting inside the handler", func() bool { return app.Sandbox.Calls("listSources") > 0 })
	cancel()

	r := <-inflight
	require.NoError(t, r.err, "the in-flight request was cut off")
	assert.Equal(t, http.StatusOK, r.status)
	select {
	case err := <-done:
		require.NoError(t, err)
		assert.GreaterOrEqual(t, time.Since(requestAt), 800*time.Millisecond, "run returned only after the slow request was answered")
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after shutdown")
	}
	_, err = http.Get(app.ConsoleURL + "/healthz")
	assert.Error(t, err, "no new connections after shutdown")
}
