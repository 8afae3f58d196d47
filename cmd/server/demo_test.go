package main

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"sourcedesk/internal/testservers"
)

// In demo mode the sandbox tenant is served on the console's own port, under
// /sandbox: everything a browser is sent to (the sign-in redirect, the login form's
// action, the callback, the tenant's logout link, the endpoints /oauth/info reports)
// is under PUBLIC_URL, which here names the host differently from the listener, as
// behind a proxy or a container's published port. The sandbox keeps its own
// behaviour: none of the console's cookies or CSRF checks, its own CSP; the console's
// pages keep theirs.
func TestDemoServesTheSandboxUnderPublicURL(t *testing.T) {
	port := freePort(t)
	public := "http://localhost:" + port
	app := startApp(t, map[string]string{"ADDR": "127.0.0.1:" + port, "PUBLIC_URL": public})
	require.Equal(t, public, app.ConsoleURL)
	require.Equal(t, public+"/sandbox", app.SandboxURL)

	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(target string) (*http.Response, string) {
		t.Helper()
		resp, err := browser.Get(target)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp, string(body)
	}

	// Sign-in: the console sends the browser to the sandbox under PUBLIC_URL.
	resp, _ := get(public + "/t/sandbox/login?next=%2Fsources")
	require.Equal(t, http.StatusFound, resp.StatusCode)
	authorize, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	assert.Equal(t, public+"/sandbox/oauth/authorize", authorize.Scheme+"://"+authorize.Host+authorize.Path)
	assert.Equal(t, public+"/auth/callback", authorize.Query().Get("redirect_uri"))

	// The sandbox's login page: its own CSP, and none of the console's cookies.
	resp, body := get(authorize.String())
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, resp.Header.Get("Content-Security-Policy"), "style-src 'nonce-", "the sandbox page's own CSP")
	assert.NotContains(t, resp.Header.Get("Content-Security-Policy"), "script-src", "no scripts on the tenant's page")
	assert.Equal(t, "DENY", resp.Header.Get("X-Frame-Options"))
	assert.Empty(t, resp.Header.Values("Set-Cookie"), "no console session or CSRF cookie from the sandbox")
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	require.NoError(t, err)
	form := doc.Find(`form[data-testid="login-form"]`)
	assert.Equal(t, "/sandbox/oauth/authorize", form.AttrOr("action", ""), "the form posts under the console's origin")
	vals := url.Values{}
	form.Find(`input[type="hidden"]`).Each(func(_ int, s *goquery.Selection) { vals.Set(s.AttrOr("name", ""), s.AttrOr("value", "")) })
	vals.Set("username", "admin")
	vals.Set("password", "admin")
	vals.Set("action", "login")

	// The login POST carries no console CSRF token: the sandbox is not the console.
	target, err := authorize.Parse(form.AttrOr("action", ""))
	require.NoError(t, err)
	post, err := browser.PostForm(target.String(), vals)
	require.NoError(t, err)
	post.Body.Close()
	require.Equal(t, http.StatusFound, post.StatusCode)
	callback, err := url.Parse(post.Header.Get("Location"))
	require.NoError(t, err)
	assert.Equal(t, public+"/auth/callback", callback.Scheme+"://"+callback.Host+callback.Path)
	resp, _ = get(callback.String())
	require.Equal(t, http.StatusOK, resp.StatusCode, "the callback's bounce page")
	resp, _ = get(public + "/t/sandbox/sources")
	assert.Equal(t, http.StatusOK, resp.StatusCode, "signed in through the one port")
	assert.Contains(t, resp.Header.Get("Content-Security-Policy"), "script-src 'self' 'nonce-", "the console's pages keep the console's CSP")

	// The tenant's discovery document and logout link follow PUBLIC_URL too.
	resp, body = get(public + "/sandbox/oauth/info")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var info map[string]string
	require.NoError(t, json.Unmarshal([]byte(body), &info))
	for _, k := range []string{"authorizeEndpoint", "tokenEndpoint", "logoutUrl", "cloudDomainUrl"} {
		assert.True(t, strings.HasPrefix(info[k], public+"/sandbox"), "%s is under PUBLIC_URL/sandbox: %s", k, info[k])
	}
	resp, body = get(public + "/signed-out")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	doc, err = goquery.NewDocumentFromReader(strings.NewReader(body))
	require.NoError(t, err)
	assert.Equal(t, public+"/sandbox/logout", doc.Find(`[data-testid="auth-tenant-logout"]`).AttrOr("href", ""))

	// Whatever else the sandbox answers is inert in the console's origin.
	resp, _ = get(public + "/sandbox/v2025/sources")
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Contains(t, resp.Header.Get("Content-Security-Policy"), "default-src 'none'")
	assert.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"))
	resp, _ = get(public + "/sandbox/no-such-page")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.Contains(t, resp.Header.Get("Content-Security-Policy"), "default-src 'none'")
}

