package bff

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"sourcedesk/internal/session"
	"sourcedesk/internal/upload"
	"sourcedesk/web/templates"
)

// UserError is an error whose message is written for the user: handlers return it for
// problems they have checked themselves (bad input, a missing source).
type UserError struct {
	Status  int
	Message string
	Err     error // the cause, for the log only
}

func (e *UserError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%d %s: %v", e.Status, e.Message, e.Err)
	}
	return fmt.Sprintf("%d %s", e.Status, e.Message)
}

func (e *UserError) Unwrap() error { return e.Err }

// userErrorf is a short constructor for UserError.
func userErrorf(status int, format string, args ...any) *UserError {
	return &UserError{Status: status, Message: fmt.Sprintf(format, args...)}
}

// errNeedLogin means the request needs a signed-in user: plain requests are redirected
// to /login, htmx requests get 401 with HX-Redirect.
var errNeedLogin = errors.New("sign-in required")

// outcome is what the user is told about an error.
type outcome struct {
	status     int
	message    string
	retryAfter int // seconds; 429 only
}

// classify maps an error to what the user sees. It is the one status table of the
// console; unknown errors are 500s with a generic message.
func classify(err error) outcome {
	var ue *UserError
	var upe *upload.Error
	var he *echo.HTTPError
	switch {
	case errors.Is(err, errBodyTooSlow):
		return outcome{status: http.StatusRequestTimeout, message: "The request arrived too slowly and was cut off. Check your connection and send it again."}
	case errors.As(err, &ue):
		return outcome{status: ue.Status, message: ue.Message}
	case errors.As(err, &upe):
		return outcome{status: upe.Status, message: upe.Message}
	case errors.Is(err, errNeedLogin), errors.Is(err, session.ErrSessionEnded), errors.Is(err, session.ErrNotSignedIn):
		return outcome{status: http.StatusUnauthorized, message: "Your session has ended. Please sign in again."}
	case errors.Is(err, session.ErrStoreUnavailable):
		return outcome{status: http.StatusServiceUnavailable, message: storeUnavailableMessage}
	case errors.Is(err, session.ErrRefreshUnavailable):
		return outcome{status: http.StatusServiceUnavailable, message: "Your sign-in could not be renewed because the tenant did not answer. You are still signed in: try again in a moment."}
	case errors.Is(err, context.DeadlineExceeded):
		return outcome{status: http.StatusGatewayTimeout, message: "The tenant took too long to answer. Try again in a moment."}
	case errors.As(err, &he):
		return outcome{status: he.Code, message: genericMessage(he.Code)}
	}
	if o, ok := classifyUpstream(err); ok {
		return o
	}
	return outcome{status: http.StatusInternalServerError, message: genericMessage(http.StatusInternalServerError)}
}

// storeUnavailableMessage is what users are told when the session store fails.
const storeUnavailableMessage = "Sessions are unavailable right now (the console's session store is not answering), so you cannot sign in or stay signed in. Nothing was changed. Try again in a moment."

// storeUnavailable answers a request whose session could not be loaded or saved
// (the session manager calls it, writing to w below its own writer): the same
// 503 page or alert as any error, through httpErrorHandler.
func (s *Server) storeUnavailable(w http.ResponseWriter, r *http.Request, err error) {
	c, ok := r.Context().Value(echoContextKey{}).(echo.Context)
	if !ok {
		http.Error(w, storeUnavailableMessage, http.StatusServiceUnavailable)
		return
	}
	c.SetResponse(echo.NewResponse(w, s.echo)) // later writes to the old response are dropped
	s.httpErrorHandler(err, c)
}

// genericMessage is the plain-words text for a status when nothing more specific is known.
func genericMessage(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "The request was not valid."
	case http.StatusUnauthorized:
		return "Your session has ended. Please sign in again."
	case http.StatusForbidden:
		return "Your user level cannot do this."
	case http.StatusNotFound:
		return "There is nothing at this address."
	case http.StatusMethodNotAllowed:
		return "That action is not available here."
	case http.StatusRequestEntityTooLarge:
		return "The request is too large."
	case http.StatusUnsupportedMediaType:
		return "That kind of file is not accepted here."
	case http.StatusTooManyRequests:
		return "Too many requests right now. Please wait and try again."
	case http.StatusBadGateway, http.StatusServiceUnavailable:
		return "The tenant is not answering properly right now. Try again in a moment."
	case http.StatusGatewayTimeout:
		return "The tenant took too long to answer. Try again in a moment."
	default:
		if status >= 500 {
			return "Something went wrong on our side. If it keeps happening, send the request ID to your administrator."
		}
		return "That did not work."
	}
}

