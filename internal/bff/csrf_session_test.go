package bff

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCSRFTokenComesFromHeaderOrBodyAndIsBoundToTheSession: the CSRF token counts
// only in the X-CSRF-Token header or the form body (never the query string, which
// leaks into logs and Referer), and it is bound to the session: a CSRF cookie an
// attacker planted (over plain HTTP, on a sibling subdomain) with a matching
// token, or another session's valid token, is refused.
func TestCSRFTokenComesFromHeaderOrBodyAndIsBoundToTheSession(t *testing.T) {
	e := newTestEnv(t, nil)
	tok := e.pageCSRFToken("/")
	signedIn := func() bool {
		return e.do(http.MethodGet, "/sources", nil, map[string]string{"HX-Request": "true"}).Code == http.StatusOK
	}
	require.True(t, signedIn())
	noHeader := map[string]string{"X-CSRF-Token": ""}
	form := map[string]string{"X-CSRF-Token": "", "Content-Type": "application/x-www-form-urlencoded"}

	t.Run("token in the query string", func(t *testing.T) {
		rec := e.do(http.MethodPost, "/logout?_csrf="+url.QueryEscape(tok), nil, noHeader)
		assert.Equal(t, http.StatusForbidden, rec.Code)
		rec = e.do(http.MethodPost, "/logout?_csrf="+url.QueryEscape(tok), strings.NewReader("x=1"), form)
		assert.Equal(t, http.StatusForbidden, rec.Code)
		pat := url.Values{"client_id": {"demo-pat"}, "client_secret": {"demo-pat-secret"}}
		rec = e.do(http.MethodPost, "/login/pat?_csrf="+url.QueryEscape(tok), strings.NewReader(pat.Encode()), form)
		assert.Equal(t, http.StatusForbidden, rec.Code)
		assert.True(t, signedIn(), "still signed in")
	})

	t.Run("planted CSRF cookie with a matching header", func(t *testing.T) {
		e.sandbox.ResetCalls()
		planted := "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		e.mu.Lock()
		for _, name := range []string{"sd_csrf", "__Host-sd_csrf"} {
			e.cookies[name] = planted
		}
		e.mu.Unlock()
		rec := e.do(http.MethodPost, "/sources/bulk/test-connection", strings.NewReader("id=x"),
			map[string]string{"X-CSRF-Token": planted, "Content-Type": "application/x-www-form-urlencoded", "HX-Request": "true"})
		assert.Equal(t, http.StatusForbidden, rec.Code)
		rec = e.do(http.MethodPost, "/logout", strings.NewReader("_csrf="+planted), form)
		assert.Equal(t, http.StatusForbidden, rec.Code)
		assert.Zero(t, e.sandbox.Calls(""), "no upstream call")
		assert.True(t, signedIn(), "still signed in")
	})

	t.Run("another session's token", func(t *testing.T) {
		other := &testEnv{t: t, srv: e.srv, sandbox: e.sandbox, sbURL: e.sbURL, sessions: e.sessions,
			headers: http.Header{}, cookies: map[string]string{}}
		otherTok := other.pageCSRFToken("/login/pat")
		rec := e.do(http.MethodPost, "/logout", strings.NewReader("_csrf="+url.QueryEscape(otherTok)), form)
		assert.Equal(t, http.StatusForbidden, rec.Code)
		assert.True(t, signedIn(), "still signed in")
	})

	t.Run("the session's own token in the header or the body", func(t *testing.T) {
		e.mu.Lock()
		delete(e.cookies, "sd_csrf")
		delete(e.cookies, "__Host-sd_csrf")
		e.mu.Unlock()
		tok := e.pageCSRFToken("/")
		rec := e.do(http.MethodPost, "/sources/bulk/test-connection", strings.NewReader("id="+delimitedID),
			map[string]string{"X-CSRF-Token": tok, "Content-Type": "application/x-www-form-urlencoded", "HX-Request": "true"})
		assert.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		rec = e.do(http.MethodPost, "/logout", strings.NewReader("_csrf="+url.QueryEscape(tok)), form)
		assert.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		assert.False(t, signedIn(), "signed out")
	})
}

// TestCSRFTokenIsMaskedAfreshInEveryResponse: every page carries the session's
// CSRF token under a fresh random mask, so no byte sequence of the secret repeats
// from one (compressed) response to the next, which is what a BREACH attack
// needs; every masked form is accepted, and a token whose halves do not unmask to
// the session's secret is refused before any upstream call.
func TestCSRFTokenIsMaskedAfreshInEveryResponse(t *testing.T) {
	e := newTestEnv(t, nil)
	a, b := e.pageCSRFToken("/"), e.pageCSRFToken("/sources")
	require.NotEqual(t, a, b, "two pages, two masks")
	ra, err := base64.RawURLEncoding.DecodeString(a)
	require.NoError(t, err)
	rb, err := base64.RawURLEncoding.DecodeString(b)
	require.NoError(t, err)
	require.Len(t, ra, 64, "a 32-byte pad, then the 32-byte secret XOR the pad")
	require.Len(t, rb, 64)
	unmask := func(r []byte) []byte {
		out := make([]byte, 32)
		for i := range out {
			out[i] = r[i] ^ r[32+i]
		}
		return out
	}
	assert.Equal(t, unmask(ra), unmask(rb), "both carry the one secret of the session")
	for i := 0; i+8 <= len(a); i++ {
		assert.NotContains(t, b, a[i:i+8], "no run of 8 token characters repeats between responses")
	}

	post := func(tok string) int {
		return e.do(http.MethodPost, "/sources/bulk/test-connection", strings.NewReader("id="+delimitedID),
			map[string]string{"X-CSRF-Token": tok, "Content-Type": "application/x-www-form-urlencoded", "HX-Request": "true"}).Code
	}
	assert.Equal(t, http.StatusOK, post(a))
	assert.Equal(t, http.StatusOK, post(b))

	e.sandbox.ResetCalls()
	forged := slices.Clone(ra)
	forged[40] ^= 1 // one bit of the masked half
	assert.Equal(t, http.StatusForbidden, post(base64.RawURLEncoding.EncodeToString(forged)))
	mixed := append(slices.Clone(ra[:32]), rb[32:]...) // one response's pad with another's masked secret
	assert.Equal(t, http.StatusForbidden, post(base64.RawURLEncoding.EncodeToString(mixed)))
	assert.Equal(t, http.StatusForbidden, post(a[:40]), "a cut token")
	assert.Zero(t, e.sandbox.Calls(""), "refused before any upstream call")
}
