package scenario

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	mrand "math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/PuerkitoBio/goquery"

	"sourcedesk/internal/sandbox"
)

// Level is a console process's resource level at one moment.
type Level struct {
	Goroutines int
	HeapBytes  uint64
}

// SoakConfig configures Soak.
type SoakConfig struct {
	Consoles []string // console URLs; users are spread over them round-robin
	Tenant   *Tenant
	Users    int           // simulated users (default 50)
	Duration time.Duration // total, warm-up included
	// Warmup is how long the users run before the reference levels are taken
	// (default a tenth of Duration, 5 s to 60 s).
	Warmup time.Duration
	// Faults injects 2% 5xx, added latency and occasional 429s into the tenant.
	Faults bool
	// Credentials returns user i's sign-in (default: the demo admin by the code flow).
	Credentials func(i int) Credentials
	// Levels reads each console's level, in the order of Consoles. The reading is
	// taken while the users are paused, so in-flight requests do not count.
	Levels func(ctx context.Context) ([]Level, error)
	// Think is the mean pause between a user's actions (default 250 ms).
	Think time.Duration
	Logf  func(format string, args ...any)
}

// SoakResult is what the soak saw; Problems lists every failed check.
type SoakResult struct {
	Requests int
	ByStatus map[int]int
	ByAction map[string]int
	// Samples holds, per "action status" other than 200, what the first such
	// page said, to explain refusals in the report.
	Samples        map[string]string
	Latency        map[string]Percentiles // per action
	TransportErrs  int
	Status500      []string // "METHOD path → 500 (request id)" samples, at most 10
	SignInFailures []string
	SessionsLost   int // 401s / sign-in redirects met after signing in
	UploadsSent    int
	UploadsOK      int // accepted by the console (sent to the task page)
	UploadsMissing []string
	UploadsBadHash []string
	Warm, End      []Level
	Problems       []string
}

// Percentiles summarises latencies.
type Percentiles struct {
	N             int
	P50, P95, P99 time.Duration
}

// soakUser is one user's state during the soak.
type soakUser struct {
	*User
	id  int
	seq int
	rng *mrand.Rand
}

// action is one thing a user does; it returns its name.
type action struct {
	name   string
	weight int
	run    func(ctx context.Context, u *soakUser, r *soakRun) (*Response, error)
}

type soakRun struct {
	cfg     SoakConfig
	gate    sync.RWMutex // users hold it for reading per action; levels are read under the write lock
	mu      sync.Mutex
	res     *SoakResult
	lat     map[string][]time.Duration
	uploads map[string]string // file name → local SHA-256, for uploads the console accepted
}

