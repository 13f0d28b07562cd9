"""A batch worker killed with SIGKILL mid-batch: the next open of the store says `interrupted`,
keeps every finished item with its run and calls, gives the dead worker's claims back, and a
resume asks the server only for what had not finished (its request log proves it)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import pytest

from moa_core.batch.runner import create_batch
from moa_core.storage import RunStore
from tests.browser_support import eventually

pytestmark = pytest.mark.slow  # out of the quick tier: a worker process killed and restarted (~90 s)

ROOT = Path(__file__).resolve().parents[2]
N = 6  # eval items; items 0..3 are fast, 4 and 5 wait on a gate that only opens after the kill
GATED = ("question 4?", "question 5?")


def _dead_owner() -> str:
    """The owner token of a real process of this host that has exited."""
    out = subprocess.run([sys.executable, "-c", "from moa_core.storage.liveness import owner_token; "
                          "print(owner_token())"], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


def _eventually(check, timeout_s: float = 60.0):
    return eventually(check, timeout_s)


def test_a_batch_whose_worker_died_is_interrupted_on_open(store, make_set, systems, tmp_path):
    """Storage level: claims of a dead process of this host; one of them had its run finish."""
    batch_id = create_batch(store, make_set(3), systems(baseline=None), concurrency=1, cache=False)
    dead = _dead_owner()
    first, second = store.batches.claim_items(batch_id, dead, 2)
    from tests.review.samples import moa_run

    finished = moa_run(query="question 0?")
    from moa_core.storage.batches import item_run_id

    finished.run_id = item_run_id(batch_id, first.id, first.attempts)
    store.save_run(finished)  # its run was stored, the worker died before closing the item
    url = str(store.engine.url)

    reopened = RunStore.open(url)  # what the restarted app (or `moa batches`) does
    try:
        batch = reopened.batches.get_batch(batch_id)
        assert batch.status == "interrupted"
        assert "worker" in (batch.error or "") and "resume" in batch.error
        items = {i.id: i for i in reopened.batches.batch_items(batch_id)}
        assert items[first.id].status == "done" and items[first.id].run_id == finished.run_id
        assert items[second.id].status == "pending" and items[second.id].claimed_by is None
        assert reopened.batches.batch_counts(batch_id) == {"pending": 2, "running": 0, "done": 1, "failed": 0}
    finally:
        reopened.close()


def test_a_live_workers_batch_is_left_running(store, make_set, systems):
    batch_id = create_batch(store, make_set(2), systems(baseline=None), concurrency=1, cache=False)
    store.batches.claim_items(batch_id, "other-host:1:1", 1)  # another host, claimed just now: maybe alive
    from moa_core.storage.liveness import owner_token

    store.batches.claim_items(batch_id, owner_token(), 1)  # this very process: alive
    reopened = RunStore.open(str(store.engine.url))
    try:
        assert reopened.batches.get_batch(batch_id).status == "running"
        assert reopened.batches.batch_counts(batch_id)["running"] == 2
    finally:
        reopened.close()


def test_sigkill_of_a_batch_worker_then_resume_redoes_nothing(store, make_set, systems, llm, tmp_path):
    gate = threading.Event()

    def answer(model):
        def reply(messages):
            text = str(messages)
            if any(q in text for q in GATED):
                gate.wait(120)  # in flight when the worker is killed
            return f"{model} answers."
        return reply

    for model in ("p1", "p2", "p3", "agg", "base"):
        llm.set(model, reply=answer(model))
    set_id = store.catalog.save_eval_set("crash", [{"query": f"question {i}?"} for i in range(N)])
    batch_id = create_batch(store, set_id, systems(), concurrency=2, cache=False)
    url = str(store.engine.url)
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    log = open(tmp_path / "worker.log", "w")
    worker = subprocess.Popen([sys.executable, "-m", "moa_core.cli", "batch-worker", batch_id], cwd=ROOT, env=env,
                              stdout=log, stderr=subprocess.STDOUT)
    try:
        def fast_ones_done():
            return store.batches.batch_counts(batch_id)["done"] >= 2 * (N - len(GATED))
        assert _eventually(fast_ones_done), (tmp_path / "worker.log").read_text()[-2000:]
        assert _eventually(lambda: store.batches.batch_counts(batch_id)["running"] >= 1)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
        log.close()
        gate.set()
    assert store.batches.get_batch(batch_id).status == "running"  # nobody closed it: the process died

    done_before = {i.id: i.run_id for i in store.batches.batch_items(batch_id) if i.status == "done"}
    listed = subprocess.run([sys.executable, "-m", "moa_core.cli", "batches", "--json"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert listed.returncode == 0, listed.stderr
    row = next(r for r in json.loads(listed.stdout) if r["batch_id"] == batch_id)
    assert row["status"] == "interrupted"  # `moa batches` (any open of the store) says so

    seen = len(llm.requests)
    resumed = subprocess.run([sys.executable, "-m", "moa_core.cli", "batch", "--resume", batch_id, "--json"],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert json.loads(resumed.stdout)["status"] == "done"
    later = llm.requests[seen:]
    asked = Counter(q for r in later for q in (f"question {i}?" for i in range(N)) if q in str(r.messages))
    assert set(asked) == set(GATED), asked  # only the unfinished items were asked again
    items = store.batches.batch_items(batch_id)
    assert Counter(i.status for i in items) == {"done": 2 * N}
    assert {i.id: i.run_id for i in items if i.id in done_before} == done_before  # finished runs kept as they were
    runs = [store.get_run(i.run_id) for i in items]
    assert all(r.status == "ok" and r.calls and all(c.ok for c in r.calls) for r in runs)
    assert sorted(len(r.calls) for r in runs) == [1] * N + [4] * N  # single: 1 call; MoA: 3 proposers + aggregator
    killed = [r for r in store.list_runs(limit=100) if r.status == "interrupted"]
    # a killed attempt whose run row was already written stays, interrupted (one killed before its
    # first write has none): either way it belongs to this batch, and its item was done again
    assert all(r.run_id.startswith(batch_id) for r in killed)


# The worker dies the moment it closes a judge item (a run-less item closed `done`): after the judge answered,
# before the close is stored. A vote stored in a transaction of its own was then stored again by the resume.
_DIE_AT_JUDGE_CLOSE = """
import os, sys
from moa_core.storage.batches import Batches
finish = Batches.finish_item
def finish_item(self, item_id, worker, status, **kw):
    if status == "done" and kw.get("run_id") is None:
        os._exit(9)  # killed here: nothing after this point is written
    return finish(self, item_id, worker, status, **kw)
