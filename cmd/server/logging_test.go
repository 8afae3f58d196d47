package main

import (
	"bytes"
	"context"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"sourcedesk/bench/scenario"
	"sourcedesk/internal/sandbox"
)

// logBuffer collects the process's log lines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestNoSecretInTheProcessLog runs the real wiring (demo mode: console and
// sandbox tenant in one process) with every component logging at debug level into
// one buffer, and goes through a code-flow sign-in, a forced refresh, a refused and
// an accepted PAT sign-in, an upstream error and the sign-outs. Neither the console's
// client secret, nor a PAT secret, nor any JWT (access or refresh token) appears in
// the log.
func TestNoSecretInTheProcessLog(t *testing.T) {
	logs := &logBuffer{}
	app, cfg := startAppLogging(t, map[string]string{"LOG_LEVEL": "debug"}, logs)
	ctx := context.Background()
	secret := cfg.ClientSecret // the demo client's random secret, set by run before started
	require.NotEmpty(t, secret)

	tctx, tcancel := context.WithTimeout(ctx, 30*time.Second)
	defer tcancel()
	u := scenario.NewUser(app.ConsoleURL, nil)
	require.NoError(t, u.SignIn(tctx, scenario.Credentials{Username: "admin", Password: "admin"}))
	get := func(u *scenario.User, path string) int {
		resp, err := u.Do(tctx, http.MethodGet, path, nil, "", false)
		require.NoError(t, err)
		return resp.Status
	}
	require.Equal(t, http.StatusOK, get(u, "/sources"))
	app.Sandbox.ExpireAccessTokens()
	require.Equal(t, http.StatusOK, get(u, "/sources"), "refreshed")
	app.Sandbox.SetFault("listSources", sandbox.Fault{Status: http.StatusInternalServerError})
	get(u, "/sources")
	app.Sandbox.ClearFaults()

	const wrongSecret = "wrong-pat-secret-7c21"
	refused := scenario.NewUser(app.ConsoleURL, nil)
	assert.Error(t, refused.SignIn(tctx, scenario.Credentials{PATClientID: sandbox.DemoPATClientID, PATSecret: wrongSecret}))
	pat := scenario.NewUser(app.ConsoleURL, nil)
	require.NoError(t, pat.SignIn(tctx, scenario.Credentials{PATClientID: sandbox.DemoPATClientID, PATSecret: sandbox.DemoPATClientSecret}))
	require.Equal(t, http.StatusOK, get(pat, "/sources"))
	for _, who := range []*scenario.User{u, pat} {
		resp, err := who.Do(tctx, http.MethodPost, "/logout", strings.NewReader(""), "application/x-www-form-urlencoded", true)
		require.NoError(t, err)
		assert.Less(t, resp.Status, 400)
	}

	out := logs.String()
	require.Greater(t, strings.Count(out, "\n"), 20, "the debug log was captured")
	require.Contains(t, out, `"msg":"request"`)
	assert.NotContains(t, out, secret, "the console's client secret is in the log")
	assert.NotContains(t, out, sandbox.DemoPATClientSecret, "the PAT secret is in the log")
	assert.NotContains(t, out, wrongSecret, "a refused PAT secret is in the log")
	jwt := regexp.MustCompile(`eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.`)
	assert.False(t, jwt.MatchString(out), "a token is in the log: %s", jwt.FindString(out))
	assert.NotContains(t, strings.ToLower(out), "client_secret=", "a secret-bearing URL is in the log")
}
