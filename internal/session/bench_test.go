package session

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"sourcedesk/internal/sandbox"
	"sourcedesk/internal/testservers"
)

// BenchmarkSignedInRequest measures what the session layer adds to one request of a
// signed-in user: load the scs session, check the timeouts, decrypt the token
// record, hand out the (fresh) access token, commit the session. The baseline is
// the same handler without LoadAndSave.
//
//	go test -run '^$' -bench SignedInRequest -benchmem ./internal/session/
func BenchmarkSignedInRequest(b *testing.B) {
	sb := sandbox.New(sandbox.Config{})
	hs := httptest.NewServer(sb.Handler())
	defer hs.Close()
	stores := map[string]func(b *testing.B) string{
		"memory": func(*testing.B) string { return "memory" },
		"file":   func(b *testing.B) string { return "file:" + filepath.Join(b.TempDir(), "s.db") },
		"redis":  func(b *testing.B) string { return testservers.Redis(b) },
	}
	b.Run("baseline-no-session", func(b *testing.B) {
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		for b.Loop() {
			h.ServeHTTP(httptest.NewRecorder(), req)
		}
	})
	for _, name := range []string{"memory", "file", "redis"} {
		b.Run(name, func(b *testing.B) {
			m, err := New(context.Background(), Config{
				Store: stores[name](b), Keys: [][]byte{newKey()},
				Tenants: []Tenant{{Key: testTenant, OAuth2: &oauth2.Config{ClientID: "x", Endpoint: oauth2.Endpoint{
					AuthURL: hs.URL + "/oauth/authorize", TokenURL: hs.URL + "/oauth/token", AuthStyle: oauth2.AuthStyleInHeader},
					RedirectURL: "https://console.example/auth/callback"}}},
				HTTPClient: &http.Client{Timeout: 5 * time.Second},
			})
			if err != nil {
				b.Fatal(err)
			}
			defer m.Close()
			h := m.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodPost {
					if err := m.LoginWithPAT(r.Context(), sandbox.DemoPATClientID, sandbox.DemoPATClientSecret, r.RemoteAddr); err != nil {
						b.Error(err)
					}
					return
				}
				if _, ok := m.Current(r.Context()); !ok {
					http.Error(w, "no", http.StatusUnauthorized)
					return
				}
				if _, err := m.TokenSource(r.Context()).Token(); err != nil {
					http.Error(w, "no", http.StatusUnauthorized)
					return
				}
				w.WriteHeader(http.StatusNoContent)
			}))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/login", nil))
			cookies := rec.Result().Cookies()
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			for _, c := range cookies {
				req.AddCookie(c)
			}
			for b.Loop() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusNoContent {
					b.Fatalf("status %d", rec.Code)
				}
			}
		})
	}
}
