// Command testreport turns `go test -json` output into what `make test` shows.
//
// While the tests run, it reads the stream on stdin and prints one line per
// package as it ends, with the output of every test that failed:
//
//	go test -json ./... | testreport -live
//
// At the end it reads the saved streams, the tests' and the fuzzing runs', and
// prints the skipped tests grouped by reason, the slowest tests, the fuzzing
// runs, and last the one line CI reads, counted over every package and every
// test and subtest (a fuzzing run counts as one test):
//
//	testreport unit.json -fuzz FuzzParse.json -fuzz FuzzNext.json
//	...
//	412 passed, 0 failed, 3 skipped
//
// It exits 1 when something failed, a package failed without a failing test
// (a build or vet error, a panic, a timeout) or no test ran at all.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"
)

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Action  string
	Package string
	Test    string
	Elapsed float64
	Output  string
}

func main() {
	live := flag.Bool("live", false, "read a running `go test -json` stream on stdin and print each package's result as it ends")
	slowest := flag.Int("slowest", 5, "how many of the slowest tests to list")
	var fuzzFiles []string
	flag.Func("fuzz", "a `file` with the `go test -json` output of one fuzzing run (repeatable)", func(s string) error {
		fuzzFiles = append(fuzzFiles, s)
		return nil
	})
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: go test -json ./... | testreport -live\n       testreport [-slowest N] TEST.json... [-fuzz FUZZ.json]...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *live {
		if err := streamLive(os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "testreport:", err)
			os.Exit(2)
		}
		return
	}
	var r run
	for _, f := range flag.Args() {
		if err := r.readFile(f, false); err != nil {
			fmt.Fprintln(os.Stderr, "testreport:", err)
			os.Exit(2)
		}
	}
	for _, f := range fuzzFiles {
		if err := r.readFile(f, true); err != nil {
			fmt.Fprintln(os.Stderr, "testreport:", err)
			os.Exit(2)
		}
	}
	if !r.summarize(os.Stdout, *slowest) {
		os.Exit(1)
	}
}

// result is the outcome of one test, subtest or fuzzing run.
type result struct {
	pkg, test string
	action    string // pass, fail or skip
	elapsed   time.Duration
	output    []string
	fuzzing   bool
}

// run collects the results of several `go test -json` streams.
type run struct {
	results []result
	// brokenPkgs are packages that failed with no failing test: build or vet
	// errors, a panic outside a test, a timeout.
	brokenPkgs []result
}

func (r *run) readFile(name string, fuzzing bool) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	return r.read(f, fuzzing)
}

// read adds the results of one stream.
func (r *run) read(in io.Reader, fuzzing bool) error {
	var c collector
	err := c.read(in, func(res result, broken bool) {
		res.fuzzing = fuzzing
		switch {
		case broken:
			r.brokenPkgs = append(r.brokenPkgs, res)
		case res.test != "":
			r.results = append(r.results, res)
		}
	})
	return err
}

// collector follows the tests of a stream and reports each as it ends.
type collector struct {
	output   map[string][]string // "pkg\x00test" → output lines so far
	failures map[string]int      // package → tests failed
	stray    func(line string)   // called with each line that is not an event; nil drops them
}

// read calls done for every finished test, and for every finished package
// (res.test is ""); broken says the package failed without a failing test, and
// its res.output then holds its build output (Action "build-output", filed
// under the ImportPath) and what it printed.
func (c *collector) read(in io.Reader, done func(res result, broken bool)) error {
	c.output = map[string][]string{}
	c.failures = map[string]int{}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e struct {
			event
			ImportPath string
		}
		if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &e) != nil {
			// Not an event: a message of the go command itself.
			if c.stray != nil && len(line) > 0 {
				c.stray(string(line))
			}
			continue
		}
		if e.Action == "build-output" {
			c.output[e.ImportPath+"\x00"] = append(c.output[e.ImportPath+"\x00"], e.Output)
			continue
		}
		key := e.Package + "\x00" + e.Test
		switch e.Action {
		case "output":
			c.output[key] = append(c.output[key], e.Output)
		case "pass", "fail", "skip":
			res := result{pkg: e.Package, test: e.Test, action: e.Action, elapsed: time.Duration(e.Elapsed * float64(time.Second)), output: c.output[key]}
			delete(c.output, key)
			if e.Test != "" {
				if e.Action == "fail" {
					c.failures[e.Package]++
				}
				done(res, false)
				continue
			}
			broken := e.Action == "fail" && c.failures[e.Package] == 0
			if broken {
				// Build output is filed under the import path, which for a
				// test binary may carry a suffix such as " [pkg.test]".
				for k, v := range c.output {
					if strings.HasPrefix(k, e.Package+"\x00") || strings.HasPrefix(k, e.Package+" ") {
						res.output = append(res.output, v...)
						delete(c.output, k)
					}
				}
			}
			done(res, broken)
		}
	}
	return sc.Err()
}

