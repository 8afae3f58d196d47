package testservers_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"sourcedesk/internal/testservers"
)

// scripts/deps.sh, which `make test` and CI run first, on a machine where a
// tool is missing and the user is not root: it stops at once and prints the
// exact command to run, and the opt-out that makes it unnecessary; with
// everything there, or the tool opted out, it says nothing. (As root it would
// install the packages with apt-get; that path changes the machine, so it is
// not run here.)
func TestDepsScriptNamesTheExactInstallCommand(t *testing.T) {
	script, err := filepath.Abs("../../scripts/deps.sh")
	require.NoError(t, err)
	// A PATH with the real tools the script looks for, except those left out,
	// and an id that answers as a user who is not root.
	pathWithout := func(missing ...string) string {
		dir := t.TempDir()
		for _, name := range []string{"go", "npm", "git", "make", "chromium", "redis-server", "psql", "apt-get"} {
			real, err := exec.LookPath(name)
			if err != nil || slices.Contains(missing, name) {
				continue
			}
			require.NoError(t, os.Symlink(real, filepath.Join(dir, name)))
		}
		require.NoError(t, os.WriteFile(filepath.Join(dir, "id"), []byte("#!/bin/sh\necho 1000\n"), 0o755))
		return dir
	}
	run := func(path string, env ...string) (string, error) {
		cmd := exec.Command("/bin/bash", script)
		cmd.Env = append([]string{"PATH=" + path, "HOME=" + t.TempDir()}, env...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	for _, tool := range []string{"go", "npm", "git", "make", "chromium", "redis-server", "psql"} {
		if _, err := exec.LookPath(tool); err != nil {
			testservers.Unavailable(t, tool+" is not installed: this test hides tools that are (make test installs them)")
		}
	}

	out, err := run(pathWithout())
	assert.NoError(t, err, out)
	assert.Empty(t, out, "nothing to say when everything is there")

	out, err = run(pathWithout("chromium", "redis-server"))
	assert.Error(t, err, "stops: the tests cannot run")
	assert.Contains(t, out, "    sudo apt-get update && sudo apt-get install -y --no-install-recommends chromium redis-server\n")
	assert.Contains(t, out, "SKIP_BROWSER=1 SKIP_REDIS=1 make test")

	out, err = run(pathWithout("chromium"), "SKIP_BROWSER=1")
	assert.NoError(t, err, out)
	assert.Empty(t, out, "the browser tests are opted out: Chromium is not needed")

	out, err = run(pathWithout("go"))
	assert.Error(t, err)
	assert.Contains(t, out, "https://go.dev/dl/", "Go does not come from apt: where to get it")
}
