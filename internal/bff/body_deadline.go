package bff

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
)

// Slow request bodies. The server's ReadHeaderTimeout bounds only the headers, and
// there is no overall read timeout because uploads may take minutes; without more,
// a client sending one byte every few seconds holds a connection (and a goroutine)
// for as long as it likes, and a few thousand such clients hold them all.
// bodyDeadlines bounds every request body:
//   - outside the upload routes, the whole body must arrive within BodyReadTimeout;
//   - an upload must keep arriving at UploadMinRate or faster, measured over
//     UploadRateWindow of the time the console spends waiting for it (time it
//     spends not reading, e.g. while ISC takes the stream, does not count).
//
// Both work with read deadlines on the connection, so a stalled client is cut off
// by the network poller, whatever the handler is doing. A body read to its end
// clears the deadline: the server goes on to read the next request with its own.

// errBodyTooSlow marks a body that did not arrive in time; the user sees 408.
var errBodyTooSlow = errors.New("the request body arrived too slowly")

// Defaults of Config's body settings.
const (
	defaultBodyReadTimeout  = 30 * time.Second
	defaultUploadMinRate    = 4 << 10 // bytes per second
	defaultUploadRateWindow = 30 * time.Second
)

func (s *Server) bodyDeadlines(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.Body == nil || r.ContentLength == 0 && len(r.TransferEncoding) == 0 {
			// No body (BodyLimit's wrapper hides http.NoBody). A read deadline here
			// would cut off the server's own wait for the client to go away: a
			// request that took longer (a page waiting for ISC's budget) would have
			// its context cancelled, and so would every later request on the same
			// keep-alive connection, each answered with nothing.
			return next(c)
		}
		rc := http.NewResponseController(c.Response())
		var slow atomic.Bool
		if s.route(c).upload {
			r.Body = &minRateBody{ReadCloser: r.Body, rc: rc, slow: &slow, window: s.cfg.UploadRateWindow,
				need: max(1, s.cfg.UploadMinRate*int64(s.cfg.UploadRateWindow/time.Second))}
		} else {
			if err := rc.SetReadDeadline(time.Now().Add(s.cfg.BodyReadTimeout)); err != nil {
				return next(c) // not a network connection (a test recorder): nothing to bound
			}
			r.Body = &deadlineBody{ReadCloser: r.Body, rc: rc, slow: &slow}
		}
		err := next(c)
		if slow.Load() && !c.Response().Committed {
			// Whatever the handler made of the failed read (the server also cancels
			// the request's context), the user is told what happened.
			return fmt.Errorf("%w (%v)", errBodyTooSlow, err)
		}
		return err
	}
}

// deadlineBody clears the connection's read deadline once the body has been read.
type deadlineBody struct {
	io.ReadCloser
	rc   *http.ResponseController
	slow *atomic.Bool
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	return n, bodyReadError(b.rc, b.slow, err)
}

// bodyReadError clears the deadline at the end of the body and names a deadline
// that passed.
func bodyReadError(rc *http.ResponseController, slow *atomic.Bool, err error) error {
	switch {
	case err == io.EOF:
		_ = rc.SetReadDeadline(time.Time{})
	case errors.Is(err, os.ErrDeadlineExceeded):
		slow.Store(true)
		return fmt.Errorf("%w: %w", errBodyTooSlow, err)
	}
	return err
}

// minRateBody cuts off an upload whose bytes arrive slower than need per window
// of time spent waiting in Read.
type minRateBody struct {
	io.ReadCloser
	rc     *http.ResponseController
	slow   *atomic.Bool
	window time.Duration
	need   int64         // bytes per window
	got    int64         // bytes in the current window
	waited time.Duration // time spent in Read in the current window
}

func (b *minRateBody) Read(p []byte) (int, error) {
	start := time.Now()
	if err := b.rc.SetReadDeadline(start.Add(b.window - b.waited)); err != nil {
		return b.ReadCloser.Read(p) // not a network connection: nothing to bound
	}
	n, err := b.ReadCloser.Read(p)
	b.waited += time.Since(start)
	b.got += int64(n)
	if b.got >= b.need { // fast enough: a new window starts
		b.got, b.waited = 0, 0
	}
	return n, bodyReadError(b.rc, b.slow, err)
}
