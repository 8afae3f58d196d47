package api_test

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"sourcedesk/internal/api"
)

// countingTokens is a token source that counts how often it is asked.
type countingTokens struct{ n atomic.Int32 }

func (c *countingTokens) Token() (*oauth2.Token, error) {
	c.n.Add(1)
	return &oauth2.Token{AccessToken: "tok-123", TokenType: "bearer"}, nil
}

// newTestClient returns a client for srv with a static token, a generous
// limiter and a short retry back-off.
func newTestClient(t testing.TB, srv *httptest.Server, mod ...func(*api.Config)) *api.Client {
	t.Helper()
	cfg := api.Config{
		BaseURL:      srv.URL,
		HTTPClient:   srv.Client(),
		Limiter:      api.NewWindowLimiter(10000, time.Second),
		RetryBackoff: 10 * time.Millisecond,
	}
	for _, m := range mod {
		m(&cfg)
	}
	c, err := api.New(cfg)
	require.NoError(t, err)
	return c.With(&countingTokens{})
}

// jsonHandler answers every request with status and body.
func jsonHandler(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}
}
