"""Honest latencies (issue 26): the same lineup, 5 streamed proposers and an aggregator on the loopback server
with fixed latencies, run three ways, and the call latencies each records compared with the server's own timing.

    .venv/bin/python bench/honest_latency.py [--runs 3] [--proposer-s 2.0] [--aggregator-s 1.2] [--words 150]

  cli        `moa run --lineup FILE --json` (the terminal's own process runs the engine)
  unwatched  the app's way with nobody looking: the run submitted to the job queue as the Run page does
             (jobs.runs.submit_run), a `moa worker` beside a running Streamlit runs it
  watched    the same, started from the Run page in headless Chromium, which draws the live view to the end

The loopback server runs in its own process (its timing is not disturbed by the bench). Each call's answer
streams `--words` one-word chunks spread evenly over its fixed latency (`ttft` 0.2 s), so the server's own
time for a call is that latency. Per mode: the median recorded call time (ended - started) of proposers and
aggregator, and its excess over the server's time. Figures go in docs/performance.md.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.support import moa_env, run, start_llm_server, stop, streamed  # noqa: E402
from moa_core.lineup import Lineup, ModelSpec  # noqa: E402
from tests import browser_support as bs  # noqa: E402

PROPOSERS = [f"p{i}" for i in range(1, 6)]


def durations(run) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"proposer": [], "aggregator": []}
    for call in run.calls:
        if call.role in out and call.status == "ok":
            out[call.role].append(call.ended_s - call.started_s)
    return out


def cli_runs(lineup_file: Path, data: Path, runs: int) -> list[dict]:
    env = moa_env(data)
    out = []
    for i in range(runs):
        done = run([sys.executable, "-m", "moa_core.cli", "run", f"cli question {i}", "--lineup", str(lineup_file),
                    "--json"], env)
        out.append(json.loads(done.stdout)["run_id"])
    store = bs.open_store(data)
    try:
        return [durations(store.get_run(run_id)) for run_id in out]
    finally:
        store.close()


def unwatched_runs(app: bs.StreamlitApp, lineup: Lineup, runs: int) -> list[dict]:
    from moa_core.jobs.runs import submit_run

    store = bs.open_store(app.data_dir)
    try:
        out = []
        for i in range(runs):
            run_id = submit_run(store, f"unwatched question {i}", lineup)
            deadline = time.monotonic() + 300
            while store.jobs.get_job(run_id).active and time.monotonic() < deadline:
                time.sleep(0.2)
            out.append(durations(store.get_run(run_id)))
        return out
    finally:
        store.close()


def watched_runs(app: bs.StreamlitApp, runs: int) -> list[dict]:
    from playwright.sync_api import sync_playwright

    ids = []
    with sync_playwright() as playwright:
        browser = bs.launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(120_000)
        for i in range(runs):
            query = f"watched question {i} [{uuid.uuid4().hex[:6]}]"
            bs.open_page(page, app.url)
            bs.pick_option(page, "Start from a lineup", "bench")
            bs.run_query(page, query)
            page.get_by_test_id("stMain").get_by_test_id("stAlert").filter(has_text="Running 5 proposers") \
                .wait_for(state="visible", timeout=120_000)
            bs.wait_for_run_view(page, query, timeout_ms=300_000)
            ids.append(page.url.split("run=")[1].split("&")[0])
        browser.close()
    store = bs.open_store(app.data_dir)
    try:
        return [durations(store.get_run(run_id)) for run_id in ids]
    finally:
        store.close()


def summary(name: str, per_run: list[dict], server: dict[str, float]) -> dict:
    row = {"mode": name, "runs": len(per_run)}
    for role in ("proposer", "aggregator"):
        values = [v for d in per_run for v in d[role]]
        median = statistics.median(values)
        row[role] = {"calls": len(values), "median_s": round(median, 3), "max_s": round(max(values), 3),
                     "server_s": server[role], "excess_pct": round(100 * (median - server[role]) / server[role], 1)}
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--proposer-s", type=float, default=2.0)
    parser.add_argument("--aggregator-s", type=float, default=1.2)
    parser.add_argument("--words", type=int, default=150)
    parser.add_argument("--nice", type=int, default=bs.WORKER_NICE,
                        help=f"the app's worker's `--nice` (default {bs.WORKER_NICE}, as scripts/app.sh)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    config = streamed({**{name: args.proposer_s for name in PROPOSERS}, "agg": args.aggregator_s}, args.words)
    server = {"proposer": args.proposer_s, "aggregator": args.aggregator_s}
    rows = []
    with tempfile.TemporaryDirectory(prefix="moa-honest-") as tmp:
        folder = Path(tmp)
        llm, base_url = start_llm_server(config, folder)
        try:
            spec = lambda name: ModelSpec(model=name, api_base=base_url)  # noqa: E731
            lineup = Lineup(proposers=[spec(p) for p in PROPOSERS], aggregator=spec("agg"), timeout_s=60,
                            max_retries=0, name="bench")
            lineup_file = folder / "bench.toml"
            lineup.save(lineup_file)
            rows.append(summary("cli", cli_runs(lineup_file, folder / "cli", args.runs), server))
            app_dir = folder / "app"
            bs.save_lineup(app_dir, "bench", lineup)
            with bs.StreamlitApp(app_dir, worker_nice=args.nice) as app:
                time.sleep(5)  # the worker has imported the engine
                rows.append(summary("unwatched", unwatched_runs(app, lineup, args.runs), server))
                rows.append(summary("watched", watched_runs(app, args.runs), server))
        finally:
            stop(llm)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{'mode':<10} {'proposer median (max)':>24} {'excess':>7} {'aggregator median (max)':>26} {'excess':>7}")
    for r in rows:
        p, a = r["proposer"], r["aggregator"]
        print(f"{r['mode']:<10} {p['median_s']:>14.3f} s ({p['max_s']:.3f}) {p['excess_pct']:>6.1f}% "
              f"{a['median_s']:>16.3f} s ({a['max_s']:.3f}) {a['excess_pct']:>6.1f}%")
    print(f"server: proposer {server['proposer']:.3f} s, aggregator {server['aggregator']:.3f} s; "
          f"{args.runs} run(s) per mode, the app's worker at nice {args.nice}, load {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
