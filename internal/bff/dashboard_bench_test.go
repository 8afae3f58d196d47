package bff

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"sourcedesk/internal/api"
	"sourcedesk/internal/readcache"
	"sourcedesk/internal/sandbox"
	"sourcedesk/internal/session"
)

// benchConsole is a console over real HTTP with a signed-in browser-like client.
type benchConsole struct {
	srv    *Server
	sb     *sandbox.Sandbox
	url    string
	client *http.Client
	csrf   string
}

// newBenchConsole starts a sandbox with n sources (the seed plus created ones), a
// console on the shared rate budget, and signs in with the demo PAT.
func newBenchConsole(b *testing.B, n int) *benchConsole {
	b.Helper()
	// The sandbox's own limit is off so that seeding is quick; the console still
	// waits on its 100-per-10-s budget, so a dashboard that overspends shows in time.
	sb := sandbox.New(sandbox.Config{RateLimit: -1, TaskStep: 20 * time.Millisecond})
	hs := httptest.NewServer(sb.Handler())
	b.Cleanup(hs.Close)
	ctx := context.Background()
	admin, err := api.New(api.Config{BaseURL: hs.URL, HTTPClient: hs.Client(), Limiter: noLimit{}})
	must(b, err)
	cc := clientcredentials.Config{ClientID: sandbox.DemoPATClientID, ClientSecret: sandbox.DemoPATClientSecret, TokenURL: hs.URL + "/oauth/token"}
	admin = admin.With(cc.TokenSource(context.WithValue(ctx, oauth2.HTTPClient, hs.Client())))
	page, err := admin.ListSources(ctx, api.ListSourcesParams{Count: true, Limit: 1})
	must(b, err)
	owner := &api.Reference{Type: "IDENTITY", ID: "2c9180835d2e5168015d32f890ca1581", Name: "Aaron Nichols"}
	for i := page.Total; i < n; i++ {
		src, err := admin.CreateSource(ctx, &api.Source{Name: fmt.Sprintf("Bench source %03d", i), Owner: owner, Connector: "delimited-file"}, true)
		must(b, err)
		if i%3 == 0 {
			_, err = admin.CreateSourceSchedule(ctx, src.ID, &api.Schedule{Type: api.ScheduleAccountAggregation, CronExpression: fmt.Sprintf("0 %d %d * * ?", i%60, i%24)})
			must(b, err)
		}
	}
	mgr, err := session.New(ctx, session.Config{Store: "memory", HTTPClient: hs.Client(),
		Tenants: []session.Tenant{{Key: "sandbox", OAuth2: &oauth2.Config{ClientID: "unused", Endpoint: oauth2.Endpoint{AuthURL: hs.URL + "/oauth/authorize",
			TokenURL: hs.URL + "/oauth/token", AuthStyle: oauth2.AuthStyleInHeader}, RedirectURL: "http://console.test/auth/callback"}}}})
	must(b, err)
	b.Cleanup(func() { mgr.Close() })
	cl, err := api.New(api.Config{BaseURL: hs.URL, HTTPClient: hs.Client(), Limiter: mgr.Limiter("sandbox")})
	must(b, err)
	srv, err := New(Config{Logger: slog.New(slog.DiscardHandler), Tenants: []Tenant{{Key: "sandbox", API: cl}}, Sessions: mgr})
	must(b, err)
	cs := httptest.NewServer(srv)
	b.Cleanup(cs.Close)
	jar, _ := cookiejar.New(nil)
	bc := &benchConsole{srv: srv, sb: sb, url: cs.URL, client: &http.Client{Jar: jar, Timeout: time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	// The sign-in form carries a CSRF token bound to the session it starts.
	form0 := bc.get(b, "/login/pat", nil)
	if m := regexp.MustCompile(`name="_csrf" value="([^"]+)"`).FindStringSubmatch(form0); m != nil {
		bc.csrf = m[1]
	}
	form := url.Values{"client_id": {sandbox.DemoPATClientID}, "client_secret": {sandbox.DemoPATClientSecret}}
	req, _ := http.NewRequest(http.MethodPost, cs.URL+"/login/pat", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-CSRF-Token", bc.csrf)
	resp, err := bc.client.Do(req)
	must(b, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		b.Fatalf("PAT sign-in: %d", resp.StatusCode)
	}
	return bc
}

func must(b *testing.B, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
}

func (bc *benchConsole) get(b *testing.B, path string, h map[string]string) string {
	req, _ := http.NewRequest(http.MethodGet, bc.url+path, nil)
	for k, v := range h {
		req.Header.Set(k, v)
	}
	resp, err := bc.client.Do(req)
	if err != nil {
		b.Error(err)
		return ""
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		b.Errorf("GET %s: %d %s", path, resp.StatusCode, body)
	}
	return string(body)
}

// visit loads the home page as a browser does: the frame, then the four tiles at
// once; it returns the time until the last tile arrived and whether the upcoming
// tile still has sources to read.
func (bc *benchConsole) visit(b *testing.B) (time.Duration, bool) {
	start := time.Now()
	bc.get(b, "/?tz=Europe/Paris", nil)
	var wg sync.WaitGroup
	var upcoming string
	for _, p := range []string{"/dashboard/status", "/dashboard/unhealthy", "/dashboard/upcoming?tz=Europe/Paris", "/dashboard/tasks?tz=Europe/Paris"} {
		wg.Go(func() {
			body := bc.get(b, p, map[string]string{"HX-Request": "true"})
			if strings.Contains(p, "upcoming") {
				upcoming = body
			}
		})
	}
	wg.Wait()
	return time.Since(start), strings.Contains(upcoming, `data-testid="upcoming-partial"`)
}

// BenchmarkHomePage250Sources measures the home page of a tenant with 250
// sources: upstream calls and the time to the last tile, on a first visit (empty
// caches) and a cached one (within READ_CACHE_TTL). The upcoming tile reads at most
// scheduleBatch schedules per load and continues by itself every 10 s in the
// browser; "loads" is how many loads it needs to cover every source.
//
//	go test -run '^$' -bench HomePage250 -benchtime 5x ./internal/bff/
func BenchmarkHomePage250Sources(b *testing.B) {
	bc := newBenchConsole(b, 250)
	reset := func() { bc.srv.reads = readcache.New(readcache.NewMemory(), DefaultReadTTL, "sd:rc:") }
	b.Run("first visit", func(b *testing.B) {
		var lastTile time.Duration
		var calls, loads, schedCalls int
		for b.Loop() {
			reset()
			bc.sb.ResetCalls()
			d, partial := bc.visit(b)
			lastTile += d
			calls += bc.sb.Calls("")
			schedCalls += bc.sb.Calls("getSourceSchedules")
			n := 1
			for ; partial && n < 20; n++ {
				body := bc.get(b, "/dashboard/upcoming?tz=Europe/Paris", map[string]string{"HX-Request": "true"})
				partial = strings.Contains(body, `data-testid="upcoming-partial"`)
			}
			loads += n
		}
		b.ReportMetric(float64(calls)/float64(b.N), "calls-first-paint/op")
		b.ReportMetric(float64(schedCalls)/float64(b.N), "schedule-calls-first-paint/op")
		b.ReportMetric(float64(lastTile.Milliseconds())/float64(b.N), "ms-to-last-tile")
		b.ReportMetric(float64(loads)/float64(b.N), "upcoming-loads")
	})
	b.Run("cached visit", func(b *testing.B) {
		reset()
		bc.visit(b)
		for partial := true; partial; {
			body := bc.get(b, "/dashboard/upcoming?tz=Europe/Paris", map[string]string{"HX-Request": "true"})
			partial = strings.Contains(body, `data-testid="upcoming-partial"`)
		}
		bc.visit(b) // the source list again, in case reading the schedules outlasted the TTL
		var lastTile time.Duration
		var calls int
		for b.Loop() {
			bc.sb.ResetCalls()
			d, _ := bc.visit(b)
			lastTile += d
			calls += bc.sb.Calls("")
		}
		b.ReportMetric(float64(calls)/float64(b.N), "calls/op")
		b.ReportMetric(float64(lastTile.Milliseconds())/float64(b.N), "ms-to-last-tile")
	})
}
