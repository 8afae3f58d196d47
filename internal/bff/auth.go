package bff

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/oauth2"

	"sourcedesk/internal/activity"
	"sourcedesk/internal/session"
	"sourcedesk/web/templates"
)

// sessionManager is what the console needs from internal/session (*session.Manager).
type sessionManager interface {
	LoadAndSave(next http.Handler) http.Handler
	StartLogin(w http.ResponseWriter, r *http.Request, next string) (string, error)
	FinishLogin(ctx context.Context, w http.ResponseWriter, r *http.Request) (tenant, next string, err error)
	LoginWithPAT(ctx context.Context, clientID, secret, addr string) error
	Logout(ctx context.Context) error
	Current(ctx context.Context) (session.User, bool)
	// SignedIn lists the tenants the session is signed in to.
	SignedIn(ctx context.Context) []string
	TokenSource(ctx context.Context) oauth2.TokenSource
	Invalidate(ctx context.Context) error
	// SetStoreErrorHandler sets the answer to a request whose session could not be
	// loaded or saved; New sets storeUnavailable.
	SetStoreErrorHandler(func(w http.ResponseWriter, r *http.Request, err error))
	// CSRFToken is the token bound to the request's session ("" without one);
	// CheckCSRF verifies one; EnsureSession starts a session for a signed-out form.
	CSRFToken(ctx context.Context) string
	CheckCSRF(ctx context.Context, token string) bool
	EnsureSession(ctx context.Context) error
}

// sessionMiddleware is the dynamic group's chain: load the session (and its
// token record), check CSRF, then put the signed-in user where the layout finds it.
func (s *Server) sessionMiddleware() []echo.MiddlewareFunc {
	mws := []echo.MiddlewareFunc{}
	if s.cfg.Sessions != nil {
		mws = append(mws, echo.WrapMiddleware(s.cfg.Sessions.LoadAndSave))
	}
	mws = append(mws, s.csrfProtect(false), checkFormText)
	if s.cfg.Sessions != nil {
		mws = append(mws, s.loadUser)
	}
	return mws
}

// loadUser makes the signed-in user visible to the nav.
func (s *Server) loadUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if u, ok := s.cfg.Sessions.Current(c.Request().Context()); ok {
			tenant := u.TenantName
			if tenant == "" {
				tenant = u.Tenant
			}
			c.Set(ctxUser, &templates.UserVM{Name: u.Name, UserLevel: u.UserLevel, Tenant: tenant})
		}
		return next(c)
	}
}

// requireAuth lets only signed-in users through; the error handler sends the others
// to /login (htmx: 401 + HX-Redirect; plain GET: 303).
func (s *Server) requireAuth(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.cfg.Sessions == nil {
			return errNeedLogin
		}
		if _, ok := s.cfg.Sessions.Current(c.Request().Context()); !ok {
			return errNeedLogin
		}
		return next(c)
	}
}

// tokenSource is the signed-in user's token source on the tenant ctx speaks of
// (session.WithTenant), for callAPI.
func (s *Server) tokenSource(ctx context.Context) (oauth2.TokenSource, error) {
	if s.cfg.Sessions == nil {
		return nil, errNeedLogin
	}
	if _, ok := s.cfg.Sessions.Current(ctx); !ok {
		return nil, errNeedLogin
	}
	return s.cfg.Sessions.TokenSource(ctx), nil
}

// renewAfter401 forces one refresh of the user's token after ISC answered 401.
func (s *Server) renewAfter401(ctx context.Context) error {
	if s.cfg.Sessions == nil {
		return errNeedLogin
	}
	return s.cfg.Sessions.Invalidate(ctx)
}

// login handles "GET /login": it starts the authorization-code sign-in and sends
// the browser to the tenant's login page.
func (s *Server) login(c echo.Context) error {
	if s.cfg.Sessions == nil {
		return userErrorf(http.StatusServiceUnavailable, "Sign-in is not configured.")
	}
	u, err := s.cfg.Sessions.StartLogin(c.Response(), c.Request(), s.nextPage(c, c.QueryParam("next")))
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusFound, u)
}

