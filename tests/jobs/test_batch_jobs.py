"""Batches as jobs of `moa worker` (issue 26): the batch runs in the worker, Cancel is the job's Stop, and a worker
that dies mid-batch (SIGKILL on this host, or a lease that lapsed on another) loses nothing: the next worker
gives the dead one's item claims back and finishes the batch, every item answered once."""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from moa_core.batch.runner import create_batch
from moa_core.jobs.batches import batch_job, submit_batch
from moa_core.jobs.runner import JobRunner
from moa_core.records import utcnow
from moa_core.storage import RunStore
from moa_core.storage.batches import item_run_id
from moa_core.storage.jobs import MAX_STALLED_TAKEOVERS
from moa_core.storage.schema import Call, Run
from tests.browser_support import eventually

ROOT = Path(__file__).resolve().parents[2]
OTHER_HOST = "elsewhere:4242:99"  # a worker on another machine: judged by its lease alone
MODELS = ("p1", "p2", "p3", "agg", "base")


@pytest.fixture
def store(private_data_dir):
    private_data_dir.mkdir(parents=True, exist_ok=True)
    s = RunStore.open(f"sqlite:///{private_data_dir / 'moa.db'}")
    yield s
    s.close()


@pytest.fixture
def make_set(store):
    def make(n: int) -> int:
        return store.catalog.save_eval_set("set", [{"query": f"question {i}?"} for i in range(n)])
    return make


@pytest.fixture
def systems(llm):
    from moa_core.batch.systems import moa_system, single_system
    from moa_core.lineup import Lineup, ModelSpec

    def spec(name: str) -> ModelSpec:
        return ModelSpec(model=name, api_base=llm.base_url, max_tokens=64)

    lineup = Lineup(proposers=[spec(p) for p in MODELS[:3]], aggregator=spec("agg"), timeout_s=30, max_retries=0)
    return [moa_system(lineup), single_system(spec("base"))]


def _runner(store, **kw) -> JobRunner:
    return JobRunner(store, heartbeat_s=0.2, poll_s=0.05, sweep_s=0.1, **kw)


def _asked(llm, since: int, n: int) -> Counter:
    """How many requests asked each eval item's question (any model), after request number `since`."""
    questions = [f"question {i}?" for i in range(n)]
    return Counter(q for r in llm.requests[since:] for q in questions if q in str(r.messages))


def _runs(store, batch_id):
    with store._read() as s:
        runs = list(s.execute(select(Run.id, Run.status, Run.batch_id).where(Run.id.startswith(batch_id))))
        calls = list(s.execute(select(Call.call_id).join(Run, Run.id == Call.run_id).where(
            Run.id.startswith(batch_id), Call.status == "running")))
    return runs, calls


def _take_over(store, job_id: str, owner: str, finish: int = 0, batch_id: str | None = None) -> str:
    """`owner` claims the job and one item, finishes `finish` other items, then dies: what the takeover made of it."""
    assert store.jobs.claim_job(owner).id == job_id
    if batch_id:
        for item in store.batches.claim_items(batch_id, owner, finish):
            assert store.batches.finish_item(item.id, owner, "done")
        store.batches.claim_items(batch_id, owner, 1)  # in flight when it died
    return store.jobs.take_over_expired(now=utcnow() + timedelta(minutes=5))[job_id]


def test_a_lapsed_batch_job_that_made_progress_goes_back_to_the_queue_noting_its_owner_however_often(
        store, make_set, systems):
    """The queue's rule for a batch job: its items keep their progress, so a takeover after an item was newly done
    re-queues it (never failed after MAX_ATTEMPTS as a run that never started), and the owners whose leases lapsed
    are in its payload for the next holder to give their item claims back."""
    batch_id = create_batch(store, make_set(6), systems)
    job_id = submit_batch(store, batch_id)
    owners = [f"{OTHER_HOST}{n}" for n in range(MAX_STALLED_TAKEOVERS + 2)]
    for n, owner in enumerate(owners):
        assert _take_over(store, job_id, owner, finish=1, batch_id=batch_id) == "queued"
        store.batches.release_claims(batch_id, owner)  # what the next holder does first
    job = store.jobs.get_job(job_id)
    assert job.status == "queued" and job.lease_owner is None
    assert job.payload == {"batch_id": batch_id, "resume": False, "lapsed_owners": owners,
                           "done_at_takeover": len(owners), "stalled_takeovers": 0}


