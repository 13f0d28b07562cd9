"""The database restarts while a `moa worker` is running a job (issue 26's failure modes, docs/deploy.md).

PostgreSQL is stopped (`pg_ctl stop -m fast`, what `systemctl restart postgresql` does: every session is
ended) while a proposer streams, kept down a few seconds, and started again. The run in flight must end ok,
or interrupted with its finished calls kept, never stuck `running`; the worker must stay up and run the next
job, saying what happened in a line or two, not a traceback per poll.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from moa_core.jobs.runs import submit_run
from moa_core.storage import RunStore
from tests.browser_support import eventually

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

ROOT = Path(__file__).resolve().parents[2]
DOWN_S = 3.0  # how long the database stays down: longer than a heartbeat, shorter than the 30 s lease


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
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self._reader.join(5)
        return code


def test_a_database_restart_mid_run_leaves_the_worker_serving_and_the_run_settled(postgres_server, postgres_url,
                                                                                 llm, lineup_for, tmp_path):
    llm.set("fast", text="Quick answer.")
    llm.set("slow", text=" ".join(f"w{i}" for i in range(300)), ttft_s=0.2, latency_s=12)
    store = RunStore.open(postgres_url)
    worker = Worker(postgres_url, tmp_path / "data")
    try:
        first = submit_run(store, "Through a restart", lineup_for(["fast", "slow"], timeout_s=60))
        streaming = lambda: (r := store.get_run(first)) is not None and len(r.calls) == 2 and r.calls[1].text  # noqa: E731
        assert eventually(streaming, timeout_s=60), "\n".join(["the slow call never streamed:", *worker.lines])
        postgres_server.stop_postmaster("fast")
        time.sleep(DOWN_S)
        postgres_server.start_postmaster()

        assert eventually(lambda: not store.get_job(first).active, timeout_s=90), \
            f"the run stayed {store.get_job(first).status} after the restart:\n" + "\n".join(worker.lines)
        job, run = store.get_job(first), store.get_run(first)
        assert worker.proc.poll() is None, "the worker died:\n" + "\n".join(worker.lines)
        calls = [f"{c.model} {c.status} {c.error or ''}" for c in run.calls]
        assert (job.status, run.status) in {("done", "ok"), ("interrupted", "interrupted")}, \
            "\n".join([job.status, run.status, *calls, *worker.lines])
        assert ("fast", "ok") in [(c.model, c.status) for c in run.calls]  # the finished call is kept either way
        if run.status == "ok":
            assert run.calls[1].text.split() == [f"w{i}" for i in range(300)] and run.final

        second = submit_run(store, "After the restart", lineup_for(["fast"]))
        assert eventually(lambda: not store.get_job(second).active, timeout_s=60), "\n".join(worker.lines)
        assert store.get_job(second).status == "done" and store.get_run(second).status == "ok"
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