// summarize prints the summary and the counts line; it reports whether the run passed.
func (r *run) summarize(w io.Writer, slowest int) bool {
	var passed, failed, skipped int
	skipsByReason := map[string][]result{}
	var reasons []string
	var fuzzRuns, fuzzFailed int
	var fuzzExecs int64
	for _, res := range r.results {
		switch res.action {
		case "pass":
			passed++
		case "fail":
			failed++
		case "skip":
			skipped++
			why := skipReason(res.output)
			if _, ok := skipsByReason[why]; !ok {
				reasons = append(reasons, why)
			}
			skipsByReason[why] = append(skipsByReason[why], res)
		}
		if res.fuzzing && !strings.Contains(res.test, "/") {
			fuzzRuns++
			if res.action == "fail" {
				fuzzFailed++
			}
			fuzzExecs += lastExecs(res.output)
		}
	}
	failed += len(r.brokenPkgs)

	if skipped > 0 {
		fmt.Fprintf(w, "skipped (%d):\n", skipped)
		for _, why := range reasons {
			var names []string
			for _, res := range skipsByReason[why] {
				names = append(names, res.test+" ("+shortPkg(res.pkg)+")")
			}
			fmt.Fprintf(w, "  %s: %s\n", why, list(names, 6))
		}
	}
	if failed > 0 {
		var names []string
		for _, res := range r.results {
			if res.action == "fail" {
				names = append(names, res.test+" ("+shortPkg(res.pkg)+")")
			}
		}
		for _, res := range r.brokenPkgs {
			names = append(names, shortPkg(res.pkg)+" (the package failed outside its tests)")
		}
		fmt.Fprintf(w, "failed (%d): %s\n", failed, list(names, 20))
	}
	if slowest > 0 {
		var top []result
		for _, res := range r.results {
			if !res.fuzzing && !strings.Contains(res.test, "/") && res.action != "skip" {
				top = append(top, res)
			}
		}
		slices.SortStableFunc(top, func(a, b result) int { return int(b.elapsed - a.elapsed) })
		if len(top) > 0 {
			fmt.Fprintln(w, "slowest tests:")
			for _, res := range top[:min(slowest, len(top))] {
				fmt.Fprintf(w, "  %6.1fs  %s %s\n", res.elapsed.Seconds(), shortPkg(res.pkg), res.test)
			}
		}
	}
	if fuzzRuns > 0 {
		fmt.Fprintf(w, "fuzzing: %d targets, %s inputs: %d passed, %d failed\n", fuzzRuns, humanCount(fuzzExecs), fuzzRuns-fuzzFailed, fuzzFailed)
	}
	fmt.Fprintf(w, "%d passed, %d failed, %d skipped\n", passed, failed, skipped)
	return failed == 0 && passed > 0
}

// streamLive prints one line per package as it ends, and the output of each
// failed test, of each package that failed outside its tests, and any line
// that is not an event.
func streamLive(in io.Reader, w io.Writer) error {
	counts := map[string]*[3]int{} // package → passed, failed, skipped
	c := collector{stray: func(l string) { fmt.Fprintln(w, l) }}
	return c.read(in, func(res result, broken bool) {
		n := counts[res.pkg]
		if n == nil {
			n = new([3]int)
			counts[res.pkg] = n
		}
		switch {
		case broken:
			fmt.Fprintf(w, "FAIL %s (outside its tests)\n%s", shortPkg(res.pkg), strings.Join(res.output, ""))
		case res.test == "":
			if res.action == "skip" {
				return // [no test files]
			}
			status := "ok  "
			if res.action == "fail" {
				status = "FAIL"
			}
			took := fmt.Sprintf("%6.1fs", res.elapsed.Seconds())
			if strings.Contains(strings.Join(res.output, ""), "(cached)") {
				took = "cached " // an earlier run's result: nothing it depends on changed
			}
			fmt.Fprintf(w, "%s %-28s %s  %d passed, %d failed, %d skipped\n", status, shortPkg(res.pkg), took, n[0], n[1], n[2])
		default:
			switch res.action {
			case "pass":
				n[0]++
			case "fail":
				n[1]++
				// The test's own output: its === RUN and --- FAIL lines, its logs.
				fmt.Fprintf(w, "%s (%s):\n%s", res.test, shortPkg(res.pkg), strings.Join(res.output, ""))
			case "skip":
				n[2]++
			}
		}
	})
}

// fileLine is the "file.go:12: " prefix testing puts before a t.Log/t.Skip message.
var fileLine = regexp.MustCompile(`^\s*[\w.-]+\.go:\d+: `)

// skipReason is the message a test gave t.Skip, without the file and line.
func skipReason(output []string) string {
	var msg []string
	for _, l := range output {
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "=== ") || strings.HasPrefix(t, "--- ") {
			continue
		}
		msg = append(msg, strings.TrimSpace(fileLine.ReplaceAllString(l, "")))
	}
	if len(msg) == 0 {
		return "no reason given"
	}
	return strings.Join(msg, " ")
}

// execsRE finds the count in the fuzzer's progress lines ("fuzz: elapsed: 10s, execs: 1234 (…").
var execsRE = regexp.MustCompile(`fuzz: elapsed: \S+, execs: (\d+)`)

func lastExecs(output []string) int64 {
	var n int64
	for _, l := range output {
		if m := execsRE.FindStringSubmatch(l); m != nil {
			fmt.Sscan(m[1], &n)
		}
	}
	return n
}

func humanCount(n int64) string {
	switch {
	case n >= 1_000_000:
		return fmt.Sprintf("%.1fM", float64(n)/1e6)
	case n >= 10_000:
		return fmt.Sprintf("%dk", n/1000)
	}
	return fmt.Sprint(n)
}

// shortPkg drops the module path: "sourcedesk/internal/bff" → "internal/bff".
func shortPkg(p string) string {
	if _, rest, ok := strings.Cut(p, "/"); ok {
		return rest
	}
	return p
}

// list joins names, eliding after max of them.
func list(names []string, max int) string {
	if len(names) > max {
		return strings.Join(names[:max], ", ") + fmt.Sprintf(" and %d more", len(names)-max)
	}
	return strings.Join(names, ", ")
}
