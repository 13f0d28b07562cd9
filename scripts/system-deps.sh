#!/usr/bin/env bash
# System packages the test suite drives for real: Chromium (browser tests), PostgreSQL (storage tests), strace.
set -euo pipefail
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v strace >/dev/null || need+=(strace)  # the no-network test watches native code's connect() calls
[ ${#need[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
if ! command -v apt-get >/dev/null || { [ -n "$SUDO" ] && ! command -v sudo >/dev/null; }; then
  echo "system-deps: cannot install ${need[*]} (needs apt-get and root); those tests will skip" >&2
  exit 0
fi
echo "system-deps: installing ${need[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