// authCallback handles "GET /auth/callback", where the tenant sends the browser
// back. Success answers with a same-site bounce page (the session cookie is
// SameSite=Strict and was not sent on this cross-site navigation).
func (s *Server) authCallback(c echo.Context) error {
	if s.cfg.Sessions == nil {
		return userErrorf(http.StatusServiceUnavailable, "Sign-in is not configured.")
	}
	tenant, next, err := s.cfg.Sessions.FinishLogin(c.Request().Context(), c.Response(), c.Request())
	if err != nil {
		return s.signInProblem(c, err)
	}
	// The callback belongs to no tenant: the sign-in was to the one its attempt named.
	if t := s.tenantByKey(tenant); t != nil {
		c.Set(ctxTenant, t)
		c.SetRequest(c.Request().WithContext(session.WithTenant(c.Request().Context(), t.Key)))
	}
	s.recordAuth(c, "sign-in", "authorization code")
	c.Response().Header().Set("Referrer-Policy", "no-referrer")
	return s.write(c, http.StatusOK, templates.AuthBounce(templates.AuthBounceVM{Next: next, Nonce: cspNonce(c)}))
}

// recordAuth writes a sign-in to the team's activity log, for the user the session
// now holds; how names the way in ("authorization code", "personal access token").
func (s *Server) recordAuth(c echo.Context, action, how string) {
	if u, ok := s.cfg.Sessions.Current(c.Request().Context()); ok {
		s.recordAuthOf(c, u, action, how)
	}
}

func (s *Server) recordAuthOf(c echo.Context, u session.User, action, how string) {
	e := activity.Entry{Tenant: s.tenantOf(c).Key, UserID: u.IdentityID, UserName: u.Name, Action: action, Method: c.Request().Method,
		Route: c.Path(), Status: http.StatusOK, RequestID: requestIDOf(c)}
	if how != "" {
		e.Details = map[string]string{"with": how}
	}
	s.recordActivity(c.Request().Context(), e)
}

// signInProblem renders what went wrong at the callback or the PAT form, with a
// way forward; details go to the log only.
func (s *Server) signInProblem(c echo.Context, err error) error {
	vm := templates.AuthMessageVM{LoginURL: "/login", PATURL: "/login/pat", RequestID: requestIDOf(c), TestID: "auth-problem"}
	status := http.StatusBadGateway
	switch {
	case errors.Is(err, session.ErrInvalidState):
		status = http.StatusForbidden
		vm.Title = "Sign-in link expired"
		vm.Message = "This sign-in link has expired or was already used, so it was refused. Start again to sign in."
	case errors.Is(err, session.ErrLoginCancelled):
		status = http.StatusUnauthorized
		vm.Title = "Sign-in cancelled"
		vm.Message = "You cancelled signing in at the tenant. Nothing was changed."
	case errors.Is(err, session.ErrLoginFailed):
		status = http.StatusUnauthorized
		vm.Title = "Sign-in failed"
		vm.Message = "The tenant refused the sign-in. Try again, or ask your administrator whether your account may use this console."
	case errors.Is(err, session.ErrRefreshUnavailable):
		status = http.StatusServiceUnavailable
		vm.Title = "Tenant unavailable"
		vm.Message = "The tenant's sign-in service did not answer. Try again in a moment."
	case errors.Is(err, session.ErrStoreUnavailable):
		status = http.StatusServiceUnavailable
		vm.Title = "Sign-in unavailable"
		vm.Message = storeUnavailableMessage
	default:
		return err
	}
	s.log.InfoContext(c.Request().Context(), "sign-in problem", "request_id", vm.RequestID, "status", status, "error", err.Error())
	return s.render(c, status, Page{Title: vm.Title, Body: templates.AuthMessage(vm)})
}

// nextPage is where a sign-in to the request's tenant leads: next when it is a
// local page, on that tenant unless it names one, else the tenant's home.
func (s *Server) nextPage(c echo.Context, next string) string {
	return s.tenantPath(s.tenantOf(c), session.SafeNext(next))
}

// patForm handles "GET /login/pat": the personal-access-token sign-in form.
func (s *Server) patForm(c echo.Context) error {
	if s.cfg.Sessions != nil {
		// The form's CSRF token is bound to a session, which a signed-out visitor
		// gets here (and only on this page).
		if err := s.cfg.Sessions.EnsureSession(c.Request().Context()); err != nil {
			return err
		}
	}
	return s.render(c, http.StatusOK, Page{Title: "Sign in with a token", Body: templates.AuthPAT(s.patVM(c, "", ""))})
}

func (s *Server) patVM(c echo.Context, clientID, problem string) templates.AuthPATVM {
	return templates.AuthPATVM{
		Next:      session.SafeNext(c.FormValue("next")),
		CSRFToken: s.csrfToken(c),
		ClientID:  clientID,
		Error:     problem,
		DemoMode:  s.cfg.DemoMode,
	}
}

