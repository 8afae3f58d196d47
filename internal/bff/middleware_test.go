package bff

// The middleware every response goes through: request IDs, security headers, no CORS.

import (
	"net/http"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/assert"
)

// TestCrossOriginPreflightGetsNoCORSHeaders: a preflight from another origin gets no
// Access-Control-Allow-* header, so a browser never lets that origin send the request.
func TestCrossOriginPreflightGetsNoCORSHeaders(t *testing.T) {
	e := newTestEnvAs(t, "admin", nil)
	for _, path := range []string{"/sources", "/logout", "/sources/x/tools/test-connection"} {
		rec := e.do(http.MethodOptions, path, nil, map[string]string{
			"Origin": "https://evil.example", "Access-Control-Request-Method": "POST",
			"Access-Control-Request-Headers": "X-CSRF-Token, HX-Request",
		})
		for k := range rec.Header() {
			assert.False(t, strings.HasPrefix(strings.ToLower(k), "access-control-allow"), "%s: %s", path, k)
		}
	}
}

// TestSecurityHeadersOnPagesAndSignInSteps checks the CSP, nosniff, HSTS, referrer,
// no-store and Vary headers on the main pages (full and htmx) and the sign-in steps.
func TestSecurityHeadersOnPagesAndSignInSteps(t *testing.T) {
	e := newTestEnvAs(t, "admin", func(c *Config) { c.HSTS = true })
	id := firstSourceID(t, e)
	check := func(name string, rec *http.Response) {
		t.Helper()
		h := rec.Header
		if !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
			return
		}
		csp := h.Get("Content-Security-Policy")
		assert.NotContains(t, csp, "unsafe-eval", name)
		assert.NotContains(t, csp, "unsafe-inline", name)
		for _, d := range []string{"object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"} {
			assert.Contains(t, csp, d, name)
		}
		assert.Equal(t, "nosniff", h.Get("X-Content-Type-Options"), name)
		assert.NotEmpty(t, h.Get("Strict-Transport-Security"), name)
		assert.Equal(t, "no-referrer", h.Get("Referrer-Policy"), name)
		assert.Equal(t, "no-store", h.Get("Cache-Control"), name)
		if rec.StatusCode != http.StatusFound && rec.StatusCode != http.StatusSeeOther {
			assert.Contains(t, h.Values("Vary"), "HX-Request", name)
		}
	}
	for _, path := range []string{"/", "/sources", "/sources/" + id, "/login/pat", "/signed-out", "/cron", "/nope", "/sources/not-an-id"} {
		for _, hx := range []map[string]string{nil, htmxHeaders} {
			check(path, e.do(http.MethodGet, path, nil, hx).Result())
		}
	}
	rec := e.signIn("admin", "/")
	check("callback bounce", rec.Result())
	bad := e.do(http.MethodGet, "/auth/callback?state=x&code=y", nil, nil)
	check("callback refused", bad.Result())
	check("logout", e.do(http.MethodPost, "/logout", nil, nil).Result())
}

func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	s := newTestServer(t, func(c *Config) { c.HSTS = true })
	for _, path := range []string{"/", "/healthz", "/nope"} {
		rec := do(t, s, http.MethodGet, path, nil)
		h := rec.Header()
		csp := h.Get("Content-Security-Policy")
		assert.NotContains(t, csp, "unsafe-eval", path)
		assert.NotContains(t, csp, "unsafe-inline", path)
		for _, d := range []string{"object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"} {
			assert.Contains(t, csp, d, path)
		}
		assert.Equal(t, "nosniff", h.Get("X-Content-Type-Options"), path)
		assert.Equal(t, "no-referrer", h.Get("Referrer-Policy"), path)
		assert.Contains(t, h.Get("Strict-Transport-Security"), "max-age=", path)
		assert.Len(t, h.Get(echo.HeaderXRequestID), 16, path)
	}
	a := do(t, s, http.MethodGet, "/", nil).Header().Get("Content-Security-Policy")
	b := do(t, s, http.MethodGet, "/", nil).Header().Get("Content-Security-Policy")
	assert.NotEqual(t, a, b, "the CSP nonce is fresh per request")

	assert.Empty(t, do(t, newTestServer(t, nil), http.MethodGet, "/", nil).Header().Get("Strict-Transport-Security"),
		"no HSTS on plain HTTP")
}

func TestRequestIDNotTakenFromClient(t *testing.T) {
	s := newTestServer(t, nil)
	rec := do(t, s, http.MethodGet, "/", map[string]string{echo.HeaderXRequestID: "forged\nlog line"})
	assert.NotEqual(t, "forged\nlog line", rec.Header().Get(echo.HeaderXRequestID))
}
