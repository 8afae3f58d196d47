package bff

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestNoAddressRedirectsToAnotherSite: an address that a browser would read as
// another site's (//evil.example/…, /\evil.example/…) is never sent back in a
// redirect, with one tenant or several, signed in or not: the console's own
// domain cannot be used as a springboard for phishing.
func TestNoAddressRedirectsToAnotherSite(t *testing.T) {
	envs := map[string]*testEnv{
		"one tenant":      newSignedOutEnv(t, nil),
		"several tenants": newTwoTenantEnv(t, nil),
		"signed in, one":  newTestEnv(t, nil),
	}
	for name, env := range envs {
		for _, path := range []string{"//evil.example/", "//evil.example/sources", "//evil.example/sources/", "/\\evil.example/", "///evil.example/", "//evil.example/?next=/"} {
			rec := env.do(http.MethodGet, path, nil, nil)
			loc := rec.Header().Get("Location")
			if loc == "" {
				continue
			}
			u, err := url.Parse(loc)
			require.NoError(t, err, "%s %s", name, path)
			assert.Empty(t, u.Host, "%s: %s redirects to %q", name, path, loc)
			assert.NotRegexp(t, `^(//|/\\|\\)`, loc, "%s: %s redirects to %q", name, path, loc)
		}
	}
}
