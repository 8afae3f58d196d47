package main

import (
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBrowserDemoSignsInThroughOnePort runs the demo as the README's docker run line
// does (the Dockerfile's environment: listening on every interface, a file store;
// PUBLIC_URL=http://localhost:PORT, on a free port here) and signs in with Chromium.
// Every request the browser makes, the sandbox tenant's sign-in page, its form post
// and its logout page included, goes to the console's one origin.
func TestBrowserDemoSignsInThroughOnePort(t *testing.T) {
	t.Parallel()
	d := readDockerDemo(t)
	port := freePort(t)
	env := map[string]string{}
	for k, v := range d.env {
		env[k] = strings.ReplaceAll(v, ":"+d.hostPort, ":"+port) // PUBLIC_URL
	}
	env["ADDR"] = "0.0.0.0:" + port
	env["SESSION_STORE"] = "file:" + filepath.Join(t.TempDir(), "sessions.db") // the image's /data
	app := startApp(t, env)
	require.Equal(t, "http://localhost:"+port, app.ConsoleURL)
	origin, err := url.Parse(app.ConsoleURL)
	require.NoError(t, err)

	b := newBrowser(t)
	var (
		mu       sync.Mutex
		requests []string
	)
	chromedp.ListenTarget(b.ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			mu.Lock()
			requests = append(requests, e.Request.Method+" "+e.Request.URL)
			mu.Unlock()
		}
	})
	var landed, logoutHref, message string
	b.run(t, "sign in through the console's port",
		network.Enable(),
		signIn(app.ConsoleURL, "admin", "%2Fsources", `[data-testid="nav-user"]`),
		chromedp.Location(&landed),
	)
	assert.Equal(t, app.ConsoleURL+"/t/sandbox/sources", landed, "on the default tenant")
	b.screenshot(t, "signed-in")
	b.run(t, "sign out, then out of the tenant",
		click(`[data-testid="logout"]`),
		visible(`[data-testid="signed-out"]`),
		chromedp.AttributeValue(`[data-testid="auth-tenant-logout"]`, "href", &logoutHref, nil, chromedp.ByQuery),
		chromedp.Click(`[data-testid="auth-tenant-logout"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="message"]`, chromedp.ByQuery),
		chromedp.Text(`[data-testid="message"]`, &message, chromedp.ByQuery),
	)
	assert.Equal(t, app.ConsoleURL+"/sandbox/logout", logoutHref)
	assert.Contains(t, message, "signed out of the sandbox tenant")
	b.flush(t)
	assert.Empty(t, b.Problems(), "the pages logged errors or CSP violations")

	mu.Lock()
	defer mu.Unlock()
	var sawLogin, sawPost bool
	for _, r := range requests {
		method, target, _ := strings.Cut(r, " ")
		u, err := url.Parse(target)
		require.NoError(t, err)
		if u.Scheme == "data" || u.Scheme == "about" {
			continue
		}
		assert.Equal(t, origin.Host, u.Host, "the browser stayed on the console's origin: %s", r)
		sawLogin = sawLogin || method == "GET" && u.Path == "/sandbox/oauth/authorize"
		sawPost = sawPost || method == "POST" && u.Path == "/sandbox/oauth/authorize"
	}
	assert.True(t, sawLogin && sawPost, "the tenant's sign-in page and its form were on the console's port: %v", requests)
}
