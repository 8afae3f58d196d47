package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// figCron runs the Go benchmarks that sit beside the cron and csvcheck code and
// reports each result next to its baseline library from the same run:
// go-quartz and robfig/cron for the next fire time, encoding/csv for the CSV check.
func figCron(ctx context.Context, h *harness, r *report, s settings) error {
	const fig = 5
	cron, err := goBench(ctx, nil, "./internal/cron/", ".", "500ms")
	if err != nil {
		return err
	}
	// BenchmarkNext/<schedule>/<library>: one row per schedule.
	seen := map[string]bool{}
	for _, b := range cron {
		parts := strings.Split(b.name, "/")
		if len(parts) != 3 || parts[0] != "BenchmarkNext" || seen[parts[1]] {
			continue
		}
		sched := parts[1]
		seen[sched] = true
		ours, okOurs := find(cron, "BenchmarkNext/"+sched+"/sourcedesk")
		quartz, okQ := find(cron, "BenchmarkNext/"+sched+"/go-quartz")
		robfig, okR := find(cron, "BenchmarkNext/"+sched+"/robfig")
		if !okOurs {
			continue
		}
		base := "go-quartz: cannot express it"
		if okQ {
			base = fmt.Sprintf("go-quartz %.0f ns/op", quartz.metrics["ns/op"])
		}
		if okR {
			base += fmt.Sprintf(", robfig %.0f ns/op", robfig.metrics["ns/op"])
		} else {
			base += ", robfig: cannot express it"
		}
		value := fmt.Sprintf("%.0f ns/op, %.0f allocs/op", ours.metrics["ns/op"], ours.metrics["allocs/op"])
		target := "faster than go-quartz"
		if okQ {
			r.check(fig, "cron next fire time: "+sched, value, base, target, ours.metrics["ns/op"] <= quartz.metrics["ns/op"])
		} else {
			r.add(fig, "cron next fire time: "+sched, value, base, target, info)
		}
	}
	r.note(fig, "go test -run '^$' -bench . -benchtime 500ms ./internal/cron/ (BenchmarkNext: 12 start instants over a year in America/New_York)")

	var env []string
	if s.csvBytes != "" {
		env = append(env, "CSVCHECK_BENCH_BYTES="+s.csvBytes)
	}
	csv, err := goBench(ctx, env, "./internal/csvcheck/", "Check", "3x")
	if err != nil {
		return err
	}
	ours, ok1 := find(csv, "BenchmarkCheck/csvcheck")
	std, ok2 := find(csv, "BenchmarkCheck/encoding-csv")
	gen, _ := find(csv, "BenchmarkCheck/generator")
	if !ok1 || !ok2 {
		return fmt.Errorf("csvcheck benchmark output lacks csvcheck or encoding-csv: %v", csv)
	}
	r.check(fig, "CSV check throughput", fmt.Sprintf("%.0f MB/s", ours.metrics["MB/s"]),
		fmt.Sprintf("encoding/csv %.0f MB/s (generator alone %.0f MB/s)", std.metrics["MB/s"], gen.metrics["MB/s"]),
		"≥ 50% of encoding/csv", ours.metrics["MB/s"] >= 0.5*std.metrics["MB/s"])
	r.add(fig, "CSV check peak heap growth", fmt.Sprintf("%.1f MiB", ours.metrics["peak-heap-MiB"]),
		fmt.Sprintf("encoding/csv %.1f MiB", std.metrics["peak-heap-MiB"]), "", info)
	size := s.csvBytes
	if size == "" {
		size = "64 MiB (default)"
	}
	r.note(fig, "CSVCHECK_BENCH_BYTES=%s go test -run '^$' -bench Check -benchtime 3x ./internal/csvcheck/ (csvcheck parses and checks every cell against the schema; encoding/csv only splits)", size)
	r.note(fig, "the issues give no bracketed target for figure 5; the targets shown are this runner's reading: as fast as the library it replaces (cron), within 2× of a bare parse (CSV)")
	return nil
}

// benchResult is one line of `go test -bench` output.
type benchResult struct {
	name    string // without the -GOMAXPROCS suffix
	metrics map[string]float64
}

func find(rs []benchResult, name string) (benchResult, bool) {
	for _, r := range rs {
		if r.name == name {
			return r, true
		}
	}
	return benchResult{}, false
}

// goBench runs `go test -run '^$' -bench pattern` on pkg and parses the results.
func goBench(ctx context.Context, env []string, pkg, pattern, benchtime string) ([]benchResult, error) {
	cmd := exec.CommandContext(ctx, "go", "test", "-run", "^$", "-bench", pattern, "-benchtime", benchtime, "-benchmem", pkg)
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("go test -bench %s %s: %v\n%s", pattern, pkg, err, out.String())
	}
	return parseBench(out.String()), nil
}

// parseBench reads lines such as
// "BenchmarkNext/dailyNoon/sourcedesk-2  1000000  123.4 ns/op  0 B/op  0 allocs/op".
func parseBench(out string) []benchResult {
	var rs []benchResult
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		name := f[0]
		if i := strings.LastIndex(name, "-"); i > 0 {
			if _, err := strconv.Atoi(name[i+1:]); err == nil {
				name = name[:i]
			}
		}
		br := benchResult{name: name, metrics: map[string]float64{}}
		for i := 2; i+1 < len(f); i += 2 {
			if v, err := strconv.ParseFloat(f[i], 64); err == nil {
				br.metrics[f[i+1]] = v
			}
		}
		rs = append(rs, br)
	}
	return rs
}
