package bff

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the console's Prometheus metrics: requests by route and status, and
// upstream (ISC) calls by operation.
type Metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	upstream *prometheus.HistogramVec
}

// NewMetrics registers the console's metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sourcedesk_http_requests_total", Help: "HTTP requests served, by method, route and status.",
		}, []string{"method", "route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "sourcedesk_http_request_duration_seconds", Help: "HTTP request latency, by method, route and status.",
			Buckets: prometheus.DefBuckets,
		}, []string{"method", "route", "status"}),
		upstream: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "sourcedesk_upstream_request_duration_seconds", Help: "ISC API call latency, by operation and status.",
			Buckets: prometheus.DefBuckets,
		}, []string{"operation", "status"}),
	}
	reg.MustRegister(m.requests, m.latency, m.upstream)
	return m
}

// Every label value comes from a fixed set, whatever clients send or ISC answers:
// a label taken from the request (a made-up method) or from the tenant (an odd
// status) would let anyone add series until /metrics and Prometheus run out of
// memory. Routes are Echo's registered patterns, one "unmatched" for the rest
// (requestLog); operations are the API client's operationIds, fixed in code.

// knownMethods are the method labels; any other method counts as "other".
var knownMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodPatch: true, http.MethodDelete: true, http.MethodOptions: true,
	http.MethodConnect: true, http.MethodTrace: true,
}

// methodLabel is method when it is a standard HTTP method, else "other".
func methodLabel(method string) string {
	if knownMethods[method] {
		return method
	}
	return "other"
}

// statusLabel is the status code when HTTP names it, "0" for no response (an
// upstream call that failed before an answer), else "other".
func statusLabel(status int) string {
	if status == 0 || http.StatusText(status) != "" {
		return strconv.Itoa(status)
	}
	return "other"
}

func (m *Metrics) observeRequest(method, route string, status int, d time.Duration) {
	method, st := methodLabel(method), statusLabel(status)
	m.requests.WithLabelValues(method, route, st).Inc()
	m.latency.WithLabelValues(method, route, st).Observe(d.Seconds())
}

// ObserveUpstream records one ISC API call; the API client calls it after each call.
func (m *Metrics) ObserveUpstream(operation string, status int, d time.Duration) {
	m.upstream.WithLabelValues(operation, statusLabel(status)).Observe(d.Seconds())
}
