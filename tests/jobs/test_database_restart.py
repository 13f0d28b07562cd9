"""The database restarts, or is locked, while a `moa worker` is running a job (issue 26's failure modes,
docs/deploy.md).

PostgreSQL is stopped (`pg_ctl stop -m fast`, what `systemctl restart postgresql` does: every session is
ended) while a proposer streams, kept down 3 s (or 15 s, while the run finishes), and started again. The run
in flight must end ok, or interrupted with its finished calls kept, never stuck `running`; the worker must stay
up and run the next job, saying what happened in a line or two, not a traceback per poll. On SQLite the
like of it is another process holding the write lock for seconds (a big import, a backup): the same must hold.
"""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from moa_core.jobs.runner import JobRunner
from moa_core.jobs.runs import submit_run
from moa_core.storage import RunStore
from moa_core.testing.processes import stop_process
from tests.browser_support import eventually

pytestmark = pytest.mark.slow  # a worker subprocess and real runs (~20 s each)

ROOT = Path(__file__).resolve().parents[2]
# (seconds the database stays down, the slow proposer's latency): a restart in the middle of a call (longer than
# a heartbeat, shorter than the 30 s lease), and an outage the rest of the run happens in, longer than the
# store writer's retries (3.7 s): the call ends, the aggregator runs and the run finishes with the database down
OUTAGES = {"mid-call": (3.0, 12.0), "run-ends-while-down": (15.0, 3.0)}


class Worker:
    """`moa worker` on `url` as a subprocess; its stderr lines collected as they come."""

    def __init__(self, url: str, data_dir: Path):
        env = {k: v for k, v in os.environ.items() if k != "MOA_DEBUG"}
        env |= {"DATABASE_URL": url, "MOA_DATA_DIR": str(data_dir)}
        self.proc = subprocess.Popen([sys.executable, "-m", "moa_core.cli", "worker", "--concurrency", "2",
                                      "--grace", "1"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))

    def stop(self) -> int:
        code = stop_process(self.proc, grace_s=30)
        self._reader.join(5)
        return code


def streaming(store, run_id) -> bool:
    """Both proposers' calls are stored and the slow one has streamed some text."""
    run = store.get_run(run_id)
    return run is not None and len(run.calls) == 2 and bool(run.calls[1].text)


@pytest.mark.postgres
@pytest.mark.parametrize("outage", OUTAGES)
def test_a_database_restart_mid_run_leaves_the_worker_serving_and_the_run_settled(outage, postgres_server,
                                                                                 postgres_url, llm, lineup_for,
                                                                                 tmp_path):
    down_s, slow_s = OUTAGES[outage]
    llm.set("fast", text="Quick answer.")
    llm.set("slow", text=" ".join(f"w{i}" for i in range(300)), ttft_s=0.2, latency_s=slow_s)
    store = RunStore.open(postgres_url)
    worker = Worker(postgres_url, tmp_path / "data")
    try:
        first = submit_run(store, "Through a restart", lineup_for(["fast", "slow"], timeout_s=60))
        assert eventually(lambda: streaming(store, first), timeout_s=60), \
            "\n".join(["the slow call never streamed:", *worker.lines])
        postgres_server.stop_postmaster("fast")
        time.sleep(down_s)
        postgres_server.start_postmaster()

        assert eventually(lambda: not store.jobs.get_job(first).active, timeout_s=90), \
            f"the run stayed {store.jobs.get_job(first).status} after the restart:\n" + "\n".join(worker.lines)
        job, run = store.jobs.get_job(first), store.get_run(first)
        assert worker.proc.poll() is None, "the worker died:\n" + "\n".join(worker.lines)
        calls = [f"{c.model} {c.status} {c.error or ''}" for c in run.calls]
        assert (job.status, run.status) in {("done", "ok"), ("interrupted", "interrupted")}, \
            "\n".join([job.status, run.status, *calls, *worker.lines])
        assert ("fast", "ok") in [(c.model, c.status) for c in run.calls]  # the finished call is kept either way
        if run.status == "ok":
            assert run.calls[1].text.split() == [f"w{i}" for i in range(300)] and run.final

        second = submit_run(store, "After the restart", lineup_for(["fast"]))
        assert eventually(lambda: not store.jobs.get_job(second).active, timeout_s=60), "\n".join(worker.lines)
        assert store.jobs.get_job(second).status == "done" and store.get_run(second).status == "ok"
    finally:
        code = worker.stop()
        store.close()
    assert code == 0, "\n".join(worker.lines)
    said = "\n".join(worker.lines)
    print(said)  # pytest -s shows what the worker said through the restart
    assert "Traceback" not in said, said
    assert len([line for line in worker.lines if "database unreachable" in line]) == 1, said  # once, not per poll
    assert len([line for line in worker.lines if "database reachable again after" in line]) == 1, said
    log = (tmp_path / "data" / "moa-cli.log").read_text()
    assert len([line for line in log.splitlines() if "moa_core.jobs.runner" in line]) == 1, log


