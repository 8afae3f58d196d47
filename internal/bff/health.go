package bff

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// healthz handles "GET /healthz": the process is alive.
func (s *Server) healthz(c echo.Context) error {
	return c.String(http.StatusOK, "ok\n")
}

// readyz handles "GET /readyz": every dependency the replica needs answers (the
// session store) and it is not shutting down. 503 names what is not ready, so an
// operator can act on it; a failing Reported check (the tenant) is named in a 200.
func (s *Server) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 3*time.Second)
	defer cancel()
	type result struct {
		ReadyCheck
		err error
	}
	results := make(chan result, len(s.cfg.Ready))
	for _, chk := range s.cfg.Ready {
		go func() { results <- result{chk, chk.Check(ctx)} }()
	}
	var failed, reported string
	for range s.cfg.Ready {
		r := <-results
		switch {
		case r.err == nil:
		case r.Reported:
			reported += r.Name + ": " + r.err.Error() + " (reported, not counted: every replica shares it)\n"
		default:
			failed += r.Name + ": " + r.err.Error() + "\n"
		}
	}
	if failed != "" {
		return c.String(http.StatusServiceUnavailable, "not ready\n"+failed+reported)
	}
	return c.String(http.StatusOK, "ready\n"+reported)
}
