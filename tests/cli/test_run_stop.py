"""Ctrl-C in `moa run`: one line, exit code 130, and the run stored as cancelled with what it had."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from moa_core.storage import RunStore

pytestmark = pytest.mark.slow  # out of the quick tier: a CLI subprocess stopped mid-run (~6 s)

ROOT = Path(__file__).resolve().parents[2]


def test_ctrl_c_stores_the_run_as_cancelled_with_its_finished_calls(llm, tmp_path):
    llm.set("fast", text="Thirty days.", latency_s=0.1)
    llm.set("slow", text="Ninety days.", latency_s=30)
    env = {**os.environ, "MOA_DATA_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    env.pop("DATABASE_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "moa_core.cli", "run", "--api-base", llm.base_url, "--proposer", "fast",
         "--proposer", "slow", "--aggregator", "fast", "--timeout", "60", "Notice?"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not (llm.request_count("slow") and llm.request_count("fast")):
        assert time.monotonic() < deadline, "the run never started"
        time.sleep(0.05)
    time.sleep(0.5)  # the fast proposer's answer has streamed and been recorded
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("moa: stopped: run ") and "Traceback" not in err
    assert "stored as cancelled with 1 finished call(s)" in lines[0]
    store = RunStore.open(f"sqlite:///{tmp_path / 'moa.db'}")
    [summary] = store.list_runs()
    run = store.get_run(summary.run_id)
    assert run.status == "cancelled" and "Ctrl-C" in run.note
    assert {c.model: c.status for c in run.calls} == {"fast": "ok", "slow": "cancelled"}
    store.close()