def test_a_batch_job_whose_workers_keep_dying_without_finishing_an_item_fails_saying_so(store, make_set, systems):
    """A poison item (or OOM) kills every worker that takes the batch: without a limit the job went back to the
    queue for ever. Takeovers without an item newly done are counted (one with progress starts the count again);
    at MAX_STALLED_TAKEOVERS the job fails, the dead owners' claims are given back, the batch row says why and
    keeps its finished items."""
    batch_id = create_batch(store, make_set(3), systems)
    job_id = submit_batch(store, batch_id)
    assert _take_over(store, job_id, "w0", finish=2, batch_id=batch_id) == "queued"  # progress: not counted
    for n in range(1, MAX_STALLED_TAKEOVERS):
        assert _take_over(store, job_id, f"w{n}", batch_id=batch_id) == "queued"
        assert store.jobs.get_job(job_id).payload["stalled_takeovers"] == n
    last = f"w{MAX_STALLED_TAKEOVERS}"
    assert _take_over(store, job_id, last, batch_id=batch_id) == "failed"
    job = store.jobs.get_job(job_id)
    error = f"its worker stopped {MAX_STALLED_TAKEOVERS} times without finishing an item"
    assert job.status == "failed" and job.error == error and job.payload == {} and job.lease_owner is None
    batch = store.batches.get_batch(batch_id)
    assert batch.status == "failed" and batch.error.startswith(error)
    assert store.batches.batch_counts(batch_id) == {"pending": 4, "running": 0, "done": 2, "failed": 0}
    assert store.jobs.take_over_expired(now=utcnow() + timedelta(minutes=10)) == {}  # settled for good


@pytest.mark.slow
def test_a_batch_job_is_run_by_the_worker_to_the_end(store, make_set, systems, llm):
    batch_id = create_batch(store, make_set(3), systems, concurrency=4, cache=False)
    job_id = submit_batch(store, batch_id)
    assert batch_job(store, batch_id).id == job_id and llm.requests == []  # submitted: nothing asked yet
    runner = _runner(store)
    asyncio.run(runner.serve(until_idle=True))
    assert runner.finished == {job_id: "done"} and batch_job(store, batch_id) is None
    assert store.batches.get_batch(batch_id).status == "done"
    assert store.batches.batch_counts(batch_id) == {"pending": 0, "running": 0, "done": 6, "failed": 0}
    assert store.jobs.get_job(job_id).payload == {}


@pytest.mark.slow
def test_cancel_is_the_jobs_stop_flag_and_leaves_no_run_running(store, make_set, systems, llm):
    for model in MODELS:
        llm.set(model, latency_s=0.5)
    batch_id = create_batch(store, make_set(12), systems, concurrency=4, cache=False)
    job_id = submit_batch(store, batch_id)
    runner = _runner(store)
    thread = runner.start_thread()
    try:
        assert eventually(lambda: store.batches.batch_counts(batch_id)["done"] >= 1
                          and any(r.status == "running" for r in _runs(store, batch_id)[0]), timeout_s=60)
        pressed = time.monotonic()
        assert store.jobs.request_cancel(job_id) == "running"
        assert eventually(lambda: store.jobs.get_job(job_id).status == "cancelled", timeout_s=10)
        took = time.monotonic() - pressed
    finally:
        runner.stop()
        thread.join(30)
    assert took < 3, f"Cancel took {took:.2f} s"
    assert store.batches.get_batch(batch_id).status == "cancelled"
    runs, running_calls = _runs(store, batch_id)
    assert [r for r in runs if r.status == "running"] == [] and running_calls == []
    assert "cancelled" in {r.status for r in runs}  # the calls in flight were stopped, not waited for
    counts = store.batches.batch_counts(batch_id)
    assert counts["running"] == 0 and counts["pending"] > 0  # the rest is there for a resume


