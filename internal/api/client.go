package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"

	"golang.org/x/oauth2"
)

// DefaultVersion is the version segment of today's ISC paths (/v2025/sources/...).
const DefaultVersion = "v2025"

// maxRetries bounds the retries of one idempotent GET (so at most 3 attempts).
const maxRetries = 2

// maxRetryAfter is the longest Retry-After a GET waits out by itself; a
// longer wait goes back to the user as a 429 with a retry control.
const maxRetryAfter = 2 * time.Second

// Config configures a Client. BaseURL and HTTPClient are required.
type Config struct {
	// BaseURL is the tenant's API origin, e.g. https://acme.api.identitynow.com
	// or the sandbox's http://127.0.0.1:8090. A path, if any, is kept.
	BaseURL string
	// Version is the path segment (or segments) between BaseURL and the
	// operation paths; default "v2025". It is the one place to change when
	// SailPoint's per-service paths replace the year versions.
	Version string
	// HTTPClient sends every request. Its Timeout also bounds upload bodies,
	// so leave it zero and bound calls with contexts and
	// Transport.ResponseHeaderTimeout instead.
	HTTPClient *http.Client
	// Limiter is awaited before every attempt. Default: 100 requests per 10 s,
	// ISC's budget per OAuth client, in this process only.
	Limiter Limiter
	// Observe, if set, is called after every attempt with the operationId,
	// the HTTP status (0 when no response arrived) and the time to the
	// response headers, so the caller can record upstream latency.
	Observe func(op string, status int, d time.Duration)
	// RetryBackoff is the base of the jittered back-off between GET retries
	// after a 5xx or a reset connection; default 200 ms.
	RetryBackoff time.Duration
	// UserAgent is sent on every request; default "sourcedesk".
	UserAgent string
}

// Client calls the ISC Sources API. It is safe for concurrent use.
type Client struct {
	prefix    string // BaseURL + "/" + Version, no trailing slash
	hc        *http.Client
	limiter   Limiter
	observe   func(op string, status int, d time.Duration)
	backoff   time.Duration
	userAgent string
	ts        oauth2.TokenSource
}

// ErrNoTokenSource is returned by calls on a Client that has no token source;
// use With to get one.
var ErrNoTokenSource = errors.New("api: no token source (use Client.With)")

// ErrInvalidID is returned, before anything is sent, when an id argument is
// empty, "." or "..": such a path segment would name another resource once
// a proxy normalises the URL (DELETE .../schemas/.. is DELETE the source).
var ErrInvalidID = errors.New("invalid id")

// ErrMalformedResponse marks a 2xx answer whose body could not be decoded.
var ErrMalformedResponse = errors.New("malformed response body")

// New checks cfg and returns a Client without credentials.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("api: BaseURL %q is not an absolute http(s) URL", cfg.BaseURL)
	}
	if cfg.HTTPClient == nil {
		return nil, errors.New("api: HTTPClient is required")
	}
	version := strings.Trim(cfg.Version, "/")
	if version == "" {
		version = DefaultVersion
	}
	c := &Client{
		prefix:    strings.TrimRight(cfg.BaseURL, "/") + "/" + version,
		hc:        noRedirects(cfg.HTTPClient),
		limiter:   cfg.Limiter,
		observe:   cfg.Observe,
		backoff:   cfg.RetryBackoff,
		userAgent: cfg.UserAgent,
	}
	if c.limiter == nil {
		c.limiter = NewWindowLimiter(100, 10*time.Second)
	}
	if c.backoff <= 0 {
		c.backoff = 200 * time.Millisecond
	}
	if c.userAgent == "" {
		c.userAgent = "sourcedesk"
	}
	return c, nil
}

// noRedirects returns a copy of hc that never follows a redirect. ISC's API does
// not redirect, and following one could carry the bearer token to another place
// (Go keeps Authorization on a redirect to the same host on another port): a 3xx
// comes back to the caller as an *Error instead.
func noRedirects(hc *http.Client) *http.Client {
	c := *hc
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// With returns a view of c that authenticates with ts. The view shares c's
// transport, limiter and hook, costs one small allocation, and is meant to
// be made per request (or per user session) from the one shared Client.
// ts is asked for a token on every attempt; it is never cached here.
func (c *Client) With(ts oauth2.TokenSource) *Client {
	v := *c
	v.ts = ts
	return &v
}

// request describes one operation call.
type request struct {
	op           string     // operationId, for errors and metrics
	method       string     // HTTP method
	path         string     // below the version prefix, segments already escaped
	query        url.Values // may be nil
	body         any        // JSON request body, nil for none
	contentType  string     // of body; default application/json
	accept       string     // default application/json
	experimental bool       // send X-SailPoint-Experimental: true
}

// pathf builds an operation path, escaping every argument as one path segment.
func pathf(format string, ids ...string) string {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = url.PathEscape(id)
	}
	return fmt.Sprintf(format, args...)
}

// call performs r and decodes a JSON answer into out (nil to discard it).
// It returns the response header for the callers that need X-Total-Count.
func (c *Client) call(ctx context.Context, r request, out any) (http.Header, error) {
	resp, err := c.send(ctx, r)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if err := decodeJSON(resp.Body, out); err != nil {
		return nil, c.failure(ctx, r.op, err)
	}
	return resp.Header, nil
}

// decodeJSON decodes body into out, or drains it when out is nil. An empty
// body leaves out untouched (ISC sends none with 204 and some 202s).
func decodeJSON(body io.Reader, out any) error {
	if out == nil {
		_, err := io.Copy(io.Discard, body)
		return err
	}
	err := json.NewDecoder(body).Decode(out)
	if errors.Is(err, io.EOF) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%w: %w", ErrMalformedResponse, err)
	}
	return nil
}

