"""Waking workers at once (issue 26): on PostgreSQL every way a job gets queued sends a notice at commit and a
listening worker claims it within a second even with a 30 s poll, also after the server restarted; on SQLite the
worker polls, shortly (`runner.POLL_S`), and sends nothing."""
from __future__ import annotations

import time
from datetime import timedelta

import psycopg
import pytest

from moa_core.jobs import runner as runner_module
from moa_core.jobs.runner import JobRunner
from moa_core.jobs.runs import submit_run
from moa_core.records import utcnow
from moa_core.storage import RunStore
from moa_core.storage.notify import CHANNEL, notify_queued
from tests.browser_support import eventually

pytestmark = pytest.mark.slow  # worker threads running real runs, a real PostgreSQL stopped and started


def queue_wait(store, job_id: str, timeout_s: float = 10.0) -> float:
    """Seconds from submitted to claimed, once a worker has claimed the job."""
    assert eventually(lambda: store.jobs.get_job(job_id).started_at is not None, timeout_s=timeout_s), \
        f"no worker claimed {job_id} within {timeout_s:g} s"
    job = store.jobs.get_job(job_id)
    return (job.started_at - job.created_at).total_seconds()


def start(runner: JobRunner):
    thread = runner.start_thread()
    assert eventually(lambda: runner.listener is not None, timeout_s=5)
    assert runner.listener.connected.wait(10), "the listener never connected"
    return thread


def stop(runner: JobRunner, thread) -> None:
    runner.stop()
    runner.stop()  # no grace
    thread.join(10)
    assert not thread.is_alive(), "the worker did not stop"
    assert not runner.listener._thread.is_alive(), "the listener thread outlived its worker"


@pytest.mark.postgres
def test_every_way_a_job_is_queued_sends_one_notice_at_commit(postgres_url):
    store = RunStore.open(postgres_url)
    with psycopg.connect(postgres_url.replace("+psycopg", ""), autocommit=True) as listen:
        listen.execute(f"LISTEN {CHANNEL}")

        def notices(wait_s: float = 1.0) -> list[str]:
            return [n.channel for n in listen.notifies(timeout=wait_s)]

        try:
            store.jobs.submit_job("j1", "batch", {})
            assert notices() == [CHANNEL]
            assert store.jobs.claim_job("host-a:1:1", 30.0).id == "j1"
            assert notices(0.5) == []  # a claim queues nothing
            assert store.jobs.release_job("j1", "host-a:1:1")  # handed back (a worker stopping)
            assert notices() == [CHANNEL]
            assert store.jobs.claim_job("host-b:1:1", 30.0).id == "j1"
            assert notices(0.5) == []
            assert store.jobs.take_over_expired(now=utcnow() + timedelta(seconds=60)) == {"j1": "queued"}
            assert notices() == [CHANNEL]  # re-queued after its lease lapsed
            with pytest.raises(RuntimeError):  # a submit rolled back sends nothing
                with store.jobs._write() as s:
                    notify_queued(s)
                    raise RuntimeError("rolled back")
            assert notices(0.5) == []
        finally:
            store.close()


@pytest.mark.postgres
def test_a_worker_polling_every_30_s_claims_a_submitted_run_within_a_second(postgres_url, llm, lineup_for):
    llm.set("a", text="Ten.")
    llm.set("agg", text="Ten.")
    store = RunStore.open(postgres_url)
    runner = JobRunner(store, heartbeat_s=0.2, poll_s=30.0)
    assert runner.listen
    thread = start(runner)
    try:
        time.sleep(0.5)  # the worker's first look (on connecting) is over: it now sleeps on its 30 s poll
        waits = []
        for i in range(3):
            run_id = submit_run(store, f"Wake up {i}", lineup_for(["a"]))
            waits.append(queue_wait(store, run_id, timeout_s=5))
            assert eventually(lambda: not store.jobs.get_job(run_id).active, timeout_s=20)
            assert store.get_run(run_id).status == "ok"
        assert max(waits) < 1.0, waits
    finally:
        stop(runner, thread)
        store.close()