// SANDBOX_ADDR keeps the sandbox on a listener of its own, as before: the browser is
// sent there, and the console's port serves no /sandbox.
func TestDemoWithTheSandboxOnItsOwnListener(t *testing.T) {
	app := startApp(t, map[string]string{"SANDBOX_ADDR": "127.0.0.1:0"})
	require.False(t, strings.HasPrefix(app.SandboxURL, app.ConsoleURL), "a separate origin: %s", app.SandboxURL)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(app.ConsoleURL + "/t/sandbox/login")
	require.NoError(t, err)
	resp.Body.Close()
	assert.True(t, strings.HasPrefix(resp.Header.Get("Location"), app.SandboxURL+"/oauth/authorize?"), "sign-in goes to the sandbox's listener")
	resp, err = http.Get(app.SandboxURL + "/oauth/info")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	resp, err = http.Get(app.ConsoleURL + "/sandbox/oauth/info")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode, "not mounted on the console's port")
}

// The README's `docker run` line for a demo, with the Dockerfile's environment, is a
// valid configuration: demo mode, the sandbox on the console's one published port,
// PUBLIC_URL the address the port is published at.
func TestDockerDemoLineIsAOnePortDemo(t *testing.T) {
	d := readDockerDemo(t)
	cfg, err := loadConfig(envOf(d.env))
	require.NoError(t, err, "the documented docker run line starts")
	assert.True(t, cfg.DemoMode())
	assert.Empty(t, cfg.SandboxAddr, "the sandbox is served on the console's port")
	_, port, err := net.SplitHostPort(cfg.Addr)
	require.NoError(t, err)
	assert.Equal(t, d.containerPort, port, "-p publishes the port ADDR listens on")
	host, _, _ := net.SplitHostPort(cfg.Addr)
	assert.Equal(t, "0.0.0.0", host, "in a container the console listens on every interface")
	assert.Equal(t, d.hostPort, cfg.PublicURL.Port(), "PUBLIC_URL is where -p publishes it")
	assert.True(t, isLoopbackHost(cfg.PublicURL.Hostname()) && isLoopbackHost(d.hostIP),
		"plain http, so published on this machine's loopback only")
}

// dockerDemo is the README's docker run line for a demo, over the Dockerfile's ENV.
type dockerDemo struct {
	env                             map[string]string
	hostIP, hostPort, containerPort string
}

func readDockerDemo(t *testing.T) dockerDemo {
	t.Helper()
	d := dockerDemo{env: map[string]string{}}
	dockerfile, err := os.ReadFile(filepath.Join("..", "..", "Dockerfile"))
	require.NoError(t, err)
	for _, line := range strings.Split(string(dockerfile), "\n") {
		if rest, ok := strings.CutPrefix(line, "ENV "); ok {
			for _, kv := range strings.Fields(rest) {
				k, v, _ := strings.Cut(kv, "=")
				d.env[k] = v
			}
		}
	}
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	var run []string
	for _, line := range strings.Split(string(readme), "\n") {
		if strings.HasPrefix(line, "docker run ") {
			require.Nil(t, run, "one docker run line in the README")
			run = strings.Fields(line)
		}
	}
	require.NotNil(t, run, "the README shows a docker run line")
	for i := 0; i+1 < len(run); i++ {
		switch run[i] {
		case "-e":
			k, v, _ := strings.Cut(run[i+1], "=")
			d.env[k] = v
		case "-p":
			parts := strings.Split(run[i+1], ":")
			require.Len(t, parts, 3, "-p HOST_IP:HOST_PORT:CONTAINER_PORT")
			d.hostIP, d.hostPort, d.containerPort = parts[0], parts[1], parts[2]
		}
	}
	require.NotEmpty(t, d.containerPort, "the docker run line publishes a port")
	return d
}

func freePort(t *testing.T) string {
	t.Helper()
	p, err := testservers.FreePort()
	require.NoError(t, err)
	return strconv.Itoa(p)
}
