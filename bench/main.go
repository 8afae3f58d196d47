// Command bench runs the benchmark scenarios of Sourcedesk and prints
// one report: every figure next to its baseline measured in the same run, with
// its target. Run it with `make bench`; bench/README.md explains each figure.
//
// Settings (environment):
//
//	SOAK                 soak duration (default 10m)
//	BENCH_FIGURES        which figures to run, e.g. "1,3,5" (default all)
//	BENCH_LOAD_DURATION  length of each load measurement of figures 1 and 2 (default 10s)
//	BENCH_UPLOAD_BYTES   size of figure 4's CSV (default 1 GiB)
//	CSVCHECK_BENCH_BYTES size of figure 5's CSV check input (default 64 MiB)
//	BENCH_TEAM_DURATION  measured length of each variant of figure 10, the team scenario (default 3m)
//	BENCH_TEAM_WARMUP    its unmeasured warm-up (default 1m)
//
// Everything listens on loopback only: the sandbox tenant runs in this process,
// each console replica is the real binary (go build ./cmd/server) in a child
// process, Redis and Postgres are throwaway servers on random ports.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// settings are the runner's knobs, read from the environment once.
type settings struct {
	soak         time.Duration
	loadDuration time.Duration
	uploadBytes  int64
	csvBytes     string
	teamDuration time.Duration
	teamWarmup   time.Duration
	only         map[int]bool
}

// figure is one section of the report.
type figure struct {
	n     int
	title string
	run   func(ctx context.Context, h *harness, r *report, s settings) error
}

// figures in the order they run: the CPU-heavy compiles of figure 5 first, the
// long soak last; the report is printed in figure order.
var figures = []figure{
	{5, "Cron and CSV check throughput", figCron},
	{3, "Page weight and browser timing", figPageWeight},
	{1, "Console overhead (concurrency 16, Redis sessions)", figOverhead},
	{2, "Sign-in and session cost per store", figSessions},
	{4, "Uploads: 1 GiB CSV through the console", figUpload},
	{7, "Faults: tenant down, Redis down, upstream hang", figFaults},
	{9, "Upcoming tile with schedules that fire every second", figUpcoming},
	{10, "Team scale: 20 admins and a bulk user on one OAuth client, 1,000 sources, ISC latency and budget", figTeam},
	{11, "Fair share of the ISC budget: a list page while another user runs bulk actions", figFairShare},
	{6, "Soak: two replicas on one Redis, 50 users, injected faults", figSoak},
}

func main() {
	s, err := readSettings(os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	logf := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "[%6.1fs] %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, args...))
	}
	h, err := newHarness(logf)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	defer h.close()

	rep := newReport()
	for _, f := range figures {
		if s.only != nil && !s.only[f.n] {
			continue
		}
		if ctx.Err() != nil {
			break
		}
		rep.titles[f.n] = f.title
		logf("figure %d: %s", f.n, f.title)
		t0 := time.Now()
		if err := runFigure(ctx, f, h, rep, s); err != nil {
			rep.add(f.n, "(figure)", "", "", "", notMeasured)
			rep.note(f.n, "not measured: %v", err)
			logf("figure %d: %v", f.n, err)
		}
		rep.elapsed[f.n] = time.Since(t0)
	}
	header := fmt.Sprintf("# Sourcedesk benchmark report\n%s, %s/%s, %d CPUs, %s; SOAK=%s; total %s",
		time.Now().UTC().Format(time.RFC3339), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(),
		s.soak, time.Since(start).Round(time.Second))
	rep.print(os.Stdout, header)
}

// runFigure runs one figure, turning a panic into a "not measured" row so one
// broken figure does not lose the others.
func runFigure(ctx context.Context, f figure, h *harness, r *report, s settings) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return f.run(ctx, h, r, s)
}

// figureNumbers lists the figures' numbers, e.g. "1, 2, 3".
func figureNumbers() string {
	var ns []int
	for _, f := range figures {
		ns = append(ns, f.n)
	}
	slices.Sort(ns)
	return strings.Trim(fmt.Sprint(ns), "[]")
}

func readSettings(getenv func(string) string) (settings, error) {
	s := settings{soak: 10 * time.Minute, loadDuration: 10 * time.Second, uploadBytes: 1 << 30, csvBytes: getenv("CSVCHECK_BENCH_BYTES"),
		teamDuration: 3 * time.Minute, teamWarmup: time.Minute}
	var err error
	if v := getenv("BENCH_TEAM_DURATION"); v != "" {
		if s.teamDuration, err = time.ParseDuration(v); err != nil || s.teamDuration < 20*time.Second {
			return s, fmt.Errorf("BENCH_TEAM_DURATION=%q: want a duration of at least 20s, e.g. 3m", v)
		}
	}
	if v := getenv("BENCH_TEAM_WARMUP"); v != "" {
		if s.teamWarmup, err = time.ParseDuration(v); err != nil || s.teamWarmup < 0 {
			return s, fmt.Errorf("BENCH_TEAM_WARMUP=%q: want a duration such as 1m, or 0s", v)
		}
	}
	if v := getenv("SOAK"); v != "" {
		if s.soak, err = time.ParseDuration(v); err != nil || s.soak < 10*time.Second {
			return s, fmt.Errorf("SOAK=%q: want a duration of at least 10s, e.g. 10m", v)
		}
	}
	if v := getenv("BENCH_LOAD_DURATION"); v != "" {
		if s.loadDuration, err = time.ParseDuration(v); err != nil || s.loadDuration < time.Second {
			return s, fmt.Errorf("BENCH_LOAD_DURATION=%q: want a duration of at least 1s", v)
		}
	}
	if v := getenv("BENCH_UPLOAD_BYTES"); v != "" {
		if s.uploadBytes, err = strconv.ParseInt(v, 10, 64); err != nil || s.uploadBytes < 1<<20 {
			return s, fmt.Errorf("BENCH_UPLOAD_BYTES=%q: want a byte count of at least 1048576", v)
		}
	}
	if v := getenv("BENCH_FIGURES"); v != "" {
		s.only = map[int]bool{}
		for _, f := range strings.Split(v, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || !slices.ContainsFunc(figures, func(f figure) bool { return f.n == n }) {
				return s, fmt.Errorf("BENCH_FIGURES=%q: want figure numbers of the report (%s), comma-separated", v, figureNumbers())
			}
			s.only[n] = true
		}
	}
	return s, nil
}
