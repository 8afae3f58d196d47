package bff

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"sourcedesk/internal/sandbox"
)

// trickle sends body over conn a few bytes at a time, every tick, until it is all
// sent or the server stops reading (a write fails). The ticks are the slow
// client's behaviour, not a wait for the server.
func trickle(conn net.Conn, body []byte, chunk int, tick time.Duration) {
	go func() {
		t := time.NewTicker(tick)
		defer t.Stop()
		for len(body) > 0 {
			n := min(chunk, len(body))
			if _, err := conn.Write(body[:n]); err != nil {
				break
			}
			body = body[n:]
			<-t.C
		}
	}()
}

// answeredOrClosed waits for the server's answer on conn (or for it to close the
// connection) and returns the status (0 when closed without one) and when.
func answeredOrClosed(t *testing.T, conn net.Conn, limit time.Duration) (int, time.Time) {
	t.Helper()
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(limit)))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	at := time.Now()
	if err != nil {
		var ne net.Error
		if ok := asNetError(err, &ne); ok && ne.Timeout() {
			t.Fatalf("the server neither answered nor closed within %s", limit)
		}
		return 0, at
	}
	resp.Body.Close()
	return resp.StatusCode, at
}

func asNetError(err error, target *net.Error) bool {
	ne, ok := err.(net.Error)
	if ok {
		*target = ne
	}
	return ok
}

// TestSlowRequestBodiesAreCutOff: a client that trickles a form body in (one byte
// at a time) is answered 408 and disconnected once the body read deadline has
// passed, long before it would have finished; an upload that arrives slower than
// the minimum rate is cut off and its upstream request aborted, so no aggregation
// starts. Neither holds a connection for minutes.
func TestSlowRequestBodiesAreCutOff(t *testing.T) {
	t.Run("a form body trickling in", func(t *testing.T) {
		env := newTestEnv(t, func(c *Config) { c.BodyReadTimeout = time.Second })
		console := httptest.NewServer(env.srv)
		defer console.Close()
		conn, err := net.Dial("tcp", strings.TrimPrefix(console.URL, "http://"))
		require.NoError(t, err)
		defer conn.Close()
		body := []byte("client_id=demo-pat&client_secret=" + strings.Repeat("x", 60))
		start := time.Now()
		fmt.Fprintf(conn, "POST /sources/bulk/test-connection HTTP/1.1\r\nHost: x\r\n%sContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n",
			env.rawSessionHeaders(), len(body))
		trickle(conn, body, 1, 150*time.Millisecond) // about 14 s for the whole body
		status, at := answeredOrClosed(t, conn, 30*time.Second)
		assert.Less(t, at.Sub(start), 8*time.Second, "cut off soon after the 1 s deadline, long before the body was sent")
		assert.Equal(t, http.StatusRequestTimeout, status)
	})

	t.Run("an upload below the minimum rate", func(t *testing.T) {
		env, sk := newSinkEnv(t, func(c *Config) { c.UploadMinRate = 8 << 10; c.UploadRateWindow = time.Second })
		// The console behind a probe that counts the body bytes it has read and says
		// when the handler is done.
		var read atomic.Int64
		done := make(chan struct{})
		console := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r.Body = &readCounter{ReadCloser: r.Body, n: &read}
			env.srv.ServeHTTP(w, r)
			close(done)
		}))
		defer console.Close()
		var file strings.Builder
		require.NoError(t, csvGenerator(&file, 1<<20))
		body, ct := formFile(t, nil, "slow.csv", []byte(file.String()))
		full := body.Bytes()
		conn, err := net.Dial("tcp", strings.TrimPrefix(console.URL, "http://"))
		require.NoError(t, err)
		defer conn.Close()
		fmt.Fprintf(conn, "POST /sources/%s/import/accounts?sendAnyway=1 HTTP/1.1\r\nHost: x\r\n%sContent-Type: %s\r\nContent-Length: %d\r\n\r\n",
			delimitedID, env.rawSessionHeaders(), ct, len(full))
		_, err = conn.Write(full[:256<<10]) // a fast start
		require.NoError(t, err)
		require.Eventually(t, func() bool { return read.Load() >= 256<<10 }, 5*time.Second, 5*time.Millisecond)
		start := time.Now()
		trickle(conn, full[256<<10:], 100, 100*time.Millisecond) // 1 KB/s, far below 8 KB/s: over 12 minutes
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Fatal("the upload was not cut off")
		}
		assert.Less(t, time.Since(start), 8*time.Second, "cut off soon after the 1 s window")
		status, _ := answeredOrClosed(t, conn, 5*time.Second)
		assert.Equal(t, http.StatusRequestTimeout, status)
		started, completed, _ := sk.counts()
		assert.Zero(t, started, "nothing was sent to ISC")
		assert.Zero(t, completed, "no aggregation was triggered")
	})
}

// TestLongRequestsKeepTheirConnection: a page that takes longer than the body read
// deadline (ISC slow, or the budget busy) still gets its answer, and so does the
// next request on the same keep-alive connection: the deadline is for bodies, and
// a request without one is not cut off.
func TestLongRequestsKeepTheirConnection(t *testing.T) {
	env := newTestEnv(t, func(c *Config) { c.BodyReadTimeout = time.Second })
	console := httptest.NewServer(env.srv)
	defer console.Close()
	conn, err := net.Dial("tcp", strings.TrimPrefix(console.URL, "http://"))
	require.NoError(t, err)
	defer conn.Close()
	br := bufio.NewReader(conn)
	get := func() (int, string) {
		t.Helper()
		fmt.Fprintf(conn, "GET /sources/%s/schedules HTTP/1.1\r\nHost: x\r\nHX-Request: true\r\nHX-Target: source-tab\r\nCache-Control: no-cache\r\n%s\r\n",
			delimitedID, env.rawSessionHeaders())
		require.NoError(t, conn.SetReadDeadline(time.Now().Add(30*time.Second)))
		resp, err := http.ReadResponse(br, nil)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(b)
	}
	env.sandbox.SetFault("getSourceSchedules", sandbox.Fault{Latency: 1500 * time.Millisecond})
	status, page := get()
	assert.Equal(t, http.StatusOK, status)
	assert.Contains(t, page, `data-testid="schedules`, "the slow page arrives")
	env.sandbox.ClearFaults()
	status, page = get()
	assert.Equal(t, http.StatusOK, status)
	assert.Contains(t, page, `data-testid="schedules`, "and so does the next one on the same connection")
}