// send performs r and returns a 2xx response whose body the caller closes.
// A GET is retried at most twice: after a 429 whose Retry-After is at most
// 2 s (waiting that long), after 502/503/504 and after a connection reset
// (waiting a jittered back-off, or a Retry-After of at most 2 s). Nothing
// else is retried: a POST, PUT, PATCH or DELETE may have taken effect even
// when its answer was lost, and a longer Retry-After is the user's to wait.
func (c *Client) send(ctx context.Context, r request) (*http.Response, error) {
	var body []byte
	if r.body != nil {
		var err error
		if body, err = json.Marshal(r.body); err != nil {
			return nil, fmt.Errorf("api: %s: encode request: %w", r.op, err)
		}
	}
	retryable := r.method == http.MethodGet
	for attempt := 0; ; attempt++ {
		req, err := c.newRequest(ctx, r, body)
		if err != nil {
			return nil, err
		}
		resp, err := c.exchange(ctx, r.op, req)
		if err == nil {
			return resp, nil
		}
		wait, again := c.retryDelay(ctx, err, attempt)
		if !retryable || !again || attempt >= maxRetries {
			return nil, err
		}
		if err := sleep(ctx, wait); err != nil {
			return nil, c.failure(ctx, r.op, err)
		}
	}
}

// retryDelay says whether a failed GET attempt may be tried again, and after how long.
func (c *Client) retryDelay(ctx context.Context, err error, attempt int) (time.Duration, bool) {
	if ctx.Err() != nil {
		return 0, false
	}
	var e *Error
	if errors.As(err, &e) {
		switch e.Status {
		case http.StatusTooManyRequests:
			if !e.retryAfterSent || e.RetryAfter > maxRetryAfter {
				return 0, false
			}
			// A little jitter so that parallel requests do not all return at once.
			return e.RetryAfter + rand.N(50*time.Millisecond), true
		case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			if e.retryAfterSent {
				if e.RetryAfter > maxRetryAfter {
					return 0, false // the upstream asked for a longer pause
				}
				return max(e.RetryAfter, c.jitter(attempt)), true
			}
			return c.jitter(attempt), true
		}
		return 0, false
	}
	if isReset(err) {
		return c.jitter(attempt), true
	}
	return 0, false
}

// jitter returns an exponential back-off with "equal jitter": uniform in
// [d/2, d] for d = base·2^attempt, so parallel retries spread out.
func (c *Client) jitter(attempt int) time.Duration {
	d := c.backoff << attempt
	return d/2 + rand.N(d/2+1)
}

// isReset reports whether err is a connection that broke before an answer:
// the server (or a proxy) reset or closed it.
func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// newRequest builds one attempt's request. A JSON body is replayable, so a
// fresh reader is made per attempt.
func (c *Client) newRequest(ctx context.Context, r request, body []byte) (*http.Request, error) {
	for _, seg := range strings.Split(r.path, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return nil, fmt.Errorf("api: %s: %w in path %q", r.op, ErrInvalidID, r.path)
		}
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, c.url(r.path, r.query), rd)
	if err != nil {
		return nil, fmt.Errorf("api: %s: %w", r.op, err)
	}
	if body != nil {
		ct := r.contentType
		if ct == "" {
			ct = "application/json"
		}
		req.Header.Set("Content-Type", ct)
	}
	accept := r.accept
	if accept == "" {
		accept = "application/json"
	}
	req.Header.Set("Accept", accept)
	if r.experimental {
		req.Header.Set("X-SailPoint-Experimental", "true")
	}
	return req, nil
}

// url joins the prefix, an operation path and a query.
func (c *Client) url(path string, q url.Values) string {
	u := c.prefix + "/" + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// exchange sends one attempt: it waits for the limiter, adds the token and
// the user agent, and turns a non-2xx answer into *Error.
func (c *Client) exchange(ctx context.Context, op string, req *http.Request) (*http.Response, error) {
	if c.ts == nil {
		return nil, ErrNoTokenSource
	}
	waitStart := time.Now()
	err := c.limiter.Wait(ctx)
	countWait(ctx, time.Since(waitStart))
	if err != nil {
		return nil, c.failure(ctx, op, err)
	}
	tok, err := c.ts.Token()
	if err != nil {
		return nil, fmt.Errorf("api: %s: token: %w", op, err)
	}
	tok.SetAuthHeader(req)
	req.Header.Set("User-Agent", c.userAgent)

	start := time.Now()
	countCall(ctx)
	resp, err := c.hc.Do(req)
	status := 0
	if resp != nil {
		status = resp.StatusCode
	}
	took := time.Since(start)
	countUpstream(ctx, took)
	if c.observe != nil {
		c.observe(op, status, took)
	}
	if err != nil {
		return nil, c.failure(ctx, op, err)
	}
	if status < 200 || status > 299 {
		defer resp.Body.Close()
		return nil, readError(op, resp)
	}
	return resp, nil
}

// failure wraps a transport or decoding error with the operation. When the
// caller's context has ended, that is the cause worth reporting, so it is the
// one errors.Is finds (context.Canceled or context.DeadlineExceeded).
func (c *Client) failure(ctx context.Context, op string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
		return fmt.Errorf("api: %s: %w (%v)", op, ctxErr, err)
	}
	return fmt.Errorf("api: %s: %w", op, err)
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
