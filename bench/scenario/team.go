package scenario

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	mrand "math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"sourcedesk/internal/api"
)

// The team scenario: admins sharing one console (and one OAuth client, so one ISC
// budget) on a production-sized tenant, each thinking 2–5 s between actions that
// mix the home page, the list (filtered, paged), a source's overview and tabs,
// edits and uploads, while one more user runs bulk actions.

// Actions the team scenario reports, in the report's order.
const (
	ActHomeFrame = "home page (frame)"
	ActHomeTiles = "home page tiles (until the last)"
	ActList      = "list"
	ActFilter    = "filter"
	ActPaging    = "paging"
	ActOverview  = "overview first paint"
	ActParts     = "overview parts (health, connections, next runs)"
	ActTab       = "detail tab"
	ActEdit      = "edit (schedule or schema)"
	ActUpload    = "upload (account CSV)"
	ActBulk      = "bulk action (10 sources)"
)

// TeamActions lists the actions in the report's order.
var TeamActions = []string{ActHomeFrame, ActHomeTiles, ActList, ActFilter, ActPaging, ActOverview, ActParts, ActTab, ActEdit, ActUpload, ActBulk}

// TeamConfig configures Team.
type TeamConfig struct {
	Consoles []string // console URLs; users are spread over them round-robin
	Tenant   *Tenant  // read once at the start (with the demo PAT) to pick sources
	Admins   int      // simulated admins (default 20), plus one bulk user
	Duration time.Duration
	// Warmup is how long the users run before anything is measured (a console
	// that has served its team for a while, not one just started).
	Warmup time.Duration
	// ThinkMin and ThinkMax bound the pause between a user's actions (default 2 s, 5 s).
	ThinkMin, ThinkMax time.Duration
	// OnStart, if set, is called when the measured time starts (after the warm-up).
	OnStart func()
	Logf    func(format string, args ...any)
}

// ActionStats is what one kind of action cost.
type ActionStats struct {
	Latency []time.Duration
	Calls   int             // upstream calls, from the console's Server-Timing
	Waits   []time.Duration // time the action's calls waited for the budget
	ISC     []time.Duration // time ISC took to answer the action's calls (summed)
	Status  map[int]int     // the worst status of each action
	Sample  map[int]string  // what the first page of each non-200 status said
}

// N is how many actions were measured.
func (a *ActionStats) N() int { return len(a.Latency) }

// P returns the latency percentile q (0..1).
func (a *ActionStats) P(q float64) time.Duration { return quantile(a.Latency, q) }

// WaitP returns the budget-wait percentile q.
func (a *ActionStats) WaitP(q float64) time.Duration { return quantile(a.Waits, q) }

// ISCP returns the percentile q of the time ISC took per action.
func (a *ActionStats) ISCP(q float64) time.Duration { return quantile(a.ISC, q) }

// CallsPer is the mean number of upstream calls per action.
func (a *ActionStats) CallsPer() float64 {
	if a.N() == 0 {
		return 0
	}
	return float64(a.Calls) / float64(a.N())
}

// Refused counts actions answered 429 or 503: a page telling the user to wait.
func (a *ActionStats) Refused() int {
	return a.Status[http.StatusTooManyRequests] + a.Status[http.StatusServiceUnavailable]
}

func quantile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

// TeamResult is what the team saw.
type TeamResult struct {
	Actions        map[string]*ActionStats
	SignInFailures []string
	TransportErrs  int
	FirstErr       string
	Elapsed        time.Duration
}

// Total is the number of actions and the upstream calls they made.
func (r *TeamResult) Total() (actions, calls int) {
	for _, a := range r.Actions {
		actions += a.N()
		calls += a.Calls
	}
	return actions, calls
}

// teamSources are the sources the users work on, read from the tenant.
type teamSources struct {
	all       []string          // every source id
	hot       []string          // the sources a team works on most, most popular first
	delimited []string          // healthy Delimited File sources, for uploads
	schemas   map[string]string // hot source id → its account schema id
	direct    []string          // healthy direct sources, for bulk aggregations
}

