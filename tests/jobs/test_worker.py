"""`moa worker` and its runner against the loopback server and a real SQLite file: runs through the queue, Stop
within a second, a run that cannot start, follow-ups, SIGTERM (hand back or close) and SIGKILL (taken over)."""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from moa_core.jobs.runner import JobRunner
from moa_core.jobs.runs import STOPPED_NOTE, submit_run
from moa_core.storage import RunStore
from tests.browser_support import eventually

pytestmark = pytest.mark.slow  # out of the quick tier: real runs, a worker subprocess (~20 s)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def store(private_data_dir):
    s = RunStore.open(f"sqlite:///{private_data_dir / 'moa.db'}")
    yield s
    s.close()


def serve_until_idle(store, **kw) -> JobRunner:
    runner = JobRunner(store, heartbeat_s=0.2, poll_s=0.05, **kw)
    asyncio.run(runner.serve(until_idle=True))
    return runner


def test_a_queued_run_is_run_by_the_worker_and_recorded_under_its_id(store, llm, lineup_for):
    llm.set("a", text="Alpha says ten.")
    llm.set("b", text="Beta says ten.")
    llm.set("agg", text="Ten.")
    run_id = submit_run(store, "How many?", lineup_for(["a", "b"]))
    job = store.jobs.job_for_run(run_id)
    assert job.status == "queued" and job.kind == "run" and job.payload["query"] == "How many?"
    runner = serve_until_idle(store)
    assert runner.finished == {run_id: "done"}
    job, run = store.jobs.get_job(run_id), store.get_run(run_id)
    assert job.status == "done" and job.payload == {} and job.attempts == 1
    assert run.status == "ok" and run.final == "Ten." and [c.status for c in run.calls] == ["ok"] * 3


def test_stop_is_obeyed_within_a_second_and_keeps_the_finished_calls(store, llm, lineup_for):
    llm.set("fast", text="Quick answer.")
    llm.set("slow", text=" ".join(["word"] * 400), latency_s=30)
    run_id = submit_run(store, "Stop me", lineup_for(["fast", "slow"]))
    runner = JobRunner(store, heartbeat_s=0.5, poll_s=0.05)
    thread = runner.start_thread()
    try:
        assert eventually(lambda: (r := store.get_run(run_id)) is not None and len(r.calls) == 2
                          and r.calls[1].text, timeout_s=30), "the slow call never streamed into the store"
        pressed = time.monotonic()
        assert store.jobs.request_cancel(run_id) == "running"
        assert eventually(lambda: store.jobs.get_job(run_id).status == "cancelled", timeout_s=5)
        took = time.monotonic() - pressed
    finally:
        runner.stop()
        thread.join(30)
    assert took < 1.5, f"Stop took {took:.2f} s"
    run = store.get_run(run_id)
    assert run.status == "cancelled" and run.note == STOPPED_NOTE
    assert [(c.model, c.status) for c in run.calls] == [("fast", "ok"), ("slow", "cancelled")]
    assert run.calls[1].text.startswith("word")  # what had streamed stays


def test_a_run_that_cannot_start_fails_its_job_with_the_reason(store, llm, lineup_for):
    run_id = submit_run(store, "   ", lineup_for(["a"]))
    serve_until_idle(store)
    job = store.jobs.get_job(run_id)
    assert job.status == "failed" and "query" in job.error.lower() and store.get_run(run_id) is None


def test_a_follow_up_job_continues_the_conversation(store, llm, lineup_for):
    llm.set("agg", text="Thirty days.")
    first = submit_run(store, "Notice period?", lineup_for(["a"]))
    serve_until_idle(store)
    second = submit_run(store, "And for landlords?", lineup_for(["a"]), parent_run_id=first)
    assert store.jobs.get_job(second).kind == "follow-up"
    serve_until_idle(store)
    run = store.get_run(second)
    assert run.status == "ok" and run.parent_run_id == first and run.thread_id == first
    sent = [r for r in llm.requests if r.model == "agg"][-1].messages
    assert any("Notice period?" in str(m.get("content")) for m in sent)  # the earlier turn went with it


