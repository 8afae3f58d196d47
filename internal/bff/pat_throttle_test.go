package bff

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"sourcedesk/internal/sandbox"
	"sourcedesk/internal/testservers"
)

// TestPATSignInIsThrottledPerClientIDAndAddress: wrong personal-access-token
// secrets are limited per client id and per client address, counted in the shared
// store so that two replicas together allow no more; once over, the sign-in
// answers 429 with a "try again in N s" page and a Retry-After, without asking the
// tenant, even for the right secret. Other client ids from other addresses are
// not affected, and a client cannot pick its address with a forwarding header.
func TestPATSignInIsThrottledPerClientIDAndAddress(t *testing.T) {
	store := testservers.NewRedis(t).URL
	sb, hs := newTestSandbox(t)
	replicas := []*testEnv{newConsole(t, sb, hs, store, nil), newConsole(t, sb, hs, store, nil)}
	for _, r := range replicas {
		r.csrfPrime()
	}
	try := func(i int, addr, id, secret string) *httptest.ResponseRecorder {
		form := url.Values{"client_id": {id}, "client_secret": {secret}}
		// A forged forwarding header must not give the client another address.
		return replicas[i%2].doFrom(addr, http.MethodPost, "/login/pat", strings.NewReader(form.Encode()),
			map[string]string{"Content-Type": "application/x-www-form-urlencoded",
				"X-Forwarded-For": fmt.Sprintf("10.9.%d.%d", i/250, i%250), "X-Real-IP": fmt.Sprintf("10.8.0.%d", i%250)})
	}
	throttled := func(t *testing.T, rec *httptest.ResponseRecorder) {
		t.Helper()
		require.Equal(t, http.StatusTooManyRequests, rec.Code, rec.Body.String())
		secs, err := strconv.Atoi(rec.Header().Get("Retry-After"))
		require.NoError(t, err, "Retry-After in seconds")
		assert.Positive(t, secs)
		assert.Contains(t, rec.Body.String(), fmt.Sprintf("Try again in %d s", secs))
		assert.NotContains(t, rec.Body.String(), "wrong-secret")
	}

	t.Run("per client id, whatever the address", func(t *testing.T) {
		before := sb.TokenRequests("client_credentials")
		var last *httptest.ResponseRecorder
		for i := range 200 {
			last = try(i, fmt.Sprintf("203.0.113.%d:4000", i%250), sandbox.DemoPATClientID, "wrong-secret")
		}
		throttled(t, last)
		asked := sb.TokenRequests("client_credentials") - before
		assert.LessOrEqual(t, asked, 10, "the tenant was asked only a few times")
		assert.Positive(t, asked)
		// Locked: even the right secret is refused without asking the tenant.
		before = sb.TokenRequests("client_credentials")
		throttled(t, try(0, "198.51.100.9:4000", sandbox.DemoPATClientID, sandbox.DemoPATClientSecret))
		assert.Equal(t, before, sb.TokenRequests("client_credentials"))
	})

	t.Run("per client address, whatever the client id", func(t *testing.T) {
		before := sb.TokenRequests("client_credentials")
		var last *httptest.ResponseRecorder
		for i := range 100 {
			last = try(i, "192.0.2.77:5000", fmt.Sprintf("made-up-%d", i), "wrong-secret")
		}
		throttled(t, last)
		assert.LessOrEqual(t, sb.TokenRequests("client_credentials")-before, 30, "the tenant was asked only a few times")
	})

	t.Run("others are not affected", func(t *testing.T) {
		rec := try(1, "192.0.2.200:6000", "someone-else", "wrong-secret")
		assert.Equal(t, http.StatusUnauthorized, rec.Code, "an ordinary refusal")
	})
}
