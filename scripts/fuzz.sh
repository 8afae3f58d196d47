#!/usr/bin/env bash
# Runs every Go fuzz target in the module for a bounded time each ($1, e.g. 10s).
# Targets are found by name (func FuzzXxx in *_test.go), so new ones join automatically.
#
# A target fails when the fuzzer writes a failing input to testdata/fuzz/<target>/.
# Go 1.26's fuzz coordinator can also report "context deadline exceeded" as the
# -fuzztime deadline passes, without any failing input (golang/go#75804, fixed in Go
# 1.27): such a run is repeated once, and a second identical result fails the target.
set -euo pipefail
fuzztime=${1:-10s}
cd "$(dirname "$0")/.."

fuzz_one() { # pkg target
  local pkg=$1 target=$2 corpus="$1/testdata/fuzz/$2" out before after
  for attempt in 1 2; do
    before=$(ls "$corpus" 2>/dev/null | sort || true)
    echo "fuzz: $pkg $target ($fuzztime, attempt $attempt)"
    if out=$(go test -run='^$' -fuzz="^${target}\$" -fuzztime="$fuzztime" "$pkg" 2>&1); then
      echo "$out" | tail -n 1
      return 0
    fi
    echo "$out" | tail -n 20
    after=$(ls "$corpus" 2>/dev/null | sort || true)
    if [ "$before" != "$after" ]; then
      echo "fuzz: $target wrote a failing input to $corpus:"
      comm -13 <(echo "$before") <(echo "$after")
      return 1
    fi
    if ! grep -q "context deadline exceeded" <<<"$out"; then
      return 1
    fi
    echo "fuzz: no failing input was written: the Go coordinator's deadline race (golang/go#75804); trying again"
  done
  return 1
}

grep -rl --include='*_test.go' -E '^func Fuzz[A-Za-z0-9_]+\(' . | sort | while read -r file; do
  pkg="./$(dirname "${file#./}")"
  for target in $(grep -oE '^func Fuzz[A-Za-z0-9_]+' "$file" | sed 's/^func //'); do
    fuzz_one "$pkg" "$target"
  done
done
