package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/network"
	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// figPageWeight opens /sources in a real Chromium, signed in: bytes on the wire
// for a first visit (empty cache) and a repeat visit, the navigation timing of
// each, and the time from typing in the search box to the swapped table.
func figPageWeight(ctx context.Context, h *harness, r *report, s settings) error {
	const fig = 3
	path, err := exec.LookPath("chromium")
	if err != nil {
		return errors.New("chromium not on PATH (apt-get install chromium)")
	}
	st, err := h.newStack(ctx, "weight", 1, "memory")
	if err != nil {
		return err
	}
	c := st.consoles[0]
	u, err := signIn(ctx, c)
	if err != nil {
		return err
	}
	b, cancel, err := newChromium(ctx, path, h.dir)
	if err != nil {
		return err
	}
	defer cancel()

	for _, ck := range u.Cookies() {
		if err := chromedp.Run(b, network.SetCookie(ck.Name, ck.Value).WithURL(c.URL+"/").WithHTTPOnly(ck.HttpOnly)); err != nil {
			return err
		}
	}
	w := &wireCounter{}
	chromedp.ListenTarget(b, w.listen)
	if err := chromedp.Run(b, network.Enable(), network.ClearBrowserCache()); err != nil {
		return err
	}
	visit := func() (int64, int, navTiming, error) {
		w.reset()
		var nt navTiming
		var raw string
		err := chromedp.Run(b,
			chromedp.Navigate(c.URL+"/sources"),
			chromedp.WaitVisible(`[data-testid="sources-table"]`, chromedp.ByQuery),
			chromedp.Sleep(500*time.Millisecond), // late requests (icons, deferred scripts)
			chromedp.Evaluate(`JSON.stringify(performance.getEntriesByType("navigation")[0])`, &raw),
		)
		if err == nil {
			err = json.Unmarshal([]byte(raw), &nt)
		}
		n, reqs := w.total()
		return n, reqs, nt, err
	}
	first, firstReqs, firstNav, err := visit()
	if err != nil {
		return fmt.Errorf("first visit: %w", err)
	}
	r.note(fig, "first visit: %s", w.breakdown())
	repeat, repeatReqs, repeatNav, err := visit()
	if err != nil {
		return fmt.Errorf("repeat visit: %w", err)
	}
	r.note(fig, "repeat visit: %s", w.breakdown())
	r.check(fig, "first visit to /sources: bytes on the wire", kb(first), fmt.Sprintf("%d requests", firstReqs), "≤ 80 KB", first <= 80_000)
	r.check(fig, "repeat visit: bytes on the wire", kb(repeat), fmt.Sprintf("%d requests", repeatReqs), "≤ 15 KB", repeat <= 15_000)
	r.check(fig, "navigation timing, first visit (load end)", ms(firstNav.load()), "TTFB "+ms(firstNav.ttfb()), "≤ 200 ms", firstNav.load() <= 200*time.Millisecond)
	r.check(fig, "navigation timing, repeat visit (load end)", ms(repeatNav.load()), "TTFB "+ms(repeatNav.ttfb()), "≤ 200 ms", repeatNav.load() <= 200*time.Millisecond)

	// Typing in the search box: from the last input event to the settled swap.
	var trigger string
	var swap float64
	err = chromedp.Run(b,
		chromedp.AttributeValue(`[data-testid="sources-search"]`, "hx-trigger", &trigger, nil, chromedp.ByQuery),
		chromedp.Evaluate(`(() => {
			const box = document.querySelector('[data-testid="sources-search"]');
			box.addEventListener('input', () => { window.__lastInput = performance.now(); });
			window.__swapped = new Promise(res => document.body.addEventListener('htmx:afterSettle',
				() => res(performance.now() - window.__lastInput), {once: true}));
			return true; })()`, nil),
		chromedp.Click(`[data-testid="sources-search"]`, chromedp.ByQuery),
		chromedp.SendKeys(`[data-testid="sources-search"]`, "hr", chromedp.ByQuery),
		chromedp.Evaluate(`window.__swapped`, &swap, func(p *cdpruntime.EvaluateParams) *cdpruntime.EvaluateParams {
			return p.WithAwaitPromise(true)
		}),
	)
	if err != nil {
		return fmt.Errorf("search: %w", err)
	}
	typed := time.Duration(swap * float64(time.Millisecond))
	debounce := triggerDelay(trigger)
	r.check(fig, "typing in the search box → swapped table, after the debounce", ms(typed-debounce),
		fmt.Sprintf("%s from the last keystroke, of which the debounce %s (hx-trigger %q)", ms(typed), ms(debounce), trigger),
		"≤ 100 ms after the debounce", typed-debounce <= 100*time.Millisecond)
	r.note(fig, "Chromium (headless, flags as cmd/server/browser_test.go newBrowser), signed in as the demo admin; bytes = CDP Network.loadingFinished encodedDataLength summed (compressed size on the wire, headers included); the first visit starts with an empty cache")
	return nil
}