// Soak signs the users in, runs the mix for cfg.Duration and checks: no console
// 500s, no lost sessions or failed sign-ins, every accepted upload reached the
// tenant with the same SHA-256, goroutines and heap at the end within 10% of
// their level after warm-up.
func Soak(ctx context.Context, cfg SoakConfig) (*SoakResult, error) {
	if cfg.Users == 0 {
		cfg.Users = 50
	}
	if cfg.Warmup == 0 {
		cfg.Warmup = min(max(cfg.Duration/10, 5*time.Second), time.Minute)
	}
	if cfg.Think == 0 {
		cfg.Think = 250 * time.Millisecond
	}
	if cfg.Credentials == nil {
		cfg.Credentials = func(int) Credentials { return Credentials{Username: "admin", Password: "admin"} }
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	r := &soakRun{cfg: cfg, lat: map[string][]time.Duration{}, uploads: map[string]string{},
		res: &SoakResult{ByStatus: map[int]int{}, ByAction: map[string]int{}, Latency: map[string]Percentiles{}, Samples: map[string]string{}}}

	// Sign everybody in first (in parallel, as a team arriving in the morning would).
	users := make([]*soakUser, cfg.Users)
	var wg sync.WaitGroup
	for i := range users {
		u := &soakUser{User: NewUser(cfg.Consoles[i%len(cfg.Consoles)], nil), id: i, rng: mrand.New(mrand.NewPCG(uint64(i), 42))}
		users[i] = u
		wg.Go(func() {
			if err := u.SignIn(ctx, cfg.Credentials(i)); err != nil {
				r.mu.Lock()
				r.res.SignInFailures = append(r.res.SignInFailures, fmt.Sprintf("user %d: %v", i, err))
				r.mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(r.res.SignInFailures) == len(users) {
		return r.res, fmt.Errorf("no user could sign in: %s", r.res.SignInFailures[0])
	}
	cfg.Logf("soak: %d users signed in on %d consoles", len(users)-len(r.res.SignInFailures), len(cfg.Consoles))

	runCtx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	stopFaults := r.injectFaults(runCtx)
	var userWG sync.WaitGroup
	for _, u := range users {
		if u.CSRF == "" {
			continue // did not sign in
		}
		userWG.Go(func() { r.userLoop(runCtx, u) })
	}

	// After warm-up: pause the users, let requests drain, read the levels.
	select {
	case <-time.After(cfg.Warmup):
		var err error
		if r.res.Warm, err = r.quiescedLevels(ctx); err != nil {
			cfg.Logf("soak: warm-up levels: %v", err)
		}
	case <-runCtx.Done():
	}
	userWG.Wait()
	stopFaults()
	// The consoles have no users now: idle keep-alive connections and finished
	// requests should leave nothing behind.
	var err error
	if r.res.End, err = r.quiescedLevels(ctx); err != nil {
		cfg.Logf("soak: end levels: %v", err)
	}
	r.check()
	return r.res, nil
}

// quiescedLevels pauses the users (write-locks the gate), waits a moment for
// in-flight work to finish, and reads the levels.
func (r *soakRun) quiescedLevels(ctx context.Context) ([]Level, error) {
	if r.cfg.Levels == nil {
		return nil, nil
	}
	r.gate.Lock()
	defer r.gate.Unlock()
	time.Sleep(2 * time.Second)
	return r.cfg.Levels(ctx)
}

// injectFaults sets the standing faults (2% 5xx, 0–40 ms latency) and forces a
// burst of 429s every few seconds; the returned func removes them.
func (r *soakRun) injectFaults(ctx context.Context) func() {
	if !r.cfg.Faults {
		return func() {}
	}
	sb := r.cfg.Tenant.Sandbox
	sb.SetFault("*", sandbox.Fault{ErrorRatio: 0.02, Status: http.StatusBadGateway, Latency: 15 * time.Millisecond})
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(4 * time.Second)
		defer t.Stop()
		ops := []string{"listSources", "getSource", "getSourceSchemas"}
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				// Retry-After 1 s: the console waits it out itself on GETs.
				sb.SetFault(ops[i%len(ops)], sandbox.Fault{Force429: 2, RetryAfter: 1})
			}
		}
	})
	return func() {
		close(done)
		wg.Wait()
		sb.ClearFaults()
	}
}

var soakActions = []action{
	{"list", 20, func(ctx context.Context, u *soakUser, _ *soakRun) (*Response, error) {
		if u.rng.IntN(2) == 0 {
			return u.Do(ctx, http.MethodGet, "/sources", nil, "", false)
		}
		return u.Do(ctx, http.MethodGet, "/sources?size=50&page=1", nil, "", true)
	}},
	{"filter", 15, func(ctx context.Context, u *soakUser, _ *soakRun) (*Response, error) {
		terms := []string{"hr", "ad", "work", "file", "sap", "z"}
		q := url.Values{"q": {terms[u.rng.IntN(len(terms))]}}
		if u.rng.IntN(2) == 0 {
			q.Set("status", "healthy")
		}
		return u.Do(ctx, http.MethodGet, "/sources?"+q.Encode(), nil, "", true)
	}},
	{"detail", 25, func(ctx context.Context, u *soakUser, _ *soakRun) (*Response, error) {
		id := soakSourceIDs[u.rng.IntN(len(soakSourceIDs))]
		tabs := []string{"", "/configuration", "/schemas", "/schedules", "/import"}
		tab := tabs[u.rng.IntN(len(tabs))]
		if tab == "" {
			return u.Do(ctx, http.MethodGet, "/sources/"+id, nil, "", false)
		}
		return u.Do(ctx, http.MethodGet, "/sources/"+id+tab, nil, "", true)
	}},
	{"schedule-preview", 10, func(ctx context.Context, u *soakUser, _ *soakRun) (*Response, error) {
		exprs := []string{"0 0/15 * * * ?", "0 0 12 ? * MON-FRI", "0 0 12 L * ?", "0 0 9-17 ? * 6#3"}
		q := url.Values{"expr": {exprs[u.rng.IntN(len(exprs))]}, "tz": {"Europe/Paris"}}
		return u.Do(ctx, http.MethodGet, "/cron/preview?"+q.Encode(), nil, "", true)
	}},
	{"schema-edit", 8, func(ctx context.Context, u *soakUser, _ *soakRun) (*Response, error) {
		// Set one attribute's description ("add" also replaces): a real PATCH through the console's checks.
		patch := fmt.Sprintf(`[{"op":"add","path":"/attributes/%d/description","value":"soak user %d edit %d"}]`, u.rng.IntN(3), u.id, u.seq)
		form := url.Values{"patch": {patch}}
		return u.Do(ctx, http.MethodPost, "/sources/"+sandbox.SeedDelimitedSourceID+"/schemas/"+seedDelimitedSchemaID+"/patch",
			strings.NewReader(form.Encode()), "application/x-www-form-urlencoded", true)
	}},
	{"upload", 7, func(ctx context.Context, u *soakUser, r *soakRun) (*Response, error) {
		return r.upload(ctx, u)
	}},
}

// soakSourceIDs are seeded sources the detail views open.
var soakSourceIDs = []string{sandbox.SeedDelimitedSourceID, sandbox.SeedAuthoritativeSourceID, sandbox.SeedUnhealthySourceID,
	sandbox.SeedUnicodeSourceID, sandbox.SeedUncheckedSourceID}

// seedDelimitedSchemaID is the account schema of sandbox.SeedDelimitedSourceID.
const seedDelimitedSchemaID = "2c9180887e5f4a1b017e5f4a1c000101"

// upload sends a small, unique account CSV through the console's import tab.
func (r *soakRun) upload(ctx context.Context, u *soakUser) (*Response, error) {
	name := fmt.Sprintf("soak-u%02d-%05d.csv", u.id, u.seq)
	var csv bytes.Buffer
	csv.WriteString("id,displayName,email,department,startDate,active,level,groups\n")
	rows := 20 + u.rng.IntN(200)
	for i := range rows {
		fmt.Fprintf(&csv, "s%02d%05d%04d,Soak User %d,soak%d.%d@example.com,IT,2024-01-02,true,%d,users\n", u.id, u.seq, i, i, u.id, i, i%5)
	}
	sum := sha256.Sum256(csv.Bytes())
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", name)
	_, _ = fw.Write(csv.Bytes())
	_ = mw.Close()
	resp, err := u.Do(ctx, http.MethodPost, "/sources/"+sandbox.SeedDelimitedSourceID+"/import/accounts", &body, mw.FormDataContentType(), true)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.res.UploadsSent++
	if err == nil && strings.HasPrefix(taskTarget(resp), "/tasks/") {
		r.res.UploadsOK++
		r.uploads[name] = hex.EncodeToString(sum[:])
	}
	return resp, err
}

// taskTarget is where the console sends the browser after an accepted upload:
// HX-Location (JSON or a path) or HX-Redirect for htmx, Location of a 303 otherwise.
func taskTarget(resp *Response) string {
	switch {
	case resp.Status == http.StatusSeeOther:
		return resp.Header.Get("Location")
	case resp.Status != http.StatusOK:
		return ""
	}
	if loc := resp.Header.Get("HX-Location"); loc != "" {
		var v struct{ Path string }
		if json.Unmarshal([]byte(loc), &v) == nil {
			return v.Path
		}
		return loc
	}
	return resp.Header.Get("HX-Redirect")
}

func (r *soakRun) userLoop(ctx context.Context, u *soakUser) {
	total := 0
	for _, a := range soakActions {
		total += a.weight
	}
	for ctx.Err() == nil {
		// Exponential think time, as users do not click on a metronome.
		think := time.Duration(u.rng.ExpFloat64() * float64(r.cfg.Think))
		select {
		case <-ctx.Done():
			return
		case <-time.After(min(think, 5*r.cfg.Think)):
		}
		n := u.rng.IntN(total)
		var a action
		for _, a = range soakActions {
			if n < a.weight {
				break
			}
			n -= a.weight
		}
		u.seq++
		r.gate.RLock()
		resp, err := a.run(ctx, u, r)
		r.gate.RUnlock()
		r.record(ctx, a.name, resp, err)
	}
}

func (r *soakRun) record(ctx context.Context, name string, resp *Response, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		if ctx.Err() == nil {
			r.res.TransportErrs++
		}
		return
	}
	r.res.Requests++
	r.res.ByStatus[resp.Status]++
	r.res.ByAction[name]++
	r.lat[name] = append(r.lat[name], resp.Elapsed)
	if key := fmt.Sprintf("%s %d", name, resp.Status); resp.Status != http.StatusOK {
		if _, ok := r.res.Samples[key]; !ok {
			r.res.Samples[key] = pageMessage(resp.Body)
		}
	}
	switch {
	case resp.Status == http.StatusInternalServerError:
		if len(r.res.Status500) < 10 {
			r.res.Status500 = append(r.res.Status500, fmt.Sprintf("%s → 500 (request id %s)", name, resp.Header.Get("X-Request-Id")))
		}
	case resp.Status == http.StatusUnauthorized, resp.Status == http.StatusSeeOther && strings.HasPrefix(resp.Header.Get("Location"), "/login"):
		r.res.SessionsLost++
	}
}

