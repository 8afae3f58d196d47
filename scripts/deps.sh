#!/usr/bin/env bash
# Makes sure the machine has what `make test` needs; `make test` and .ci/run both
# call it. Debian packages that are missing are installed when running as root
# (apt-get); otherwise it stops at once and prints the exact command to run. Says
# nothing when everything is there, so running it again costs nothing.
#
# SKIP_BROWSER=1, SKIP_REDIS=1 and SKIP_POSTGRES=1 opt out of the tests that need
# Chromium, redis-server and PostgreSQL; their packages are then not required.
# (The npm packages come from `make assets`: npm ci, pinned by package-lock.json.)
set -euo pipefail

have() { command -v "$1" >/dev/null 2>&1; }

if ! have go; then
  echo "Go is not installed: get Go 1.26 or newer from https://go.dev/dl/ (Debian's golang package is older)." >&2
  exit 1
fi

need=()
optouts=()
if [ "${SKIP_BROWSER:-}" != 1 ]; then
  have chromium || { need+=(chromium); optouts+=(SKIP_BROWSER=1); }
fi
if [ "${SKIP_REDIS:-}" != 1 ]; then
  have redis-server || { need+=(redis-server); optouts+=(SKIP_REDIS=1); }
fi
if [ "${SKIP_POSTGRES:-}" != 1 ]; then
  if ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || ! have psql; then
    need+=(postgresql)
    optouts+=(SKIP_POSTGRES=1)
  fi
fi
have npm || need+=(npm)
have git || need+=(git)
have make || need+=(make)
[ ${#need[@]} -eq 0 ] && exit 0

install="apt-get install -y --no-install-recommends ${need[*]}"
if [ "$(id -u)" != 0 ] || ! have apt-get; then
  echo "The tests need Debian packages that are not installed: ${need[*]}" >&2
  echo "Install them with:" >&2
  echo >&2
  echo "    sudo apt-get update && sudo $install" >&2
  echo >&2
  if [ ${#optouts[@]} -gt 0 ]; then
    echo "or skip the tests that need them: ${optouts[*]} make test" >&2
  fi
  exit 1
fi
echo "installing the Debian packages the tests need: ${need[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive $install -qq >/dev/null
