package bff

import (
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

func (m *Metrics) observeRequest(method, route string, status int, d time.Duration) {
	st := strconv.Itoa(status)
	m.requests.WithLabelValues(method, route, st).Inc()
	m.latency.WithLabelValues(method, route, st).Observe(d.Seconds())
}

// ObserveUpstream records one ISC API call; the API client calls it after each call.
func (m *Metrics) ObserveUpstream(operation string, status int, d time.Duration) {
	m.upstream.WithLabelValues(operation, strconv.Itoa(status)).Observe(d.Seconds())
}