// Team signs the users in, runs the mix for cfg.Duration and returns what each
// action cost.
func Team(ctx context.Context, cfg TeamConfig) (*TeamResult, error) {
	if cfg.Admins == 0 {
		cfg.Admins = 20
	}
	if cfg.ThinkMin == 0 {
		cfg.ThinkMin, cfg.ThinkMax = 2*time.Second, 5*time.Second
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	src, err := readTeamSources(ctx, cfg.Tenant)
	if err != nil {
		return nil, fmt.Errorf("read the tenant's sources: %w", err)
	}
	t := &teamRun{cfg: cfg, src: src, res: &TeamResult{Actions: map[string]*ActionStats{}}}
	n := cfg.Admins + 1 // the last one runs bulk actions
	users := make([]*User, n)
	var wg sync.WaitGroup
	var mu sync.Mutex
	for i := range users {
		users[i] = NewUser(cfg.Consoles[i%len(cfg.Consoles)], nil)
		wg.Go(func() {
			if err := users[i].SignIn(ctx, Credentials{Username: "admin", Password: "admin"}); err != nil {
				mu.Lock()
				t.res.SignInFailures = append(t.res.SignInFailures, fmt.Sprintf("user %d: %v", i, err))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(t.res.SignInFailures) == n {
		return t.res, fmt.Errorf("no user could sign in: %s", t.res.SignInFailures[0])
	}
	cfg.Logf("team: %d admins and a bulk user signed in on %d consoles; %d sources, %d in the hot set",
		n-1-len(t.res.SignInFailures), len(cfg.Consoles), len(src.all), len(src.hot))
	runCtx, cancel := context.WithTimeout(ctx, cfg.Warmup+cfg.Duration)
	defer cancel()
	t.measureFrom = time.Now().Add(cfg.Warmup)
	for i, u := range users {
		if u.CSRF == "" {
			continue
		}
		rng := mrand.New(mrand.NewPCG(uint64(i), 17))
		wg.Go(func() { t.userLoop(runCtx, u, rng, i == n-1) })
	}
	select {
	case <-time.After(cfg.Warmup):
	case <-runCtx.Done():
	}
	if cfg.OnStart != nil {
		cfg.OnStart()
	}
	wg.Wait()
	t.res.Elapsed = time.Since(t.measureFrom)
	return t.res, nil
}

// readTeamSources lists the tenant's sources with the demo PAT: the hot set is 50
// healthy sources in a fixed shuffle (the first the most popular), with the account
// schema of each for schema edits.
func readTeamSources(ctx context.Context, t *Tenant) (*teamSources, error) {
	hc := &http.Client{Timeout: time.Minute}
	tok, err := t.Token(ctx, hc)
	if err != nil {
		return nil, err
	}
	cl, err := api.New(api.Config{BaseURL: t.URL, HTTPClient: hc, Limiter: noLimit{}})
	if err != nil {
		return nil, err
	}
	cl = cl.With(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: tok}))
	ts := &teamSources{schemas: map[string]string{}}
	var healthy []api.Source
	for s, err := range cl.AllSources(ctx, api.ListSourcesParams{Limit: api.MaxLimit, Sorters: []string{"id"}}) {
		if err != nil {
			return nil, err
		}
		ts.all = append(ts.all, s.ID)
		if s.Status == api.SourceStateHealthy {
			healthy = append(healthy, s)
		}
	}
	rng := mrand.New(mrand.NewPCG(7, 7))
	rng.Shuffle(len(healthy), func(i, j int) { healthy[i], healthy[j] = healthy[j], healthy[i] })
	for _, s := range healthy {
		switch {
		case strings.EqualFold(s.Connector, "delimited-file") && len(ts.delimited) < 12:
			ts.delimited = append(ts.delimited, s.ID)
		case s.ConnectionType == "direct" && len(ts.direct) < 60:
			ts.direct = append(ts.direct, s.ID)
		}
		if len(ts.hot) < 50 {
			ts.hot = append(ts.hot, s.ID)
			for _, ref := range s.Schemas {
				if ref.Name == "account" {
					ts.schemas[s.ID] = ref.ID
				}
			}
		}
	}
	if len(ts.hot) == 0 || len(ts.delimited) == 0 || len(ts.direct) < 10 {
		return nil, fmt.Errorf("the tenant has too few healthy sources (%d hot, %d delimited, %d direct)", len(ts.hot), len(ts.delimited), len(ts.direct))
	}
	return ts, nil
}

type noLimit struct{}

func (noLimit) Wait(context.Context) error { return nil }

type teamRun struct {
	cfg         TeamConfig
	src         *teamSources
	measureFrom time.Time // actions that start earlier are the warm-up's
	mu          sync.Mutex
	res         *TeamResult
}

// teamAction is one thing an admin does, with its weight in the mix.
type teamAction struct {
	weight int
	run    func(t *teamRun, ctx context.Context, u *User, rng *mrand.Rand)
}

var teamMix = []teamAction{
	{10, (*teamRun).home},
	{15, (*teamRun).list},
	{15, (*teamRun).filter},
	{12, (*teamRun).paging},
	{22, (*teamRun).overview},
	{14, (*teamRun).tab},
	{8, (*teamRun).edit},
	{4, (*teamRun).upload},
}

func (t *teamRun) userLoop(ctx context.Context, u *User, rng *mrand.Rand, bulk bool) {
	total := 0
	for _, a := range teamMix {
		total += a.weight
	}
	for {
		think := t.cfg.ThinkMin + time.Duration(rng.Int64N(int64(t.cfg.ThinkMax-t.cfg.ThinkMin)+1))
		select {
		case <-ctx.Done():
			return
		case <-time.After(think):
		}
		if bulk {
			t.bulk(ctx, u, rng)
			continue
		}
		n := rng.IntN(total)
		for _, a := range teamMix {
			if n < a.weight {
				a.run(t, ctx, u, rng)
				break
			}
			n -= a.weight
		}
	}
}

// step is one request of an action.
type step struct {
	method, path, ctype string
	body                []byte
	htmx                bool
	target              string // HX-Target
}

// outcome is what the requests of one action gave.
type outcome struct {
	start   time.Time
	elapsed time.Duration
	calls   int
	waited  time.Duration
	isc     time.Duration
	status  int // the worst status
	body    []byte
}

var serverTimingRE = regexp.MustCompile(`isc;desc="(\d+) calls?";dur=([0-9.]+), budget;dur=([0-9.]+)`)

// send runs the steps at once (as a browser loads a page's parts) and sums them.
func send(ctx context.Context, u *User, steps ...step) (outcome, error) {
	var (
		mu  sync.Mutex
		out outcome
		err error
		wg  sync.WaitGroup
	)
	start := time.Now()
	out.start = start
	for _, st := range steps {
		wg.Go(func() {
			var body io.Reader
			if st.body != nil {
				body = bytes.NewReader(st.body)
			}
			resp, e := u.DoWith(ctx, st.method, st.path, body, st.ctype, st.htmx, st.target)
			mu.Lock()
			defer mu.Unlock()
			if e != nil {
				err = e
				return
			}
			if m := serverTimingRE.FindStringSubmatch(resp.Header.Get("Server-Timing")); m != nil {
				n, _ := strconv.Atoi(m[1])
				d, _ := strconv.ParseFloat(m[2], 64)
				w, _ := strconv.ParseFloat(m[3], 64)
				out.calls += n
				out.isc += time.Duration(d * float64(time.Millisecond))
				out.waited += time.Duration(w * float64(time.Millisecond))
			}
			if resp.Status > out.status {
				out.status, out.body = resp.Status, resp.Body
			}
		})
	}
	wg.Wait()
	out.elapsed = time.Since(start)
	return out, err
}

// record adds one action's outcome.
func (t *teamRun) record(ctx context.Context, name string, o outcome, err error) {
	if o.start.Before(t.measureFrom) {
		return // the warm-up
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if err != nil {
		if ctx.Err() == nil {
			t.res.TransportErrs++
			if t.res.FirstErr == "" {
				t.res.FirstErr = name + ": " + err.Error()
			}
		}
		return
	}
	a := t.res.Actions[name]
	if a == nil {
		a = &ActionStats{Status: map[int]int{}, Sample: map[int]string{}}
		t.res.Actions[name] = a
	}
	a.Latency = append(a.Latency, o.elapsed)
	a.Calls += o.calls
	a.Waits = append(a.Waits, o.waited)
	a.ISC = append(a.ISC, o.isc)
	a.Status[o.status]++
	if _, ok := a.Sample[o.status]; !ok && o.status != http.StatusOK {
		a.Sample[o.status] = pageMessage(o.body)
	}
}

// pick returns an index in [0, n) skewed to the start (a Zipf-like popularity:
// the first few are asked for most).
func pick(rng *mrand.Rand, n int) int {
	return min(n-1, int(math.Floor(math.Pow(rng.Float64(), 2.2)*float64(n))))
}

// source picks a source to open: mostly from the hot set, now and then any.
func (t *teamRun) source(rng *mrand.Rand) string {
	if rng.IntN(10) < 7 {
		return t.src.hot[pick(rng, len(t.src.hot))]
	}
	return t.src.all[rng.IntN(len(t.src.all))]
}

func (t *teamRun) home(ctx context.Context, u *User, rng *mrand.Rand) {
	frame, err := send(ctx, u, step{method: http.MethodGet, path: "/"})
	t.record(ctx, ActHomeFrame, frame, err)
	if err != nil || frame.status != http.StatusOK {
		return
	}
	tiles, err := send(ctx, u,
		step{method: http.MethodGet, path: "/dashboard/status", htmx: true, target: "tile-status"},
		step{method: http.MethodGet, path: "/dashboard/unhealthy", htmx: true, target: "tile-unhealthy"},
		step{method: http.MethodGet, path: "/dashboard/upcoming?tz=Europe%2FParis", htmx: true, target: "tile-upcoming"},
		step{method: http.MethodGet, path: "/dashboard/tasks?tz=Europe%2FParis", htmx: true, target: "tile-tasks"})
	t.record(ctx, ActHomeTiles, tiles, err)
}

func (t *teamRun) list(ctx context.Context, u *User, _ *mrand.Rand) {
	o, err := send(ctx, u, step{method: http.MethodGet, path: "/sources"})
	t.record(ctx, ActList, o, err)
}

var teamTerms = []string{"Okta", "Finance", "Active Directory", "Workday", "Sales", "LDAP", "HR", "Salesforce", "Support", "Delimited", "Engineering", "JDBC"}

func (t *teamRun) filter(ctx context.Context, u *User, rng *mrand.Rand) {
	q := url.Values{"q": {teamTerms[pick(rng, len(teamTerms))]}}
	if s := []string{"", "", "healthy", "unhealthy"}[rng.IntN(4)]; s != "" {
		q.Set("status", s)
	}
	o, err := send(ctx, u, step{method: http.MethodGet, path: "/sources?" + q.Encode(), htmx: true, target: "sources-results"})
	t.record(ctx, ActFilter, o, err)
}

func (t *teamRun) paging(ctx context.Context, u *User, rng *mrand.Rand) {
	page := 2 + pick(rng, 12)
	o, err := send(ctx, u, step{method: http.MethodGet, path: "/sources?page=" + strconv.Itoa(page), htmx: true, target: "sources-results"})
	t.record(ctx, ActPaging, o, err)
}

func (t *teamRun) overview(ctx context.Context, u *User, rng *mrand.Rand) {
	id := t.source(rng)
	o, err := send(ctx, u, step{method: http.MethodGet, path: "/sources/" + id})
	t.record(ctx, ActOverview, o, err)
	if err != nil || o.status != http.StatusOK {
		return
	}
	parts, err := send(ctx, u,
		step{method: http.MethodGet, path: "/sources/" + id + "/health", htmx: true},
		step{method: http.MethodGet, path: "/sources/" + id + "/connections", htmx: true},
		step{method: http.MethodGet, path: "/sources/" + id + "/schedules/next", htmx: true})
	t.record(ctx, ActParts, parts, err)
}

var teamTabs = []string{"schedules", "schemas", "configuration", "provisioning", "correlation"}

func (t *teamRun) tab(ctx context.Context, u *User, rng *mrand.Rand) {
	id := t.source(rng)
	o, err := send(ctx, u, step{method: http.MethodGet, path: "/sources/" + id + "/" + teamTabs[pick(rng, len(teamTabs))], htmx: true, target: "source-tab"})
	t.record(ctx, ActTab, o, err)
}

func (t *teamRun) edit(ctx context.Context, u *User, rng *mrand.Rand) {
	id := t.src.hot[pick(rng, len(t.src.hot))]
	var st step
	if schema, ok := t.src.schemas[id]; ok && rng.IntN(2) == 0 {
		patch := fmt.Sprintf(`[{"op":"add","path":"/attributes/0/description","value":"team edit %d"}]`, rng.IntN(1e6))
		st = step{method: http.MethodPost, path: "/sources/" + id + "/schemas/" + schema + "/patch",
			body: []byte(url.Values{"patch": {patch}}.Encode()), ctype: "application/x-www-form-urlencoded", htmx: true}
	} else {
		cron := fmt.Sprintf("0 %d %d * * ?", rng.IntN(60), rng.IntN(24))
		st = step{method: http.MethodPost, path: "/sources/" + id + "/schedules/ACCOUNT_AGGREGATION",
			body: []byte(url.Values{"cronExpression": {cron}}.Encode()), ctype: "application/x-www-form-urlencoded", htmx: true}
	}
	o, err := send(ctx, u, st)
	t.record(ctx, ActEdit, o, err)
}

func (t *teamRun) upload(ctx context.Context, u *User, rng *mrand.Rand) {
	id := t.src.delimited[rng.IntN(len(t.src.delimited))]
	var csv bytes.Buffer
	csv.WriteString("id,displayName,email,department,startDate,active,level,groups\n")
	tag := rng.IntN(1e9)
	for i := range 50 + rng.IntN(150) {
		fmt.Fprintf(&csv, "t%09d%04d,Team User %d,team%d.%d@example.com,IT,2024-01-02,true,%d,users\n", tag, i, i, tag, i, i%5)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", fmt.Sprintf("team-%09d.csv", tag))
	_, _ = fw.Write(csv.Bytes())
	_ = mw.Close()
	o, err := send(ctx, u, step{method: http.MethodPost, path: "/sources/" + id + "/import/accounts", body: body.Bytes(), ctype: mw.FormDataContentType(), htmx: true})
	t.record(ctx, ActUpload, o, err)
}

// bulk tests the connection of 10 sources, or (one time in three) starts an
// aggregation on 10 direct sources.
func (t *teamRun) bulk(ctx context.Context, u *User, rng *mrand.Rand) {
	path, pool := "/sources/bulk/test-connection", t.src.all
	if rng.IntN(3) == 0 {
		path, pool = "/sources/bulk/aggregate", t.src.direct
	}
	form := url.Values{}
	for _, i := range rng.Perm(len(pool))[:10] {
		form.Add("id", pool[i])
	}
	o, err := send(ctx, u, step{method: http.MethodPost, path: path, body: []byte(form.Encode()),
		ctype: "application/x-www-form-urlencoded", htmx: true, target: "bulk-results"})
	t.record(ctx, ActBulk, o, err)
}
