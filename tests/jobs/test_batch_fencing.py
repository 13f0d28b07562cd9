"""Batch jobs under a worker that froze past its lease, and beside a run on one worker (issue 26).

- Fencing: worker A freezes mid-batch (its event loop blocked: no heartbeat, no lane moves), its lease lapses,
  worker B takes the job over and works on. When A wakes it must write nothing: not mark the batch
  `interrupted` under B, not claim items, not give claims back or close items.
- Off the loop: a batch whose store is slow (1 s per call) on the same worker as a streaming run must not add
  those seconds to the run's measured call latency.
Two JobRunners in one process with distinct owners, a real SQLite file, the loopback LLM server.
"""
from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from functools import wraps

import pytest

from moa_core.batch.runner import create_batch
from moa_core.jobs.batches import submit_batch
from moa_core.jobs.runner import JobRunner
from moa_core.jobs.runs import submit_run
from tests.browser_support import eventually
from tests.jobs.test_batch_jobs import MODELS, _runs, make_set, store, systems  # noqa: F401 (fixtures)

pytestmark = pytest.mark.slow


def _runner(store, owner: str, **kw) -> JobRunner:
    return JobRunner(store, owner=owner, heartbeat_s=0.2, poll_s=0.05, sweep_s=0.1, **kw)


def _freeze(runner: JobRunner) -> threading.Event:
    """Block the runner's event loop (as SIGSTOP or a long pause would) until the returned event is set."""
    gate, frozen = threading.Event(), threading.Event()

    def block():
        frozen.set()
        gate.wait(120)

    runner._loop.call_soon_threadsafe(block)
    assert frozen.wait(10), "the worker's loop never ran the freeze"
    return gate


@pytest.mark.parametrize("wake", ["while B works", "after B finished"])
def test_a_frozen_worker_that_lost_its_batch_writes_nothing_when_it_wakes(store, systems, llm, wake):
    _frozen_worker_wakes(store, systems, llm, wake)


@pytest.mark.postgres
def test_a_frozen_worker_that_lost_its_batch_writes_nothing_on_postgresql(postgres_url, systems, llm):
    """The same on PostgreSQL, where the fence's job row is read FOR SHARE (a takeover waits for the write)."""
    from moa_core.storage import RunStore

    pg = RunStore.open(postgres_url)
    try:
        _frozen_worker_wakes(pg, systems, llm, "while B works")
    finally:
        pg.close()


def _frozen_worker_wakes(store, systems, llm, wake: str) -> None:
    for model in MODELS:
        llm.set(model, latency_s=0.4)
    n = 8
    eval_set = store.catalog.save_eval_set("set", [{"query": f"question {i}?"} for i in range(n)])
    batch_id = create_batch(store, eval_set, systems, concurrency=2, cache=False)
    job_id = submit_batch(store, batch_id)
    a = _runner(store, "worker-A", lease_s=1.0)
    a_thread = a.start_thread()
    b = b_thread = None
    gate = None
    try:
        assert eventually(lambda: store.batches.batch_counts(batch_id)["done"] >= 2
                          and store.batches.batch_counts(batch_id)["running"] >= 1, timeout_s=60)
        gate = _freeze(a)
        done_by_a = {i.id for i in store.batches.batch_items(batch_id) if i.status == "done"}
        b = _runner(store, "worker-B", lease_s=10.0)
        b_thread = b.start_thread()
        assert eventually(lambda: store.jobs.get_job(job_id).lease_owner == "worker-B", timeout_s=30)
        if wake == "while B works":
            taken = store.batches.batch_counts(batch_id)["done"]
            assert eventually(lambda: store.batches.batch_counts(batch_id)["done"] > taken, timeout_s=30)
            assert store.batches.batch_counts(batch_id)["pending"] > 0, "B finished before A could wake mid-batch"
            gate.set()
            assert eventually(lambda: not a._running, timeout_s=30), "A never dropped the job it lost"
            assert store.batches.get_batch(batch_id).status == "running"  # A did not mark it interrupted under B
        assert eventually(lambda: store.jobs.get_job(job_id).status == "done", timeout_s=90), \
            (store.jobs.get_job(job_id), store.batches.batch_counts(batch_id))
        if wake == "after B finished":
            gate.set()
            assert eventually(lambda: not a._running, timeout_s=30), "A never dropped the job it lost"
        time.sleep(0.5)  # anything A still had queued lands now
    finally:
        if gate is not None:
            gate.set()
        for runner, thread in ((a, a_thread), (b, b_thread)):
            if runner is not None:
                runner.stop()
                thread.join(30)
    assert job_id not in a.finished and b.finished == {job_id: "done"}
    job = store.jobs.get_job(job_id)
    assert job.status == "done" and job.attempts == 2
    batch = store.batches.get_batch(batch_id)
    assert batch.status == "done", (batch.status, batch.error)
    items = store.batches.batch_items(batch_id)
    assert Counter(i.status for i in items) == {"done": 2 * n}  # every item answered, each closed once
    late_by_a = [i.id for i in items if i.claimed_by == "worker-A" and i.id not in done_by_a]
    assert late_by_a == [], "A claimed or closed items after it lost the job"
    assert len({i.run_id for i in items}) == 2 * n
    assert all(store.get_run(i.run_id).status == "ok" for i in items)  # no item's run interrupted by A
    runs, running_calls = _runs(store, batch_id)
    assert [r for r in runs if r.status == "running"] == [] and running_calls == []


def _slowed(method, delay_s: float):
    @wraps(method)
    def slow(*args, **kwargs):
        time.sleep(delay_s)
        return method(*args, **kwargs)
    return slow


def test_a_batchs_slow_store_does_not_delay_a_run_streaming_on_the_same_worker(store, make_set, systems, llm,
                                                                             lineup_for, monkeypatch):
    """Every store verb the batch code calls directly sleeps 1 s (a locked SQLite, a slow PostgreSQL); the run's
    calls (1.5 s at the loopback server) must be recorded at about 1.5 s, not 1.5 s plus the sleeps they
    overlapped (on the loop, one batch start alone blocked it for several seconds)."""
    latency = 1.5
    for model in ("a", "b", "agg"):
        llm.set(model, text="Ten, " * 20, latency_s=latency)
    batch_id = create_batch(store, make_set(2), systems[1:], concurrency=2, cache=False)
    for verb in ("get_batch", "set_batch_status", "recover_batch", "batch_counts", "release_claims",
                 "claim_items", "finish_item", "judge_items", "batch_runs"):
        monkeypatch.setattr(store.batches, verb, _slowed(getattr(store.batches, verb), 1.0))
    monkeypatch.setattr(store.catalog, "eval_set_items", _slowed(store.catalog.eval_set_items, 1.0))
    run_id = submit_run(store, "How many?", lineup_for(["a", "b"]))
    job_id = submit_batch(store, batch_id)  # queued after the run: claimed while the run's calls stream
    runner = _runner(store, "worker-1", concurrency=2)
    asyncio.run(runner.serve(until_idle=True))
    assert runner.finished == {run_id: "done", job_id: "done"}
    assert store.batches.get_batch(batch_id).status == "done"
    run = store.get_run(run_id)
    assert run.status == "ok" and len(run.calls) == 3
    latencies = [round(c.duration_s, 2) for c in run.calls]
    assert all(latency - 0.05 <= s <= latency + 0.5 for s in latencies), latencies
