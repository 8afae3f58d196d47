package api_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"sourcedesk/internal/api"
)

const sourceJSON = `{"id":"s1","name":"HR","owner":{"type":"IDENTITY","id":"i1","name":"Ada"},"connector":"delimited-file"}`

func TestGETRetriesAfterShortRetryAfter(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "2")
			jsonHandler(429, `{"message":" Rate Limit Exceeded "}`)(w, r)
			return
		}
		jsonHandler(200, sourceJSON)(w, r)
	}))
	defer srv.Close()

	start := time.Now()
	src, err := newTestClient(t, srv).GetSource(context.Background(), "s1")
	require.NoError(t, err)
	assert.Equal(t, "HR", src.Name)
	assert.EqualValues(t, 2, calls.Load(), "one retry")
	assert.GreaterOrEqual(t, time.Since(start), 2*time.Second, "waited Retry-After")
}

func TestLongRetryAfterIsReturnedNotAwaited(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Retry-After", "120")
		jsonHandler(429, `{"message":" Rate Limit Exceeded "}`)(w, r)
	}))
	defer srv.Close()

	start := time.Now()
	_, err := newTestClient(t, srv).GetSource(context.Background(), "s1")
	var e *api.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, 429, e.Status)
	assert.Equal(t, 120*time.Second, e.RetryAfter)
	assert.Equal(t, []string{"Rate Limit Exceeded"}, e.Messages)
	assert.True(t, api.IsRateLimited(err))
	assert.EqualValues(t, 1, calls.Load())
	assert.Less(t, time.Since(start), time.Second)
}

func TestWritesAreNeverRetried(t *testing.T) {
	cases := []struct {
		name   string
		status int
		header string
	}{
		{"503", 503, ""},
		{"502", 502, ""},
		{"429 with a short Retry-After", 429, "1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				if tc.header != "" {
					w.Header().Set("Retry-After", tc.header)
				}
				jsonHandler(tc.status, `{"detailCode":"x"}`)(w, r)
			}))
			defer srv.Close()
			c := newTestClient(t, srv)

			_, err := c.TestSourceConnection(context.Background(), "s1")
			assert.Equal(t, tc.status, api.StatusOf(err))
			_, err = c.CreateSource(context.Background(), &api.Source{Name: "x", Connector: "c"}, false)
			assert.Equal(t, tc.status, api.StatusOf(err))
			_, err = c.PutSource(context.Background(), "s1", &api.Source{Name: "x"})
			assert.Equal(t, tc.status, api.StatusOf(err))
			_, err = c.UpdateSource(context.Background(), "s1", nil)
			assert.Equal(t, tc.status, api.StatusOf(err))
			_, err = c.DeleteSource(context.Background(), "s1")
			assert.Equal(t, tc.status, api.StatusOf(err))
			assert.EqualValues(t, 5, calls.Load(), "one call per write")
		})
	}
}

func TestGETRetriesGatewayErrorsAtMostTwice(t *testing.T) {
	for _, status := range []int{502, 503, 504} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				jsonHandler(status, `<html>bad gateway</html>`)(w, r)
			}))
			defer srv.Close()

			_, err := newTestClient(t, srv).GetSource(context.Background(), "s1")
			var e *api.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, status, e.Status)
			assert.Equal(t, []string{"<html>bad gateway</html>"}, e.Messages)
			assert.EqualValues(t, 3, calls.Load(), "first attempt + 2 retries")
		})
	}
}

func TestGETNotRetriedOnClientErrors(t *testing.T) {
	for _, status := range []int{400, 401, 403, 404, 500} {
		var calls atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			calls.Add(1)
			jsonHandler(status, `{}`)(w, r)
		}))
		_, err := newTestClient(t, srv).GetSource(context.Background(), "s1")
		assert.Equal(t, status, api.StatusOf(err))
		assert.EqualValues(t, 1, calls.Load(), "status %d", status)
		srv.Close()
	}
}

// resetConn aborts the connection with a TCP RST instead of an answer.
func resetConn(t *testing.T, w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	require.NoError(t, err)
	_ = conn.(*net.TCPConn).SetLinger(0)
	_ = conn.Close()
}

