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
// What the test models: a load balancer that probes each replica's GET /readyz every
// 20 ms (probe timeout 500 ms) and forwards each request to the next replica whose
// last probe answered 200. It never retries: an error from a replica, a refused
// connection included, reaches the user. So nothing but the replica's own shutdown
// (not ready at once, serving on for SHUTDOWN_DRAIN, which outlasts a probe period,
// then finishing what is in flight) keeps requests from failing. An upload in flight
// on the stopping replica must complete, and reach the tenant whole.
func TestRollingRestartKeepsServingSessions(t *testing.T) {
	redisURL := testservers.NewRedis(t).URL
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	lb := newReadinessBalancer(t)
	tenant, err := scenario.StartTenant(ctx, scenario.TenantConfig{RedirectURIs: []string{lb.URL + "/auth/callback"}, TaskStep: 25 * time.Millisecond})
	require.NoError(t, err)
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	vars := func(port string) map[string]string {
		return replicaVars("127.0.0.1:"+port, tenant, redisURL, key, map[string]string{
			"PUBLIC_URL":       lb.URL, // one origin, as behind the proxy
			"SHUTDOWN_DRAIN":   "1500ms",
			"SHUTDOWN_TIMEOUT": "20s",
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
	loopCtx, stopLoop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; loopCtx.Err() == nil; i++ {
				path, htmx := "/sources", false
				if (i+w)%2 == 1 {
					path, htmx = "/sources/"+sandbox.SeedDelimitedSourceID, true
				}
				resp, err := user.Do(loopCtx, http.MethodGet, path, nil, "", htmx)
				if loopCtx.Err() != nil {
					return
				}
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

	// The rest of the upload arrives after SIGTERM and is still accepted.
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
	assert.Less(t, down, 1500*time.Millisecond+20*time.Second)
	_, err = http.Get(a.url.String() + "/healthz")
	assert.Error(t, err, "replica A is down")
	waitUntil(t, "replica B keeps serving the session alone", func() bool { return b.served.Load() >= servedByB+10 })
	servedByA := a.served.Load()

	// Start A again on its port: it serves the same sessions from Redis.
	_, _, stops[0] = launchApp(t, vars(ports[0]), testLogWriter{t})
	waitUntil(t, "the balancer sees A ready again", func() bool { return a.ready.Load() })
	waitUntil(t, "replica A serves the loop again", func() bool { return a.served.Load() >= servedByA+10 })
	stopLoop()
	wg.Wait()

	t.Logf("rollout: %d requests through the balancer, %d failed; replica A served %d, B %d; A was stopped for %s (drain 1.5 s)",
		requests.Load(), failures.Load(), a.served.Load(), b.served.Load(), down.Round(time.Millisecond))
	assert.Zero(t, failures.Load(), "no request failed during the rollout; first: %s", firstFailure)
	assert.Zero(t, lb.errors.Load(), "the balancer reached a replica for every request")
}

// readinessBalancer is the load balancer the rollout test models: active readiness
// probes, round robin over the ready replicas, no retries.
type readinessBalancer struct {
	URL      string
	backends []*balancedReplica
	next     atomic.Uint64
	errors   atomic.Int64
}

type balancedReplica struct {
	url    *url.URL
	proxy  *httputil.ReverseProxy
	ready  atomic.Bool
	served atomic.Int64
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
	r.proxy.ErrorHandler = func(w http.ResponseWriter, _ *http.Request, err error) {
		lb.errors.Add(1)
		http.Error(w, "balancer: "+err.Error(), http.StatusBadGateway)
	}
	lb.backends = append(lb.backends, r)
}

// start probes every replica's /readyz every 20 ms until ctx ends.
func (lb *readinessBalancer) start(ctx context.Context) {
	probe := &http.Client{Timeout: 500 * time.Millisecond}
	for _, r := range lb.backends {
		go func() {
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			for {
				ok := false
				if resp, err := probe.Get(r.url.String() + "/readyz"); err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					ok = resp.StatusCode == http.StatusOK
				}
				r.ready.Store(ok)
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
			}
		}()
	}
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
	lb.errors.Add(1)
	http.Error(w, "balancer: no ready replica", http.StatusServiceUnavailable)
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
