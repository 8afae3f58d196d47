package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
)

// A redirect from the API is never followed: the token must not travel to wherever
// it points (the console must never be an open proxy for it), and the caller sees the 3xx as an error.
func TestRedirectsAreNotFollowed(t *testing.T) {
	var leaked atomic.Int32
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			leaked.Add(1)
		}
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`[]`))
	}))
	defer elsewhere.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer api.Close()
	c, err := New(Config{BaseURL: api.URL, HTTPClient: api.Client()})
	require.NoError(t, err)
	_, err = c.With(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "secret-token"})).ListSources(context.Background(), ListSourcesParams{})
	require.Error(t, err)
	assert.Equal(t, http.StatusTemporaryRedirect, StatusOf(err))
	assert.Zero(t, leaked.Load(), "the bearer token followed the redirect")
}
