package bff

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"sourcedesk/internal/api"
	"sourcedesk/internal/session"
)

// Every call to ISC goes through callAPI or callAPIOnce, or their value-returning
// forms fetchAPI and fetchAPIOnce. what says what the console was doing ("get source
// 2c91…", "save schedule ACCOUNT_AGGREGATION of 2c91…"); a failure comes back wrapped
// as "what: cause", once, here, so handlers return it as it is and every error in the
// log says what was being done.

// callAPI runs fn with an API client that speaks for the signed-in user. If ISC
// answers 401 (the access token was revoked or expired early), the sign-in is renewed
// once and fn runs once more, so a token revoked early costs the user nothing; a
// second 401 means signing in again. fn may make several calls (and keep their
// results); for one call that returns a value, use fetchAPI.
// Use callAPIOnce for calls that must never be repeated (uploads, aggregations).
func (s *Server) callAPI(c echo.Context, what string, fn func(ctx context.Context, cl *api.Client) error) error {
	return s.callUpstream(c, what, true, fn)
}

// callAPIOnce is callAPI without the repeat after a 401: for uploads, whose body
// cannot be replayed, and for non-idempotent calls such as starting an aggregation.
func (s *Server) callAPIOnce(c echo.Context, what string, fn func(ctx context.Context, cl *api.Client) error) error {
	return s.callUpstream(c, what, false, fn)
}

// fetchAPI is callAPI for one call that returns a value: it runs call (again after a
// 401, as callAPI does) and returns what the last run returned.
func fetchAPI[T any](s *Server, c echo.Context, what string, call func(ctx context.Context, cl *api.Client) (T, error)) (T, error) {
	var out T
	err := s.callAPI(c, what, func(ctx context.Context, cl *api.Client) error {
		var err error
		out, err = call(ctx, cl)
		return err
	})
	return out, err
}

// fetchAPIOnce is fetchAPI without the repeat after a 401 (callAPIOnce).
func fetchAPIOnce[T any](s *Server, c echo.Context, what string, call func(ctx context.Context, cl *api.Client) (T, error)) (T, error) {
	var out T
	err := s.callAPIOnce(c, what, func(ctx context.Context, cl *api.Client) error {
		var err error
		out, err = call(ctx, cl)
		return err
	})
	return out, err
}

