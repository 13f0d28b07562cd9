"""Cancelling a batch the way the app does (its job's Stop flag, obeyed by the worker running it mid-flight):
every run the batch started ends finished, cancelled or interrupted, with no call left running, and linked to it."""
import time

from sqlalchemy import select

import pytest

from moa_core.batch.runner import create_batch, run_batch
from moa_core.jobs.batches import submit_batch
from moa_core.jobs.runner import JobRunner
from moa_core.storage.schema import Call, Run

pytestmark = pytest.mark.slow  # out of the quick tier: waits on running batches (~12 s)


def _runs(store):
    with store._read() as s:
        runs = list(s.execute(select(Run.id, Run.status, Run.batch_id)))
        calls = list(s.execute(select(Call.run_id, Call.status)))
    return runs, calls


def test_a_cancelled_batch_leaves_no_run_or_call_running_and_links_them_all(store, make_set, systems, llm):
    for m in ("p1", "p2", "p3", "agg", "base"):
        llm.set(m, latency_s=0.4)
    batch_id = create_batch(store, make_set(20), systems(), concurrency=8, cache=False)
    job_id = submit_batch(store, batch_id)
    worker = JobRunner(store, heartbeat_s=0.2, poll_s=0.05)
    thread = worker.start_thread()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (store.batches.batch_counts(batch_id)["done"] >= 3
                                                   and any(r.status == "running" for r in _runs(store)[0])):
            time.sleep(0.05)  # some items done, others mid-flight (proposals answered, synthesis asked)
        store.jobs.request_cancel(job_id)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and store.jobs.get_job(job_id).active:
            time.sleep(0.05)
    finally:
        worker.stop()
        thread.join(30)
    assert store.jobs.get_job(job_id).status == "cancelled"
    assert store.batches.get_batch(batch_id).status == "cancelled"
    runs, calls = _runs(store)
    assert runs and len({r.id for r in runs}) > 3
    stopped = [r for r in runs if r.status not in ("ok", "partial", "fallback")]
    assert stopped, "the cancel came while items were running"
    assert {r.status for r in stopped} == {"cancelled"}, runs  # the user cancelled: not "interrupted"
    assert [r for r in runs if r.batch_id != batch_id] == []
    assert [c for c in calls if c.status == "running"] == []
    # finished items stay done; the rest is pending for a resume, which finishes the batch
    counts = store.batches.batch_counts(batch_id)
    assert counts["running"] == 0 and counts["pending"] > 0
    for m in ("p1", "p2", "p3", "agg", "base"):
        llm.set(m, latency_s=0.0)
    import asyncio

    out = asyncio.run(run_batch(store, batch_id, resume=True))
    assert out.status == "done" and out.counts["done"] == 40


def test_after_a_kill_the_batch_runs_are_interrupted_linked_and_no_call_runs(store, make_set, systems, tmp_path):
    """Storage level, as the restarted app finds it: the dead worker's run was stored mid-way with a
    proposal answered and the synthesis call still `running`."""
    from sqlalchemy import update

    from moa_core.records import CallRecord, RunRecord
    from moa_core.storage import RunStore
    from moa_core.storage.batches import item_run_id
    from tests.batch.test_crash import _dead_owner

    batch_id = create_batch(store, make_set(1), systems(baseline=None), concurrency=1, cache=False)
    dead = _dead_owner()
    [item] = store.batches.claim_items(batch_id, dead, 1)
    run = RunRecord(query="question 0?", lineup={"name": "moa"}, calls=[
        CallRecord(role="proposer", round=1, index=0, model="p1", label="p1", status="ok", text="p1 says", started_s=0.0,
                   ended_s=1.0),
        CallRecord(role="aggregator", round=1, index=0, model="agg", label="agg", status="running", started_s=1.0)])
    run.run_id = item_run_id(batch_id, item.id, item.attempts)
    store.save_run(run)
    with store._write() as s:
        s.execute(update(Run).where(Run.id == run.run_id).values(owner=dead))

    reopened = RunStore.open(str(store.engine.url))
    try:
        assert reopened.batches.get_batch(batch_id).status == "interrupted"
        runs, calls = _runs(reopened)
        assert [(r.status, r.batch_id) for r in runs] == [("interrupted", batch_id)]
        assert sorted(c.status for c in calls) == ["failed", "ok"]  # no call left running
        stopped = next(c for c in reopened.get_run(run.run_id).calls if c.role == "aggregator")
        assert stopped.error == "interrupted: the process running it stopped"  # as any killed run's calls
    finally:
        reopened.close()