func TestGETRetriesConnectionReset(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			resetConn(t, w)
			return
		}
		jsonHandler(200, sourceJSON)(w, r)
	}))
	defer srv.Close()

	src, err := newTestClient(t, srv).GetSource(context.Background(), "s1")
	require.NoError(t, err)
	assert.Equal(t, "s1", src.ID)
	assert.EqualValues(t, 2, calls.Load())
}

func TestPOSTNotRetriedOnConnectionReset(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		resetConn(t, w)
	}))
	defer srv.Close()

	_, err := newTestClient(t, srv).PingCluster(context.Background(), "s1")
	require.Error(t, err)
	assert.Zero(t, api.StatusOf(err))
	assert.EqualValues(t, 1, calls.Load())
}

func TestErrorBodies(t *testing.T) {
	httpDate := time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)
	cases := []struct {
		name       string
		status     int
		retryAfter string
		body       string
		want       api.Error
	}{
		{"401 gateway", 401, "", `{"error": "JWT validation failed: JWT is expired"}`,
			api.Error{Status: 401, Messages: []string{"JWT validation failed: JWT is expired"}}},
		{"403 dto", 403, "", `{"detailCode":"403 Forbidden","trackingId":"b21b","messages":[{"locale":"en-US","localeOrigin":"DEFAULT","text":"refused"}]}`,
			api.Error{Status: 403, DetailCode: "403 Forbidden", TrackingID: "b21b", Messages: []string{"refused"}}},
		{"404 dto", 404, "", `{"detailCode":"404 Not found","trackingId":"t4","messages":[{"locale":null,"localeOrigin":null,"text":"no such source"}]}`,
			api.Error{Status: 404, DetailCode: "404 Not found", TrackingID: "t4", Messages: []string{"no such source"}}},
		{"400 with causes", 400, "", `{"detailCode":"400.1 Bad Request Content","trackingId":"t1","messages":[{"text":"bad"}],"causes":[{"text":"name is required"}]}`,
			api.Error{Status: 400, DetailCode: "400.1 Bad Request Content", TrackingID: "t1", Messages: []string{"bad"}, Causes: []string{"name is required"}}},
		{"429 seconds", 429, "7", `{"message":" Rate Limit Exceeded "}`,
			api.Error{Status: 429, RetryAfter: 7 * time.Second, Messages: []string{"Rate Limit Exceeded"}}},
		{"429 garbage Retry-After", 429, "soon", `{"message":"slow down"}`,
			api.Error{Status: 429, Messages: []string{"slow down"}}},
		{"500 dto", 500, "", `{"detailCode":"500.0 Internal Fault","trackingId":"t5","messages":[{"text":"An internal fault occurred."}]}`,
			api.Error{Status: 500, DetailCode: "500.0 Internal Fault", TrackingID: "t5", Messages: []string{"An internal fault occurred."}}},
		{"non-JSON", 500, "", "upstream exploded\n",
			api.Error{Status: 500, Messages: []string{"upstream exploded"}}},
		{"empty", 403, "", "", api.Error{Status: 403}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tc.retryAfter != "" {
					w.Header().Set("Retry-After", tc.retryAfter)
				}
				jsonHandler(tc.status, tc.body)(w, r)
			}))
			defer srv.Close()

			_, err := newTestClient(t, srv).GetSourceHealth(context.Background(), "s1")
			var e *api.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, tc.want.Status, e.Status)
			assert.Equal(t, tc.want.DetailCode, e.DetailCode)
			assert.Equal(t, tc.want.TrackingID, e.TrackingID)
			assert.Equal(t, tc.want.Messages, e.Messages)
			assert.Equal(t, tc.want.Causes, e.Causes)
			assert.Equal(t, tc.want.RetryAfter, e.RetryAfter)
			assert.Equal(t, "getSourceHealth", e.Operation)
			assert.Equal(t, tc.body, string(e.Body), "no body text lost")
		})
	}

	t.Run("429 HTTP date", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", httpDate)
			jsonHandler(429, `{}`)(w, r)
		}))
		defer srv.Close()
		_, err := newTestClient(t, srv).GetSource(context.Background(), "s1")
		var e *api.Error
		require.ErrorAs(t, err, &e)
		assert.InDelta(t, 90, e.RetryAfter.Seconds(), 2)
	})
}