// httpErrorHandler is the console's only error writer. htmx requests get an alert
// partial with the real status, retargeted to the alerts region; other requests get
// a full error page. Users see plain words and the request ID, never err.Error().
func (s *Server) httpErrorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	req := c.Request()
	if errors.Is(err, context.Canceled) && req.Context().Err() != nil {
		return // the client went away; nobody is there to read an answer
	}
	o := classify(err)
	rid := requestIDOf(c)
	level := slog.LevelInfo
	if o.status >= 500 {
		level = slog.LevelError
	}
	s.log.LogAttrs(req.Context(), level, "request failed",
		slog.String("request_id", rid), slog.Int("status", o.status),
		slog.String("method", req.Method), slog.String("path", req.URL.Path),
		slog.String("error", err.Error()))

	if o.status == http.StatusUnauthorized {
		s.respondNeedLogin(c)
		return
	}
	alert := templates.AlertVM{Kind: "error", Message: o.message, RequestID: rid, RetryAfter: o.retryAfter}
	if o.retryAfter > 0 && req.Method == http.MethodGet {
		alert.RetryURL = req.URL.RequestURI()
	}
	if req.Method == http.MethodHead {
		_ = c.NoContent(o.status)
		return
	}
	if isHTMX(c) {
		h := c.Response().Header()
		h.Set("HX-Retarget", "#alerts")
		h.Set("HX-Reswap", "innerHTML")
		_ = s.renderFragment(c, o.status, templates.Alert(alert))
		return
	}
	page := templates.ErrorPageVM{Status: o.status, Alert: alert}
	_ = s.write(c, o.status, templates.Page(s.chrome(c, templates.ErrorTitle(o.status), ""), templates.ErrorBody(page)))
}

// respondNeedLogin sends the user to sign in and come back: htmx requests get 401
// with HX-Redirect (htmx ignores headers on 3xx), others a 303 for GET and HEAD.
func (s *Server) respondNeedLogin(c echo.Context) {
	loginURL := "/login?next=" + url.QueryEscape(returnPath(c))
	if isHTMX(c) || c.Request().Header.Get("HX-Request") == "true" {
		c.Response().Header().Set("HX-Redirect", loginURL)
		_ = s.renderFragment(c, http.StatusUnauthorized, templates.Alert(templates.AlertVM{
			Kind: "error", Message: "Your session has ended. Please sign in again.", RequestID: requestIDOf(c)}))
		return
	}
	if m := c.Request().Method; m == http.MethodGet || m == http.MethodHead {
		_ = c.Redirect(http.StatusSeeOther, loginURL)
		return
	}
	page := templates.ErrorPageVM{Status: http.StatusUnauthorized, LoginURL: loginURL, Alert: templates.AlertVM{
		Kind: "error", Message: "Your session has ended, so this was not done. Sign in again and repeat it.", RequestID: requestIDOf(c)}}
	_ = s.write(c, http.StatusUnauthorized, templates.Page(s.chrome(c, "Please sign in", ""), templates.ErrorBody(page)))
}

// returnPath is where the user should come back to after signing in: the page they
// were on. For htmx requests that is the browser's URL (HX-Current-URL), not the
// partial's endpoint; only a same-origin path is kept.
func returnPath(c echo.Context) string {
	req := c.Request()
	if cur := req.Header.Get("HX-Current-URL"); cur != "" {
		if u, err := url.Parse(cur); err == nil && u.Host == req.Host {
			return u.RequestURI()
		}
		return "/"
	}
	if req.Method != http.MethodGet {
		return "/"
	}
	return externalURI(c)
}

// inWords is what an error tells the user (the error handler's words).
func (s *Server) inWords(err error) string { return classify(err).message }
