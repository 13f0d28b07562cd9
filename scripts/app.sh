#!/usr/bin/env bash
# Sets up and opens the MoA workbench on http://localhost:8501 (embedded offline model by default).
# Runs are jobs in the database: a `moa worker` beside Streamlit runs them (MOA_WORKERS=N starts N; on a
# team, more workers run on other machines against the same DATABASE_URL). The worker stops with Streamlit.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
workers=()
stop_workers() {
  for pid in "${workers[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${workers[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap stop_workers EXIT
for _ in $(seq "${MOA_WORKERS:-1}"); do
  .venv/bin/python -m moa_core.cli worker --grace 10 &
  workers+=("$!")
done
.venv/bin/streamlit run app.py --browser.gatherUsageStats false "$@"