def test_another_process_holding_sqlites_write_lock_mid_run_delays_the_run_without_losing_it(llm, lineup_for,
                                                                                            private_data_dir):
    llm.set("fast", text="Quick answer.")
    llm.set("slow", text=" ".join(f"w{i}" for i in range(300)), ttft_s=0.2, latency_s=6)
    database = private_data_dir / "moa.db"
    url = f"sqlite:///{database}"
    store = RunStore.open(url)
    worker = Worker(url, private_data_dir)
    try:
        first = submit_run(store, "Through a lock", lineup_for(["fast", "slow"], timeout_s=60))
        assert eventually(lambda: streaming(store, first), timeout_s=60), \
            "\n".join(["the slow call never streamed:", *worker.lines])
        other = sqlite3.connect(database, timeout=30, isolation_level=None)
        other.execute("BEGIN EXCLUSIVE")  # longer than the busy timeout (5 s): the worker's writes must retry
        time.sleep(8)
        other.execute("COMMIT")
        other.close()
        assert eventually(lambda: not store.jobs.get_job(first).active, timeout_s=90), "\n".join(worker.lines)
        run = store.get_run(first)
        assert worker.proc.poll() is None, "the worker died:\n" + "\n".join(worker.lines)
        assert store.jobs.get_job(first).status == "done" and run.status == "ok", "\n".join(worker.lines)
        assert run.calls[1].text.split() == [f"w{i}" for i in range(300)] and run.final
        second = submit_run(store, "After the lock", lineup_for(["fast"]))
        assert eventually(lambda: not store.jobs.get_job(second).active, timeout_s=60), "\n".join(worker.lines)
        assert store.jobs.get_job(second).status == "done"
    finally:
        code = worker.stop()
        store.close()
    said = "\n".join(worker.lines)
    print(said)
    assert code == 0 and "Traceback" not in said, said
    assert len([line for line in worker.lines if "database unreachable" in line]) <= 1, said


@pytest.mark.postgres
def test_after_an_outage_longer_than_the_lease_no_worker_takes_over_a_run_its_worker_still_runs(
        postgres_server, postgres_url, llm, lineup_for):
    """Every lease lapses during a long outage, not only a dead worker's. A worker that saw the database come back
    must give the others a lease's time to renew before it settles their jobs; it used to sweep at once and close
    a live worker's run as interrupted (that worker then dropped it as lost)."""
    llm.set("slow", text=" ".join(f"w{i}" for i in range(300)), ttft_s=0.2, latency_s=20)
    stores = [RunStore.open(postgres_url) for _ in range(3)]
    lease = 6.0  # short, so an 8 s outage outlasts it (the real one is 30 s); 4 heartbeats of the holder fit in it
    holder = JobRunner(stores[1], owner="pg-holder:1:1", lease_s=lease, heartbeat_s=1.5, poll_s=0.05, sweep_s=60)
    sweeper = JobRunner(stores[2], owner="pg-sweeper:1:1", lease_s=lease, heartbeat_s=0.1, poll_s=0.05,
                        sweep_s=0.1)  # on another host (no pid to check): judged by its lease alone
    threads = []
    try:
        run_id = submit_run(stores[0], "Through a long outage", lineup_for(["slow"], timeout_s=60))
        threads.append(holder.start_thread())
        assert eventually(lambda: stores[0].jobs.get_job(run_id).lease_owner == "pg-holder:1:1"
                          and streaming_one(stores[0], run_id), timeout_s=60)
        threads.append(sweeper.start_thread())
        time.sleep(0.5)
        postgres_server.stop_postmaster("fast")
        time.sleep(lease + 2)
        postgres_server.start_postmaster()
        assert eventually(lambda: not stores[0].jobs.get_job(run_id).active, timeout_s=60)
        job, run = stores[0].jobs.get_job(run_id), stores[0].get_run(run_id)
        assert (job.status, run.status) == ("done", "ok"), (job.status, job.error, run.status, run.note)
        assert holder.finished == {run_id: "done"} and sweeper.finished == {}
        assert run.calls[0].text.split() == [f"w{i}" for i in range(300)]
    finally:
        for runner in (holder, sweeper):
            runner.stop()
            runner.stop()  # no grace: a run left behind is cancelled
        for thread in threads:
            thread.join(30)
        for store in stores:
            store.close()


def streaming_one(store, run_id) -> bool:
    run = store.get_run(run_id)
    return run is not None and len(run.calls) == 1 and bool(run.calls[0].text)
