package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"sourcedesk/bench/scenario"
	"sourcedesk/internal/sandbox"
	"sourcedesk/internal/testservers"
)

// TestRollingRestartKeepsServingSessions is a rollout: two replicas in tenant mode on
// one real Redis, a signed-in user working through a load balancer, and one replica
// stopped (SIGTERM: run's context ends) and started again on its port while the
// user's requests keep coming.
//
// The balancer (readinessBalancer) health-checks each replica's GET /readyz and
// never retries: an error from a replica, a refused connection included, reaches
// the user. So nothing but the replica's own shutdown (not ready at once, serving on
// for SHUTDOWN_DRAIN, long enough for two probes to answer, then finishing what is
// in flight) keeps requests from failing, and the balancer must have taken the
// replica out because of its 503, not because its probes found the port closed. An
// upload in flight on the stopping replica must complete, and reach the tenant whole.
func TestRollingRestartKeepsServingSessions(t *testing.T) {
	redisURL := testservers.NewRedis(t).URL
	ctx := t.Context()
	lb := newReadinessBalancer(t)
	tenant, err := scenario.StartTenant(ctx, scenario.TenantConfig{RedirectURIs: []string{lb.URL + "/auth/callback"}, TaskStep: 25 * time.Millisecond})
	require.NoError(t, err)
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	vars := func(port string) map[string]string {
		return replicaVars("127.0.0.1:"+port, tenant, redisURL, key, map[string]string{
			"PUBLIC_URL":       lb.URL, // one origin, as behind the proxy
			"SHUTDOWN_DRAIN":   shutdownDrain.String(),
			"SHUTDOWN_TIMEOUT": shutdownTimeout.String(),
			// The default: a busy test machine must not turn a slow sandbox call into a 502.
			"UPSTREAM_TIMEOUT": "30s",
		})
	}
	ports := []string{freePort(t), freePort(t)}
	stops := make([]func() error, 2)
	for i, p := range ports {
		_, _, stops[i] = launchApp(t, vars(p), testLogWriter{t})
		lb.add("http://127.0.0.1:" + p)
	}
	t.Cleanup(func() {
		for _, stop := range stops {
			assert.NoError(t, stop())
		}
	})
	lb.start(ctx)
	a, b := lb.backends[0], lb.backends[1]
	waitUntil(t, "both replicas ready", func() bool { return a.ready.Load() && b.ready.Load() })

	user := scenario.NewUser(lb.URL, nil)
	require.NoError(t, user.SignIn(ctx, scenario.Credentials{Username: "admin", Password: "admin"}))

	// The user's request loop: two workers, full pages and htmx partials, each must
	// answer 200 signed in.
	var (
		requests, failures atomic.Int64
		mu                 sync.Mutex
		firstFailure       string
	)
	// The loop stops between requests: one cut off in flight would be an error the
	// rollout did not cause.
	var stopLoop atomic.Bool
	var wg sync.WaitGroup
	t.Cleanup(wg.Wait) // a failed test's loop ends with the test's context
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stopLoop.Load() && ctx.Err() == nil; i++ {
				path, htmx := "/sources", false
				if (i+w)%2 == 1 {
					path, htmx = "/sources/"+sandbox.SeedDelimitedSourceID, true
				}
				resp, err := user.Do(ctx, http.MethodGet, path, nil, "", htmx)
				requests.Add(1)
				if err != nil || resp.Status != http.StatusOK || !bytes.Contains(resp.Body, []byte(`data-testid="nav-user"`)) && !htmx {
					failures.Add(1)
					mu.Lock()
					if firstFailure == "" {
						firstFailure = fmt.Sprintf("%s: err %v, status %d", path, err, statusOf(resp))
					}
					mu.Unlock()
				}
			}
		}()
	}
	waitUntil(t, "both replicas serve the loop", func() bool { return a.served.Load() >= 5 && b.served.Load() >= 5 })

	// An upload in flight on replica A when it gets SIGTERM: the first half of the
	// file is sent and being streamed on to the tenant, the rest is held back.
	name := "rollout.csv"
	var csv bytes.Buffer
	csv.WriteString("id,displayName,email,department,startDate,active,level,groups\n")
	for i := range 16000 { // about 1 MiB: the console streams uploads on in 256 KiB chunks
		fmt.Fprintf(&csv, "r%05d,Rollout User %d,rollout%d@example.com,IT,2024-01-02,true,%d,users\n", i, i, i, i%5)
	}
	sum := sha256.Sum256(csv.Bytes())
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("file", name)
	require.NoError(t, err)
	_, _ = fw.Write(csv.Bytes())
	require.NoError(t, mw.Close())
	pr, pw := io.Pipe()
	direct := *user
	direct.Base = a.url.String()
	// The upload handler reads the source's schemas before the file: once it has,
	// the request is inside replica A's handler.
	inHandler := tenant.Sandbox.Calls("getSourceSchemas")
	uploaded := make(chan *scenario.Response, 1)
	uploadErr := make(chan error, 1)
	go func() {
		resp, err := direct.Do(ctx, http.MethodPost, "/sources/"+sandbox.SeedDelimitedSourceID+"/import/accounts", pr, mw.FormDataContentType(), true)
		uploadErr <- err
		uploaded <- resp
	}()
	half := body.Len() / 2
	_, err = pw.Write(body.Bytes()[:half])
	require.NoError(t, err)
	waitUntil(t, "the upload is in replica A's handler", func() bool {
		select {
		case err := <-uploadErr:
			resp := <-uploaded
			t.Fatalf("the upload ended before all of it was sent: %v, %d %s", err, statusOf(resp), resp.Body)
		default:
		}
		return tenant.Sandbox.Calls("getSourceSchemas") > inHandler
	})

	servedByB := b.served.Load()
	stopped := make(chan error, 1)
	sigterm := time.Now()
	go func() { stopped <- stops[0]() }()
	// Not ready at once: A answers /readyz with 503 while it still serves.
	var readyz string
	waitUntil(t, "replica A answers /readyz with 503", func() bool {
		resp, err := http.Get(a.url.String() + "/readyz")
		if err != nil {
			t.Fatalf("replica A stopped accepting connections before it answered /readyz with 503: %v", err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		readyz = string(b)
		return resp.StatusCode == http.StatusServiceUnavailable
	})
	assert.Contains(t, readyz, "replica: shutting down")
	waitUntil(t, "the balancer routes away from A", func() bool { return !a.ready.Load() })
	why, out := a.lastOut()
	assert.Equal(t, "/readyz answered 503", why, "the balancer took A out because of its 503, while A still served")

	// The rest of the upload arrives once A has stopped accepting connections, the
	// drain over: what is in flight gets SHUTDOWN_TIMEOUT to finish, and it does.
	waitUntil(t, "replica A stops accepting connections", func() bool {
		conn, err := net.Dial("tcp", a.url.Host)
		if err == nil {
			conn.Close()
		}
		return err != nil
	})
	_, err = pw.Write(body.Bytes()[half:])
	require.NoError(t, err)
	require.NoError(t, pw.Close())
	require.NoError(t, <-uploadErr, "the in-flight upload was cut off")
	resp := <-uploaded
	assert.Equal(t, http.StatusOK, resp.Status, "the upload was accepted: %s", resp.Body)
	assert.Contains(t, resp.Header.Get("HX-Location")+resp.Header.Get("HX-Redirect"), "/tasks/", "the browser is sent to the upload's task")
	got, ok := tenant.UploadHash(name)
	assert.True(t, ok, "the tenant accepted the file")
	assert.Equal(t, hex.EncodeToString(sum[:]), got, "the tenant received the whole file")

	require.NoError(t, <-stopped, "replica A finished everything in flight within SHUTDOWN_TIMEOUT")
	down := time.Since(sigterm)
	assert.Less(t, down, shutdownDrain+shutdownTimeout)
	_, err = http.Get(a.url.String() + "/healthz")
	assert.Error(t, err, "replica A is down")
	waitUntil(t, "replica B keeps serving the session alone", func() bool { return b.served.Load() >= servedByB+10 })
	servedByA := a.served.Load()

	// Start A again on its port: it serves the same sessions from Redis.
	_, _, stops[0] = launchApp(t, vars(ports[0]), testLogWriter{t})
	waitUntil(t, "the balancer sees A ready again", func() bool { return a.ready.Load() })
	waitUntil(t, "replica A serves the loop again", func() bool { return a.served.Load() >= servedByA+10 })
	stopLoop.Store(true)
	wg.Wait()

	t.Logf("rollout: %d requests through the balancer, %d failed; replica A served %d, B %d; "+
		"A was out of the rotation %s after SIGTERM and stopped after %s (drain %s); probes of A: %s; of B: %s",
		requests.Load(), failures.Load(), a.served.Load(), b.served.Load(),
		out.Sub(sigterm).Round(time.Millisecond), down.Round(time.Millisecond), shutdownDrain, a.probeStats(), b.probeStats())
	assert.Zero(t, failures.Load(), "no request failed during the rollout; first: %s", firstFailure)
	assert.Zero(t, lb.errors.Load(), "the balancer reached a replica for every request; first: %s", lb.firstError())
}

// readinessBalancer is the load balancer the rollout test models, configured as real
// ones are: an active health check of each replica's GET /readyz every probeInterval
// (each probe given probeTimeout), round robin over the replicas in rotation, no
// retries. A replica leaves the rotation at once when /readyz answers anything but
// 200 (a draining replica's 503: Envoy, for one, ignores its unhealthy threshold
// for a status it does not expect), or after unhealthyThreshold probes in a row got
// no answer (timed out, connection refused): one slow probe on a busy host does not
// take a serving replica out. Its first 200 puts it back.
type readinessBalancer struct {
	URL      string
	backends []*balancedReplica
	next     atomic.Uint64
	errors   atomic.Int64

	mu    sync.Mutex
	first string // the first error
}

const (
	probeInterval      = 20 * time.Millisecond
	probeTimeout       = 2 * time.Second
	unhealthyThreshold = 3
	// shutdownDrain is the replicas' SHUTDOWN_DRAIN: the probe in flight at SIGTERM
	// and the next one (each answers within probeTimeout or counts as no answer)
	// both fit in it, so the balancer sees the 503 before the listener closes.
	shutdownDrain = probeInterval + 2*probeTimeout
	// shutdownTimeout is the replicas' SHUTDOWN_TIMEOUT: an upload's last half
	// takes seconds to reach the tenant on a busy machine (13 s seen at load 35).
	shutdownTimeout = 45 * time.Second
)

type balancedReplica struct {
	url    *url.URL
	proxy  *httputil.ReverseProxy
	ready  atomic.Bool
	served atomic.Int64

	mu         sync.Mutex
	outReason  string        // why the replica last left the rotation
	outAt      time.Time     // when
	unanswered int           // probes that got no answer
	inARow     int           // the most of them in a row
	slowest    time.Duration // the slowest probe that got an answer
}

func newReadinessBalancer(t *testing.T) *readinessBalancer {
	t.Helper()
	lb := &readinessBalancer{}
	srv := httptest.NewServer(lb)
	t.Cleanup(srv.Close)
	lb.URL = srv.URL
	return lb
}

func (lb *readinessBalancer) add(raw string) {
	u, _ := url.Parse(raw)
	r := &balancedReplica{url: u, proxy: httputil.NewSingleHostReverseProxy(u)}
	r.proxy.ErrorHandler = func(w http.ResponseWriter, req *http.Request, err error) {
		lb.fail(w, http.StatusBadGateway, req.URL.Path+" on "+raw+": "+err.Error())
	}
	lb.backends = append(lb.backends, r)
}

// start health-checks every replica until ctx ends.
func (lb *readinessBalancer) start(ctx context.Context) {
	client := &http.Client{Timeout: probeTimeout}
	for _, r := range lb.backends {
		go func() {
			tick := time.NewTicker(probeInterval)
			defer tick.Stop()
			misses := 0 // probes in a row without an answer
			for {
				began := time.Now()
				status := 0
				if resp, err := client.Get(r.url.String() + "/readyz"); err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					status = resp.StatusCode
				}
				r.probed(status, time.Since(began), &misses)
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
			}
		}()
	}
}

