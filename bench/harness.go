package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"sourcedesk/bench/scenario"
	"sourcedesk/internal/testservers"
)

// harness owns what the figures share: a scratch directory, the console binary,
// and the processes it started (stopped by close, each by its own pid).
type harness struct {
	dir        string
	bin        string // the console binary, built once
	sessionKey string // one key ring for every replica, so any replica reads any session
	logf       func(format string, args ...any)

	mu       sync.Mutex
	cleanups []func()
	built    bool
	buildErr error
}

// binary builds the console once (lazily: figure 5 needs no console).
func (h *harness) binary(ctx context.Context) (string, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.built {
		h.built = true
		h.bin = filepath.Join(h.dir, "sourcedesk")
		h.logf("building the console: go build -o %s ./cmd/server", h.bin)
		if out, err := exec.CommandContext(ctx, "go", "build", "-o", h.bin, "./cmd/server").CombinedOutput(); err != nil {
			h.buildErr = fmt.Errorf("go build ./cmd/server: %v\n%s", err, out)
		}
	}
	return h.bin, h.buildErr
}

func newHarness(logf func(string, ...any)) (*harness, error) {
	dir, err := os.MkdirTemp("", "sourcedesk-bench-")
	if err != nil {
		return nil, err
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	h := &harness{dir: dir, sessionKey: base64.StdEncoding.EncodeToString(key), logf: logf}
	return h, nil
}

// onClose registers f to run at close, last registered first.
func (h *harness) onClose(f func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.cleanups = append(h.cleanups, f)
}

func (h *harness) close() {
	h.mu.Lock()
	fs := h.cleanups
	h.cleanups = nil
	h.mu.Unlock()
	for i := len(fs) - 1; i >= 0; i-- {
		fs[i]()
	}
	_ = os.RemoveAll(h.dir)
}

// ports reserves n loopback ports for consoles, so the tenant can register their
// callback URLs before they start.
func ports(n int) ([]int, error) {
	var ps []int
	for range n {
		p, err := testservers.FreePort()
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	return ps, nil
}

// newTenant serves a sandbox tenant (rate limit off) whose console client accepts
// the callbacks of consoles on the given ports.
func (h *harness) newTenant(ctx context.Context, consolePorts ...int) (*scenario.Tenant, error) {
	return h.newTenantWith(ctx, scenario.TenantConfig{}, consolePorts...)
}

// newTenantWith is newTenant with more settings (a rate limit, more sources).
func (h *harness) newTenantWith(ctx context.Context, tc scenario.TenantConfig, consolePorts ...int) (*scenario.Tenant, error) {
	for _, p := range consolePorts {
		tc.RedirectURIs = append(tc.RedirectURIs, fmt.Sprintf("http://127.0.0.1:%d/auth/callback", p))
	}
	ctx, cancel := context.WithCancel(ctx)
	// Short task steps: an aggregation ends in a fraction of a second, so users
	// uploading to one source meet "an aggregation is running" only now and then.
	if tc.TaskStep == 0 {
		tc.TaskStep = 25 * time.Millisecond
	}
	t, err := scenario.StartTenant(ctx, tc)
	if err != nil {
		cancel()
		return nil, err
	}
	h.onClose(cancel)
	return t, nil
}

// console is one console replica running as a child process.
type console struct {
	URL  string
	name string
	cmd  *exec.Cmd
	log  string // its log file
	done chan struct{}
	hc   *http.Client
}

// consoleOpts configure startConsole.
type consoleOpts struct {
	name   string
	port   int
	tenant *scenario.Tenant
	store  string   // SESSION_STORE
	env    []string // extra KEY=VALUE settings
	apiURL string   // default: the tenant's URL (a sink may stand in between)
}

// startConsole runs the console binary in tenant mode against the tenant and
// waits until /healthz answers.
func (h *harness) startConsole(ctx context.Context, o consoleOpts) (*console, error) {
	bin, err := h.binary(ctx)
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(o.port)
	api := o.apiURL
	if api == "" {
		api = o.tenant.URL
	}
	env := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + h.dir, "TMPDIR=" + h.dir,
		"ADDR=" + addr,
		"ISC_API_URL=" + api,
		"ISC_TOKEN_URL=" + o.tenant.URL + "/oauth/token",
		"ISC_AUTHORIZE_URL=" + o.tenant.URL + "/oauth/authorize",
		"ISC_CLIENT_ID=" + scenario.ConsoleClientID,
		"ISC_CLIENT_SECRET=" + o.tenant.ClientSecret,
		"SESSION_STORE=" + o.store,
		"SESSION_KEYS=" + h.sessionKey,
		"ISC_RATE_LIMIT=100000/10s",
		"LOG_LEVEL=warn",
		"GOMAXPROCS=2",
	}
	env = append(env, o.env...)
	c := &console{URL: "http://" + addr, name: o.name, log: filepath.Join(h.dir, o.name+".log"), done: make(chan struct{}),
		hc: &http.Client{Timeout: 30 * time.Second}}
	logFile, err := os.Create(c.log)
	if err != nil {
		return nil, err
	}
	c.cmd = exec.Command(bin)
	c.cmd.Env = env
	c.cmd.Dir = h.dir
	c.cmd.Stdout, c.cmd.Stderr = logFile, logFile
	if err := c.cmd.Start(); err != nil {
		logFile.Close()
		return nil, err
	}
	go func() { _ = c.cmd.Wait(); logFile.Close(); close(c.done) }()
	h.onClose(c.stop)
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := c.hc.Get(c.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return c, nil
			}
		}
		select {
		case <-c.done:
			return nil, fmt.Errorf("console %s exited at start: %s", o.name, tail(c.log, 15))
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("console %s did not answer /healthz in 20 s: %s", o.name, tail(c.log, 15))
		}
	}
}

// stop ends the console gracefully (SIGTERM), then by force after 10 s.
func (c *console) stop() {
	if c.cmd.Process == nil {
		return
	}
	select {
	case <-c.done:
		return
	default:
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
}

// level reads the console's goroutines and heap from its /metrics, at rest. An
// idle Go process does not collect garbage, so its heap in use only says when it
// last collected; level first makes the console collect twice by asking for
// /metrics until the collection count has risen by 2 (each answer is a little
// garbage), then reads the collector's heap goal (go_memstats_next_gc_bytes),
// which the runtime sets from the live heap it has just marked: about twice the
// live heap at rest.
func (c *console) level(ctx context.Context) (scenario.Level, error) {
	m, err := scrape(ctx, c.hc, c.URL+"/metrics")
	if err != nil {
		return scenario.Level{}, err
	}
	gcs := m["go_gc_duration_seconds_count"]
	for end := time.Now().Add(15 * time.Second); m["go_gc_duration_seconds_count"] < gcs+2 && time.Now().Before(end); {
		if m, err = scrape(ctx, c.hc, c.URL+"/metrics"); err != nil {
			return scenario.Level{}, err
		}
	}
	return scenario.Level{Goroutines: int(m["go_goroutines"]), HeapBytes: uint64(m["go_memstats_next_gc_bytes"])}, nil
}

// scrape reads the unlabelled samples of a Prometheus text exposition.
func scrape(ctx context.Context, hc *http.Client, url string) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || strings.Contains(line, "{") {
			continue
		}
		name, val, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		if v, err := strconv.ParseFloat(strings.TrimSpace(val), 64); err == nil {
			out[name] = v
		}
	}
	return out, sc.Err()
}

// tail returns the last n lines of a file, for error messages.
func tail(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	b, _ := io.ReadAll(io.LimitReader(f, 1<<20))
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

var errSkip = errors.New("skipped")