// navTiming is the part of a PerformanceNavigationTiming entry the report uses.
type navTiming struct {
	StartTime     float64 `json:"startTime"`
	ResponseStart float64 `json:"responseStart"`
	LoadEventEnd  float64 `json:"loadEventEnd"`
}

func (n navTiming) load() time.Duration {
	return time.Duration((n.LoadEventEnd - n.StartTime) * float64(time.Millisecond))
}
func (n navTiming) ttfb() time.Duration {
	return time.Duration((n.ResponseStart - n.StartTime) * float64(time.Millisecond))
}

var delayRe = regexp.MustCompile(`delay:(\d+)ms`)

// triggerDelay reads the debounce of an hx-trigger such as "input changed delay:300ms".
func triggerDelay(trigger string) time.Duration {
	if m := delayRe.FindStringSubmatch(trigger); m != nil {
		n, _ := strconv.Atoi(m[1])
		return time.Duration(n) * time.Millisecond
	}
	return 0
}

// wireCounter sums the encoded (on-the-wire) bytes of every finished request.
type wireCounter struct {
	mu    sync.Mutex
	bytes float64
	reqs  int
	urls  map[network.RequestID]string
	enc   map[network.RequestID]string // Content-Encoding of the response
	items []string                     // "path 12.3 KB (gzip)" per finished request
}

func (w *wireCounter) listen(ev any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.urls == nil {
		w.urls, w.enc = map[network.RequestID]string{}, map[network.RequestID]string{}
	}
	switch e := ev.(type) {
	case *network.EventRequestWillBeSent:
		if u, err := url.Parse(e.Request.URL); err == nil {
			w.urls[e.RequestID] = u.Path
		}
	case *network.EventResponseReceived:
		enc, _ := e.Response.Headers["Content-Encoding"].(string)
		if enc == "" {
			enc, _ = e.Response.Headers["content-encoding"].(string)
		}
		w.enc[e.RequestID] = enc
	case *network.EventLoadingFinished:
		w.bytes += e.EncodedDataLength
		w.reqs++
		enc := w.enc[e.RequestID]
		if enc == "" {
			enc = "identity"
		}
		w.items = append(w.items, fmt.Sprintf("%s %s (%s)", w.urls[e.RequestID], kb(int64(e.EncodedDataLength)), enc))
	}
}

func (w *wireCounter) reset() { w.mu.Lock(); w.bytes, w.reqs, w.items = 0, 0, nil; w.mu.Unlock() }

// breakdown lists the requests since the last reset.
func (w *wireCounter) breakdown() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Join(w.items, ", ")
}

func (w *wireCounter) total() (int64, int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return int64(w.bytes), w.reqs
}

// newChromium starts headless Chromium with the flags the browser tests use.
func newChromium(ctx context.Context, path, dir string) (context.Context, func(), error) {
	profile, err := os.MkdirTemp(dir, "chromium-")
	if err != nil {
		return nil, nil, err
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(profile),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelCtx := chromedp.NewContext(actx)
	bctx, cancelTimeout := context.WithTimeout(bctx, 2*time.Minute)
	if err := chromedp.Run(bctx); err != nil {
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
		return nil, nil, fmt.Errorf("start chromium: %w", err)
	}
	return bctx, func() { cancelTimeout(); cancelCtx(); cancelAlloc() }, nil
}
