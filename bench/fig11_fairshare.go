package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"sourcedesk/bench/scenario"
)

// figFairShare measures whether one user's bulk actions can starve everyone else of
// the ISC budget the console's users share (100 calls per 10 s per OAuth client, as
// ISC allows): while the demo admin runs bulk connection tests of 50 sources
// without pause, the source admin opens the sources list page once a second; its
// latency beside the same pages with nobody else using the budget, in the same
// run. Page loads go before bulk calls in the budget, and bulk calls are paced to
// leave room, so the list page must stay under 1.5 s at p95. Shared reads are
// off (READ_CACHE_TTL=0): every list page is its own call to ISC, which must wait
// for the budget like the bulk calls (with them on, the list would be served from
// the shared copy and never meet the budget at all).
func figFairShare(ctx context.Context, h *harness, r *report, s settings) error {
	const fig = 11
	contention := max(3*s.loadDuration, 30*time.Second)
	rs, err := h.startRedis(ctx)
	if err != nil {
		return err
	}
	st, err := h.newStack(ctx, "fairshare", 1, rs.URL, "ISC_RATE_LIMIT=100/10s", "READ_CACHE_TTL=0")
	if err != nil {
		return err
	}
	hc := &http.Client{Timeout: 30 * time.Second}
	if err := st.tenant.EnsureSources(ctx, hc, 60); err != nil {
		return err
	}
	console := st.consoles[0]
	bulkUser, err := signIn(ctx, console)
	if err != nil {
		return err
	}
	listUser := scenario.NewUser(console.URL, nil)
	if err := listUser.SignIn(ctx, scenario.Credentials{Username: "source-admin", Password: "source-admin"}); err != nil {
		return err
	}
	ids, err := firstSourceIDs(ctx, st, hc, 50)
	if err != nil {
		return err
	}
	list := vegeta.Target{Method: "GET", URL: console.URL + "/sources?size=50",
		Header: http.Header{"Cookie": {scenario.CookieHeader(listUser.Cookies())}}}

	// Baseline: the list page alone, once a second (a person reading, filtering,
	// paging), one at a time.
	const pageRate = 1.0
	scenario.ClosedLoop(ctx, []vegeta.Target{list}, 1, 2*time.Second, 200)
	alone := scenario.Paced(ctx, []vegeta.Target{list}, pageRate, 4, s.loadDuration, 200)
	// Let the baseline's calls leave the budget's window before the bulk starts.
	select {
	case <-time.After(11 * time.Second):
	case <-ctx.Done():
		return ctx.Err()
	}

	// The bulk user: two bulk tests of 50 sources at a time, one after another.
	bulkCtx, stopBulk := context.WithCancel(ctx)
	var bulks, bulkErrs atomic.Int64
	var wg sync.WaitGroup
	form := url.Values{"id": ids}.Encode()
	for range 2 {
		wg.Go(func() {
			for bulkCtx.Err() == nil {
				resp, err := bulkUser.Do(bulkCtx, http.MethodPost, "/sources/bulk/test-connection", strings.NewReader(form),
					"application/x-www-form-urlencoded", true)
				switch {
				case bulkCtx.Err() != nil:
				case err != nil || resp.Status != http.StatusOK:
					bulkErrs.Add(1)
				default:
					bulks.Add(1)
				}
			}
		})
	}
	// Wait until the bulk action has used up the budget, then load the list.
	before := st.tenant.Sandbox.Calls("testSourceConnection")
	for st.tenant.Sandbox.Calls("testSourceConnection")-before < 90 && ctx.Err() == nil {
		time.Sleep(100 * time.Millisecond) // the runner polling the tenant's counter, not a wait for the console
	}
	calls0, lists0 := st.tenant.Sandbox.Calls(""), st.tenant.Sandbox.Calls("listSources")
	busy := scenario.Paced(ctx, []vegeta.Target{list}, pageRate, 4, contention, 200)
	calls, lists := st.tenant.Sandbox.Calls("")-calls0, st.tenant.Sandbox.Calls("listSources")-lists0
	stopBulk()
	wg.Wait()

	r.check(fig, "list page p95 while another user runs bulk actions", ms(busy.P95), ms(alone.P95)+" (nobody else using the budget)",
		"< 1.5 s", busy.P95 < 1500*time.Millisecond && busy.Requests > 0)
	r.add(fig, "list page while another user runs bulk actions", fmt.Sprintf("p50 %s, p95 %s, p99 %s", ms(busy.P50), ms(busy.P95), ms(busy.P99)),
		fmt.Sprintf("p50 %s, p95 %s, p99 %s", ms(alone.P50), ms(alone.P95), ms(alone.P99)), "", info)
	r.check(fig, "list page errors", fmt.Sprintf("%d of %d (%s)", busy.Bad, busy.Requests, busy.CodesText()),
		fmt.Sprintf("%d of %d", alone.Bad, alone.Requests), "0", busy.Bad == 0)
	r.add(fig, "ISC calls during the measurement", fmt.Sprintf("%d in %s (%.1f/s; the budget allows 10/s)", calls, contention.Round(time.Second),
		float64(calls)/contention.Seconds()), "", "", info)
	r.check(fig, "list pages that called ISC themselves", fmt.Sprintf("%d of %d", lists, busy.Requests), "", "all (shared reads off)",
		int(lists) >= int(busy.Requests))
	r.add(fig, "bulk actions of 50 sources completed meanwhile", fmt.Sprintf("%d (%d failed)", bulks.Load(), bulkErrs.Load()), "", "", info)
	if busy.FirstErr != "" {
		r.note(fig, "first list page error: %s", busy.FirstErr)
	}
	r.note(fig, "one console binary on Redis with ISC_RATE_LIMIT=100/10s and READ_CACHE_TTL=0 (ISC's own budget, shared by both users); the bulk user (demo admin) runs two bulk connection tests of 50 sources at a time without pause; the list user (demo source admin) opens /sources?size=50 once a second for %s once the budget is used up; baseline: the same pages alone for %s, first in the same run", contention, s.loadDuration)
	return nil
}

// firstSourceIDs returns the ids of the first n sources of the tenant.
func firstSourceIDs(ctx context.Context, st *stack, hc *http.Client, n int) ([]string, error) {
	tok, err := st.tenant.Token(ctx, hc)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/v2025/sources?limit=%d", st.tenant.URL, n), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var list []struct {
		ID string `json:"id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		return nil, err
	}
	var ids []string
	for _, s := range list {
		ids = append(ids, s.ID)
	}
	if len(ids) < n {
		return nil, fmt.Errorf("the tenant lists %d sources, want %d", len(ids), n)
	}
	return ids, nil
}
