package main

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"sourcedesk/bench/scenario"
)

// figSoak runs the soak: two console replicas on one Redis, 50 simulated users
// mixing list, filter, detail tabs, schedule preview, schema edits and small CSV
// uploads for SOAK (default 10 min), while the tenant injects 2% 5xx, added
// latency and bursts of 429s. It checks correctness, not speed.
func figSoak(ctx context.Context, h *harness, r *report, s settings) error {
	const fig = 6
	rs, err := h.startRedis(ctx)
	if err != nil {
		return err
	}
	st, err := h.newStack(ctx, "soak", 2, rs.URL)
	if err != nil {
		return err
	}
	res, err := scenario.Soak(ctx, scenario.SoakConfig{
		Consoles: []string{st.consoles[0].URL, st.consoles[1].URL},
		Tenant:   st.tenant,
		Users:    50,
		Duration: s.soak,
		Faults:   true,
		Levels: func(ctx context.Context) ([]scenario.Level, error) {
			var out []scenario.Level
			for _, c := range st.consoles {
				lv, err := c.level(ctx)
				if err != nil {
					return nil, err
				}
				out = append(out, lv)
			}
			return out, nil
		},
		Logf: h.logf,
	})
	if err != nil {
		return err
	}
	r.check(fig, "console responses with status 500", fmt.Sprint(res.ByStatus[500]), res.Summary(), "0 (502/503/504/429 pages only)", res.ByStatus[500] == 0)
	r.check(fig, "failed sign-ins / sessions lost", fmt.Sprintf("%d / %d", len(res.SignInFailures), res.SessionsLost), "", "0 / 0",
		len(res.SignInFailures) == 0 && res.SessionsLost == 0)
	r.check(fig, "accepted uploads at the tenant, same SHA-256", fmt.Sprintf("%d of %d", res.UploadsOK-len(res.UploadsMissing)-len(res.UploadsBadHash), res.UploadsOK),
		fmt.Sprintf("%d sent", res.UploadsSent), "all", res.UploadsOK > 0 && len(res.UploadsMissing)+len(res.UploadsBadHash) == 0)
	for i := range min(len(res.Warm), len(res.End)) {
		w, e := res.Warm[i], res.End[i]
		r.check(fig, fmt.Sprintf("replica %d goroutines (end vs after warm-up)", i+1), fmt.Sprint(e.Goroutines), fmt.Sprint(w.Goroutines),
			"within 10% (floor +5)", float64(e.Goroutines) <= max(float64(w.Goroutines)*1.1, float64(w.Goroutines+5)))
		r.check(fig, fmt.Sprintf("replica %d heap goal (end vs after warm-up)", i+1), fmt.Sprintf("%.1f MiB", mibOf(e.HeapBytes)),
			fmt.Sprintf("%.1f MiB", mibOf(w.HeapBytes)), "within 10%", float64(e.HeapBytes) <= float64(w.HeapBytes)*1.1)
	}
	r.add(fig, "transport errors (no HTTP answer)", fmt.Sprint(res.TransportErrs), "", "0", verdictOf(res.TransportErrs == 0))
	var lat []string
	for _, a := range []string{"list", "filter", "detail", "schedule-preview", "schema-edit", "upload"} {
		if p, ok := res.Latency[a]; ok {
			lat = append(lat, fmt.Sprintf("%s n=%d p50 %s p99 %s", a, p.N, ms(p.P50), ms(p.P99)))
		}
	}
	r.note(fig, "latency by action: %s", strings.Join(lat, "; "))
	r.note(fig, "faults: 2%% of all API calls answer 502, +15 ms on every call, 2 forced 429s (Retry-After 1) every 4 s on listSources/getSource/getSourceSchemas in turn")
	r.note(fig, "levels read from each replica's /metrics with the users paused for 2 s (after warm-up, and at the end); goroutines get a floor of +5 (one idle connection's worth); heap = the GC's heap goal (go_memstats_next_gc_bytes, about 2× the live heap) read right after two collections the runner provokes at rest by fetching /metrics")
	keys := make([]string, 0, len(res.Samples))
	for k := range res.Samples {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		r.note(fig, "first %s answer: %q", k, res.Samples[k])
	}
	for _, p := range res.Problems {
		r.note(fig, "problem: %s", p)
	}
	return nil
}

func verdictOf(ok bool) verdict {
	if ok {
		return met
	}
	return notMet
}