Batches.finish_item = finish_item
from moa_core.cli import main
sys.exit(main(["batch-worker", sys.argv[1]]))
"""


def test_a_kill_between_the_judges_answer_and_its_items_close_never_counts_a_vote_twice(
        store, make_set, systems, llm, tmp_path):
    llm.set("agg", text="MOA answer")
    llm.set("judge", text="A is better. [[A]]")
    batch_id = create_batch(store, make_set(1), systems(), judge={"model": "judge", "api_base": llm.base_url},
                            concurrency=2, cache=False)
    env = {**os.environ, "DATABASE_URL": str(store.engine.url), "PYTHONPATH": str(ROOT)}
    died = subprocess.run([sys.executable, "-c", _DIE_AT_JUDGE_CLOSE, batch_id], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert died.returncode == 9, died.stderr[-2000:]
    assert llm.request_count("judge") == 2  # the judge answered both orders before the kill
    [judge_item] = [i for i in store.batches.batch_items(batch_id) if i.system.startswith("judge:")]
    assert judge_item.status == "running"  # its close was never stored

    from moa_core.batch.runner import run_batch
    import asyncio

    out = asyncio.run(run_batch(store, batch_id, resume=True))
    assert out.status == "done" and out.counts == {"pending": 0, "running": 0, "done": 3, "failed": 0}
    votes = store.votes.batch_votes([batch_id])
    assert len(votes) == 1, [(v.id, v.system_a, v.system_b, v.winner) for v in votes]  # one pair, one vote
    assert votes[0].winner == "tie" and votes[0].comment == "order1=a order2=b"
    assert (votes[0].judge_order1, votes[0].judge_order2) == ("a", "b")
