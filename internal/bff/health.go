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

// readyz handles "GET /readyz": every dependency answers (the session store, the
// tenant). 503 names what is not ready, so an operator can act on it.
func (s *Server) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 3*time.Second)
	defer cancel()
	type result struct {
		name string
		err  error
	}
	results := make(chan result, len(s.cfg.Ready))
	for _, chk := range s.cfg.Ready {
		go func() { results <- result{chk.Name, chk.Check(ctx)} }()
	}
	failed := ""
	for range s.cfg.Ready {
		r := <-results
		if r.err != nil {
			failed += r.name + ": " + r.err.Error() + "\n"
		}
	}
	if failed != "" {
		return c.String(http.StatusServiceUnavailable, "not ready\n"+failed)
	}
	return c.String(http.StatusOK, "ready\n")
}