// patLoginRequest is the PAT form.
type patLoginRequest struct {
	ClientID string `form:"client_id"`
	Secret   string `form:"client_secret"`
	Next     string `form:"next"`
}

// patLogin handles "POST /login/pat": sign in with a personal access token.
func (s *Server) patLogin(c echo.Context) error {
	if s.cfg.Sessions == nil {
		return userErrorf(http.StatusServiceUnavailable, "Sign-in is not configured.")
	}
	var req patLoginRequest
	if err := (&echo.DefaultBinder{}).BindBody(c, &req); err != nil {
		return userErrorf(http.StatusBadRequest, "The form could not be read.")
	}
	err := s.cfg.Sessions.LoginWithPAT(c.Request().Context(), req.ClientID, req.Secret, c.RealIP())
	var te *session.ThrottledError
	switch {
	case errors.As(err, &te):
		secs := int((te.RetryAfter + time.Second - 1) / time.Second)
		c.Response().Header().Set("Retry-After", strconv.Itoa(secs))
		s.log.InfoContext(c.Request().Context(), "personal access token sign-in throttled", "request_id", requestIDOf(c), "retry_after_s", secs)
		return s.render(c, http.StatusTooManyRequests, Page{Title: "Sign in with a token",
			Body: templates.AuthPAT(s.patVM(c, req.ClientID, fmt.Sprintf(
				"Too many failed sign-ins with this client ID or from your address. Try again in %d s.", secs)))})
	case errors.Is(err, session.ErrLoginFailed):
		return s.render(c, http.StatusUnauthorized, Page{Title: "Sign in with a token",
			Body: templates.AuthPAT(s.patVM(c, req.ClientID, "That client ID and secret were refused by the tenant."))})
	case err != nil:
		return s.signInProblem(c, err)
	}
	s.recordAuth(c, "sign-in", "personal access token")
	next := s.nextPage(c, req.Next)
	if c.Request().Header.Get("HX-Request") == "true" {
		// A full page load, so the nav shows who is signed in now.
		c.Response().Header().Set("HX-Redirect", next)
		return c.NoContent(http.StatusOK)
	}
	return c.Redirect(http.StatusSeeOther, next)
}

// logout handles "POST /logout": the session ends on the server for every
// replica, and the user sees a signed-out page (not a redirect to the tenant: the
// CSP's form-action 'self' would block a cross-origin redirect after a form POST).
func (s *Server) logout(c echo.Context) error {
	if s.cfg.Sessions != nil {
		// Signing out ends the session on every tenant: each tenant's log says so.
		ctx := c.Request().Context()
		type signedOut struct {
			t *Tenant
			u session.User
		}
		var outs []signedOut
		for _, key := range s.cfg.Sessions.SignedIn(ctx) {
			if t := s.tenantByKey(key); t != nil {
				if u, ok := s.cfg.Sessions.Current(session.WithTenant(ctx, key)); ok {
					outs = append(outs, signedOut{t, u})
				}
			}
		}
		if err := s.cfg.Sessions.Logout(ctx); err != nil {
			return err
		}
		here := s.tenantOf(c)
		for _, o := range outs {
			c.Set(ctxTenant, o.t)
			s.recordAuthOf(c, o.u, "sign-out", "")
		}
		c.Set(ctxTenant, here)
	}
	c.Set(ctxUser, nil)
	vm := templates.AuthMessageVM{
		Title: "Signed out", TestID: "signed-out",
		Message:   "You are signed out of Sourcedesk. Your tenant session may still be open.",
		LoginURL:  "/login",
		LogoutURL: s.tenantOf(c).LogoutURL,
	}
	if isHTMX(c) {
		c.Response().Header().Set("HX-Redirect", "/signed-out")
		return c.NoContent(http.StatusOK)
	}
	return s.render(c, http.StatusOK, Page{Title: "Signed out", Body: templates.AuthMessage(vm)})
}

// signedOut handles "GET /signed-out", where htmx sign-outs land.
func (s *Server) signedOut(c echo.Context) error {
	vm := templates.AuthMessageVM{
		Title: "Signed out", TestID: "signed-out",
		Message:   "You are signed out of Sourcedesk. Your tenant session may still be open.",
		LoginURL:  "/login",
		LogoutURL: s.tenantOf(c).LogoutURL,
	}
	return s.render(c, http.StatusOK, Page{Title: "Signed out", Body: templates.AuthMessage(vm)})
}
