// Package scenario holds what the benchmark runner (bench/) and the CI smoke
// (cmd/server/soak_test.go) share: a sandbox tenant on loopback that records
// the uploads it accepts, simulated users that sign in through the console, and
// the soak scenario's user mix with its correctness checks.
package scenario

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"sourcedesk/internal/sandbox"
)

// ConsoleClientID is the console's OAuth client in the bench tenant.
const ConsoleClientID = "sourcedesk-bench-console"

// maxRecordedUpload caps the uploads the recorder inspects: the soak sends small
// files; a bigger one is passed through unrecorded rather than held in memory.
const maxRecordedUpload = 4 << 20

// Tenant is a sandbox tenant served on a loopback port, in this process, so the
// caller can inject faults and read its counters while consoles (in this process
// or others) talk to it over HTTP like to ISC.
type Tenant struct {
	URL          string
	ClientSecret string // the console client's secret
	Sandbox      *sandbox.Sandbox

	addr    string
	handler http.Handler

	mu      sync.Mutex
	srv     *http.Server
	uploads map[string]string // file name → SHA-256 of the file part ISC accepted (2xx)
	refused int               // API answers 429 (the tenant's own rate limit)
}

// Refused429 is how many API calls the tenant answered 429 (its rate limit, or
// an injected fault).
func (t *Tenant) Refused429() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.refused
}

// TenantConfig configures StartTenant.
type TenantConfig struct {
	// RedirectURIs are the console callbacks (PUBLIC_URL/auth/callback) the
	// console client may use.
	RedirectURIs []string
	// RateLimit is the sandbox's per-client limit per 10 s; 0 disables it (a
	// benchmark measures the console, not ISC's budget; tests inject 429s).
	RateLimit int
	// TaskStep is the time between a task's progress steps (default 200 ms).
	TaskStep time.Duration
	// ExtraSources adds that many generated sources to the seed's 40
	// (sandbox.Config.ExtraSources), for a production-sized tenant.
	ExtraSources int
}

// StartTenant serves a new sandbox on 127.0.0.1 until ctx ends or Close.
func StartTenant(ctx context.Context, cfg TenantConfig) (*Tenant, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	t := &Tenant{URL: "http://" + ln.Addr().String(), ClientSecret: randomHex(24), uploads: map[string]string{}}
	limit := cfg.RateLimit
	if limit == 0 {
		limit = -1
	}
	if cfg.TaskStep == 0 {
		cfg.TaskStep = 200 * time.Millisecond
	}
	t.Sandbox = sandbox.New(sandbox.Config{
		BaseURL:      t.URL,
		Clients:      []sandbox.Client{{ID: ConsoleClientID, Secret: t.ClientSecret, RedirectURIs: cfg.RedirectURIs}},
		RateLimit:    limit,
		TaskStep:     cfg.TaskStep,
		ExtraSources: cfg.ExtraSources,
		Logger:       slog.New(slog.DiscardHandler),
	})
	t.addr, t.handler = ln.Addr().String(), t.record(t.Sandbox.Handler())
	t.serve(ln)
	go func() { <-ctx.Done(); t.Close() }()
	return t, nil
}

func (t *Tenant) serve(ln net.Listener) {
	srv := &http.Server{Handler: t.handler, ReadHeaderTimeout: 10 * time.Second}
	t.mu.Lock()
	t.srv = srv
	t.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
}

// Close stops serving (the tenant is "down": connections are refused).
func (t *Tenant) Close() {
	t.mu.Lock()
	srv := t.srv
	t.mu.Unlock()
	_ = srv.Close()
}

// Restart serves again on the same address, with the same state, after Close.
func (t *Tenant) Restart() error {
	ln, err := net.Listen("tcp", t.addr)
	if err != nil {
		return err
	}
	t.serve(ln)
	return nil
}

// Token returns an access token of the demo personal access token, for calling
// the tenant directly (the baseline of the console's figures).
func (t *Tenant) Token(ctx context.Context, hc *http.Client) (string, error) {
	cc := clientcredentials.Config{ClientID: sandbox.DemoPATClientID, ClientSecret: sandbox.DemoPATClientSecret,
		TokenURL: t.URL + "/oauth/token", AuthStyle: oauth2.AuthStyleInParams}
	tok, err := cc.Token(context.WithValue(ctx, oauth2.HTTPClient, hc))
	if err != nil {
		return "", err
	}
	return tok.AccessToken, nil
}

// EnsureSources creates sources until the tenant lists at least n.
func (t *Tenant) EnsureSources(ctx context.Context, hc *http.Client, n int) error {
	tok, err := t.Token(ctx, hc)
	if err != nil {
		return err
	}
	call := func(method, path string, body []byte) (*http.Response, error) {
		req, err := http.NewRequestWithContext(ctx, method, t.URL+"/v2025"+path, bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		return hc.Do(req)
	}
	resp, err := call(http.MethodGet, "/sources?limit=1&count=true", nil)
	if err != nil {
		return err
	}
	resp.Body.Close()
	have, _ := strconv.Atoi(resp.Header.Get("X-Total-Count"))
	for i := have; i < n; i++ {
		body, _ := json.Marshal(map[string]any{
			"name": fmt.Sprintf("Bench source %03d", i), "connector": "active-directory",
			"description": "made by the benchmark so the list has enough rows",
			"owner":       map[string]string{"type": "IDENTITY", "id": benchOwnerID, "name": "Ada Admin"},
		})
		resp, err := call(http.MethodPost, "/sources", body)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			return fmt.Errorf("create source: status %d", resp.StatusCode)
		}
	}
	return nil
}

// benchOwnerID is the demo admin's identity, the owner of created sources.
const benchOwnerID = "2c9180857a1b4c2d017a1b4c2d0e0001"

// UploadHash returns the SHA-256 (hex) of the file named name that the tenant
// accepted on load-accounts, and whether it accepted one.
func (t *Tenant) UploadHash(name string) (string, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	h, ok := t.uploads[name]
	return h, ok
}

// record wraps the sandbox: it counts the 429s it answers, and small load-accounts
// uploads are read whole, their file part hashed, and passed on; the hash is kept
// when the sandbox accepts them.
func (t *Tenant) record(next http.Handler) http.Handler {
	counted := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if sw.status == http.StatusTooManyRequests {
			t.mu.Lock()
			t.refused++
			t.mu.Unlock()
		}
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/load-accounts") ||
			r.ContentLength > maxRecordedUpload {
			counted.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxRecordedUpload+1))
		if err != nil || len(body) > maxRecordedUpload {
			http.Error(w, "upload too large for the recorder", http.StatusRequestEntityTooLarge)
			return
		}
		name, sum := filePartHash(r.Header.Get("Content-Type"), body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		sw := &statusWriter{ResponseWriter: w}
		counted.ServeHTTP(sw, r)
		if name != "" && sw.status/100 == 2 {
			t.mu.Lock()
			t.uploads[name] = sum
			t.mu.Unlock()
		}
	})
}

// filePartHash returns the file name and SHA-256 of the "file" part of a
// multipart body, or "" when there is none.
func filePartHash(contentType string, body []byte) (string, string) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "multipart/form-data" {
		return "", ""
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	for {
		p, err := mr.NextPart()
		if err != nil {
			return "", ""
		}
		if p.FormName() != "file" {
			continue
		}
		h := sha256.New()
		if _, err := io.Copy(h, p); err != nil && !errors.Is(err, io.EOF) {
			return "", ""
		}
		return p.FileName(), hex.EncodeToString(h.Sum(nil))
	}
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(p []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(p)
}

// Flush passes streaming responses on.
func (s *statusWriter) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
