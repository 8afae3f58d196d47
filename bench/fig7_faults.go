package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"time"

	"github.com/PuerkitoBio/goquery"

	"sourcedesk/bench/scenario"
	"sourcedesk/internal/sandbox"
)

// figFaults breaks one part at a time under a signed-in console (tenant down,
// Redis down, upstream hang): the console must answer within its deadline with a
// clear page, never a 500, and recover by itself when the part comes back. It
// also runs the upstream fault tests (faultTests) and reports their outcome.
func figFaults(ctx context.Context, h *harness, r *report, s settings) error {
	const fig = 7
	const deadline = 5 * time.Second // UPSTREAM_TIMEOUT of this console
	rs, err := h.startRedis(ctx)
	if err != nil {
		return err
	}
	st, err := h.newStack(ctx, "faults", 1, rs.URL, "UPSTREAM_TIMEOUT="+deadline.String())
	if err != nil {
		return err
	}
	c := st.consoles[0]
	u, err := signIn(ctx, c)
	if err != nil {
		return err
	}
	get := func() (*scenario.Response, error) { return u.Do(ctx, http.MethodGet, "/sources", nil, "", false) }
	// recover polls until the list answers 200 again, or 30 s.
	recoverAfter := func() (time.Duration, int) {
		t0 := time.Now()
		last := 0
		for time.Since(t0) < 30*time.Second {
			if resp, err := get(); err == nil {
				last = resp.Status
				if resp.Status == http.StatusOK {
					return time.Since(t0), last
				}
			}
			time.Sleep(100 * time.Millisecond)
		}
		return -1, last
	}
	answer := func(name string, resp *scenario.Response, err error, okStatus func(int) bool, limit time.Duration) {
		if err != nil {
			r.check(fig, name, "no answer: "+err.Error(), "", "clear page within "+limit.String(), false)
			return
		}
		v := fmt.Sprintf("%d in %s: %q", resp.Status, resp.Elapsed.Round(10*time.Millisecond), message(resp.Body))
		r.check(fig, name, v, "", fmt.Sprintf("clear 5xx/429 page within %s, never 500", limit), okStatus(resp.Status) && resp.Elapsed <= limit)
	}
	isMapped := func(s int) bool { return s == 502 || s == 503 || s == 504 || s == 429 }

	// 1. The tenant goes down (connections refused), then comes back.
	st.tenant.Close()
	resp, err := get()
	answer("tenant down: sources list", resp, err, isMapped, deadline+time.Second)
	if err := st.tenant.Restart(); err != nil {
		return err
	}
	d, last := recoverAfter()
	r.check(fig, "tenant back: list answers 200 again", recovery(d, last), "", "by itself", d >= 0)

	// 2. Upstream hangs: the console gives up at its deadline and frees the goroutines.
	before, err := c.level(ctx)
	if err != nil {
		return err
	}
	st.tenant.Sandbox.SetFault("*", sandbox.Fault{Hang: true})
	resp, err = get()
	answer("upstream hangs: sources list", resp, err, isMapped, 3*deadline+time.Second)
	if err == nil && resp.Elapsed > deadline+time.Second {
		r.note(fig, "the hang took %s to answer: the API client retries a GET after a timeout (≤2 retries), each waiting UPSTREAM_TIMEOUT=%s", resp.Elapsed.Round(100*time.Millisecond), deadline)
	}
	time.Sleep(time.Second)
	after, err := c.level(ctx)
	if err != nil {
		return err
	}
	r.check(fig, "upstream hangs: goroutines after the answer", fmt.Sprint(after.Goroutines), fmt.Sprintf("%d before", before.Goroutines),
		"back to the level before (+5)", after.Goroutines <= before.Goroutines+5)
	st.tenant.Sandbox.ClearFaults()
	d, last = recoverAfter()
	r.check(fig, "upstream answers again: list 200", recovery(d, last), "", "by itself", d >= 0)

	// 3. Redis goes down: fail closed with 503; when it is back (empty: no
	// persistence) the console serves again and a new sign-in works.
	rs.Stop()
	resp, err = get()
	answer("Redis down: sources list", resp, err, func(s int) bool { return s == http.StatusServiceUnavailable }, deadline+time.Second)
	if err == nil && strings.Contains(string(resp.Body), `data-testid="sources-table"`) {
		r.check(fig, "Redis down: no data without a session", "the list was shown", "", "fail closed", false)
	}
	if err := rs.Restart(); err != nil {
		return err
	}
	t0 := time.Now()
	var status int
	for time.Since(t0) < 30*time.Second {
		if resp, err := get(); err == nil {
			status = resp.Status
			if status != http.StatusServiceUnavailable {
				break
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	r.check(fig, "Redis back: console answers without 503", fmt.Sprintf("%d after %s (the empty Redis lost the session: sign in again)", status, time.Since(t0).Round(10*time.Millisecond)),
		"", "by itself", status != http.StatusServiceUnavailable && status != 0 && status != 500)
	if _, err := signIn(ctx, c); err != nil {
		r.check(fig, "Redis back: a new sign-in", err.Error(), "", "works", false)
	} else {
		r.check(fig, "Redis back: a new sign-in", "works", "", "works", true)
	}
	r.note(fig, "console: UPSTREAM_TIMEOUT=%s, Redis sessions; tenant down = its listener closed (connection refused), then reopened on the same port with the same state", deadline)

	// The tests of the same faults at the request level.
	return faultTests(ctx, r, fig)
}

// faultTestsRun selects the upstream fault tests of internal/bff and cmd/server.
const faultTestsRun = "^TestUpstream(RetryAfterIsHonoured|ServerErrorsRetriedOnlyForReads|NoOpenProxy|HangAndRedisDown)$"

// faultTests runs the upstream fault tests (Retry-After, server errors, no open proxy,
// a hung tenant and Redis down) and reports each.
func faultTests(ctx context.Context, r *report, fig int) error {
	cmd := exec.CommandContext(ctx, "go", "test", "-count=1", "-v", "-run", faultTestsRun, "./internal/bff/", "./cmd/server/")
	out, _ := cmd.CombinedOutput()
	found := 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		for _, p := range []struct {
			prefix string
			v      verdict
		}{{"--- PASS: ", met}, {"--- FAIL: ", notMet}, {"--- SKIP: ", notMeasured}} {
			if !strings.HasPrefix(line, p.prefix) {
				continue
			}
			name := strings.Fields(strings.TrimPrefix(line, p.prefix))[0]
			if strings.Contains(name, "/") {
				continue // subtests roll up into their test
			}
			found++
			r.add(fig, "test "+name, strings.TrimSpace(strings.TrimPrefix(p.prefix, "--- "))[:4], "", "pass", p.v)
		}
	}
	if found == 0 {
		r.add(fig, "upstream fault tests", "", "", "pass", notMeasured)
		r.note(fig, "go test -run '%s' found no test or did not build: %s", faultTestsRun, lastLines(string(out), 6))
	}
	r.note(fig, "go test -count=1 -v -run '%s' ./internal/bff/ ./cmd/server/", faultTestsRun)
	return nil
}

func recovery(d time.Duration, last int) string {
	if d < 0 {
		return fmt.Sprintf("not within 30 s (last status %d)", last)
	}
	return "after " + d.Round(10*time.Millisecond).String()
}

// message is what an error page tells the user: its alert, else its heading.
func message(body []byte) string {
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		return ""
	}
	for _, sel := range []string{`[role=alert]`, `main h1`, `h1`, `body`} {
		if t := strings.Join(strings.Fields(doc.Find(sel).First().Text()), " "); t != "" {
			if len(t) > 90 {
				t = t[:90] + "…"
			}
			return t
		}
	}
	return ""
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
