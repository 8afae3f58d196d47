package bff

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"sourcedesk/internal/testservers"
	"sourcedesk/web/static"
)

// newTestServer builds a real Server; tests drive it through ServeHTTP so that the
// middleware and the error handler run as in production.
func newTestServer(t *testing.T, mutate func(*Config)) *Server {
	t.Helper()
	cfg := Config{Logger: slog.New(slog.DiscardHandler), Version: "test-1", UploadTempDir: t.TempDir()}
	if mutate != nil {
		mutate(&cfg)
	}
	s, err := New(cfg)
	require.NoError(t, err)
	// Whatever a test did, no upload is left behind in the upload folder.
	t.Cleanup(func() { assert.Empty(t, uploadFolder(t, s), "files left in the upload folder") })
	return s
}

// uploadFolder lists what is in the console's upload folder.
func uploadFolder(t *testing.T, s *Server) []string {
	t.Helper()
	if s.cfg.UploadTempDir == "" {
		return nil
	}
	des, err := os.ReadDir(s.cfg.UploadTempDir)
	require.NoError(t, err)
	var out []string
	for _, de := range des {
		out = append(out, de.Name())
	}
	return out
}

func do(t *testing.T, s *Server, method, target string, headers map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec
}

func parse(t *testing.T, body io.Reader) *goquery.Document {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(body)
	require.NoError(t, err)
	return doc
}

var htmxHeaders = map[string]string{"HX-Request": "true"}

func TestHomePageAndFragment(t *testing.T) {
	s := newTestServer(t, func(c *Config) { c.DemoMode = true })
	for _, tc := range []struct {
		name     string
		headers  map[string]string
		wantFull bool
	}{
		{"full page", nil, true},
		{"htmx fragment", htmxHeaders, false},
		{"boosted htmx gets the page", map[string]string{"HX-Request": "true", "HX-Boosted": "true"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := do(t, s, http.MethodGet, "/", tc.headers)
			require.Equal(t, http.StatusOK, rec.Code)
			assert.Contains(t, rec.Header().Values("Vary"), "HX-Request")
			assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
			doc := parse(t, rec.Body)
			assert.Equal(t, 1, doc.Find(`[data-testid="home"]`).Length(), "home body present")
			assert.Equal(t, "Home · Sourcedesk", doc.Find("title").Text(), "a page and the fragment htmx loads for it carry the title")
			assert.Equal(t, tc.wantFull, doc.Find(`[data-testid="version"]`).Length() == 1, "footer with version only on full pages")
			if tc.wantFull {
				assert.Equal(t, "Sourcedesk test-1", doc.Find(`[data-testid="version"]`).Text())
				assert.Equal(t, 1, doc.Find(`[data-testid="demo-hint"]`).Length(), "demo mode tells how to sign in")
				assert.Equal(t, 1, doc.Find("#alerts").Length(), "alerts region on every page")
			}
		})
	}
}

func TestLayoutLoadsAssetsWithWorkingURLs(t *testing.T) {
	s := newTestServer(t, nil)
	doc := parse(t, do(t, s, http.MethodGet, "/", nil).Body)
	var urls []string
	doc.Find(`script[src], link[href]`).Each(func(_ int, sel *goquery.Selection) {
		if v, ok := sel.Attr("src"); ok {
			urls = append(urls, v)
		} else if v, ok := sel.Attr("href"); ok {
			urls = append(urls, v)
		}
	})
	require.GreaterOrEqual(t, len(urls), 4, "favicon, pico, app.css, htmx, app.js")
	for _, u := range urls {
		rec := do(t, s, http.MethodGet, u, map[string]string{"Accept-Encoding": "gzip"})
		if strings.Contains(u, "vendor/") {
			if _, ok := static.Hash(strings.SplitN(strings.TrimPrefix(u, "/static/"), "/", 2)[1]); !ok {
				testservers.Unavailable(t, "vendored assets missing (run make assets): "+u)
			}
		}
		require.Equal(t, http.StatusOK, rec.Code, u)
		assert.Contains(t, rec.Header().Get("Cache-Control"), "immutable", u)
		if strings.HasSuffix(u, ".css") || strings.HasSuffix(u, ".js") {
			assert.Equal(t, "gzip", rec.Header().Get("Content-Encoding"), "text assets are compressed: %s", u)
		}
	}
	// A stale hash still serves the file, but is not cached for long.
	rec := do(t, s, http.MethodGet, "/static/000000000000/css/app.css", nil)
	require.Equal(t, http.StatusOK, rec.Code)
	assert.NotContains(t, rec.Header().Get("Cache-Control"), "immutable")
	assert.Equal(t, http.StatusNotFound, do(t, s, http.MethodGet, "/static/x/css/nope.css", nil).Code)
	assert.Equal(t, http.StatusOK, do(t, s, http.MethodGet, "/favicon.ico", nil).Code)
}

