"""Scale (issue 26): 20 app sessions start a run at once; `moa worker` processes run them. Every run must end ok,
none lost; the bench reports wall time, throughput, queue wait and how long a live view's store read takes.

    .venv/bin/python bench/scale.py [--sessions 20] [--workers 2 4] [--concurrency 4 | --slots 8] [--words 60]
                                    [--postgres | --database URL] [--browser [--watch-s 30]] [--json]

Each session is a thread doing what the Run page does, through the same store API: `effective_lineup`,
`preflight`, `submit_run` (no browser: Streamlit's drawing is not what is measured here), then the live
fragment's reads every `ui.live.REFRESH_S` (0.6 s) until the job ends: `job_for_run` + `get_run(documents=False)`.
The time of that pair is the "redraw" figure: the store's share of a live redraw, under the load of the
workers writing every call's streamed text. The sessions share one store, as the sessions of one app
process do.

The lineup is 3 streamed proposers (0.6, 1.0, 1.4 s) and an aggregator (0.8 s) on the loopback server,
running in its own process; a run's server time is 1.4 + 0.8 = 2.2 s. For each worker count, a fresh
database (a new SQLite file; with `--postgres`, a new database on a throwaway server) and that many
`moa worker --concurrency N` subprocesses, started and warm before the sessions submit. `--slots S` gives each
of n workers S/n (runs at once stay S whatever n: what more processes alone change), `--concurrency N` gives
each N (n workers run n*N at once).

  queue wait   job claimed - job submitted (both stamped by the database's clients, same machine)
  run time     job finished - job claimed
  throughput   runs / (last job finished - first submitted), per minute

`--browser` (bench/scale_browser.py) adds a real `streamlit run app.py` on the round's database and headless
Chromium holding `?run=ID` of one more run, submitted before the 20 (a proposer streaming for `--watch-s`), so
its live view redraws all through the load: "page gap" is the time between two changes of the page's text,
the fragment's 0.6 s plus what a redraw costs end to end. That run takes one of the workers' slots.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import support  # noqa: E402
from bench.support import moa_env, new_database, start_postgres, stop, streamed  # noqa: E402
from moa_core.lineup import Lineup, ModelSpec  # noqa: E402

PROPOSERS = {"p1": 0.6, "p2": 1.0, "p3": 1.4}  # model -> the server's latency for it, seconds
WATCHED = "long"  # the proposer of the run the browser watches (--browser): it streams for --watch-s
QUIET_S = 6.0  # --browser: seconds the watched page redraws before the sessions start
AGGREGATOR = ("agg", 0.8)
REFRESH_S = 0.6  # ui.live.REFRESH_S, copied so the bench does not import the UI


def start_llm_server(folder: Path, words: int, watch_s: float) -> tuple[subprocess.Popen, str]:
    """The loopback server with this bench's lineup (and the watched run's long proposer)."""
    config = streamed(dict([*PROPOSERS.items(), AGGREGATOR]), words)
    config[WATCHED] = {"text": " ".join(f"long{i}" for i in range(int(watch_s * 20))), "ttft_s": 0.2,
                       "latency_s": watch_s}
    return support.start_llm_server(config, folder)


class Workers:
    """`count` `moa worker` subprocesses on one database; their stderr lines are kept (and drained)."""

    def __init__(self, count: int, concurrency: int, env: dict[str, str], nice: int = 0):
        self.lines: list[str] = []
        self.procs = [subprocess.Popen([sys.executable, "-m", "moa_core.cli", "worker", "--concurrency",
                                        str(concurrency), "--grace", "5", "--nice", str(nice)], cwd=ROOT, env=env,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                      for _ in range(count)]
        self.ready = threading.Semaphore(0)
        for proc in self.procs:
            threading.Thread(target=self._drain, args=(proc,), daemon=True).start()

    def _drain(self, proc: subprocess.Popen) -> None:
        for line in proc.stderr:
            self.lines.append(line.rstrip())
            if " ready on " in line:
                self.ready.release()

    def wait_ready(self, timeout_s: float = 120) -> None:
        deadline = time.monotonic() + timeout_s
        for proc in self.procs:
            if not self.ready.acquire(timeout=max(0.1, deadline - time.monotonic())):
                raise RuntimeError("a worker did not start:\n" + "\n".join(self.lines[-20:]))

    def stop(self) -> list[int]:
        for proc in self.procs:
            proc.terminate()
        codes = []
        for proc in self.procs:
            try:
                codes.append(proc.wait(30))
            except subprocess.TimeoutExpired:
                proc.kill()
                codes.append(proc.wait())
        return codes


@dataclass
class Session:
    index: int
    run_id: str | None = None
    submit_s: float = 0.0
    reads_s: list[float] = field(default_factory=list)
    error: str | None = None


def session(store, lineup: Lineup, s: Session, start: threading.Barrier, timeout_s: float) -> None:
    """One browser session on the Run page: press Run, then redraw the live view until the run ends."""
    from moa_core.engine import preflight
    from moa_core.jobs.runs import submit_run
    from moa_core.service import effective_lineup

    query = f"scale question {s.index} [{uuid.uuid4().hex[:6]}]"
    start.wait()
    try:
        t0 = time.perf_counter()
        run_lineup = effective_lineup(Lineup.from_dict(lineup.to_dict()), store)
        documents = preflight(query, run_lineup, [])
        s.run_id = submit_run(store, query, run_lineup, documents)
        s.submit_s = time.perf_counter() - t0
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            t0 = time.perf_counter()
            job = store.jobs.job_for_run(s.run_id)
            if job is None or not job.active:
                return
            store.get_run(s.run_id, documents=False)
            s.reads_s.append(time.perf_counter() - t0)
            time.sleep(REFRESH_S)
        s.error = f"still active after {timeout_s:g} s"
    except Exception as exc:  # reported in the table, never a traceback mid-bench
        s.error = f"{type(exc).__name__}: {exc}"


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def one_round(url: str, workers: int, args, lineup: Lineup) -> dict:
    from moa_core.storage import RunStore

    store = RunStore.open(url)  # migrates the fresh database before the workers open it
    env = moa_env(args.data_dir, DATABASE_URL=url)
    concurrency = max(1, args.slots // workers) if args.slots else args.concurrency
    pool = Workers(workers, concurrency, env, args.nice)
    watcher, watched, page = None, None, {}
    try:
        pool.wait_ready()
        if args.browser:
            from bench.scale_browser import Watcher
            from moa_core.jobs.runs import submit_run

            watched = submit_run(store, "the watched run", args.watch_lineup)
            watcher = Watcher(Path(args.data_dir).parent / f"app-{workers}", url)
            watcher.start(watched, f"{WATCHED}3")
            quiet = time.monotonic()
            time.sleep(QUIET_S)  # the page's redraws with nothing else going on, to compare with
            page["quiet"] = watcher.gaps(quiet, time.monotonic())
        sessions = [Session(i) for i in range(args.sessions)]
        start = threading.Barrier(args.sessions)
        threads = [threading.Thread(target=session, args=(store, lineup, s, start, args.timeout)) for s in sessions]
        load_before, began = os.getloadavg()[0], time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        load_after, ended = os.getloadavg()[0], time.monotonic()
        if watcher is not None:
            deadline = time.monotonic() + args.watch_s + 60
            while store.jobs.get_job(watched).active and time.monotonic() < deadline:
                time.sleep(0.2)
            page = page_figures(watcher, watched, store, began, ended, page["quiet"])
    finally:
        if watcher is not None:
            watcher.stop()
        codes = pool.stop()
    try:
        jobs = {s.run_id: store.jobs.get_job(s.run_id) for s in sessions if s.run_id}
        runs = {run_id: store.get_run(run_id, documents=False) for run_id in jobs}
    finally:
        store.close()
    ok = sum(1 for run_id, job in jobs.items() if job.status == "done" and runs[run_id] is not None
             and runs[run_id].status == "ok")
    lost = args.sessions - sum(1 for job in jobs.values() if job is not None and not job.active)
    claimed = [j for j in jobs.values() if j.started_at and j.finished_at]
    waits = [(j.started_at - j.created_at).total_seconds() for j in claimed]
    run_times = [(j.finished_at - j.started_at).total_seconds() for j in claimed]
    wall = (max(j.finished_at for j in claimed) - min(j.created_at for j in jobs.values())).total_seconds() \
        if claimed else float("nan")
    reads = [r for s in sessions for r in s.reads_s]
    return {
        "workers": workers, "concurrency": concurrency, "nice": args.nice, "sessions": args.sessions, "ok": ok, "lost": lost,
        "errors": [s.error for s in sessions if s.error] + [j.error for j in jobs.values() if j.error],
        "wall_s": round(wall, 2), "runs_per_min": round(60 * len(claimed) / wall, 1) if claimed else 0.0,
        "wait_p50_s": round(pct(waits, 0.5), 2), "wait_p95_s": round(pct(waits, 0.95), 2),
        "run_p50_s": round(pct(run_times, 0.5), 2), "run_p95_s": round(pct(run_times, 0.95), 2),
        "submit_p50_ms": round(1000 * pct([s.submit_s for s in sessions if s.run_id], 0.5), 1),
        "read_p50_ms": round(1000 * pct(reads, 0.5), 1), "read_p95_ms": round(1000 * pct(reads, 0.95), 1),
        "read_max_ms": round(1000 * max(reads), 1) if reads else float("nan"), "reads": len(reads),
        "load_before": round(load_before, 1), "load_after": round(load_after, 1), "worker_exit": codes, **page,
    }


def page_figures(watcher, run_id: str, store, began: float, ended: float, quiet: list[float]) -> dict:
    """The watched page's gaps between redraws while the 20 sessions' runs went on (and before, quiet), and how
    its run ended."""
    gaps = watcher.gaps(began, ended)
    run = store.get_run(run_id, documents=False)
    return {"quiet_gap_p50_s": round(pct(quiet, 0.5), 2), "quiet_gap_max_s": round(max(quiet), 2) if quiet else None,
            "page_gaps": len(gaps), "page_gap_p50_s": round(pct(gaps, 0.5), 2),
            "page_gap_p95_s": round(pct(gaps, 0.95), 2), "page_gap_max_s": round(max(gaps), 2) if gaps else None,
            "watched_run": run.status if run else None, "page_error": watcher.error}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--workers", type=int, nargs="+", default=[2, 4], help="worker counts to measure, in turn")
    slots = parser.add_mutually_exclusive_group()
    slots.add_argument("--concurrency", type=int, default=4, help="each worker's `--concurrency` (default 4)")
    slots.add_argument("--slots", type=int, help="runs at once in all, split evenly among the workers")
    parser.add_argument("--words", type=int, default=60, help="streamed words per answer (default 60)")
    parser.add_argument("--timeout", type=float, default=300, help="a run still active after this is lost")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--database", metavar="URL", help="a PostgreSQL URL (each round reuses it)")
    where.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL server (tests/pg.py)")
    parser.add_argument("--browser", action="store_true",
                        help="also watch one long run live in Chromium on a real Streamlit app (page gaps)")
    parser.add_argument("--watch-s", type=float, default=30.0, help="how long the watched run streams (default 30)")
    parser.add_argument("--nice", type=int, default=0,
                        help="the workers' `--nice` (default 0, as scripts/app.sh)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if min(args.sessions, args.concurrency, *args.workers, args.slots or 1) < 1:
        parser.error("--sessions, --concurrency, --slots and --workers must be at least 1")
    rows: list[dict] = []
    server = None
    with tempfile.TemporaryDirectory(prefix="moa-scale-") as tmp:
        folder = Path(tmp)
        args.data_dir = str(folder / "data")
        llm, base_url = start_llm_server(folder, args.words, args.watch_s)
        try:
            if args.postgres:
                server = start_postgres()
            spec = lambda name: ModelSpec(model=name, api_base=base_url)  # noqa: E731
            lineup = Lineup(proposers=[spec(p) for p in PROPOSERS], aggregator=spec(AGGREGATOR[0]), timeout_s=60,
                            max_retries=0, name="scale")
            args.watch_lineup = Lineup(proposers=[spec(WATCHED)], aggregator=spec(AGGREGATOR[0]),
                                       timeout_s=args.watch_s + 60, max_retries=0, name="watched")
            for n in args.workers:
                if args.database:
                    url = args.database
                elif server is not None:
                    url = new_database(server, f"scale_{n}")
                else:
                    url = f"sqlite:///{folder / f'scale-{n}.db'}"
                row = one_round(url, n, args, lineup)
                row["database"] = "postgresql" if (args.database or server) else "sqlite"
                rows.append(row)
                print(f"... {n} worker(s): {row['ok']}/{row['sessions']} ok in {row['wall_s']} s", file=sys.stderr)
        finally:
            stop(llm)
            if server is not None:
                server.stop()
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0 if all(r["ok"] == r["sessions"] for r in rows) else 1
    print(f"{'db':<10} {'workers':>7} {'ok':>6} {'lost':>4} {'wall s':>7} {'runs/min':>8} {'wait p50/p95 s':>15} "
          f"{'run p50/p95 s':>14} {'redraw read p50/p95/max ms':>27} {'load':>9}")
    for r in rows:
        print(f"{r['database']:<10} {r['workers']:>4}x{r['concurrency']:<2} {r['ok']:>3}/{r['sessions']:<2} "
              f"{r['lost']:>4} {r['wall_s']:>7.1f} {r['runs_per_min']:>8.1f} "
              f"{r['wait_p50_s']:>7.2f}/{r['wait_p95_s']:<7.2f} {r['run_p50_s']:>6.2f}/{r['run_p95_s']:<7.2f} "
              f"{r['read_p50_ms']:>11.1f}/{r['read_p95_ms']:.1f}/{r['read_max_ms']:<8.1f} "
              f"{r['load_before']:>4.1f}->{r['load_after']:.1f}")
        if "page_gaps" in r:
            print(f"    page (Chromium on ?run=, live view): {r['page_gaps']} gaps between redraws during the load, "
                  f"p50 {r['page_gap_p50_s']} s, p95 {r['page_gap_p95_s']} s, max {r['page_gap_max_s']} s "
                  f"(0.6 s of it is the refresh interval); before the load p50 {r['quiet_gap_p50_s']} s, max "
                  f"{r['quiet_gap_max_s']} s; watched run {r['watched_run']}"
                  + (f"; error: {r['page_error']}" if r["page_error"] else ""))
        for error in r["errors"][:5]:
            print(f"    error: {error}")
    print(f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores; workers at nice {args.nice}; "
          f"a run's server time "
          f"{max(PROPOSERS.values()) + AGGREGATOR[1]:.1f} s; submit (preflight + submit_run) p50 "
          + ", ".join(f"{r['submit_p50_ms']:.0f} ms" for r in rows))
    return 0 if all(r["ok"] == r["sessions"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
