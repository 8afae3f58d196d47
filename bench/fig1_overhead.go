package main

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"sourcedesk/bench/scenario"
	"sourcedesk/internal/sandbox"
)

// figOverhead measures what the console adds to an ISC call: at concurrency 16,
// the sources list page (50 rows) and a source detail partial through a signed-in
// console with Redis sessions, against the sandbox's own API call for the same
// data, one after the other in the same run.
func figOverhead(ctx context.Context, h *harness, r *report, s settings) error {
	const fig, conc = 1, 16
	rs, err := h.startRedis(ctx)
	if err != nil {
		return err
	}
	st, err := h.newStack(ctx, "overhead", 1, rs.URL)
	if err != nil {
		return err
	}
	hc := &http.Client{Timeout: 30 * time.Second}
	if err := st.tenant.EnsureSources(ctx, hc, 60); err != nil {
		return err
	}
	tok, err := st.tenant.Token(ctx, hc)
	if err != nil {
		return err
	}
	u, err := signIn(ctx, st.consoles[0])
	if err != nil {
		return err
	}
	cookie := scenario.CookieHeader(u.Cookies())
	id := sandbox.SeedDelimitedSourceID
	bearer := http.Header{"Authorization": {"Bearer " + tok}}
	page := http.Header{"Cookie": {cookie}}
	listPartial := http.Header{"Cookie": {cookie}, "HX-Request": {"true"}, "HX-Target": {"sources-results"},
		"HX-Current-URL": {st.consoles[0].URL + "/sources"}}
	partial := http.Header{"Cookie": {cookie}, "HX-Request": {"true"}, "HX-Target": {"source-tab"},
		"HX-Current-URL": {st.consoles[0].URL + "/sources/" + id}}

	cases := []struct {
		name            string
		partial         bool // held to the team portal's 1.3×
		console, direct vegeta.Target
	}{
		{"sources list, 50 rows", false,
			vegeta.Target{Method: "GET", URL: st.consoles[0].URL + "/sources?size=50", Header: page},
			vegeta.Target{Method: "GET", URL: st.tenant.URL + "/v2025/sources?limit=50&count=true", Header: bearer}},
		{"sources list partial (the results htmx swaps), 50 rows", true,
			vegeta.Target{Method: "GET", URL: st.consoles[0].URL + "/sources?size=50", Header: listPartial},
			vegeta.Target{Method: "GET", URL: st.tenant.URL + "/v2025/sources?limit=50&count=true", Header: bearer}},
		{"source detail partial (overview tab)", false,
			vegeta.Target{Method: "GET", URL: st.consoles[0].URL + "/sources/" + id, Header: partial},
			vegeta.Target{Method: "GET", URL: st.tenant.URL + "/v2025/sources/" + id, Header: bearer}},
	}
	for _, c := range cases {
		// Warm both paths (connections, caches, JIT-free but lazily built state).
		scenario.ClosedLoop(ctx, []vegeta.Target{c.direct}, conc, time.Second, 200)
		scenario.ClosedLoop(ctx, []vegeta.Target{c.console}, conc, time.Second, 200)
		direct := scenario.ClosedLoop(ctx, []vegeta.Target{c.direct}, conc, s.loadDuration, 200)
		before := st.tenant.Sandbox.CallCounts()
		cons := scenario.ClosedLoop(ctx, []vegeta.Target{c.console}, conc, s.loadDuration, 200)
		r.add(fig, c.name+": upstream calls per console request", callsPer(before, st.tenant.Sandbox.CallCounts(), cons.Requests), "1 (the direct call)", "", info)
		ratio := float64(cons.P50) / float64(direct.P50)
		r.check(fig, c.name+": p50 ratio", fmt.Sprintf("%.2f×", ratio), "", "≤ 2× the direct call", ratio <= 2)
		if c.partial {
			r.check(fig, c.name+": p50 ratio (team portal target)", fmt.Sprintf("%.2f×", ratio), "", "≤ 1.3× the direct call", ratio <= 1.3)
		}
		r.add(fig, c.name+": console", cons.String(), direct.String()+" (direct API call)", "", info)
		r.check(fig, c.name+": console errors", fmt.Sprintf("%d of %d (%s)", cons.Bad, cons.Requests, cons.CodesText()),
			fmt.Sprintf("%d of %d direct", direct.Bad, direct.Requests), "0", cons.Bad == 0)
		if cons.FirstErr != "" {
			r.note(fig, "first console error: %s", cons.FirstErr)
		}
	}
	r.note(fig, "the overview partial needs the source alone (health, connections and next runs load as parts of their own); with the default READ_CACHE_TTL the console serves the list and the source from the copies shared between users, so most requests make no upstream call; every upstream call passes the shared rate budget (one Redis round trip)")
	r.note(fig, "closed loop, %d workers, %s per measurement after 1 s of warm-up each, keep-alive; direct = GET /v2025/... with a bearer token, as the console sends it", conc, s.loadDuration)
	r.note(fig, "console: the real binary, SESSION_STORE=redis, ISC_RATE_LIMIT=100000/10s (the shared budget is still counted in Redis); sandbox rate limit off; both on this machine's 2 cores with the load generator")
	return nil
}

// callsPer describes the upstream calls made per console request between two
// readings of the tenant's counters, e.g. "2.0 (getSource 1.0, getSourceHealth 1.0)".
func callsPer(before, after map[string]int, requests uint64) string {
	if requests == 0 {
		return "-"
	}
	total := 0
	var ops []string
	for op, n := range after {
		if d := n - before[op]; d > 0 {
			total += d
			ops = append(ops, fmt.Sprintf("%s %.1f", op, float64(d)/float64(requests)))
		}
	}
	sort.Strings(ops)
	return fmt.Sprintf("%.1f (%s)", float64(total)/float64(requests), strings.Join(ops, ", "))
}
