package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"sourcedesk/bench/scenario"
	"sourcedesk/internal/sandbox"
	"sourcedesk/internal/testservers"
)

// TestSoakSmoke is the CI version of `make bench`'s load (figure 1) and soak
// (figure 6) scenarios, bounded to well under a minute: two console replicas
// (the real wiring, run) in tenant mode on one real Redis, in front of a sandbox
// tenant that injects 2% 5xx, added latency and bursts of 429s. It asserts
// correctness, never speed: no 500 from the console, no failed sign-in or lost
// session, every upload the console accepted reached the tenant with the same
// SHA-256, and no goroutines left behind.
func TestSoakSmoke(t *testing.T) {
	redisURL := testservers.NewRedis(t).URL
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	tenant, consoles := startReplicas(ctx, t, 2, redisURL, nil)

	t.Run("load", func(t *testing.T) {
		u := scenario.NewUser(consoles[0], nil)
		require.NoError(t, u.SignIn(ctx, scenario.Credentials{Username: "admin", Password: "admin"}))
		pat := scenario.NewUser(consoles[1], nil)
		require.NoError(t, pat.SignIn(ctx, scenario.Credentials{PATClientID: sandbox.DemoPATClientID, PATSecret: sandbox.DemoPATClientSecret}))
		cookie := http.Header{"Cookie": {scenario.CookieHeader(u.Cookies())}}
		partial := http.Header{"Cookie": cookie["Cookie"], "HX-Request": {"true"}, "HX-Target": {"source-tab"}}
		// The session made on replica 1 serves on replica 2: both read Redis.
		targets := []vegeta.Target{
			{Method: "GET", URL: consoles[0] + "/sources?size=50", Header: cookie},
			{Method: "GET", URL: consoles[1] + "/sources/" + sandbox.SeedDelimitedSourceID, Header: partial},
			{Method: "GET", URL: consoles[0] + "/sources", Header: http.Header{"Cookie": {scenario.CookieHeader(pat.Cookies())}}},
		}
		res := scenario.ClosedLoop(ctx, targets, 8, 3*time.Second, http.StatusOK)
		assert.Positive(t, res.Requests)
		assert.Zero(t, res.Bad, "every request answers 200 (%s; first bad: %s)", res.CodesText(), res.FirstErr)
	})

	t.Run("soak", func(t *testing.T) {
		res, err := scenario.Soak(ctx, scenario.SoakConfig{
			Consoles: consoles,
			Tenant:   tenant,
			Users:    20,
			Duration: 30 * time.Second,
			Warmup:   8 * time.Second,
			Faults:   true,
			// Both replicas and the tenant share this process: count goroutines for
			// the process, and leave the heap unjudged (the tenant's data grows with
			// every upload; bench/ measures each replica's heap on its own).
			Levels: func(context.Context) ([]scenario.Level, error) {
				return []scenario.Level{{Goroutines: runtime.NumGoroutine()}}, nil
			},
			Logf: t.Logf,
		})
		require.NoError(t, err)
		t.Log(res.Summary())
		for k, v := range res.Samples {
			t.Logf("first %s answer: %q", k, v)
		}
		assert.Empty(t, res.Problems)
		assert.Positive(t, res.ByAction["upload"], "the mix sent uploads")
		assert.Positive(t, res.ByAction["schema-edit"], "the mix edited schemas")
	})
}

// startReplicas starts n consoles (run, in this process) in tenant mode against a
// new sandbox tenant, all on the session store, and returns the tenant and their
// URLs. env overrides settings.
func startReplicas(ctx context.Context, t *testing.T, n int, store string, env map[string]string) (*scenario.Tenant, []string) {
	t.Helper()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
		require.NoError(t, l.Close())
	}
	var uris []string
	for _, p := range ports {
		uris = append(uris, fmt.Sprintf("http://127.0.0.1:%d/auth/callback", p))
	}
	tctx, stop := context.WithCancel(ctx)
	t.Cleanup(stop)
	tenant, err := scenario.StartTenant(tctx, scenario.TenantConfig{RedirectURIs: uris, TaskStep: 25 * time.Millisecond})
	require.NoError(t, err)
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	var urls []string
	for _, p := range ports {
		urls = append(urls, startApp(t, replicaVars(fmt.Sprintf("127.0.0.1:%d", p), tenant, store, key, env)).ConsoleURL)
	}
	return tenant, urls
}

// replicaVars is the environment of one console replica listening on addr, in
// tenant mode against tenant, on the session store and key every replica shares;
// env overrides.
func replicaVars(addr string, tenant *scenario.Tenant, store string, key []byte, env map[string]string) map[string]string {
	vars := map[string]string{
		"ADDR":              addr,
		"ISC_API_URL":       tenant.URL,
		"ISC_AUTHORIZE_URL": tenant.URL + "/oauth/authorize",
		"ISC_CLIENT_ID":     scenario.ConsoleClientID,
		"ISC_CLIENT_SECRET": tenant.ClientSecret,
		"SESSION_STORE":     store,
		"SESSION_KEYS":      base64.StdEncoding.EncodeToString(key),
		"ISC_RATE_LIMIT":    "100000/10s",
		"UPSTREAM_TIMEOUT":  "5s",
		"LOG_LEVEL":         "error",
	}
	for k, v := range env {
		vars[k] = v
	}
	return vars
}