func TestErrorsFullPageAndHTMX(t *testing.T) {
	s := newTestServer(t, nil)
	t.Run("full page", func(t *testing.T) {
		rec := do(t, s, http.MethodGet, "/no/such/page", nil)
		assert.Equal(t, http.StatusNotFound, rec.Code)
		assert.Empty(t, rec.Header().Get("HX-Retarget"))
		doc := parse(t, rec.Body)
		assert.Equal(t, 1, doc.Find(`[data-testid="error-page"]`).Length())
		assert.Equal(t, rec.Header().Get(echo.HeaderXRequestID), doc.Find(`[data-testid="request-id"]`).Text(),
			"the page shows the request ID the logs have")
		assert.Contains(t, doc.Find(`[data-testid="alert"]`).Text(), "nothing at this address")
	})
	t.Run("htmx", func(t *testing.T) {
		rec := do(t, s, http.MethodGet, "/no/such/page", htmxHeaders)
		assert.Equal(t, http.StatusNotFound, rec.Code, "real status, not 200")
		assert.Equal(t, "#alerts", rec.Header().Get("HX-Retarget"))
		assert.Equal(t, "innerHTML", rec.Header().Get("HX-Reswap"))
		doc := parse(t, rec.Body)
		assert.Equal(t, 0, doc.Find("title").Length(), "a fragment, not a page")
		assert.Equal(t, 1, doc.Find(`[data-testid="alert"]`).Length())
	})
}

func TestErrorHandlerNeverShowsErrText(t *testing.T) {
	s := newTestServer(t, nil)
	secret := "pq: password authentication failed for user=sd token=eyJhbGciOi"
	s.echo.GET("/boom", func(c echo.Context) error { return errors.New(secret) })
	s.echo.GET("/slow", func(c echo.Context) error { return context.DeadlineExceeded })
	s.echo.GET("/bad", func(c echo.Context) error { return userErrorf(http.StatusBadRequest, "Name must not be empty.") })
	for _, tc := range []struct {
		path, want string
		status     int
	}{
		{"/boom", "Something went wrong", http.StatusInternalServerError},
		{"/slow", "took too long", http.StatusGatewayTimeout},
		{"/bad", "Name must not be empty.", http.StatusBadRequest},
	} {
		for _, hx := range []bool{false, true} {
			var h map[string]string
			if hx {
				h = htmxHeaders
			}
			rec := do(t, s, http.MethodGet, tc.path, h)
			assert.Equal(t, tc.status, rec.Code, tc.path)
			assert.Contains(t, rec.Body.String(), tc.want, tc.path)
			assert.NotContains(t, rec.Body.String(), "eyJhbGciOi", "no internals leak")
			assert.NotContains(t, rec.Body.String(), "pq:", "no internals leak")
		}
	}
}

