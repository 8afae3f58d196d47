package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"sourcedesk/bench/scenario"
	"sourcedesk/internal/sandbox"
)

// `make run` on a fresh clone: once the console listens, the first screen tells
// a newcomer which URL to open and how to sign in, and what it says works: the
// URL serves the console, and every user it lists signs in with the username as
// the password.
func TestMakeRunSaysWhereToGoAndHowToSignIn(t *testing.T) {
	env := map[string]string{
		"ADDR":          "127.0.0.1:0",
		"SESSION_STORE": "memory",
		"LOG_LEVEL":     "warn",
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	stderr, stderrW := io.Pipe()
	serving, stop := context.WithCancel(ctx)
	exited := make(chan int, 1)
	go func() {
		exited <- serveFromEnv(serving, func(k string) string { return env[k] }, testLogWriter{t}, stderrW)
		stderrW.Close()
	}()

	// Read the welcome up to its last line, as a person reads the terminal.
	var welcome strings.Builder
	lines := bufio.NewScanner(stderr)
	for lines.Scan() {
		welcome.WriteString(lines.Text() + "\n")
		if strings.HasPrefix(lines.Text(), "Stop with Ctrl+C") {
			break
		}
	}
	go func() { _, _ = io.Copy(io.Discard, stderr) }()
	text := welcome.String()
	t.Logf("the welcome:\n%s", text)
	require.Contains(t, text, "Stop with Ctrl+C", "the app printed its welcome (or exited)")

	m := regexp.MustCompile(`Sourcedesk is running: open (http://127\.0\.0\.1:\d+)\n`).FindStringSubmatch(text)
	require.NotNil(t, m, "the welcome names the console's URL")
	consoleURL := m[1]
	resp, err := http.Get(consoleURL + "/healthz")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, "the URL it names serves the console")

	assert.Contains(t, text, "the password is the username")
	var listed []string
	for _, m := range regexp.MustCompile(`(?m)^  (\S+) +([A-Z_]+)$`).FindAllStringSubmatch(text, -1) {
		listed = append(listed, m[1])
	}
	var demoUsers []string
	for _, u := range sandbox.DemoUsers() {
		demoUsers = append(demoUsers, u.Username)
	}
	assert.Equal(t, demoUsers, listed, "every demo user is listed, one per line with its user level")
	for _, name := range listed {
		u := scenario.NewUser(consoleURL, nil)
		assert.NoError(t, u.SignIn(ctx, scenario.Credentials{Username: name, Password: name}), "%s signs in with the password %s", name, name)
	}
	pat := scenario.NewUser(consoleURL, nil)
	assert.Contains(t, text, "personal access token "+sandbox.DemoPATClientID+" / "+sandbox.DemoPATClientSecret)
	assert.NoError(t, pat.SignIn(ctx, scenario.Credentials{PATClientID: sandbox.DemoPATClientID, PATSecret: sandbox.DemoPATClientSecret}),
		"the personal access token it names signs in")

	stop()
	select {
	case code := <-exited:
		assert.Zero(t, code, "Ctrl+C stops the console cleanly")
	case <-ctx.Done():
		t.Fatal("the console did not stop")
	}
}

// With a real tenant there are no demo users to offer: the welcome names only
// the URL, and a bad setting is reported before anything listens.
func TestWelcomeWithoutDemoModeAndBadSettings(t *testing.T) {
	var out strings.Builder
	printWelcome(&out, &App{ConsoleURL: "https://sourcedesk.example"})
	assert.Equal(t, "\nSourcedesk is running: open https://sourcedesk.example\nStop with Ctrl+C.\n\n", out.String())

	var stderr strings.Builder
	code := serveFromEnv(context.Background(), func(k string) string {
		return map[string]string{"ADDR": "127.0.0.1:0", "SESSION_IDLE_TIMEOUT": "soon"}[k]
	}, io.Discard, &stderr)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr.String(), "SESSION_IDLE_TIMEOUT")
	assert.Contains(t, stderr.String(), "Run with --help")
	assert.NotContains(t, stderr.String(), "Sourcedesk is running")
}
