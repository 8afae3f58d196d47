#!/usr/bin/env bash
# Fuzzes every Go fuzz target in the module for a bounded time each, one after the
# other, printing one line per target. Targets are found by name (func FuzzXxx in
# *_test.go), so new ones join automatically.
#
#   scripts/fuzz.sh build BINDIR                  one fuzzing test binary per package with targets
#   scripts/fuzz.sh run BINDIR FUZZTIME [JSONDIR]  fuzz every target (building missing binaries first);
#                                                 with JSONDIR, keep each target's `go test -json`
#                                                 events there as <target>.json for scripts/testreport
#
# `make test` builds while the tests run (at low priority, in the CPU time they
# leave idle) and fuzzes after them; building once per package also saves a link
# per target. A binary runs in its package's directory, with go test's fuzz cache,
# as `go test -fuzz` would run it.
#
# A target fails when the fuzzer writes a failing input to testdata/fuzz/<target>/.
# Go 1.26's fuzz coordinator can also report "context deadline exceeded" as the
# -fuzztime deadline passes, without any failing input (golang/go#75804, fixed in Go
# 1.27): such a run is repeated once, and a second identical result fails the target.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  echo "usage: scripts/fuzz.sh build BINDIR | scripts/fuzz.sh run BINDIR FUZZTIME [JSONDIR]" >&2
  exit 2
}
[ $# -ge 2 ] || usage
cmd=$1 bindir=$2
mkdir -p "$bindir"
bindir=$(cd "$bindir" && pwd)
module=$(go list -m)

# targets prints "dir target" for every fuzz target, dir relative to the root.
targets() {
  grep -rl --include='*_test.go' --exclude-dir=node_modules -E '^func Fuzz[A-Za-z0-9_]+\(' . | sort |
    while read -r file; do
      for target in $(grep -oE '^func Fuzz[A-Za-z0-9_]+' "$file" | sed 's/^func //'); do
        echo "$(dirname "${file#./}") $target"
      done
    done
}

binary() { echo "$bindir/${1//\//_}.fuzz.test"; }

build() { # dir
  local bin
  bin=$(binary "$1")
  # Written under another name first: a build stopped half-way leaves no binary.
  [ -x "$bin" ] || { go test -c -fuzz=. -trimpath -o "$bin.part" "./$1" && mv "$bin.part" "$bin"; }
}

fuzz_one() { # dir target fuzztime jsondir
  local dir=$1 target=$2 fuzztime=$3 jsondir=$4 corpus="$1/testdata/fuzz/$2" json
  local before after execs bin
  bin=$(binary "$dir")
  json=$(mktemp)
  for attempt in 1 2; do
    before=$(ls "$corpus" 2>/dev/null | sort || true)
    if (cd "$dir" && go tool test2json -p "$module/$dir" -t "$bin" -test.v=test2json -test.paniconexit0 \
      -test.run='^$' -test.fuzz="^${target}\$" -test.fuzztime="$fuzztime" \
      -test.fuzzcachedir="$(go env GOCACHE)/fuzz/$module/$dir") >"$json"; then
      execs=$(grep -oE 'execs: [0-9]+' "$json" | tail -n 1 | cut -d' ' -f2 || true)
      echo "fuzz: $target ($dir) ok: ${execs:-?} inputs in $fuzztime"
      [ -z "$jsondir" ] || mv "$json" "$jsondir/$target.json"
      return 0
    fi
    echo "fuzz: $target ($dir) FAILED (attempt $attempt):"
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
  [ -z "$jsondir" ] || mv "$json" "$jsondir/$target.json"
  return 1
}

case $cmd in
build)
  for dir in $(targets | cut -d' ' -f1 | sort -u); do
    build "$dir"
  done
  ;;
run)
  [ $# -ge 3 ] || usage
  fuzztime=$3 jsondir=${4:-}
  [ -z "$jsondir" ] || mkdir -p "$jsondir"
  status=0
  while read -r dir target; do
    build "$dir" && fuzz_one "$dir" "$target" "$fuzztime" "$jsondir" || status=1
  done < <(targets)
  exit $status
  ;;
*) usage ;;
esac