func TestErrorIsFoundThroughWrapping(t *testing.T) {
	srv := httptest.NewServer(jsonHandler(404, `{"detailCode":"404 Not found","messages":[{"text":"gone"}]}`))
	defer srv.Close()
	_, err := newTestClient(t, srv).GetSource(context.Background(), "s1")
	wrapped := errors.Join(errors.New("load page"), err)
	assert.True(t, api.IsNotFound(wrapped))
	assert.False(t, api.IsForbidden(wrapped))
	assert.Equal(t, 404, api.StatusOf(wrapped))
	assert.Zero(t, api.StatusOf(errors.New("other")))
	assert.Contains(t, err.Error(), "getSource")
	assert.Contains(t, err.Error(), "gone")
}

func TestUnauthorizedIsReturnedWithoutRefresh(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		jsonHandler(401, `{"error":"JWT validation failed: JWT is expired"}`)(w, r)
	}))
	defer srv.Close()
	c, err := api.New(api.Config{BaseURL: srv.URL, HTTPClient: srv.Client()})
	require.NoError(t, err)
	tokens := &countingTokens{}

	_, err = c.With(tokens).GetSource(context.Background(), "s1")
	assert.True(t, api.IsUnauthorized(err))
	assert.EqualValues(t, 1, calls.Load())
	assert.EqualValues(t, 1, tokens.n.Load(), "token asked once, never refreshed")
}

func TestMalformedJSONIsAnError(t *testing.T) {
	srv := httptest.NewServer(jsonHandler(200, `{"id": "s1", "name": `))
	defer srv.Close()
	_, err := newTestClient(t, srv).GetSource(context.Background(), "s1")
	assert.ErrorIs(t, err, api.ErrMalformedResponse)
	assert.Zero(t, api.StatusOf(err))
}