// check compares what the tenant received with what the console accepted, and
// the end levels with the warm-up levels.
func (r *soakRun) check() {
	res := r.res
	for name, lat := range r.lat {
		res.Latency[name] = percentiles(lat)
	}
	names := make([]string, 0, len(r.uploads))
	for name := range r.uploads {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		got, ok := r.cfg.Tenant.UploadHash(name)
		switch {
		case !ok:
			res.UploadsMissing = append(res.UploadsMissing, name)
		case got != r.uploads[name]:
			res.UploadsBadHash = append(res.UploadsBadHash, name)
		}
	}
	p := &res.Problems
	if n := res.ByStatus[http.StatusInternalServerError]; n > 0 {
		*p = append(*p, fmt.Sprintf("%d responses with status 500 from the console: %s", n, strings.Join(res.Status500, "; ")))
	}
	if len(res.SignInFailures) > 0 {
		*p = append(*p, fmt.Sprintf("%d failed sign-ins: %s", len(res.SignInFailures), res.SignInFailures[0]))
	}
	if res.SessionsLost > 0 {
		*p = append(*p, fmt.Sprintf("%d requests found their session gone (401 or redirect to /login)", res.SessionsLost))
	}
	if res.TransportErrs > 0 {
		*p = append(*p, fmt.Sprintf("%d requests failed without an HTTP answer", res.TransportErrs))
	}
	if len(res.UploadsMissing) > 0 || len(res.UploadsBadHash) > 0 {
		*p = append(*p, fmt.Sprintf("accepted uploads missing at the tenant: %v; with another SHA-256: %v", res.UploadsMissing, res.UploadsBadHash))
	}
	if res.UploadsOK == 0 {
		*p = append(*p, fmt.Sprintf("no upload was accepted (%d sent)", res.UploadsSent))
	}
	if res.Requests == 0 {
		*p = append(*p, "no request was answered")
	}
	for i := range min(len(res.Warm), len(res.End)) {
		w, e := res.Warm[i], res.End[i]
		// A floor of 5 goroutines: 10% of a small number is below the noise of
		// one idle connection.
		if float64(e.Goroutines) > math.Max(float64(w.Goroutines)*1.1, float64(w.Goroutines+5)) {
			*p = append(*p, fmt.Sprintf("console %d: %d goroutines at the end, %d after warm-up (> +10%%)", i+1, e.Goroutines, w.Goroutines))
		}
		if float64(e.HeapBytes) > float64(w.HeapBytes)*1.1 {
			*p = append(*p, fmt.Sprintf("console %d: heap %.1f MiB at the end, %.1f MiB after warm-up (> +10%%)", i+1, mib(e.HeapBytes), mib(w.HeapBytes)))
		}
	}
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

func percentiles(d []time.Duration) Percentiles {
	if len(d) == 0 {
		return Percentiles{}
	}
	s := slices.Clone(d)
	slices.Sort(s)
	at := func(q float64) time.Duration { return s[min(len(s)-1, int(q*float64(len(s))))] }
	return Percentiles{N: len(s), P50: at(0.50), P95: at(0.95), P99: at(0.99)}
}

// Summary is a short human-readable account of the result.
func (res *SoakResult) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d requests", res.Requests)
	codes := make([]int, 0, len(res.ByStatus))
	for c := range res.ByStatus {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	var parts []string
	for _, c := range codes {
		parts = append(parts, fmt.Sprintf("%d×%d", res.ByStatus[c], c))
	}
	fmt.Fprintf(&b, " (%s); uploads %d sent, %d accepted, %d verified at the tenant",
		strings.Join(parts, " "), res.UploadsSent, res.UploadsOK, res.UploadsOK-len(res.UploadsMissing)-len(res.UploadsBadHash))
	return b.String()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// pageMessage is what a console page tells the user: its alert, else its heading.
func pageMessage(body []byte) string {
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		return ""
	}
	for _, sel := range []string{`[role=alert]`, `.error`, `h1`, `h2`, `body`} {
		if t := strings.Join(strings.Fields(doc.Find(sel).First().Text()), " "); t != "" {
			if len(t) > 160 {
				t = t[:160] + "…"
			}
			return t
		}
	}
	return ""
}
