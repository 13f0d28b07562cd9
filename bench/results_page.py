"""Results page benchmark: 10,000 stored votes over 20 systems, 200 bootstrap samples.

    .venv/bin/python bench/results_page.py [--votes 10000] [--systems 20] [--reruns 5]

Builds a SQLite file (runs with one answer per system, votes drawn from a Bradley-Terry model with
a length effect), then renders pages/results.py with Streamlit's AppTest: the first load (reading
votes, every statistic) and --reruns later loads (cached on the votes' version and the filter),
and prints each time. AppTest runs the script in-process without a browser: it measures the
server's share of a page load (the browser draws in parallel with the websocket stream).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from moa_core.records import CallRecord, RunRecord  # noqa: E402
from moa_core.review.pairs import prompt_id_for  # noqa: E402
from moa_core.storage import RunStore  # noqa: E402
from moa_core.storage.schema import Vote  # noqa: E402


def build(url: str, n_votes: int, n_systems: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    strength = rng.normal(0, 1.0, n_systems)
    store = RunStore.open(url)
    n_runs = max(1, n_votes // 20)
    runs = []
    for r in range(n_runs):
        calls = []
        for k in range(n_systems):
            words = int(rng.integers(30, 300))
            text = f"## Answer {r}-{k}\n" + " ".join(["word"] * words) + "\n- **point** one\n- point two\n"
            calls.append(CallRecord(role="proposer", round=1, index=k, model=f"model-{k:02d}", label=f"m{k}",
                                    status="ok", text=text, started_s=0.0, ended_s=1.0))
        run = RunRecord(query=f"bench question {r}", lineup={"name": "bench"}, status="ok", final="", wall_s=1.0,
                        calls=calls)
        store.save_run(run)
        runs.append(run)
    rows = []
    for _ in range(n_votes):
        run = runs[int(rng.integers(0, n_runs))]
        i, j = rng.choice(n_systems, 2, replace=False)
        ca, cb = run.calls[i], run.calls[j]
        d = strength[i] - strength[j] + 0.3 * (len(ca.text) - len(cb.text)) / 1000
        u = rng.random()
        winner = "tie" if u < 0.1 else ("a" if rng.random() < 1 / (1 + np.exp(-d)) else "b")
        rows.append(dict(prompt_id=prompt_id_for(run.query), system_a=f"proposal: {ca.model}",
                         system_b=f"proposal: {cb.model}", winner=winner, reviewer=f"rev-{int(rng.integers(0, 8))}",
                         rater_kind="human", shown_swapped=bool(rng.random() < 0.5), run_a_id=run.run_id,
                         run_b_id=run.run_id, call_a_id=ca.call_id, call_b_id=cb.call_id, comment="", reasoning=""))
    with store.engine.begin() as conn:
        conn.execute(insert(Vote), rows)
    store.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--votes", type=int, default=10_000)
    ap.add_argument("--systems", type=int, default=20)
    ap.add_argument("--reruns", type=int, default=5)
    args = ap.parse_args()
    data = Path(tempfile.mkdtemp(prefix="moa-bench-results-"))
    os.environ["MOA_DATA_DIR"] = str(data)
    os.environ.pop("DATABASE_URL", None)
    t0 = time.perf_counter()
    build(f"sqlite:///{data / 'moa.db'}", args.votes, args.systems)
    print(f"built {args.votes} votes over {args.systems} systems in {time.perf_counter() - t0:.1f} s ({data})")

    from streamlit.testing.v1 import AppTest

    times = []
    for n in range(args.reruns + 1):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
        at.switch_page("pages/results.py")
        start = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - start)
        if at.exception:
            print("page failed:", at.exception[0].message)
            return 1
        print(f"{'first load' if n == 0 else f'load {n + 1}'}: {times[-1]:.3f} s "
              f"({len(at.dataframe)} tables, {sum(1 for _ in at.get('plotly_chart'))} chart)")
    print(f"first load {times[0]:.2f} s; later loads median {statistics.median(times[1:]):.3f} s, "
          f"max {max(times[1:]):.3f} s (target < 1 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
