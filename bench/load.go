package main

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// loadResult summarises one closed-loop load run.
type loadResult struct {
	requests uint64
	p50, p99 time.Duration
	rps      float64        // answered requests per second
	bad      int            // responses other than the wanted status, or transport errors
	codes    map[uint16]int // status → count
	firstErr string
}

func (l loadResult) String() string {
	return fmt.Sprintf("p50 %s, p99 %s, %s", ms(l.p50), ms(l.p99), rps(l.rps))
}

// codesText lists the statuses seen, e.g. "200×1234 502×2".
func (l loadResult) codesText() string {
	var ks []int
	for c := range l.codes {
		ks = append(ks, int(c))
	}
	sort.Ints(ks)
	var parts []string
	for _, c := range ks {
		parts = append(parts, fmt.Sprintf("%d×%d", l.codes[uint16(c)], c))
	}
	return strings.Join(parts, " ")
}

// closedLoop sends the targets round-robin from `concurrency` workers, each
// sending its next request as soon as the last one is answered, for d: the
// console's throughput at that concurrency and its latency under it. vegeta
// does the sending and the latency bookkeeping; a status other than want
// counts as an error.
func closedLoop(ctx context.Context, targets []vegeta.Target, concurrency int, d time.Duration, want int) loadResult {
	atk := vegeta.NewAttacker(
		vegeta.Workers(uint64(concurrency)), vegeta.MaxWorkers(uint64(concurrency)),
		vegeta.Connections(concurrency), vegeta.MaxConnections(concurrency),
		vegeta.KeepAlive(true), vegeta.Redirects(vegeta.NoFollow), vegeta.Timeout(60*time.Second),
		vegeta.HTTP2(false),
	)
	var m vegeta.Metrics
	res := loadResult{codes: map[uint16]int{}}
	results := atk.Attack(vegeta.NewStaticTargeter(targets...), vegeta.ConstantPacer{}, d, "load")
	stop := context.AfterFunc(ctx, func() { atk.Stop() })
	defer stop()
	for r := range results {
		m.Add(r)
		res.codes[r.Code]++
		if int(r.Code) != want || r.Error != "" {
			res.bad++
			if res.firstErr == "" {
				res.firstErr = fmt.Sprintf("%s %s → %d %s", r.Method, r.URL, r.Code, r.Error)
			}
		}
	}
	m.Close()
	res.requests = m.Requests
	res.p50, res.p99 = m.Latencies.P50, m.Latencies.P99
	if secs := (m.Duration + m.Wait).Seconds(); secs > 0 {
		res.rps = float64(m.Requests) / secs
	}
	return res
}

// cookieHeader renders cookies as one Cookie request header.
func cookieHeader(cs []*http.Cookie) string {
	var parts []string
	for _, c := range cs {
		parts = append(parts, c.Name+"="+c.Value)
	}
	return strings.Join(parts, "; ")
}