func TestSlowBodyIsBoundedByContext(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"id":"s1",`))
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := newTestClient(t, srv).GetSource(ctx, "s1")
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 2*time.Second)
}

func TestCancelledContextStopsRetries(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Retry-After", "2")
		jsonHandler(429, `{}`)(w, r)
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := newTestClient(t, srv).GetSource(ctx, "s1")
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), time.Second)
	assert.EqualValues(t, 1, calls.Load())
}

func TestRequestShape(t *testing.T) {
	type seen struct{ method, path, query, auth, experimental, contentType, ua string }
	var mu sync.Mutex
	var got []seen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, seen{r.Method, r.URL.EscapedPath(), r.URL.RawQuery, r.Header.Get("Authorization"),
			r.Header.Get("X-SailPoint-Experimental"), r.Header.Get("Content-Type"), r.Header.Get("User-Agent")})
		mu.Unlock()
		jsonHandler(200, `{}`)(w, r)
	}))
	defer srv.Close()
	c := newTestClient(t, srv, func(cfg *api.Config) { cfg.Version = "/sources/v1/"; cfg.UserAgent = "sd-test" })
	ctx := context.Background()

	_, err := c.GetSource(ctx, "a/b c")
	require.NoError(t, err)
	_, err = c.GetSourceAttrSyncConfig(ctx, "s1")
	require.NoError(t, err)
	_, err = c.PutSourceAttrSyncConfig(ctx, "s1", &api.AttrSyncSourceConfig{})
	require.NoError(t, err)
	_, err = c.SyncAttributesForSource(ctx, "s1")
	require.NoError(t, err)
	_, err = c.UpdateSourceSchedule(ctx, "s1", api.ScheduleAccountAggregation, []api.JSONPatchOperation{api.PatchReplace("/cronExpression", "0 0 6 * * ?")})
	require.NoError(t, err)

	want := []seen{
		{"GET", "/sources/v1/sources/a%2Fb%20c", "", "Bearer tok-123", "", "", "sd-test"},
		{"GET", "/sources/v1/sources/s1/attribute-sync-config", "", "Bearer tok-123", "true", "", "sd-test"},
		{"PUT", "/sources/v1/sources/s1/attribute-sync-config", "", "Bearer tok-123", "true", "application/json", "sd-test"},
		{"POST", "/sources/v1/sources/s1/synchronize-attributes", "", "Bearer tok-123", "true", "", "sd-test"},
		{"PATCH", "/sources/v1/sources/s1/schedules/ACCOUNT_AGGREGATION", "", "Bearer tok-123", "", "application/json-patch+json", "sd-test"},
	}
	assert.Equal(t, want, got)
}

func TestNoTokenSource(t *testing.T) {
	srv := httptest.NewServer(jsonHandler(200, `{}`))
	defer srv.Close()
	c, err := api.New(api.Config{BaseURL: srv.URL, HTTPClient: srv.Client()})
	require.NoError(t, err)
	_, err = c.GetSource(context.Background(), "s1")
	assert.ErrorIs(t, err, api.ErrNoTokenSource)
}

func TestNewValidatesConfig(t *testing.T) {
	_, err := api.New(api.Config{BaseURL: "acme.api.identitynow.com", HTTPClient: http.DefaultClient})
	assert.Error(t, err, "relative URL")
	_, err = api.New(api.Config{BaseURL: "https://acme.api.identitynow.com"})
	assert.Error(t, err, "no HTTP client")
}

func TestObserveSeesEveryAttempt(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			jsonHandler(503, `{}`)(w, r)
			return
		}
		jsonHandler(200, sourceJSON)(w, r)
	}))
	defer srv.Close()
	type obs struct {
		op     string
		status int
	}
	var mu sync.Mutex
	var seen []obs
	c := newTestClient(t, srv, func(cfg *api.Config) {
		cfg.Observe = func(op string, status int, d time.Duration) {
			mu.Lock()
			defer mu.Unlock()
			seen = append(seen, obs{op, status})
			assert.Positive(t, d)
		}
	})
	_, err := c.GetSource(context.Background(), "s1")
	require.NoError(t, err)
	assert.Equal(t, []obs{{"getSource", 503}, {"getSource", 200}}, seen)
}

func TestWindowLimiter(t *testing.T) {
	l := api.NewWindowLimiter(3, 300*time.Millisecond)
	ctx := context.Background()
	start := time.Now()
	for range 3 {
		require.NoError(t, l.Wait(ctx))
	}
	assert.Less(t, time.Since(start), 100*time.Millisecond, "the first n pass at once")
	require.NoError(t, l.Wait(ctx))
	assert.GreaterOrEqual(t, time.Since(start), 300*time.Millisecond, "the n+1st waits for the window")

	one := api.NewWindowLimiter(1, time.Minute)
	require.NoError(t, one.Wait(ctx))
	cctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, one.Wait(cctx), context.DeadlineExceeded, "gives up when ctx ends")
}

func TestClientWaitsForLimiter(t *testing.T) {
	srv := httptest.NewServer(jsonHandler(200, sourceJSON))
	defer srv.Close()
	c := newTestClient(t, srv, func(cfg *api.Config) { cfg.Limiter = api.NewWindowLimiter(2, 400*time.Millisecond) })
	start := time.Now()
	for range 3 {
		_, err := c.GetSource(context.Background(), "s1")
		require.NoError(t, err)
	}
	assert.GreaterOrEqual(t, time.Since(start), 400*time.Millisecond)
}

func TestDotAndEmptyIDsAreRefused(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		jsonHandler(204, ``)(w, r)
	}))
	defer srv.Close()
	c := newTestClient(t, srv)
	ctx := context.Background()

	for _, id := range []string{"", ".", ".."} {
		assert.ErrorIs(t, c.DeleteSourceSchema(ctx, "s1", id), api.ErrInvalidID, "schema id %q", id)
		_, err := c.GetSource(ctx, id)
		assert.ErrorIs(t, err, api.ErrInvalidID, "source id %q", id)
		_, err = c.ImportAccounts(ctx, id, api.StringFile("a.csv", "a\n"), false)
		assert.ErrorIs(t, err, api.ErrInvalidID, "upload to %q", id)
	}
	assert.Zero(t, calls.Load(), "nothing was sent")
	// Slashes stay inside one segment.
	require.NoError(t, c.DeleteSourceSchema(ctx, "s1", "../../x"))
	assert.EqualValues(t, 1, calls.Load())
}