// probed updates the rotation with one probe's result: status 0 is no answer.
func (r *balancedReplica) probed(status int, took time.Duration, misses *int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := ""
	switch {
	case status == http.StatusOK:
		*misses = 0
		r.slowest = max(r.slowest, took)
		r.ready.Store(true)
		return
	case status != 0:
		*misses = 0
		r.slowest = max(r.slowest, took)
		out = fmt.Sprintf("/readyz answered %d", status)
	default:
		*misses++
		r.unanswered++
		r.inARow = max(r.inARow, *misses)
		if *misses < unhealthyThreshold {
			return
		}
		out = fmt.Sprintf("%d probes in a row got no answer", *misses)
	}
	if r.ready.Swap(false) {
		r.outReason, r.outAt = out, time.Now()
	}
}

// lastOut says why and when the replica last left the rotation.
func (r *balancedReplica) lastOut() (string, time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.outReason, r.outAt
}

// probeStats says how the health check went: "no answer N (M in a row), slowest answer D".
func (r *balancedReplica) probeStats() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return fmt.Sprintf("no answer %d (%d in a row), slowest answer %s", r.unanswered, r.inARow, r.slowest.Round(time.Millisecond))
}

func (lb *readinessBalancer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := uint64(len(lb.backends))
	start := lb.next.Add(1)
	for i := range n {
		if b := lb.backends[(start+i)%n]; b.ready.Load() {
			b.served.Add(1)
			b.proxy.ServeHTTP(w, r)
			return
		}
	}
	lb.fail(w, http.StatusServiceUnavailable, r.URL.Path+": no ready replica")
}

// fail answers a request the balancer could not serve, and counts it.
func (lb *readinessBalancer) fail(w http.ResponseWriter, status int, msg string) {
	lb.errors.Add(1)
	lb.mu.Lock()
	if lb.first == "" {
		lb.first = msg
	}
	lb.mu.Unlock()
	http.Error(w, "balancer: "+msg, status)
}

func (lb *readinessBalancer) firstError() string {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	return lb.first
}

// waitUntil polls cond (checked in the test) until it holds, for at most a minute.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func statusOf(r *scenario.Response) int {
	if r == nil {
		return 0
	}
	return r.Status
}