@pytest.mark.postgres
def test_without_notices_the_same_worker_waits_for_its_poll(postgres_url, llm, lineup_for):
    """The control for the test above: it is the notice that wakes the worker, not something else."""
    store = RunStore.open(postgres_url)
    runner = JobRunner(store, heartbeat_s=0.2, poll_s=30.0, listen=False)
    thread = runner.start_thread()
    try:
        time.sleep(0.5)
        run_id = submit_run(store, "Nobody listens", lineup_for(["a"]))
        time.sleep(2.0)
        assert store.jobs.get_job(run_id).status == "queued"
    finally:
        runner.stop()
        thread.join(10)
        store.close()
    assert runner.listener is None


@pytest.mark.postgres
def test_the_listener_reconnects_after_the_database_restarts(postgres_server, postgres_url, llm, lineup_for):
    llm.set("a", text="Ten.")
    llm.set("agg", text="Ten.")
    store = RunStore.open(postgres_url)
    said: list[str] = []
    runner = JobRunner(store, heartbeat_s=0.2, poll_s=30.0, say=said.append)
    thread = start(runner)
    try:
        assert runner.listener.connections == 1
        postgres_server.stop_postmaster("fast")
        assert eventually(lambda: not runner.listener.connected.is_set(), timeout_s=5)
        time.sleep(2.0)
        postgres_server.start_postmaster()
        assert eventually(lambda: runner.listener.connections == 2, timeout_s=15), said
        run_id = submit_run(store, "After the restart", lineup_for(["a"]))
        assert queue_wait(store, run_id, timeout_s=5) < 1.0
        assert eventually(lambda: store.get_run(run_id) is not None and store.get_run(run_id).status == "ok",
                          timeout_s=20)
    finally:
        stop(runner, thread)
        store.close()
    lost = [line for line in said if line.startswith("job notices lost")]
    back = [line for line in said if line.startswith("job notices back")]
    assert len(lost) == 1 and len(back) == 1, said  # one line each, not one per reconnection attempt
    assert "Traceback" not in "\n".join(said)


@pytest.mark.postgres
def test_a_worker_whose_database_is_down_still_stops_at_once(postgres_server, postgres_url):
    store = RunStore.open(postgres_url)
    runner = JobRunner(store, heartbeat_s=0.2, poll_s=30.0, say=lambda line: None)
    thread = start(runner)
    try:
        postgres_server.stop_postmaster("fast")
        assert eventually(lambda: not runner.listener.connected.is_set(), timeout_s=5)
        time.sleep(1.0)  # the listener is between reconnection attempts
        began = time.monotonic()
        stop(runner, thread)
        assert time.monotonic() - began < 3.0
    finally:
        postgres_server.start_postmaster()
        store.close()


def test_sqlite_workers_poll_shortly_and_send_no_notice(private_data_dir, llm, lineup_for):
    llm.set("a", text="Ten.")
    llm.set("agg", text="Ten.")
    store = RunStore.open(f"sqlite:///{private_data_dir / 'moa.db'}")
    runner = JobRunner(store, heartbeat_s=0.2)
    assert not runner.listen and runner.poll_s == runner_module.POLL_S <= 0.2
    thread = runner.start_thread()
    try:
        time.sleep(0.3)
        waits = []
        for i in range(3):
            run_id = submit_run(store, f"Poll {i}", lineup_for(["a"]))
            waits.append(queue_wait(store, run_id, timeout_s=5))
            assert eventually(lambda: not store.jobs.get_job(run_id).active, timeout_s=20)
        assert max(waits) < runner_module.POLL_S + 0.3, waits  # a poll's interval and a claim, not more
    finally:
        runner.stop()
        thread.join(10)
        store.close()
    assert runner.listener is None