func (s *Server) callUpstream(c echo.Context, what string, retry bool, fn func(ctx context.Context, cl *api.Client) error) error {
	if err := s.runUpstream(c, c.Request().Context(), s.tenantOf(c), retry, fn); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// callTenantAPI is callAPI on another tenant than the request's, t, as the user
// the session is signed in as there (a promotion reads one tenant and writes
// another in one request).
func (s *Server) callTenantAPI(c echo.Context, t *Tenant, what string, fn func(ctx context.Context, cl *api.Client) error) error {
	if err := s.runUpstream(c, c.Request().Context(), t, true, fn); err != nil {
		return fmt.Errorf("%s on %s: %w", what, tenantName(t), err)
	}
	return nil
}

// runUpstream runs fn on tenant t as the user signed in there, on ctx (the
// request's, or one detached from the client for calls that must all be made).
func (s *Server) runUpstream(c echo.Context, ctx context.Context, t *Tenant, retry bool, fn func(ctx context.Context, cl *api.Client) error) error {
	if t.API == nil {
		return errors.New("bff: no API client configured")
	}
	ctx = session.WithTenant(ctx, t.Key)
	ts, err := s.tokenSource(ctx)
	if err != nil {
		return err
	}
	if p := s.priority(c); p != api.PriorityInteractive {
		ctx = api.WithPriority(ctx, p)
	}
	err = fn(ctx, t.API.With(ts))
	if !retry || !api.IsUnauthorized(err) {
		return err
	}
	if rerr := s.renewAfter401(ctx); rerr != nil {
		return rerr
	}
	if ts, err = s.tokenSource(ctx); err != nil {
		return err
	}
	err = fn(ctx, t.API.With(ts))
	if api.IsUnauthorized(err) {
		return fmt.Errorf("%w: ISC refused the renewed token: %v", errNeedLogin, err)
	}
	return err
}

// classifyUpstream maps what the API client returns into what the user is told.
// ISC's own messages are shown for 400 and 409 (they say what is wrong with the
// input); other statuses get plain words.
func classifyUpstream(err error) (outcome, bool) {
	var ae *api.Error
	if errors.As(err, &ae) {
		switch {
		case ae.Status == http.StatusBadRequest, ae.Status == http.StatusConflict, ae.Status == http.StatusUnprocessableEntity:
			return outcome{status: ae.Status, message: iscSays(ae, "ISC refused the request.")}, true
		case ae.Status == http.StatusUnauthorized:
			return outcome{status: http.StatusUnauthorized, message: genericMessage(http.StatusUnauthorized)}, true
		case ae.Status == http.StatusForbidden:
			return outcome{status: http.StatusForbidden, message: "Your user level cannot do this."}, true
		case ae.Status == http.StatusNotFound:
			return outcome{status: http.StatusNotFound, message: "ISC has no such object. It may have been deleted."}, true
		case ae.Status == http.StatusTooManyRequests:
			secs := int((ae.RetryAfter + time.Second - 1) / time.Second)
			if secs < 1 {
				secs = 5
			}
			return outcome{status: http.StatusTooManyRequests, retryAfter: secs,
				message: fmt.Sprintf("ISC is rate limiting this console. Retrying in %d s.", secs)}, true
		case ae.Status == http.StatusGatewayTimeout:
			return outcome{status: http.StatusGatewayTimeout, message: genericMessage(http.StatusGatewayTimeout)}, true
		case ae.Status >= 500:
			return outcome{status: http.StatusBadGateway, message: "ISC answered with an error. Try again in a moment."}, true
		default:
			return outcome{status: ae.Status, message: iscSays(ae, genericMessage(ae.Status))}, true
		}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return outcome{status: http.StatusGatewayTimeout, message: genericMessage(http.StatusGatewayTimeout)}, true
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return outcome{status: http.StatusBadGateway, message: "ISC cannot be reached right now. Try again in a moment."}, true
	}
	return outcome{}, false
}

// iscSays joins ISC's messages for the user, or gives fallback when there are none.
func iscSays(ae *api.Error, fallback string) string {
	if len(ae.Messages) == 0 {
		return fallback
	}
	return "ISC says: " + strings.Join(ae.Messages, " ")
}

// upstreamMessage is what the user is told about one failed call inside a page that
// otherwise worked (bulk rows, tool results): the same words as the error handler.
func upstreamMessage(err error) string {
	return classify(err).message
}

// signInLost is what an optional part of a page (health, connections) returns to its
// errgroup: only a lost sign-in stops the page; any other failure is shown in place.
func signInLost(err error) error {
	if api.IsUnauthorized(err) {
		return err
	}
	return nil
}

// ctxCalls holds the request's *api.CallCounter (countUpstream).
const ctxCalls = "sd.calls"

// countUpstream counts every request's calls to ISC (api.WithCallCounter) and
// says what they cost in a Server-Timing header, which browsers' developer tools
// show and the benchmark reads: `isc;desc="2 calls";dur=245.1` (the time ISC took,
// summed) and `budget;dur=12.0` (the time the calls waited for the shared rate
// budget). The activity log reads the same counter (upstreamCalls).
func countUpstream(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx, calls := api.WithCallCounter(c.Request().Context())
		c.SetRequest(c.Request().WithContext(ctx))
		c.Set(ctxCalls, calls)
		c.Response().Before(func() {
			if n := calls.N(); n > 0 || calls.Waited() > 0 {
				noun := "calls"
				if n == 1 {
					noun = "call"
				}
				c.Response().Header().Set("Server-Timing", fmt.Sprintf(`isc;desc="%d %s";dur=%s, budget;dur=%s`,
					n, noun, msText(calls.Upstream()), msText(calls.Waited())))
			}
		})
		return next(c)
	}
}

func msText(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 1, 64)
}

// upstreamCalls is the request's call counter (an unused one outside countUpstream).
func upstreamCalls(c echo.Context) *api.CallCounter {
	if calls, ok := c.Get(ctxCalls).(*api.CallCounter); ok {
		return calls
	}
	return &api.CallCounter{}
}

// ctxPriority overrides the route's priority for one request (a task panel's poll).
const ctxPriority = "sd.priority"

// priority is how the request's calls queue for the shared rate budget (api.Priority):
// set for the request (asBackground), else the route's (routes.go: background, bulk),
// else interactive, a person waiting for a page.
func (s *Server) priority(c echo.Context) api.Priority {
	if p, ok := c.Get(ctxPriority).(api.Priority); ok {
		return p
	}
	return s.route(c).priority
}

// asBackground makes the request's calls yield to page loads in the budget.
func asBackground(c echo.Context) { c.Set(ctxPriority, api.PriorityBackground) }
