package testservers_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"sourcedesk/internal/testservers"
)

// childVar makes this test binary, started again by the tests below, run one
// tool's helper as a test of its own and report what happened.
const childVar = "TESTSERVERS_CHILD"

// useTool is what a test that needs the tool does first.
var useTool = map[string]func(t *testing.T){
	"redis":    func(t *testing.T) { testservers.NewRedis(t) },
	"postgres": func(t *testing.T) { testservers.Postgres(t) },
	"chromium": func(t *testing.T) { testservers.Chromium(t) },
}

// runChild runs TestMissingToolIsLoudUnderMakeTest in a new process of this
// test binary as the child for tool, with env added to an environment free of
// the test switches, and returns its output and whether it passed.
func runChild(t *testing.T, tool string, env ...string) (string, bool) {
	t.Helper()
	exe, err := os.Executable()
	require.NoError(t, err)
	cmd := exec.Command(exe, "-test.run=^TestMissingToolIsLoudUnderMakeTest$", "-test.v")
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "REQUIRE_TEST_TOOLS", "SKIP_BROWSER", "SKIP_REDIS", "SKIP_POSTGRES", childVar:
		default:
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, append(env, childVar+"="+tool)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		var exit *exec.ExitError
		require.ErrorAs(t, err, &exit, "the child ran: %s", out)
	}
	return string(out), err == nil
}

// A developer's `go test ./...` on a machine without redis-server, Postgres or
// Chromium skips those tests and says what to install; `make test`
// (REQUIRE_TEST_TOOLS=1) fails them instead, so a run that tested less cannot
// pass; an explicit opt-out skips them even where the tool is installed.
func TestMissingToolIsLoudUnderMakeTest(t *testing.T) {
	if tool := os.Getenv(childVar); tool != "" {
		useTool[tool](t)
		return
	}
	nothing := "PATH=" + t.TempDir() // no redis-server, psql or chromium on it
	for _, c := range []struct{ tool, pkg, optOut string }{
		{"redis", "redis-server", "SKIP_REDIS"},
		{"postgres", "postgresql", "SKIP_POSTGRES"},
		{"chromium", "chromium", "SKIP_BROWSER"},
	} {
		t.Run(c.tool, func(t *testing.T) {
			t.Parallel()
			out, passed := runChild(t, c.tool, nothing, "REQUIRE_TEST_TOOLS=1")
			assert.False(t, passed, "make test fails without the tool:\n%s", out)
			assert.Contains(t, out, "--- FAIL")
			assert.Contains(t, out, "Install the Debian package "+c.pkg)
			assert.Contains(t, out, "opt out with "+c.optOut+"=1")

			out, passed = runChild(t, c.tool, nothing)
			assert.True(t, passed, "go test ./... skips without the tool:\n%s", out)
			assert.Contains(t, out, "--- SKIP")
			assert.Contains(t, out, "Install the Debian package "+c.pkg)

			out, passed = runChild(t, c.tool, "REQUIRE_TEST_TOOLS=1", c.optOut+"=1")
			assert.True(t, passed, "an opt-out skips, also under make test:\n%s", out)
			assert.Contains(t, out, "--- SKIP")
			assert.Contains(t, out, "tests opted out ("+c.optOut+"=1)")
		})
	}
}
