package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// axePath is axe-core from the npm packages the assets are pinned with (a dev
// dependency: `make assets` installs it, the console never serves it).
var axePath = filepath.Join("..", "..", "web", "static", "node_modules", "axe-core", "axe.min.js")

var axeSource = sync.OnceValues(func() (string, error) {
	b, err := os.ReadFile(axePath)
	if err != nil {
		return "", fmt.Errorf("axe-core is missing (run `make assets`): %w", err)
	}
	return string(b), nil
})

// axeViolation is one axe rule broken on a page, with the elements that break it.
type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// axeAudit collects what axe found on every page and swap a test checked.
type axeAudit struct {
	mu     sync.Mutex
	checks int
	spent  time.Duration  // in axe itself (injection and run), over all checks
	nodes  map[string]int // rule id → elements in violation, over all checks
	where  []string       // "page: rule (impact) on element, …" for the failure message
}

func newAxeAudit() *axeAudit { return &axeAudit{nodes: map[string]int{}} }

// axeJS runs axe-core on the whole document with its default rules (WCAG 2.x A and
// AA plus best practices) and returns the violations as JSON.
const axeJS = `axe.run(document, {resultTypes: ["violations"], preload: false}).then(r => JSON.stringify(r.violations.map(v => ({
	id: v.id, impact: v.impact || "", help: v.help,
	nodes: v.nodes.map(n => n.target.join(" ") + (n.failureSummary ? " — " + n.failureSummary.split("\n").slice(1).join(" ").trim() : ""))}))))`

// axe checks the page as it is now (after the caller waited for what it wants
// checked) and records every violation under where. axe-core is injected through
// the DevTools protocol, which the page's CSP does not govern.
func (b *browser) axe(t *testing.T, a *axeAudit, where string) {
	t.Helper()
	src, err := axeSource()
	require.NoError(t, err)
	var loaded bool
	var out string
	var start time.Time
	b.run(t, "axe: "+where,
		waitJS(quietJS), // the tenant's sign-in page has no htmx
		chromedp.ActionFunc(func(context.Context) error { start = time.Now(); return nil }),
		chromedp.Evaluate(`typeof axe !== "undefined"`, &loaded),
		chromedp.ActionFunc(func(ctx context.Context) error {
			if loaded {
				return nil
			}
			return chromedp.Evaluate(src+";true", nil).Do(ctx)
		}),
		chromedp.Evaluate(axeJS, &out, awaitPromise),
	)
	var vs []axeViolation
	require.NoError(t, json.Unmarshal([]byte(out), &vs))
	a.mu.Lock()
	defer a.mu.Unlock()
	a.checks++
	a.spent += time.Since(start)
	for _, v := range vs {
		a.nodes[v.ID] += len(v.Nodes)
		nodes := v.Nodes
		if len(nodes) > 3 {
			nodes = append(nodes[:3:3], fmt.Sprintf("… %d more", len(v.Nodes)-3))
		}
		a.where = append(a.where, fmt.Sprintf("%s: %s (%s, %s) on %s", where, v.ID, v.Impact, v.Help, strings.Join(nodes, " | ")))
	}
}

// report logs the totals by rule and fails the test on any violation.
func (a *axeAudit) report(t *testing.T) {
	t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	rules := make([]string, 0, len(a.nodes))
	total := 0
	for id, n := range a.nodes {
		rules = append(rules, id)
		total += n
	}
	sort.Strings(rules)
	var sum strings.Builder
	fmt.Fprintf(&sum, "axe-core: %d pages and swaps checked in %s, %d elements in violation", a.checks, a.spent.Round(time.Millisecond), total)
	for _, id := range rules {
		fmt.Fprintf(&sum, "\n  %-28s %d", id, a.nodes[id])
	}
	t.Log(sum.String())
	if total > 0 {
		t.Errorf("axe-core found violations:\n  %s", strings.Join(a.where, "\n  "))
	}
}
