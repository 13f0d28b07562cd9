"""Queue wake-up (issue 26): how long a run waits in the queue before an idle `moa worker` claims it, and what
the idle worker costs while nothing comes.

    .venv/bin/python bench/queue_wakeup.py [--jobs 40] [--postgres] [--poll S] [--idle-s 30] [--json]

One real `moa worker --concurrency 1` subprocess on a fresh database (a SQLite file, or with `--postgres` a
database on a throwaway server started as bench/scale.py does, `tests/pg.py`), and the loopback LLM server in its
own process. First the worker sits idle for `--idle-s` seconds: its CPU (user + system, /proc) over that time,
and on PostgreSQL the server's too (postmaster and its backends: the polls are queries there). Then `--jobs` runs
are submitted one at a time as the Run page does (`submit_run`), each after the previous one ended and a random
0.2-1.0 s pause (so submissions fall anywhere in the poll's cycle), to a worker that is idle each time:

  queue wait   job claimed - job submitted (`started_at - created_at`, both stamped by Python on this machine)

`--poll S` runs the worker as it was before notices: no LISTEN, a poll every S seconds (`--poll 0.5` is the old
default), by setting `moa_core.jobs.runner`'s constants in the worker process before `moa worker` starts.
Without it the worker runs with its defaults: LISTEN/NOTIFY and a 2 s safety-net poll on PostgreSQL, a
`runner.POLL_S` poll on SQLite. The last column is how long the worker took to exit after SIGTERM.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.scale import pct, start_llm_server  # noqa: E402
from bench.support import new_database, start_postgres, stop  # noqa: E402
from moa_core.lineup import Lineup, ModelSpec  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")
# `moa worker` with the runner's poll set and LISTEN off (--poll): the real CLI, only its module constants changed
POLL_LAUNCH = ("import sys; from moa_core.jobs import runner; runner.POLL_S = runner.NOTIFY_POLL_S = {poll!r}; "
               "runner.LISTEN = False; from moa_core.cli import main; sys.exit(main(sys.argv[1:]))")


class Worker:
    """One `moa worker` subprocess; its stderr lines kept (and drained, so it never blocks on a full pipe)."""

    def __init__(self, url: str, data_dir: str, poll: float | None):
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "MOA_DEBUG")}
        env |= {"DATABASE_URL": url, "MOA_DATA_DIR": data_dir}
        start = ["-c", POLL_LAUNCH.format(poll=poll)] if poll is not None else ["-m", "moa_core.cli"]
        self.proc = subprocess.Popen([sys.executable, *start, "worker", "--concurrency", "1", "--grace", "5"],
                                     cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        self.ready = threading.Event()
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        for line in self.proc.stderr:
            self.lines.append(line.rstrip())
            if " ready on " in line:
                self.ready.set()

    def stop(self) -> tuple[int, float]:
        """SIGTERM; the exit code and how long the exit took."""
        began = time.monotonic()
        code = stop(self.proc, grace_s=30)
        return code, time.monotonic() - began


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime: fields 14 and 15 of stat


def server_cpu_s(postmaster: int) -> float:
    """The PostgreSQL server's CPU seconds: the postmaster and every process it started (backends, walwriter...).
    A backend that exits within the window takes its time with it: fine for an idle worker's one connection."""
    total = cpu_s(postmaster)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == postmaster:
                total += cpu_s(int(entry.name))
    return total