func TestNeedLoginRedirects(t *testing.T) {
	s := newTestServer(t, nil)
	s.echo.GET("/private", func(c echo.Context) error { return errNeedLogin })
	s.echo.POST("/private", func(c echo.Context) error { return errNeedLogin })

	rec := do(t, s, http.MethodGet, "/private?tab=x", nil)
	assert.Equal(t, http.StatusSeeOther, rec.Code, "plain GET is redirected")
	assert.Equal(t, "/login?next=%2Fprivate%3Ftab%3Dx", rec.Header().Get("Location"))

	rec = do(t, s, http.MethodGet, "/private", map[string]string{"HX-Request": "true", "HX-Current-URL": "http://example.com/sources/1?tab=schema"})
	assert.Equal(t, http.StatusUnauthorized, rec.Code, "htmx never gets a 3xx")
	assert.Equal(t, "/login?next=%2Fsources%2F1%3Ftab%3Dschema", rec.Header().Get("HX-Redirect"), "back to the page the user was on")

	rec = do(t, s, http.MethodGet, "/private", map[string]string{"HX-Request": "true", "HX-Current-URL": "https://evil.example/x"})
	assert.Equal(t, "/login?next=%2F", rec.Header().Get("HX-Redirect"), "a foreign current URL is not followed")

	rec = do(t, s, http.MethodPost, "/private", nil)
	assert.Equal(t, http.StatusUnauthorized, rec.Code, "a lost form post is explained, not silently redirected")
}

// TestTenantOutageKeepsReplicasReady: when ISC cannot be reached, /readyz still
// answers 200 and names the tenant's problem, so a balancer keeps routing users to
// the console (whose pages say ISC is unreachable) instead of taking every replica
// out at once; a broken session store still makes the replica unready, naming both.
func TestTenantOutageKeepsReplicasReady(t *testing.T) {
	tenantDown := errors.New("unreachable: dial tcp 127.0.0.1:1: connection refused")
	tenant := ReadyCheck{Name: "tenant", Reported: true, Check: func(context.Context) error { return tenantDown }}
	s := newTestServer(t, func(c *Config) {
		c.Ready = []ReadyCheck{{Name: "session store", Check: func(context.Context) error { return nil }}, tenant}
	})
	rec := do(t, s, http.MethodGet, "/readyz", nil)
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Contains(t, rec.Body.String(), "tenant: unreachable", "the operator still sees the outage")

	storeDown := errors.New("dial tcp 127.0.0.1:6379: connection refused")
	broken := newTestServer(t, func(c *Config) {
		c.Ready = []ReadyCheck{{Name: "session store", Check: func(context.Context) error { return storeDown }}, tenant}
	})
	rec = do(t, broken, http.MethodGet, "/readyz", nil)
	assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
	assert.Contains(t, rec.Body.String(), "session store: dial tcp")
	assert.Contains(t, rec.Body.String(), "tenant: unreachable")
}

func TestHealthReadyMetrics(t *testing.T) {
	storeDown := errors.New("dial tcp 127.0.0.1:6379: connection refused")
	s := newTestServer(t, func(c *Config) {
		c.Ready = []ReadyCheck{
			{Name: "session store", Check: func(context.Context) error { return storeDown }},
			{Name: "tenant", Check: func(context.Context) error { return nil }},
		}
	})
	assert.Equal(t, http.StatusOK, do(t, s, http.MethodGet, "/healthz", nil).Code)
	rec := do(t, s, http.MethodGet, "/readyz", nil)
	assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
	assert.Contains(t, rec.Body.String(), "session store: dial tcp")
	assert.NotContains(t, rec.Body.String(), "tenant:", "only failing checks are named")

	ok := newTestServer(t, func(c *Config) {
		c.Ready = []ReadyCheck{{Name: "tenant", Check: func(context.Context) error { return nil }}}
	})
	assert.Equal(t, http.StatusOK, do(t, ok, http.MethodGet, "/readyz", nil).Code)

	do(t, s, http.MethodGet, "/", nil)
	do(t, s, http.MethodGet, "/nope", nil)
	s.Metrics().ObserveUpstream("listSources", 200, 0)
	body := do(t, s, http.MethodGet, "/metrics", nil).Body.String()
	assert.Contains(t, body, `sourcedesk_http_requests_total{method="GET",route="/",status="200"} 1`)
	assert.Contains(t, body, `sourcedesk_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		"unmatched paths share one label, so scanners cannot blow up the series count")
	assert.Contains(t, body, `sourcedesk_upstream_request_duration_seconds_count{operation="listSources",status="200"} 1`)
}
