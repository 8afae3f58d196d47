#!/usr/bin/env bash
# The tests of `make test` (after scripts/deps.sh, the assets and the generated-code
# check): every test of every package once with -race, with every go vet analyzer
# on the same build, and every fuzz target for FUZZTIME; then one summary that ends
# with the line CI reads: "N passed, N failed, N skipped".
#
# REQUIRE_TEST_TOOLS=1 turns "Chromium/Redis/Postgres is not installed" from a skip
# into a failure; only the explicit opt-outs (SKIP_BROWSER=1, SKIP_REDIS=1,
# SKIP_POSTGRES=1) skip those tests, and the summary says what they skipped.
#
# The fuzzing binaries are built while the tests run, at the lowest CPU priority
# (nice 19): the tests spend much of their time waiting on Chromium, servers and
# deadlines, and the build takes the CPU time they leave idle. The fuzzing itself
# runs after the tests, at normal priority, so every target gets its FUZZTIME.
#
# -count=1: every test runs, none is replayed from the test cache (a clean clone
# builds the same test binaries). -trimpath keeps the checkout's directory out of
# the build, so a clean clone reuses the packages compiled for an earlier one.
#
# The `go test -json` events stay in test-results/ (test.json, fuzz/<target>.json)
# for a closer look, e.g. at where the time goes.
set -uo pipefail
cd "$(dirname "$0")/.."
started=${TEST_STARTED:-$(date +%s)} # the Makefile sets it as `make test` starts
export REQUIRE_TEST_TOOLS=1
fuzztime=${FUZZTIME:-10s}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
results=test-results
rm -rf "$results" && mkdir -p "$results"

go build -o "$out/testreport" ./scripts/testreport || exit 1

echo "testing every package with -race (browser, Redis and Postgres tests included); then fuzzing for $fuzztime per target"
# In a process group of its own, so that what is left of it can be stopped below.
setsid nice -n 19 scripts/fuzz.sh build "$out/bin" >/dev/null 2>&1 &
build=$!

go test -race -vet=all -trimpath -count=1 -json -timeout 12m ./... | tee "$results/test.json" | "$out/testreport" -live
test_status=${PIPESTATUS[0]}
# On a busy machine the low-priority build may not be done: stop it, and let
# fuzz.sh build what is missing at normal priority (the build cache keeps what
# it compiled).
if [ "$(ps -o pgid= -p "$build" | tr -d ' ')" = "$build" ]; then
  kill -TERM -- "-$build" 2>/dev/null
fi
wait "$build" 2>/dev/null
scripts/fuzz.sh run "$out/bin" "$fuzztime" "$results/fuzz"
fuzz_status=$?

fuzzfiles=()
for f in "$results"/fuzz/*.json; do
  [ -e "$f" ] && fuzzfiles+=(-fuzz "$f")
done
echo
echo "make test took $(($(date +%s) - started)) s"
[ "$test_status" = 0 ] || echo "go test exited with status $test_status"
[ "$fuzz_status" = 0 ] || echo "scripts/fuzz.sh exited with status $fuzz_status"
"$out/testreport" "${fuzzfiles[@]}" "$results/test.json" && [ "$test_status" = 0 ] && [ "$fuzz_status" = 0 ]
