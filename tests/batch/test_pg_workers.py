"""Two worker processes share one batch through a real PostgreSQL: every item runs exactly once."""
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from moa_core.batch.runner import create_batch
from moa_core.storage import RunStore

pytestmark = pytest.mark.slow  # out of the quick tier: batch workers in processes on PostgreSQL

ROOT = Path(__file__).resolve().parents[2]
N = 24


@pytest.mark.postgres
def test_two_processes_no_duplicates_no_losses(postgres_url, systems, llm):
    for model in ("p1", "p2", "p3", "agg", "base"):
        llm.set(model, latency_s=0.1)
    store = RunStore.open(postgres_url)
    set_id = store.catalog.save_eval_set("pg", [{"query": f"pg question {i}?"} for i in range(N)])
    batch_id = create_batch(store, set_id, systems(), concurrency=4, cache=False)
    env = {**os.environ, "DATABASE_URL": postgres_url, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "moa_core.cli", "batch-worker", batch_id, "--json"]
    workers = [subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for _ in range(2)]
    outs = [w.communicate(timeout=240) for w in workers]
    assert [w.returncode for w in workers] == [0, 0], [o[1][-500:] for o in outs]
    assert all(o[1].splitlines()[0] == f"batch {batch_id}: joining as a worker" for o in outs)
    assert store.batches.get_batch(batch_id).status == "done"
    items = store.batches.batch_items(batch_id)
    assert Counter(i.status for i in items) == {"done": 2 * N}
    assert all(i.attempts == 1 for i in items)  # no item was claimed twice
    assert len({i.claimed_by for i in items}) == 2  # both workers took a share
    # the server saw each call exactly once: no duplicates, none lost
    for model in ("p1", "p2", "p3", "agg", "base"):
        asked = Counter(r.messages[-1]["content"] for r in llm.requests if r.model == model)
        assert len(asked) == N and set(asked.values()) == {1}, model
    runs = {i.run_id for i in items}
    assert len(runs) == 2 * N and all(store.get_run(r).status == "ok" for r in runs)
    assert all(json.loads(o[0])["status"] in ("done", "running") for o in outs)
    store.close()
