package bff

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"
)

// csrfFormRoutes are the urlencoded forms that may also send the token as a _csrf
// field of the body (plain, non-htmx POSTs: the promotion's are, so the browser
// shows the apply page as it is sent). Nowhere else is the body read
// for CSRF: a form parser would read a whole multipart upload before the handler.
var csrfFormRoutes = map[string]bool{"/logout": true, "/login/pat": true, "/promote": true, "/promote/apply": true}

// errCSRF is a refused request; its message is the one users see.
var errCSRF = errors.New("csrf: missing or wrong token")

// csrfProtect checks that unsafe requests come from the console's own pages:
// Sec-Fetch-Site same-origin (or none) passes; cross-site is refused; same-site or a
// missing header needs the session's token (session.Manager.CSRFToken: an HMAC of
// the session token, so a planted cookie or another session's token cannot pass)
// from the X-CSRF-Token header (htmx sends it via hx-headers on <body>) or, on the
// csrfFormRoutes only, from the _csrf field of an urlencoded body. Never from the
// query string: a token in a URL leaks into logs, history and Referer. Every
// refusal is a 403 with a clear message, before any handler (so no upstream call)
// runs. formLookup marks the per-route instance of the form routes; the group's
// instance leaves those routes to it.
func (s *Server) csrfProtect(formLookup bool) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			isFormRoute := r.Method == http.MethodPost && csrfFormRoutes[c.Path()]
			if !formLookup && isFormRoute {
				return next(c) // checked by the route's own instance
			}
			switch r.Method {
			case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
				return next(c)
			}
			switch r.Header.Get("Sec-Fetch-Site") {
			case "same-origin", "none":
				return next(c)
			case "cross-site":
				return csrfRefusal(errors.New("csrf: cross-site request"))
			}
			sent := r.Header.Get(echo.HeaderXCSRFToken)
			if sent == "" && formLookup && isURLEncoded(r) {
				sent = r.PostFormValue("_csrf") // the body only; PostFormValue ignores the query
			}
			if s.cfg.Sessions == nil || !s.cfg.Sessions.CheckCSRF(r.Context(), sent) {
				return csrfRefusal(errCSRF)
			}
			return next(c)
		}
	}
}

func csrfRefusal(err error) error {
	return &UserError{
		Status:  http.StatusForbidden,
		Message: "This request was refused because it did not come from a Sourcedesk page (its security token was missing or wrong). Reload the page and try again.",
		Err:     err,
	}
}
