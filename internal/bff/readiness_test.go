package bff

import (
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"sourcedesk/internal/sandbox"
	"sourcedesk/internal/session"
)

// TestBrokenSessionStoreIsNotReadyAndSignInSays503: when the session store's file
// is truncated under a running console, /readyz answers 503 naming the session
// store (a ping alone still succeeds), and signing in, or using the console while
// signed in, answers one clean 503 page (or alert, for htmx) saying sessions are
// unavailable: never a 500, never two answers run together.
func TestBrokenSessionStoreIsNotReadyAndSignInSays503(t *testing.T) {
	sb, hs := newTestSandbox(t)
	path := filepath.Join(t.TempDir(), "sessions.db")
	env := newConsole(t, sb, hs, "file:"+path, func(c *Config) {
		c.Ready = []ReadyCheck{{Name: "session store", Check: c.Sessions.(*session.Manager).Ready}}
	})
	rec := env.do(http.MethodGet, "/readyz", nil, nil)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	env.csrfPrime()
	form := url.Values{"client_id": {sandbox.DemoPATClientID}, "client_secret": {sandbox.DemoPATClientSecret}}
	signIn := func(h map[string]string) *http.Response {
		hh := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
		for k, v := range h {
			hh[k] = v
		}
		return env.do(http.MethodPost, "/login/pat", strings.NewReader(form.Encode()), hh).Result()
	}
	require.Equal(t, http.StatusSeeOther, signIn(nil).StatusCode)

	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		if _, err := os.Stat(f); err == nil {
			require.NoError(t, os.Truncate(f, 0))
		}
	}

	rec = env.do(http.MethodGet, "/readyz", nil, nil)
	assert.Equal(t, http.StatusServiceUnavailable, rec.Code, rec.Body.String())
	assert.Contains(t, rec.Body.String(), "session store")

	for _, h := range []map[string]string{nil, htmxHeaders} {
		for name, resp := range map[string]*http.Response{
			"sign in":           signIn(h),
			"a signed-in page":  env.do(http.MethodGet, "/sources", nil, h).Result(),
			"a signed-in write": env.do(http.MethodPost, "/sources/bulk/test-connection", nil, h).Result(),
		} {
			body := readAll(t, resp)
			assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, "%s: %s", name, body)
			assert.Contains(t, body, "Sessions are unavailable right now", name)
			assert.NotContains(t, body, "went wrong", name)
			if h == nil {
				assert.Equal(t, 1, strings.Count(strings.ToLower(body), "<!doctype html>"), "%s: one page, nothing after it", name)
			} else {
				assert.Equal(t, "#alerts", resp.Header.Get("HX-Retarget"), name)
				assert.Equal(t, 1, strings.Count(body, `data-testid="alert"`), "%s: one alert, nothing after it", name)
			}
			assert.Empty(t, resp.Header.Get("Location"), name)
		}
	}
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}
