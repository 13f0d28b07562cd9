"""`moa run` with the database unavailable says so once: in a real process (no pytest log capture), the store's
own log record reached the terminal through Python's last-resort handler and the command printed the same
could-not-store line again. Library log records go to the log in the data folder instead."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # out of the quick tier: the CLI in a subprocess

ROOT = Path(__file__).resolve().parents[2]

# The database opens, then another connection holds its write lock for the whole run (as in
# tests/storage/test_durability.py), so the finished run goes to the fallback file.
DRIVER = r"""
import sqlite3, sys, threading, time
from moa_core.storage import RunStore, db
import moa_core.storage.writer as writer
from moa_core.cli import main

path, base = sys.argv[1], sys.argv[2]
RunStore.open().close()
db.BUSY_TIMEOUT_MS = 100
writer.RETRY_DELAYS_S = (0.05, 0.05)
real_open, locked = RunStore.open, threading.Event()

def hold():
    conn = sqlite3.connect(path, isolation_level=None, timeout=30)
    conn.execute("BEGIN IMMEDIATE")
    locked.set()
    time.sleep(5)
    conn.execute("ROLLBACK")

def open_then_lock(cls, url=None):
    store = real_open(url)
    threading.Thread(target=hold, daemon=True).start()
    assert locked.wait(5)
    return store

RunStore.open = classmethod(open_then_lock)
sys.exit(main(["run", "--proposer", "p1", "--aggregator", "p1", "--api-base", base, "q"]))
"""


def test_the_could_not_store_line_and_the_summary_are_printed_once(llm, tmp_path):
    llm.set("p1", text="The answer.", latency_s=0.3)
    env = {k: v for k, v in os.environ.items() if k not in ("MOA_DEBUG",)}
    env |= {"MOA_DATA_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'moa.db'}"}
    proc = subprocess.run([sys.executable, "-c", DRIVER, str(tmp_path / "moa.db"), llm.base_url], env=env,
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    errors = [line for line in proc.stderr.splitlines() if line.strip()]
    assert proc.returncode == 1
    assert len(errors) == 1, proc.stderr
    assert errors[0].startswith("moa: error: run ") and "could not be stored" in errors[0]
    assert "unsaved-runs.jsonl" in errors[0]
    lines = proc.stdout.splitlines()
    assert sum(line.startswith("wall ") for line in lines) == 1, proc.stdout
    assert sum(line.startswith("run ") and ": ok" in line for line in lines) == 1, proc.stdout
    log = (tmp_path / "moa-cli.log").read_text(encoding="utf-8")
    assert "could not be stored" in log  # the store's record is kept for whoever reads the log