@pytest.mark.slow
def test_a_batch_whose_worker_on_another_host_vanished_is_finished_by_the_next_worker(store, make_set, systems, llm):
    """The lease lapsed (no pid to check on another host): its item claims would stay `running` for an hour
    (STALE_CLAIM_S) and the batch never end; the next holder gives them back at once. An item whose run had
    finished is kept, not asked again."""
    from tests.review.samples import moa_run

    batch_id = create_batch(store, make_set(3), systems, concurrency=2, cache=False)
    job_id = submit_batch(store, batch_id)
    assert store.jobs.claim_job(OTHER_HOST, lease_s=0.01).id == job_id
    finished, in_flight = store.batches.claim_items(batch_id, OTHER_HOST, 2)
    run = moa_run(query=f"question {0}?")
    run.run_id = item_run_id(batch_id, finished.id, finished.attempts)
    store.save_run(run)  # its run was stored; the worker vanished before closing the item
    time.sleep(0.05)
    runner = _runner(store)
    thread = runner.start_thread()
    try:
        assert eventually(lambda: store.batches.get_batch(batch_id).status == "done", timeout_s=60), \
            (store.batches.get_batch(batch_id).status, store.batches.batch_counts(batch_id))
    finally:
        runner.stop()
        thread.join(30)
    job = store.jobs.get_job(job_id)
    assert job.status == "done" and job.attempts == 2
    items = {i.id: i for i in store.batches.batch_items(batch_id)}
    assert Counter(i.status for i in items.values()) == {"done": 6}
    assert items[finished.id].run_id == run.run_id  # kept as it was
    assert store.get_run(items[in_flight.id].run_id).status == "ok"  # asked again by the new worker


@pytest.mark.slow
def test_cancel_pressed_while_the_worker_died_closes_the_batch_cancelled(store, make_set, systems, llm):
    batch_id = create_batch(store, make_set(2), systems, concurrency=2, cache=False)
    job_id = submit_batch(store, batch_id)
    store.jobs.claim_job(OTHER_HOST, lease_s=0.01)
    store.batches.claim_items(batch_id, OTHER_HOST, 2)
    assert store.jobs.request_cancel(job_id) == "running"
    time.sleep(0.05)
    runner = _runner(store)
    thread = runner.start_thread()
    try:
        assert eventually(lambda: not store.jobs.get_job(job_id).active, timeout_s=30)
    finally:
        runner.stop()
        thread.join(30)
    assert store.batches.get_batch(batch_id).status == "cancelled"
    assert store.batches.batch_counts(batch_id) == {"pending": 4, "running": 0, "done": 0, "failed": 0}
    assert llm.requests == []  # nothing was asked after the cancel


@pytest.mark.slow
def test_a_worker_killed_mid_batch_is_taken_over_and_every_item_answered_once(store, make_set, systems, llm,
                                                                             private_data_dir, tmp_path):
    """SIGKILL of a `moa worker` process running a batch (two items hang until after the kill); a second worker
    takes the job over and finishes the batch. Items done before the kill are not asked again; each item ends
    done once, with one ok run."""
    n, gated = 6, ("question 4?", "question 5?")
    gate = threading.Event()

    def answer(model):
        def reply(messages):
            if any(q in str(messages) for q in gated):
                gate.wait(120)  # in flight when the worker is killed
            return f"{model} answers."
        return reply

    for model in MODELS:
        llm.set(model, reply=answer(model))
    batch_id = create_batch(store, make_set(n), systems, concurrency=2, cache=False)
    job_id = submit_batch(store, batch_id)
    env = {**os.environ, "DATABASE_URL": str(store.engine.url), "PYTHONPATH": str(ROOT)}
    log = open(tmp_path / "worker.log", "w")
    worker = subprocess.Popen([sys.executable, "-m", "moa_core.cli", "worker"], cwd=ROOT, env=env, stdout=log,
                              stderr=subprocess.STDOUT)
    try:
        assert eventually(lambda: store.batches.batch_counts(batch_id)["done"] >= 2 * (n - len(gated)), 90), \
            (tmp_path / "worker.log").read_text()[-2000:]
        assert eventually(lambda: store.batches.batch_counts(batch_id)["running"] >= 1, 30)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
        log.close()
        gate.set()
    assert store.jobs.get_job(job_id).status == "running"  # nobody has looked yet
    done_before = {i.id: i.run_id for i in store.batches.batch_items(batch_id) if i.status == "done"}
    seen = len(llm.requests)
    runner = _runner(store)
    thread = runner.start_thread()
    try:
        assert eventually(lambda: store.batches.get_batch(batch_id).status == "done", timeout_s=120), \
            store.batches.batch_counts(batch_id)
    finally:
        runner.stop()
        thread.join(30)
    assert store.jobs.get_job(job_id).status == "done" and store.jobs.get_job(job_id).attempts == 2
    assert set(_asked(llm, seen, n)) == set(gated)  # only the unfinished items were asked again
    items = store.batches.batch_items(batch_id)
    assert Counter(i.status for i in items) == {"done": 2 * n}
    assert {i.id: i.run_id for i in items if i.id in done_before} == done_before  # finished runs kept as they were
    assert len({i.run_id for i in items}) == 2 * n
    assert all(store.get_run(i.run_id).status == "ok" for i in items)
    runs, running_calls = _runs(store, batch_id)
    assert [r for r in runs if r.status == "running"] == [] and running_calls == []


