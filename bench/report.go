package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
)

// verdict says how a measured figure compares with its target.
type verdict string

const (
	met         verdict = "met"
	notMet      verdict = "NOT MET"
	info        verdict = "-" // a figure with no target of its own (a baseline, a detail)
	notMeasured verdict = "not measured"
)

// row is one line of the report: a measured value next to its baseline from the
// same run, and the target it is held to.
type row struct {
	figure   int
	name     string
	value    string
	baseline string
	target   string
	verdict  verdict
}

// report collects the rows and notes of every figure and prints them once.
type report struct {
	mu      sync.Mutex
	rows    []row
	notes   map[int][]string
	titles  map[int]string
	elapsed map[int]time.Duration
}

func newReport() *report {
	return &report{notes: map[int][]string{}, titles: map[int]string{}, elapsed: map[int]time.Duration{}}
}

func (r *report) add(fig int, name, value, baseline, target string, v verdict) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rows = append(r.rows, row{fig, name, value, baseline, target, v})
}

// check adds a row whose verdict is ok ? met : NOT MET.
func (r *report) check(fig int, name, value, baseline, target string, ok bool) {
	v := notMet
	if ok {
		v = met
	}
	r.add(fig, name, value, baseline, target, v)
}

func (r *report) note(fig int, format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.notes[fig] = append(r.notes[fig], fmt.Sprintf(format, args...))
}

// print writes the report: one section per figure, then the targets not met.
func (r *report) print(w io.Writer, header string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintln(w, header)
	figs := map[int]bool{}
	for f := range r.titles {
		figs[f] = true
	}
	var order []int
	for f := range figs {
		order = append(order, f)
	}
	sort.Ints(order)
	var missed []string
	for _, f := range order {
		fmt.Fprintf(w, "\n## %d. %s  (%s)\n", f, r.titles[f], r.elapsed[f].Round(time.Second))
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  measure\tvalue\tbaseline (same run)\ttarget\tverdict")
		for _, x := range r.rows {
			if x.figure != f {
				continue
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", x.name, dash(x.value), dash(x.baseline), dash(x.target), x.verdict)
			if x.verdict == notMet || x.verdict == notMeasured {
				missed = append(missed, fmt.Sprintf("%d. %s: %s (target %s)", f, x.name, x.verdict, dash(x.target)))
			}
		}
		tw.Flush()
		for _, n := range r.notes[f] {
			fmt.Fprintf(w, "  note: %s\n", n)
		}
	}
	fmt.Fprintln(w)
	if len(missed) == 0 {
		fmt.Fprintln(w, "Every target measured in this run was met.")
		return
	}
	fmt.Fprintln(w, "Targets not met or not measured in this run:")
	for _, m := range missed {
		fmt.Fprintln(w, "  - "+m)
	}
}

func dash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return s
}

// Formatting helpers shared by the figures.

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

func kb(n int64) string { return fmt.Sprintf("%.1f KB", float64(n)/1000) }

func rps(v float64) string { return fmt.Sprintf("%.0f req/s", v) }
