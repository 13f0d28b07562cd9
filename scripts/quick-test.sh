#!/usr/bin/env bash
# The one-minute developer loop: every test not marked slow, browser, local_model or postgres (pure
# analysis, records, lineups, storage on SQLite, the engine on the loopback server). No apt, no Chromium,
# no PostgreSQL. The whole suite (what CI runs) stays `bash scripts/test.sh`. Extra arguments go to pytest;
# the five slowest tests are listed at the end: one that takes seconds belongs in a module marked slow.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m pytest -m "not slow and not browser and not local_model and not postgres" -q --durations=5 "$@"
