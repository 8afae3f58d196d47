package testservers

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// Test-only environment variables. Production code reads its environment in
// cmd/server alone; these switches are read here, by test helpers only, and are
// documented in the README's "Tests" section:
//
//	REQUIRE_TEST_TOOLS=1  set by `make test`: a missing tool fails the test instead of skipping it
//	SKIP_BROWSER=1        opt out of the browser tests (Chromium)
//	SKIP_REDIS=1          opt out of the tests that need redis-server
//	SKIP_POSTGRES=1       opt out of the tests that need PostgreSQL
const requireVar = "REQUIRE_TEST_TOOLS"

// Tool is something on the machine that some tests need: a program the tests
// start, from a Debian package that scripts/deps.sh installs for `make test`.
type Tool struct {
	Name    string // what the messages call it
	Package string // the Debian package that provides it
	OptOut  string // the environment variable that, set to 1, skips the tests that need it
}

// The tools the tests use. scripts/deps.sh installs the same packages.
var (
	ChromiumTool = Tool{Name: "Chromium", Package: "chromium", OptOut: "SKIP_BROWSER"}
	RedisTool    = Tool{Name: "redis-server", Package: "redis-server", OptOut: "SKIP_REDIS"}
	PostgresTool = Tool{Name: "PostgreSQL", Package: "postgresql", OptOut: "SKIP_POSTGRES"}
)

// OptedOut reports whether the developer asked to skip the tests that need the tool.
func (tool Tool) OptedOut() bool { return os.Getenv(tool.OptOut) == "1" }

// Need skips t when the developer opted out of the tool's tests. The reason is
// the same text for every test, so the summary of `make test` groups them.
func (tool Tool) Need(t testing.TB) {
	t.Helper()
	if tool.OptedOut() {
		t.Skipf("%s tests opted out (%s=1)", tool.Name, tool.OptOut)
	}
}

// Missing ends t because the tool cannot run here (err says why): under
// `make test` (REQUIRE_TEST_TOOLS=1) the test fails, because a silent skip would
// pass a run that tested less; elsewhere (`go test ./...` on a developer's
// machine) it skips, naming what to install and how to opt out.
func (tool Tool) Missing(t testing.TB, err error) {
	t.Helper()
	Unavailable(t, fmt.Sprintf("%s tests cannot run: %v. Install the Debian package %s (make test does, as root) or opt out with %s=1",
		tool.Name, err, tool.Package, tool.OptOut))
}

// Unavailable ends t because something it needs is not here (why says what and
// how to get it): it fails under `make test` and skips elsewhere.
func Unavailable(t testing.TB, why string) {
	t.Helper()
	if Required() {
		t.Fatalf("%s\n(%s=1 is set, as `make test` does: what the tests need must be here)", why, requireVar)
	}
	t.Skip(why)
}

// Required reports whether this run must have every tool (`make test` sets
// REQUIRE_TEST_TOOLS=1).
func Required() bool { return os.Getenv(requireVar) == "1" }

// Chromium returns the path of the chromium binary for browser tests, or skips
// or fails t as Need and Missing say.
func Chromium(t testing.TB) string {
	t.Helper()
	ChromiumTool.Need(t)
	path, err := exec.LookPath("chromium")
	if err != nil {
		ChromiumTool.Missing(t, fmt.Errorf("chromium is not on PATH"))
	}
	return path
}
