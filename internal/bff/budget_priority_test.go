package bff

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"sourcedesk/internal/api"
	"sourcedesk/internal/session"
)

// TestBulkActionsWaitBehindAnotherUsersPageLoad: with the shared ISC budget used
// up by one user's bulk action, another user's page load is the next call let
// through, before the bulk action's calls that were waiting already.
func TestBulkActionsWaitBehindAnotherUsersPageLoad(t *testing.T) {
	sb, hs := newTestSandbox(t)
	mgr, err := session.New(context.Background(), session.Config{
		Store: "memory", Keys: [][]byte{testSessionKey},
		Tenants: []session.Tenant{{Key: "sandbox", OAuth2: &oauth2.Config{
			ClientID: testClientID, ClientSecret: testClientSecret,
			Endpoint:    oauth2.Endpoint{AuthURL: hs.URL + "/oauth/authorize", TokenURL: hs.URL + "/oauth/token"},
			RedirectURL: testRedirectURI,
		}}},
		HTTPClient: hs.Client(),
		RateLimit:  2, RateWindow: time.Second, // two calls a second for everyone
	})
	require.NoError(t, err)
	t.Cleanup(func() { mgr.Close() })
	cl, err := api.New(api.Config{BaseURL: hs.URL, HTTPClient: hs.Client(), Limiter: mgr.Limiter("sandbox")})
	require.NoError(t, err)
	srv := newTestServer(t, func(c *Config) { c.Tenants, c.Sessions = []Tenant{{Key: "sandbox", API: cl}}, mgr })
	browser := func() *testEnv {
		return &testEnv{t: t, srv: srv, sandbox: sb, sbURL: hs.URL, sessions: mgr, headers: http.Header{}, cookies: map[string]string{}}
	}
	bulkUser, pageUser := browser(), browser()
	require.Equal(t, http.StatusOK, bulkUser.signIn("admin", "/").Code)
	require.Equal(t, http.StatusOK, pageUser.signIn("source-admin", "/").Code)

	ids := url.Values{}
	_, _, _, _, by := sandboxCounts(t, bulkUser)
	for _, s := range by["healthy"] {
		if len(ids["id"]) < 8 {
			ids.Add("id", s.ID)
		}
	}
	require.Len(t, ids["id"], 8)
	sb.ResetCalls()
	bulkDone := make(chan struct{})
	go func() {
		defer close(bulkDone)
		bulkUser.postForm("/sources/bulk/test-connection", ids, htmxHeaders)
	}()
	// The bulk action has spent the window's two calls (its list, one test), and
	// its other calls wait.
	require.Eventually(t, func() bool { return sb.Calls("") >= 2 }, 10*time.Second, time.Millisecond)
	require.Equal(t, 1, sb.Calls("testSourceConnection"))
	rec := pageUser.do(http.MethodGet, "/sources", nil, htmxHeaders)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	assert.True(t, strings.Contains(rec.Body.String(), "source-row"), "the list was loaded")
	assert.LessOrEqual(t, sb.Calls("testSourceConnection"), 2,
		"at most one more bulk call went before the page's (the window's other slot)")
	<-bulkDone
	assert.Equal(t, 8, sb.Calls("testSourceConnection"), "the bulk action finished all the same")
}
