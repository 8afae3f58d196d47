package bff

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"sourcedesk/internal/api"
	"sourcedesk/internal/sandbox"
	"sourcedesk/internal/session"
)

// TestMetricLabelsComeFromFixedSets: whatever a client sends (made-up methods,
// unknown URLs) and whatever the tenant answers (odd statuses), every label value of
// every metric comes from a fixed set, so nobody can grow /metrics without bound.
func TestMetricLabelsComeFromFixedSets(t *testing.T) {
	reg := prometheus.NewRegistry()
	metrics := NewMetrics(reg)
	e := newTestEnvObserved(t, reg, metrics)
	sourceID := sandbox.SeedDelimitedSourceID

	// Requests with made-up methods, on known and unknown routes.
	for i := range 300 {
		method := fmt.Sprintf("M%03dX", i)
		for _, target := range []string{"/sources", "/no/such/page/" + strconv.Itoa(i)} {
			req := httptest.NewRequest(http.MethodGet, target, nil)
			req.Method = method
			e.srv.ServeHTTP(httptest.NewRecorder(), req)
		}
	}
	// The tenant answering odd statuses.
	for _, status := range []int{299, 418, 451, 499, 599, 799, 999} {
		e.sandbox.SetFault("getSource", sandbox.Fault{Status: status})
		e.do(http.MethodGet, "/sources/"+sourceID, nil, nil)
	}
	e.sandbox.ClearFaults()

	families, err := reg.Gather()
	require.NoError(t, err)
	allowed := map[string]map[string]bool{
		"method": setOf(http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
			http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace, "other"),
	}
	seen := map[string]map[string]bool{}
	series := 0
	for _, f := range families {
		for _, m := range f.GetMetric() {
			series++
			for _, l := range m.GetLabel() {
				if seen[l.GetName()] == nil {
					seen[l.GetName()] = map[string]bool{}
				}
				seen[l.GetName()][l.GetValue()] = true
			}
		}
	}
	for v := range seen["method"] {
		assert.True(t, allowed["method"][v], "method label %q is not one of the fixed set", v)
	}
	for v := range seen["status"] {
		n, err := strconv.Atoi(v)
		ok := v == "other" || v == "0" || (err == nil && http.StatusText(n) != "")
		assert.True(t, ok, "status label %q is neither a known HTTP status, \"0\" (no answer) nor \"other\"", v)
	}
	for v := range seen["route"] {
		assert.True(t, v == "unmatched" || routeRegistered(e.srv, v), "route label %q is not a registered route", v)
	}
	assert.True(t, seen["method"]["other"], "made-up methods are counted as \"other\"")
	assert.True(t, seen["status"]["other"], "unknown statuses are counted as \"other\"")
	assert.Less(t, series, 200, "600 odd requests must not add hundreds of series")
}

func setOf(vs ...string) map[string]bool {
	m := map[string]bool{}
	for _, v := range vs {
		m[v] = true
	}
	return m
}

// routeRegistered reports whether path is an Echo route pattern of the server.
func routeRegistered(s *Server, path string) bool {
	for _, r := range s.echo.Routes() {
		if r.Path == path {
			return true
		}
	}
	return false
}

// newTestEnvObserved is newTestEnv with the metrics on reg and the API client
// reporting every upstream call into them, as cmd/server wires it.
func newTestEnvObserved(t *testing.T, reg *prometheus.Registry, metrics *Metrics) *testEnv {
	t.Helper()
	sb, hs := newTestSandbox(t)
	e := newConsole(t, sb, hs, "memory", func(c *Config) {
		c.Registry, c.Metrics = reg, metrics
		cl, err := api.New(api.Config{BaseURL: hs.URL, HTTPClient: hs.Client(),
			Limiter: c.Sessions.(*session.Manager).Limiter("sandbox"), Observe: metrics.ObserveUpstream})
		require.NoError(t, err)
		c.Tenants = []Tenant{{Key: "sandbox", API: cl}}
	})
	e.csrfPrime()
	form := url.Values{"client_id": {sandbox.DemoPATClientID}, "client_secret": {sandbox.DemoPATClientSecret}}
	rec := e.do(http.MethodPost, "/login/pat", strings.NewReader(form.Encode()),
		map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	require.Equal(t, http.StatusSeeOther, rec.Code, "PAT sign-in: %s", rec.Body.String())
	return e
}