def measure(url: str, args, lineup: Lineup, postmaster: int | None) -> dict:
    from moa_core.jobs.runs import submit_run
    from moa_core.storage import RunStore

    store = RunStore.open(url)  # migrates the fresh database before the worker opens it
    worker = Worker(url, args.data_dir, args.poll)
    waits: list[float] = []
    errors: list[str] = []
    try:
        if not worker.ready.wait(120):
            raise RuntimeError("the worker did not start:\n" + "\n".join(worker.lines[-20:]))
        time.sleep(2.0)  # let the start-up settle (the listener connects, the first sweep runs)
        load_before = os.getloadavg()[0]
        w0, s0, t0 = cpu_s(worker.proc.pid), server_cpu_s(postmaster) if postmaster else 0.0, time.monotonic()
        time.sleep(args.idle_s)
        w1, s1, t1 = cpu_s(worker.proc.pid), server_cpu_s(postmaster) if postmaster else 0.0, time.monotonic()
        rng = random.Random(26)
        for i in range(args.jobs):
            time.sleep(rng.uniform(0.2, 1.0))
            job_id = submit_run(store, f"wake-up {i} [{uuid.uuid4().hex[:6]}]", lineup)
            deadline = time.monotonic() + 60
            while (job := store.jobs.get_job(job_id)).active and time.monotonic() < deadline:
                time.sleep(0.02)
            if job.active or job.status != "done" or job.started_at is None:
                errors.append(f"{job_id}: {job.status} {job.error or ''}".strip())
                continue
            waits.append((job.started_at - job.created_at).total_seconds())
        load_after = os.getloadavg()[0]
    finally:
        code, stop_s = worker.stop()
        store.close()
    said = [line for line in worker.lines if "notices" in line or "database" in line]
    return {
        "database": "postgresql" if postmaster else "sqlite",
        "mode": f"poll {args.poll:g} s, no LISTEN" if args.poll is not None else "defaults",
        "jobs": args.jobs, "claimed": len(waits), "errors": errors,
        "wait_p50_ms": round(1000 * pct(waits, 0.5), 1), "wait_p95_ms": round(1000 * pct(waits, 0.95), 1),
        "wait_max_ms": round(1000 * max(waits), 1) if waits else None,
        "wait_mean_ms": round(1000 * statistics.mean(waits), 1) if waits else None,
        "idle_s": round(t1 - t0, 1), "idle_worker_cpu_pct": round(100 * (w1 - w0) / (t1 - t0), 2),
        "idle_server_cpu_pct": round(100 * (s1 - s0) / (t1 - t0), 2) if postmaster else None,
        "stop_s": round(stop_s, 2), "worker_exit": code, "worker_said": said,
        "load_before": round(load_before, 1), "load_after": round(load_after, 1),
    }


def postmaster_pid(server) -> int:
    return int((server.root / "data" / "postmaster.pid").read_text().split()[0])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=40, help="runs submitted one at a time (default 40)")
    parser.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL server (tests/pg.py)")
    parser.add_argument("--poll", type=float, metavar="S",
                        help="the worker polls every S seconds without LISTEN (0.5: as before notices)")
    parser.add_argument("--idle-s", type=float, default=30.0, help="seconds the idle worker's CPU is measured")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.jobs < 1 or args.idle_s <= 0 or (args.poll is not None and args.poll <= 0):
        parser.error("--jobs must be at least 1, --idle-s and --poll above 0")
    server = None
    with tempfile.TemporaryDirectory(prefix="moa-wakeup-") as tmp:
        folder = Path(tmp)
        args.data_dir = str(folder / "data")
        llm, base_url = start_llm_server(folder, words=5, watch_s=1.0)
        try:
            # models the server has no behaviour for answer at once: the run is short, the worker soon idle again
            spec = lambda name: ModelSpec(model=name, api_base=base_url)  # noqa: E731
            lineup = Lineup(proposers=[spec("quick")], aggregator=spec("quick-agg"), timeout_s=30, max_retries=0,
                            name="wake-up")
            if args.postgres:
                server = start_postgres()
                row = measure(new_database(server, "wakeup"), args, lineup, postmaster_pid(server))
            else:
                row = measure(f"sqlite:///{folder / 'wakeup.db'}", args, lineup, None)
        finally:
            stop(llm)
            if server is not None:
                server.stop()
    if args.json or not row["claimed"]:
        print(json.dumps(row, indent=2))
        return 0 if row["claimed"] and not row["errors"] else 1
    from moa_core.jobs import runner

    defaults = (f"LISTEN/NOTIFY + {runner.NOTIFY_POLL_S:g} s poll" if row["database"] == "postgresql"
                else f"poll {runner.POLL_S:g} s")
    mode = defaults if row["mode"] == "defaults" else row["mode"]
    server_cpu = f"{row['idle_server_cpu_pct']:.2f} %" if row["idle_server_cpu_pct"] is not None else "-"
    print(f"{'db':<10} {'worker':<28} {'claimed':>7} {'queue wait p50/p95/max ms':>26} {'mean ms':>7} "
          f"{'idle CPU worker':>15} {'server':>7} {'SIGTERM exit s':>14}")
    print(f"{row['database']:<10} {mode:<28} {row['claimed']:>3}/{row['jobs']:<3} "
          f"{row['wait_p50_ms']:>12.1f}/{row['wait_p95_ms']:.1f}/{row['wait_max_ms']:<8.1f} "
          f"{row['wait_mean_ms']:>7.1f} {row['idle_worker_cpu_pct']:>13.2f} % {server_cpu:>7} "
          f"{row['stop_s']:>14.2f}")
    for error in row["errors"][:5]:
        print(f"    error: {error}")
    for line in row["worker_said"]:
        print(f"    worker: {line}")
    print(f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, load {row['load_before']} -> "
          f"{row['load_after']}; idle CPU over {row['idle_s']:g} s (user + system, /proc); "
          f"worker exit {row['worker_exit']}")
    return 0 if not row["errors"] and row["worker_exit"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
