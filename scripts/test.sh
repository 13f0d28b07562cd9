#!/usr/bin/env bash
# Sets up everything (Python packages, Chromium, PostgreSQL) and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/system-deps.sh
exec .venv/bin/python -m pytest "$@"
