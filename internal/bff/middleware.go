package bff

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"log/slog"
	"net"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// requestID gives every request a fresh random ID, in the X-Request-Id response
// header, the logs and every error the user sees. A client-sent ID is not trusted:
// it would let anyone write arbitrary text into our logs.
func requestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		var b [8]byte
		_, _ = rand.Read(b[:])
		id := hex.EncodeToString(b[:])
		c.Set(ctxRequestID, id)
		c.Response().Header().Set(echo.HeaderXRequestID, id)
		// The session manager answers store failures from plain net/http code;
		// this lets it render the console's own error page (storeUnavailable).
		r := c.Request()
		c.SetRequest(r.WithContext(context.WithValue(r.Context(), echoContextKey{}, c)))
		return next(c)
	}
}

// echoContextKey holds the request's echo.Context in its context.Context.
type echoContextKey struct{}

func requestIDOf(c echo.Context) string {
	id, _ := c.Get(ctxRequestID).(string)
	return id
}

// requestLog logs one JSON line per request (method, path without the query, route,
// status, duration, request ID; never headers, cookies or tokens) and records the
// request metrics. Errors go through the error handler first, so the logged status
// is the one the client got.
func (s *Server) requestLog() echo.MiddlewareFunc {
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		HandleError:  true,
		LogStatus:    true,
		LogMethod:    true,
		LogURIPath:   true,
		LogLatency:   true,
		LogRoutePath: true,
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			// One label for every unknown URL, however Echo routed it ("" or a
			// group's catch-all "/*"), so scanners cannot blow up the series count.
			route := v.RoutePath
			if route == "" || route == "/*" {
				route = "unmatched"
			}
			s.metrics.observeRequest(v.Method, route, v.Status, v.Latency)
			level := slog.LevelInfo
			if strings.HasPrefix(v.URIPath, "/static/") || v.URIPath == "/healthz" || v.URIPath == "/metrics" {
				level = slog.LevelDebug
			}
			s.log.LogAttrs(c.Request().Context(), level, "request",
				slog.String("method", v.Method), slog.String("path", v.URIPath),
				slog.String("route", route), slog.Int("status", v.Status),
				slog.Duration("duration", v.Latency), slog.String("request_id", requestIDOf(c)))
			return nil
		},
	})
}

// securityHeaders sets the headers every response carries: a strict CSP with a
// per-request nonce (no unsafe-inline, no unsafe-eval), no sniffing, no framing, no
// referrer, HSTS when served over TLS, and no-store unless a route says otherwise.
func (s *Server) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		var b [16]byte
		_, _ = rand.Read(b[:])
		nonce := base64.RawStdEncoding.EncodeToString(b[:])
		c.Set(ctxNonce, nonce)
		h := c.Response().Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self' 'nonce-"+nonce+"'; style-src 'self'; "+
			"img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "+
			"frame-ancestors 'none'; form-action 'self'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		h.Set("Cache-Control", "no-store")
		if s.cfg.HSTS {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		return next(c)
	}
}

// cspNonce is this request's CSP nonce.
func cspNonce(c echo.Context) string {
	n, _ := c.Get(ctxNonce).(string)
	return n
}

// ipExtractor gives c.RealIP(): the connection's peer, or with trusted proxies the
// nearest address in X-Forwarded-For that is not one of them. Echo's default would
// believe any X-Forwarded-For or X-Real-IP a client sends, letting it pick its
// own address for the sign-in throttle.
func ipExtractor(trusted []*net.IPNet) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, n := range trusted {
		opts = append(opts, echo.TrustIPRange(n))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}
