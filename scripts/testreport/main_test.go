package main

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The testdata streams are real `go test -json` output of a small module:
// go-test.json has a passing test, two tests skipped for the same reason, a
// table test with a failing subtest, a package that does not compile and one
// that go vet rejects; fuzz-pass.json and fuzz-fail.json are one fuzzing run each.

func summary(t *testing.T, tests []string, fuzz []string) (string, bool) {
	t.Helper()
	var r run
	for _, f := range tests {
		require.NoError(t, r.readFile("testdata/"+f, false))
	}
	for _, f := range fuzz {
		require.NoError(t, r.readFile("testdata/"+f, true))
	}
	var out bytes.Buffer
	ok := r.summarize(&out, 5)
	return out.String(), ok
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

func TestSummaryEndsWithTheCountsOverEveryPackage(t *testing.T) {
	out, ok := summary(t, []string{"go-test.json"}, nil)
	assert.False(t, ok, "a run with failures fails")
	// TestPasses and TestTable/good pass; TestTable/bad fails and so does its
	// parent; the packages that do not compile or do not pass vet count as failed.
	assert.Equal(t, "2 passed, 4 failed, 2 skipped", lastLine(out))
	assert.Contains(t, out, "fix/broken (the package failed outside its tests)")
	assert.Contains(t, out, "fix/vetbad (the package failed outside its tests)")
	assert.Contains(t, out, "TestTable/bad (fix/ok)")
}

func TestSummarySaysWhatWasSkippedAndWhy(t *testing.T) {
	out, _ := summary(t, []string{"go-test.json"}, nil)
	assert.Contains(t, out, "skipped (2):\n  redis-server tests opted out (SKIP_REDIS=1): TestNeedsRedis (fix/ok), TestAlsoNeedsRedis (fix/ok)\n",
		"one line per reason, without the file:line prefix, naming the tests")
}

func TestFuzzingRunsCountAndAreReportedBeside(t *testing.T) {
	out, ok := summary(t, nil, []string{"fuzz-pass.json", "fuzz-fail.json"})
	assert.False(t, ok)
	assert.Contains(t, out, "fuzzing: 2 targets, 176k inputs: 1 passed, 1 failed\n")
	assert.Equal(t, "1 passed, 1 failed, 0 skipped", lastLine(out))
	assert.NotContains(t, out, "slowest tests", "fuzzing runs last as long as they were told to")
}

func TestPassingRunPasses(t *testing.T) {
	out, ok := summary(t, nil, []string{"fuzz-pass.json"})
	assert.True(t, ok)
	assert.Equal(t, "1 passed, 0 failed, 0 skipped", lastLine(out))
}

func TestRunWithoutTestsFails(t *testing.T) {
	empty := t.TempDir() + "/empty.json"
	require.NoError(t, os.WriteFile(empty, nil, 0o600))
	var r run
	require.NoError(t, r.readFile(empty, false))
	var out bytes.Buffer
	assert.False(t, r.summarize(&out, 5), "no test ran: nothing was shown to work")
	assert.Equal(t, "0 passed, 0 failed, 0 skipped\n", out.String())
}

func TestLiveShowsEachPackageAndEveryFailure(t *testing.T) {
	in, err := os.Open("testdata/go-test.json")
	require.NoError(t, err)
	defer in.Close()
	var out bytes.Buffer
	require.NoError(t, streamLive(in, &out))
	s := out.String()
	assert.Contains(t, s, "FAIL fix/broken (outside its tests)\n")
	assert.Contains(t, s, "broken_test.go:5:28: undefined: undefined", "the compiler's message")
	assert.Contains(t, s, `fmt.Printf format %d has arg "not a number" of wrong type string`, "go vet's message")
	assert.Contains(t, s, "ok_test.go:13: want 2, got 3", "the failing subtest's log")
	assert.Regexp(t, `FAIL fix/ok +0\.0s  2 passed, 2 failed, 2 skipped\n`, s)
}
