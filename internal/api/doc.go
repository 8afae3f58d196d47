// Package api is the console's typed client for the SailPoint ISC Sources API:
// the 52 Sources operations of the v2025 API plus GET /task-status/{id}, and
// the five read-only lists that fill pickers (public identities, managed
// clusters, governance groups, password policies, connectors), one method per
// operation, named after its operationId (GetSource for getSource) and taking
// a context first. Every call to ISC, or to the embedded sandbox tenant, goes
// through it.
//
// # Credentials
//
// One Client is made at start-up and shared by every user. It holds the
// transport, the base URL and version prefix, the rate limiter and the
// metrics hook, but no credentials: each user's calls go through a view made
// with With(tokenSource), a cheap copy that shares everything else:
//
//	c, err := api.New(api.Config{BaseURL: "https://acme.api.identitynow.com", HTTPClient: hc})
//	src, err := c.With(userTokens).GetSource(ctx, id)
//
// The token source is asked on every attempt; the client keeps no token. It
// never refreshes one either: an upstream 401 comes back as *Error with
// Status 401, so that the session layer, which owns the refresh token, can
// refresh under its lock and call again. (oauth2.TokenSource takes no
// context: a token source that refreshes should bound its own call.)
//
// # Errors and retries
//
// Every non-2xx answer becomes *Error, whatever the shape of its body; use
// errors.As, StatusOf or IsNotFound and friends. A 2xx body that cannot be
// decoded is ErrMalformedResponse. The caller's context bounds every call,
// including the limiter's wait and retries, and a cancelled call reports
// context.Canceled or context.DeadlineExceeded.
//
// Only GETs are retried, at most twice: after 429 with Retry-After ≤ 2 s,
// after 502/503/504 and after a reset connection. POST, PUT, PATCH, DELETE
// and uploads never are: they may have taken effect even when the answer was
// lost (load-accounts starts a task).
//
// # Rate limit
//
// ISC allows 100 requests per 10 s per OAuth client. Config.Limiter is
// awaited before every attempt; the default WindowLimiter enforces that
// budget in this process. Several replicas sharing one OAuth client need a
// shared Limiter (e.g. a Redis budget) instead.
//
// # Models
//
// Models decode leniently: enums are string types whose unknown values pass
// through, nullable objects are pointers, date-times are DateTime strings.
// Models that are written back keep unknown members in Extra and send them
// again, so a GET → edit → PUT round trip loses nothing.
//
// # Uploads and downloads
//
// The Import* methods send a File (a reader and its exact size) as
// multipart/form-data with a Content-Length, as every SailPoint SDK does; no
// chunked body is ever sent. The body is assembled around the file as it is
// sent, so memory stays flat whatever the size. The console spools a browser's
// upload to a temporary file first (package upload) to know its size. The
// schema downloads return the response body as an io.ReadCloser.
//
// # Files
//
// client.go (Config, Client, the request pipeline), errors.go (Error),
// limiter.go, extra.go (unknown members), models*.go, one file per area of
// operations (sources.go, configs.go, connector.go, policies.go, schemas.go,
// schedules.go, tasks.go, uploads.go, pickers.go), sourceform.go (the
// connector's configuration form in getSourceConfig's answer, parsed from
// SailPoint's form XML), and package filter for the filters query parameter.
package api
