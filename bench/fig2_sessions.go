package main

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"sourcedesk/bench/scenario"
)

// figSessions measures what the session store costs: requests per second of an
// authenticated page that calls nothing upstream (the dashboard frame, "/"), and
// the time of one sign-in by the code flow, with each store.
func figSessions(ctx context.Context, h *harness, r *report, s settings) error {
	const fig, conc = 2, 16
	stores := []struct {
		name  string
		store func() (string, error)
	}{
		{"memory", func() (string, error) { return "memory", nil }},
		{"file (SQLite)", func() (string, error) { return "file:" + filepath.Join(h.dir, "sessions.db"), nil }},
		{"redis", func() (string, error) {
			rs, err := h.startRedis(ctx)
			if err != nil {
				return "", err
			}
			return rs.URL, nil
		}},
		{"postgres", func() (string, error) { return h.startPostgres(ctx) }},
	}
	got := map[string]float64{}
	for _, sc := range stores {
		store, err := sc.store()
		if err != nil {
			r.add(fig, sc.name+": authenticated no-op page", "", "", "", notMeasured)
			r.note(fig, "%s skipped: %v", sc.name, err)
			continue
		}
		st, err := h.newStack(ctx, "sessions-"+filepath.Base(sc.name), 1, store)
		if err != nil {
			return err
		}
		c := st.consoles[0]
		// Sign-in cost: the whole code flow (console, tenant login page, callback,
		// token exchange, session write), 10 times in a row.
		var signins []time.Duration
		var u interface{ Cookies() []*http.Cookie }
		for range 10 {
			t0 := time.Now()
			user, err := signIn(ctx, c)
			if err != nil {
				return fmt.Errorf("%s: %w", sc.name, err)
			}
			signins = append(signins, time.Since(t0))
			u = user
		}
		slices.Sort(signins)
		target := vegeta.Target{Method: "GET", URL: c.URL + "/", Header: http.Header{"Cookie": {scenario.CookieHeader(u.Cookies())}}}
		scenario.ClosedLoop(ctx, []vegeta.Target{target}, conc, time.Second, 200)
		res := scenario.ClosedLoop(ctx, []vegeta.Target{target}, conc, s.loadDuration, 200)
		got[sc.name] = res.RPS
		r.add(fig, sc.name+": authenticated no-op page", rps(res.RPS), "", "", info)
		r.add(fig, sc.name+": latency at concurrency 16", fmt.Sprintf("p50 %s, p99 %s", ms(res.P50), ms(res.P99)), "", "", info)
		r.add(fig, sc.name+": one sign-in (code flow)", "median "+ms(signins[len(signins)/2]), "", "", info)
		if res.Bad > 0 {
			r.check(fig, sc.name+": errors", fmt.Sprintf("%d of %d (%s)", res.Bad, res.Requests, res.CodesText()), "", "0", false)
			r.note(fig, "first %s error: %s", sc.name, res.FirstErr)
		}
		for _, cn := range st.consoles {
			cn.stop()
		}
		st.tenant.Close()
	}
	if mem, ok := got["memory"]; ok {
		if red, ok := got["redis"]; ok {
			r.check(fig, "redis vs memory", fmt.Sprintf("%.0f%%", 100*red/mem), rps(mem)+" (memory)", "≥ 50%", red >= 0.5*mem)
		}
	}
	r.note(fig, "GET / signed in: the dashboard frame, no upstream call; session loaded, idle deadline refreshed and saved per request; closed loop, %d workers, %s", conc, s.loadDuration)
	return nil
}
