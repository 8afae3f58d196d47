package sandbox

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// fakeClock is a settable clock for Config.Now.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *fakeClock) Advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// apiHarness is a sandbox served over real HTTP with test bearer tokens:
// "Bearer test:<username>[:<clientID>]" speaks for that demo user, so the
// API half can be tested without depending on the OAuth half.
type apiHarness struct {
	t     testing.TB
	sb    *Sandbox
	srv   *httptest.Server
	clock *fakeClock
}

func newHarness(t testing.TB, cfg Config) *apiHarness {
	t.Helper()
	clock := &fakeClock{now: time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)}
	if cfg.Now == nil {
		cfg.Now = clock.Now
	}
	if cfg.TaskStep == 0 {
		cfg.TaskStep = time.Second
	}
	if cfg.RateLimit == 0 {
		cfg.RateLimit = -1
	}
	sb := New(cfg)
	users := map[string]User{}
	for _, u := range sb.cfg.Users {
		users[u.Username] = u
	}
	sb.api.authOverride = func(r *http.Request) (*Principal, bool) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer test:")
		if !ok {
			return nil, false
		}
		name, client, _ := strings.Cut(tok, ":")
		u, ok := users[name]
		if !ok {
			return nil, false
		}
		if client == "" {
			client = "client-" + name
		}
		return &Principal{ClientID: client, IdentityID: u.IdentityID, Username: u.Username, DisplayName: u.DisplayName,
			UserLevel: u.UserLevel, GovernanceGroups: u.GovernanceGroups}, true
	}
	srv := httptest.NewServer(sb.Handler())
	t.Cleanup(srv.Close)
	return &apiHarness{t: t, sb: sb, srv: srv, clock: clock}
}

// req is one API request in a test.
type req struct {
	user    string // demo username; "" sends no Authorization
	method  string
	path    string // after /v2025, with query
	body    []byte
	ctype   string
	headers map[string]string
}

func jsonBody(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func (rq req) build(base string) *http.Request {
	var body io.Reader
	if rq.body != nil {
		body = bytes.NewReader(rq.body)
	}
	r, err := http.NewRequest(rq.method, base+apiPrefix+rq.path, body)
	if err != nil {
		panic(err)
	}
	if rq.user != "" {
		r.Header.Set("Authorization", "Bearer test:"+rq.user)
	}
	if rq.ctype != "" {
		r.Header.Set("Content-Type", rq.ctype)
	} else if rq.body != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	for k, v := range rq.headers {
		r.Header.Set(k, v)
	}
	return r
}

// do sends rq and returns the response with its body read.
func (h *apiHarness) do(rq req) (*http.Response, []byte) {
	h.t.Helper()
	resp, err := h.srv.Client().Do(rq.build(h.srv.URL))
	require.NoError(h.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(h.t, err)
	return resp, b
}

// doJSON sends rq, checks the status and decodes the JSON body into out.
func (h *apiHarness) doJSON(rq req, wantStatus int, out any) *http.Response {
	h.t.Helper()
	resp, b := h.do(rq)
	require.Equal(h.t, wantStatus, resp.StatusCode, "%s %s: %s", rq.method, rq.path, b)
	if out != nil {
		require.NoError(h.t, json.Unmarshal(b, out), "body: %s", b)
	}
	return resp
}

// errText returns the first message text of an ErrorResponseDto body.
func errText(t testing.TB, b []byte) string {
	t.Helper()
	var e struct {
		Messages []struct{ Text string } `json:"messages"`
	}
	require.NoError(t, json.Unmarshal(b, &e), "body: %s", b)
	require.NotEmpty(t, e.Messages, "body: %s", b)
	return e.Messages[0].Text
}

// multipartBody builds a multipart/form-data body with a "file" part and fields.
func multipartBody(filename, content string, fields map[string]string) ([]byte, string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	if filename != "" {
		fw, _ := mw.CreateFormFile("file", filename)
		_, _ = io.WriteString(fw, content)
	}
	_ = mw.Close()
	return buf.Bytes(), mw.FormDataContentType()
}