@pytest.mark.slow
def test_a_worker_stopping_mid_batch_hands_the_job_back_and_the_next_worker_finishes_it(store, make_set, systems,
                                                                                       llm):
    """SIGTERM's path (`stop()` after the grace): the calls in flight are cancelled, the claims given back, the
    job queued again (not closed: the batch started no run of its own); the next worker resumes it."""
    for model in MODELS:
        llm.set(model, latency_s=0.3)
    batch_id = create_batch(store, make_set(8), systems, concurrency=2, cache=False)
    job_id = submit_batch(store, batch_id)
    runner = _runner(store, grace_s=0.1)
    thread = runner.start_thread()
    try:
        assert eventually(lambda: store.batches.batch_counts(batch_id)["done"] >= 2
                          and store.batches.batch_counts(batch_id)["running"] >= 1, timeout_s=60)
    finally:
        runner.stop()
        thread.join(30)
    assert runner.finished == {job_id: "queued"}
    job = store.jobs.get_job(job_id)
    assert job.status == "queued" and job.payload["batch_id"] == batch_id
    assert store.batches.get_batch(batch_id).status == "interrupted"
    counts = store.batches.batch_counts(batch_id)
    assert counts["running"] == 0 and counts["pending"] > 0
    for model in MODELS:
        llm.set(model, latency_s=0.0)
    asyncio.run(_runner(store).serve(until_idle=True))
    assert store.jobs.get_job(job_id).status == "done" and store.jobs.get_job(job_id).attempts == 2
    assert store.batches.get_batch(batch_id).status == "done"
    assert Counter(i.status for i in store.batches.batch_items(batch_id)) == {"done": 16}
    runs, running_calls = _runs(store, batch_id)
    assert [r for r in runs if r.status == "running"] == [] and running_calls == []


@pytest.mark.slow
def test_a_poison_item_that_kills_every_worker_fails_the_batch_job_instead_of_looping(store, make_set, systems, llm,
                                                                                     tmp_path):
    """Real `moa worker` processes: asking one item's question SIGKILLs the worker that asked (a poison item, an
    OOM kill). Each new worker takes the job over and dies on it again; before the limit this went on for ever.
    Now the takeover after the third death without an item done fails the job and the batch says why."""
    workers: list[subprocess.Popen] = []
    hold = threading.Event()

    def reply(messages):
        if "question 1?" in str(messages):
            os.kill(workers[-1].pid, signal.SIGKILL)
        hold.wait(60)  # the other items are in flight when the worker dies: none is ever done
        return "An answer."

    llm.set("base", reply=reply)
    # concurrency 3: the three items' calls go at once, so the poison is asked whatever the lanes' order
    batch_id = create_batch(store, make_set(3), systems[1:], concurrency=3, cache=False)
    job_id = submit_batch(store, batch_id)
    env = {**os.environ, "DATABASE_URL": str(store.engine.url), "PYTHONPATH": str(ROOT)}
    log = open(tmp_path / "workers.log", "w")
    try:
        while store.jobs.get_job(job_id).status != "failed" and len(workers) < MAX_STALLED_TAKEOVERS + 2:
            workers.append(subprocess.Popen([sys.executable, "-m", "moa_core.cli", "worker"], cwd=ROOT, env=env,
                                            stdout=log, stderr=subprocess.STDOUT))
            assert eventually(lambda: workers[-1].poll() is not None or store.jobs.get_job(job_id).status == "failed",
                              timeout_s=60), (tmp_path / "workers.log").read_text()[-2000:]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.terminate()
                worker.wait(30)
        log.close()
        hold.set()
    assert len(workers) == MAX_STALLED_TAKEOVERS + 1  # three killed, the fourth settled the job and lived
    job = store.jobs.get_job(job_id)
    assert job.status == "failed" and job.error == \
        f"its worker stopped {MAX_STALLED_TAKEOVERS} times without finishing an item"
    batch = store.batches.get_batch(batch_id)
    assert batch.status == "failed" and "without finishing an item" in batch.error
    assert store.batches.batch_counts(batch_id) == {"pending": 3, "running": 0, "done": 0, "failed": 0}
    runs, running_calls = _runs(store, batch_id)
    assert [r for r in runs if r.status == "running"] == [] and running_calls == []
