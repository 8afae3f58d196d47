package sandbox

// Fault injection and call counting, for tests and demos of failure handling.

import (
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// Fault is a failure to inject into API calls. Zero fields do nothing.
type Fault struct {
	// Latency delays each call (the delay ends early if the client goes away).
	Latency time.Duration
	// LatencyMin and LatencyMax, when set, make Latency the median of the delays
	// rather than every call's: each delay is drawn from a log-normal
	// distribution around Latency whose 95th percentile is LatencyMax, clamped to
	// [LatencyMin, LatencyMax], as a real tenant's answer times spread (e.g. 80
	// to 250 ms, median 120 ms).
	LatencyMin, LatencyMax time.Duration
	// ErrorRatio is the share of calls, 0..1, that fail with Status. When
	// Status is set and ErrorRatio is 0, every call fails.
	ErrorRatio float64
	// Status is the failure's HTTP status (default 500). The body has ISC's
	// shape for that status ({"error"} for 401, {"message"} for 429,
	// ErrorResponseDto otherwise).
	Status int
	// Force429 makes the next N calls answer 429 with Retry-After.
	Force429 int
	// RetryAfter is the Retry-After of forced 429s, in seconds (default 1).
	RetryAfter int
	// Hang makes calls block until the client gives up (its context ends).
	Hang bool
}

// SetFault injects f into the operation op (a spec operationId such as
// "listSources", or "*" for every operation), replacing any earlier fault on op.
func (s *Sandbox) SetFault(op string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.api.faults[op] = f
	s.api.forced[op] = f.Force429
}

// ClearFaults removes every injected fault.
func (s *Sandbox) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.api.faults)
	clear(s.api.forced)
}

// Calls returns how many API requests reached the operation op (a spec
// operationId), whatever their outcome; "" counts every API request.
func (s *Sandbox) Calls(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if op == "" {
		return s.api.calls["*"]
	}
	return s.api.calls[op]
}

// CallsByMethod returns how many API requests used the HTTP method
// ("GET", "POST"…), whatever their outcome; a test asserting that a page
// only reads can check CallsByMethod("GET") == Calls("").
func (s *Sandbox) CallsByMethod(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.api.byMethod[method]
}

// CallCounts returns a copy of the per-operation counters (operationId →
// requests); OAuth endpoints are not counted.
func (s *Sandbox) CallCounts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for op, n := range s.api.calls {
		if op != "*" && op != "" {
			out[op] = n
		}
	}
	return out
}

// ResetCalls sets every call counter back to zero.
func (s *Sandbox) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.api.calls)
	clear(s.api.byMethod)
}

// applyFault applies the faults on op and "*"; it reports whether it wrote
// the response.
func (s *Sandbox) applyFault(w http.ResponseWriter, r *http.Request, op string) bool {
	for _, key := range []string{op, "*"} {
		s.mu.Lock()
		f, ok := s.api.faults[key]
		forced := false
		if ok && s.api.forced[key] > 0 {
			s.api.forced[key]--
			forced = true
		}
		fail := false
		if ok && !forced && (f.Status != 0 || f.ErrorRatio > 0) {
			fail = f.ErrorRatio <= 0 || s.api.rng.Float64() < f.ErrorRatio
		}
		delay := f.delay(s.api.rng)
		s.mu.Unlock()
		if !ok {
			continue
		}
		if f.Hang {
			<-r.Context().Done()
			return true
		}
		if delay > 0 {
			t := time.NewTimer(delay)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return true
			}
		}
		if forced {
			w.Header().Set("Retry-After", strconv.Itoa(max(1, f.RetryAfter)))
			s.writeError(w, &apiError{status: http.StatusTooManyRequests})
			return true
		}
		if fail {
			status := f.Status
			if status == 0 {
				status = http.StatusInternalServerError
			}
			e := &apiError{status, "500.0 Internal Fault", "An internal fault occurred (injected)."}
			switch {
			case status == http.StatusTooManyRequests:
				w.Header().Set("Retry-After", strconv.Itoa(max(1, f.RetryAfter)))
			case status == http.StatusUnauthorized:
				e.text = "JWT validation failed: JWT is expired"
			case status < 500:
				e.code = strconv.Itoa(status) + " injected fault"
			}
			s.writeError(w, e)
			return true
		}
	}
	return false
}

// delay is one call's delay under f: Latency, or with LatencyMax above it a draw
// from a log-normal distribution with median Latency and 95th percentile
// LatencyMax, clamped to [LatencyMin, LatencyMax].
func (f Fault) delay(rng *rand.Rand) time.Duration {
	if f.Latency <= 0 || f.LatencyMax <= f.Latency {
		return f.Latency
	}
	sigma := math.Log(float64(f.LatencyMax)/float64(f.Latency)) / 1.645
	d := time.Duration(float64(f.Latency) * math.Exp(sigma*rng.NormFloat64()))
	return min(max(d, f.LatencyMin), f.LatencyMax)
}
