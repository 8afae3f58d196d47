#!/usr/bin/env bash
# Runs every Go fuzz target in the module for a bounded time each ($1, e.g. 10s),
# one after the other, and prints one line per target. With a directory as $2, the
# `go test -json` output of each target's final run is kept there as <target>.json
# for scripts/testreport (`make test` does this).
# Targets are found by name (func FuzzXxx in *_test.go), so new ones join automatically.
#
# A target fails when the fuzzer writes a failing input to testdata/fuzz/<target>/.
# Go 1.26's fuzz coordinator can also report "context deadline exceeded" as the
# -fuzztime deadline passes, without any failing input (golang/go#75804, fixed in Go
# 1.27): such a run is repeated once, and a second identical result fails the target.
set -euo pipefail
fuzztime=${1:-10s}
jsondir=${2:-}
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
[ -z "$jsondir" ] || mkdir -p "$jsondir"

fuzz_one() { # pkg target
  local pkg=$1 target=$2 corpus="$1/testdata/fuzz/$2" json="$work/$2.json" before after execs
  for attempt in 1 2; do
    before=$(ls "$corpus" 2>/dev/null | sort || true)
    if go test -json -run='^$' -fuzz="^${target}\$" -fuzztime="$fuzztime" "$pkg" >"$json" 2>"$work/stderr"; then
      execs=$(grep -oE 'execs: [0-9]+' "$json" | tail -n 1 | cut -d' ' -f2 || true)
      echo "fuzz: $target (${pkg#./}) ok: ${execs:-?} inputs in $fuzztime"
      [ -z "$jsondir" ] || cp "$json" "$jsondir/$target.json"
      return 0
    fi
    echo "fuzz: $target (${pkg#./}) FAILED (attempt $attempt):"
    cat "$work/stderr"
    go run ./scripts/testreport -live <"$json" | tail -n 30
    after=$(ls "$corpus" 2>/dev/null | sort || true)
    if [ "$before" != "$after" ]; then
      echo "fuzz: $target wrote a failing input to $corpus:"
      comm -13 <(echo "$before") <(echo "$after")
      break
    fi
    if ! grep -q "context deadline exceeded" "$json"; then
      break
    fi
    echo "fuzz: no failing input was written: the Go coordinator's deadline race (golang/go#75804); trying again"
  done
  [ -z "$jsondir" ] || cp "$json" "$jsondir/$target.json"
  return 1
}

status=0
while read -r file; do
  pkg="./$(dirname "${file#./}")"
  for target in $(grep -oE '^func Fuzz[A-Za-z0-9_]+' "$file" | sed 's/^func //'); do
    fuzz_one "$pkg" "$target" || status=1
  done
done < <(grep -rl --include='*_test.go' -E '^func Fuzz[A-Za-z0-9_]+\(' . | sort)
exit $status