def _worker(data_dir: Path, *args: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | {"MOA_DATA_DIR": str(data_dir)}
    return subprocess.Popen([sys.executable, "-m", "moa_core.cli", "worker", "--concurrency", "2", *args],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _sigterm(proc: subprocess.Popen, timeout_s: float = 60) -> str:
    """SIGTERM the worker and wait for its exit (SIGKILL if it hangs); its stderr."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        return proc.communicate(timeout=timeout_s)[1]
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.communicate()[1]


def _ok_calls(store, run_id) -> int:
    run = store.get_run(run_id)
    return 0 if run is None else sum(c.status == "ok" for c in run.calls)


def test_sigterm_closes_a_started_run_as_interrupted_and_leaves_queued_jobs_queued(store, llm, lineup_for,
                                                                                   private_data_dir):
    llm.set("slow", latency_s=60)
    run_id = submit_run(store, "Long one", lineup_for(["fast", "slow"], timeout_s=120))
    proc = _worker(private_data_dir, "--grace", "0.5")
    try:
        assert eventually(lambda: _ok_calls(store, run_id) >= 1, timeout_s=60), "the fast call never finished"
        later = submit_run(store, "Queued behind", lineup_for(["fast"]))
        time.sleep(0.1)
    finally:
        err = _sigterm(proc)
    assert proc.returncode == 0, err
    job, run = store.jobs.get_job(run_id), store.get_run(run_id)
    assert job.status == "interrupted" and run.status == "interrupted", err
    assert [(c.model, c.status) for c in run.calls] == [("fast", "ok"), ("slow", "cancelled")]
    later_job = store.jobs.get_job(later)
    assert later_job.status == "queued" or later_job.status == "done", err  # claimed before the signal, or not
    assert "stopped after" in err


def test_a_worker_killed_mid_run_leaves_the_run_interrupted_with_its_finished_calls(store, llm, lineup_for,
                                                                                    private_data_dir):
    llm.set("slow", latency_s=60)
    run_id = submit_run(store, "Kill me", lineup_for(["fast", "slow"], timeout_s=120))
    proc = _worker(private_data_dir)
    try:
        assert eventually(lambda: _ok_calls(store, run_id) >= 1, timeout_s=60), "the fast call never finished"
        assert eventually(lambda: len(store.get_run(run_id).calls) == 2, timeout_s=10)  # the slow one streams
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)
    assert store.jobs.get_job(run_id).status == "running"  # nobody has looked yet
    settled = store.jobs.take_over_expired()  # what any other worker does every few seconds: the owner pid is dead
    assert settled == {run_id: "interrupted"}
    run = store.get_run(run_id)
    assert run.status == "interrupted" and "1 finished call(s) kept" in run.note
    assert [(c.model, c.status) for c in run.calls] == [("fast", "ok"), ("slow", "failed")]


def test_a_worker_killed_before_any_call_hands_the_run_to_the_next_worker(store, llm, lineup_for):
    run_id = submit_run(store, "Again", lineup_for(["a"]))
    dead = "elsewhere:1:1"
    assert store.jobs.claim_job(dead, lease_s=0.01).id == run_id  # a worker on another host claimed it and vanished
    time.sleep(0.05)
    runner = JobRunner(store, heartbeat_s=0.1, poll_s=0.05, sweep_s=0.1)
    thread = runner.start_thread()
    try:
        assert eventually(lambda: store.jobs.get_job(run_id).status == "done", timeout_s=30)
    finally:
        runner.stop()
        thread.join(30)
    assert store.jobs.get_job(run_id).attempts == 2 and store.get_run(run_id).status == "ok"


@pytest.mark.postgres
def test_two_workers_on_postgresql_run_every_job_once(postgres_url, llm, lineup_for):
    stores = [RunStore.open(postgres_url) for _ in range(3)]
    try:
        ids = [submit_run(stores[0], f"question {i}", lineup_for(["a", "b"])) for i in range(6)]
        runners = [JobRunner(s, concurrency=2, owner=f"pg-worker-{i}:1:1", heartbeat_s=0.2, poll_s=0.05)
                   for i, s in enumerate(stores[1:])]

        async def both():
            await asyncio.gather(*(r.serve(until_idle=True) for r in runners))
        asyncio.run(both())
        closed = [job_id for r in runners for job_id in r.finished]
        assert sorted(closed) == sorted(ids)  # each job closed by exactly one of them
        assert all(stores[0].get_run(i).status == "ok" and stores[0].jobs.get_job(i).attempts == 1 for i in ids)
        assert llm.request_count("agg") == 6
    finally:
        for s in stores:
            s.close()


def test_a_bug_in_a_job_fails_it_with_one_line_and_logs_the_traceback(store, llm, lineup_for, private_data_dir,
                                                                       monkeypatch):
    import moa_core.jobs.runner as runner_module

    secret = "sk-proj-abcdefghijklmnop1234"

    async def broken(*args, **kwargs):
        raise RuntimeError(f"provider echoed key {secret}")
    monkeypatch.setitem(runner_module.EXECUTORS, "run", broken)  # a bug outside the engine, in the job's own path
    monkeypatch.delenv("MOA_DEBUG", raising=False)
    run_id = submit_run(store, "How many?", lineup_for(["a"]))
    serve_until_idle(store)
    job = store.jobs.get_job(run_id)
    assert job.status == "failed" and job.error.startswith("RuntimeError: provider echoed key")
    assert "\n" not in job.error
    log = (private_data_dir / "moa.log").read_text()
    assert f"run job {run_id} failed" in log and "Traceback" in log and "in broken" in log
    assert "RuntimeError: provider echoed key [REDACTED]" in log and secret not in log


def _nice_of(pid: int) -> int:
    """A process's nice value (field 19 of /proc/PID/stat)."""
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])


def test_nice_lowers_the_workers_priority_and_a_bad_value_is_one_line(store, private_data_dir):
    """`--nice N`: the app process on the same cores draws its pages first (docs/performance.md weighs it)."""
    proc = _worker(private_data_dir, "--nice", "5")
    try:
        assert eventually(lambda: proc.poll() is None and _nice_of(proc.pid) == min(19, os.nice(0) + 5),
                          timeout_s=30), f"the worker's nice value never changed (exit {proc.poll()})"
        assert any(" ready on " in line for line in proc.stderr)  # its SIGTERM handler is in place from here
    finally:
        err = _sigterm(proc)
    assert proc.returncode == 0, err
    bad = subprocess.run([sys.executable, "-m", "moa_core.cli", "worker", "--nice", "25"], cwd=ROOT,
                         capture_output=True, text=True, timeout=60,
                         env=os.environ | {"MOA_DATA_DIR": str(private_data_dir)})
    assert bad.returncode != 0 and "Traceback" not in bad.stderr
    assert "--nice must be between 0 and 19, not 25" in bad.stderr
