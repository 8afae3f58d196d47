package bff

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// csrfCookie is the double-submit cookie Echo's CSRF middleware keeps; __Host- when
// the console is served over TLS.
func (s *Server) csrfCookie() string {
	if s.cfg.SecureCookies {
		return "__Host-sd_csrf"
	}
	return "sd_csrf"
}

// csrfFormRoutes are the small urlencoded forms that may also send the token as a
// _csrf field (plain, non-htmx POSTs). Nowhere else is the body read for CSRF:
// Echo's form lookup would parse a whole multipart upload before the handler.
var csrfFormRoutes = map[string]bool{"/logout": true, "/login/pat": true}

// csrfProtect checks that unsafe requests come from the console's own pages:
// Sec-Fetch-Site same-origin (or none) passes; cross-site is refused; same-site or a
// missing header needs the token from the X-CSRF-Token header (htmx sends it via
// hx-headers on <body>). Every refusal is a 403 with a clear message, before any
// handler (so no upstream call) runs.
func (s *Server) csrfProtect(formLookup bool) echo.MiddlewareFunc {
	lookup := "header:" + echo.HeaderXCSRFToken
	if formLookup {
		lookup += ",form:_csrf"
	}
	mw := middleware.CSRFWithConfig(middleware.CSRFConfig{
		Skipper: func(c echo.Context) bool {
			// The form routes get their own instance (below) that may read the form.
			return !formLookup && c.Request().Method == http.MethodPost && csrfFormRoutes[c.Path()]
		},
		TokenLookup:    lookup,
		ContextKey:     ctxCSRFToken,
		CookieName:     s.csrfCookie(),
		CookiePath:     "/",
		CookieSecure:   s.cfg.SecureCookies,
		CookieHTTPOnly: true,
		CookieSameSite: http.SameSiteStrictMode,
		CookieMaxAge:   12 * 60 * 60,
		// No TrustedOrigins and no AllowSecFetchSiteFunc: cross-site is refused and
		// same-site (a sibling subdomain) needs the token.
	})
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			reached := false
			err := mw(func(c echo.Context) error {
				reached = true
				return next(c)
			})(c)
			if err != nil && !reached {
				return &UserError{
					Status:  http.StatusForbidden,
					Message: "This request was refused because it did not come from a Sourcedesk page (its security token was missing or wrong). Reload the page and try again.",
					Err:     err,
				}
			}
			return err
		}
	}
}
