package scenario

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// LoadResult summarises one closed-loop load run.
type LoadResult struct {
	Requests      uint64
	P50, P95, P99 time.Duration
	RPS           float64        // answered requests per second
	Bad           int            // responses other than the wanted status, or transport errors
	Codes         map[uint16]int // status → count
	FirstErr      string         // the first bad response, for the report
}

// String gives the latencies and the rate, e.g. "p50 2.1 ms, p99 9.8 ms, 812 req/s".
func (l LoadResult) String() string {
	return fmt.Sprintf("p50 %.1f ms, p99 %.1f ms, %.0f req/s", msf(l.P50), msf(l.P99), l.RPS)
}

// CodesText lists the statuses seen, e.g. "200×1234 502×2".
func (l LoadResult) CodesText() string {
	var ks []int
	for c := range l.Codes {
		ks = append(ks, int(c))
	}
	sort.Ints(ks)
	var parts []string
	for _, c := range ks {
		parts = append(parts, fmt.Sprintf("%d×%d", l.Codes[uint16(c)], c))
	}
	return strings.Join(parts, " ")
}

// ClosedLoop sends the targets round-robin from `concurrency` workers, each
// sending its next request as soon as the last one is answered, for d: the
// console's throughput at that concurrency and its latency under it. vegeta
// does the sending and the latency bookkeeping; a status other than want
// counts as an error.
func ClosedLoop(ctx context.Context, targets []vegeta.Target, concurrency int, d time.Duration, want int) LoadResult {
	return attack(ctx, targets, concurrency, vegeta.ConstantPacer{}, d, want)
}

// Paced sends the targets round-robin at rate per second, whatever the answers
// (an open loop, as people click): latency when the console is not the one
// setting the pace. workers bounds the requests in flight.
func Paced(ctx context.Context, targets []vegeta.Target, rate float64, workers int, d time.Duration, want int) LoadResult {
	return attack(ctx, targets, workers, vegeta.ConstantPacer{Freq: int(rate * 1000), Per: 1000 * time.Second}, d, want)
}

func attack(ctx context.Context, targets []vegeta.Target, concurrency int, pacer vegeta.Pacer, d time.Duration, want int) LoadResult {
	atk := vegeta.NewAttacker(
		vegeta.Workers(uint64(concurrency)), vegeta.MaxWorkers(uint64(concurrency)),
		vegeta.Connections(concurrency), vegeta.MaxConnections(concurrency),
		vegeta.KeepAlive(true), vegeta.Redirects(vegeta.NoFollow), vegeta.Timeout(60*time.Second),
		vegeta.HTTP2(false),
	)
	var m vegeta.Metrics
	res := LoadResult{Codes: map[uint16]int{}}
	results := atk.Attack(vegeta.NewStaticTargeter(targets...), pacer, d, "load")
	stop := context.AfterFunc(ctx, func() { atk.Stop() })
	defer stop()
	for r := range results {
		m.Add(r)
		res.Codes[r.Code]++
		if int(r.Code) != want || r.Error != "" {
			res.Bad++
			if res.FirstErr == "" {
				res.FirstErr = fmt.Sprintf("%s %s → %d %s", r.Method, r.URL, r.Code, r.Error)
			}
		}
	}
	m.Close()
	res.Requests = m.Requests
	res.P50, res.P95, res.P99 = m.Latencies.P50, m.Latencies.P95, m.Latencies.P99
	if secs := (m.Duration + m.Wait).Seconds(); secs > 0 {
		res.RPS = float64(m.Requests) / secs
	}
	return res
}

// CookieHeader renders cookies as one Cookie request header.
func CookieHeader(cs []*http.Cookie) string {
	var parts []string
	for _, c := range cs {
		parts = append(parts, c.Name+"="+c.Value)
	}
	return strings.Join(parts, "; ")
}

func msf(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
