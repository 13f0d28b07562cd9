#!/usr/bin/env bash
# Sets up and opens the MoA workbench on http://localhost:8501 (embedded offline model by default).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/streamlit run app.py --browser.gatherUsageStats false "$@"
