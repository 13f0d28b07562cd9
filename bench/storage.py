"""Storage benchmark: 10,000 runs x 5 calls, then the two reads the app does all the time.

    .venv/bin/python bench/storage.py [--runs 10000] [--calls 5] [--url DATABASE_URL]

Fills a fresh SQLite file (or the empty database at --url), timing the bulk fill and the live
write path (`observe`, one transaction per call), then reports the median of several
repetitions of: listing the latest 50 runs with totals (target < 100 ms) and per-model
latency/cost aggregates over every call (target < 500 ms).
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert  # noqa: E402

from moa_core.records import (CallFinished, CallRecord, RunFinished, RunRecord, RunStarted, new_id,  # noqa: E402
                              utcnow)
from moa_core.storage import RunStore  # noqa: E402
from moa_core.storage.schema import Call, Run  # noqa: E402

MODELS = ["openai/gpt-4o-mini", "anthropic/claude-3-5-haiku", "groq/llama-3.1-8b", "ollama_chat/qwen2.5",
          "local/gemma-3-270m", "mistral/mistral-small"]
WORDS = "mixture of agents proposers aggregate synthesis answer latency cost quality model".split()


def text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


def make_run(rng: random.Random, i: int, n_calls: int) -> RunRecord:
    """A plausible run: n-1 proposers then an aggregator, prompts and answers of realistic size."""
    run = RunRecord(query=f"question {i}: " + text(rng, 20), lineup={"name": f"lineup-{i % 7}"}, status="ok",
                    final=text(rng, 150), note=f"synthesized from {n_calls - 1} of {n_calls - 1} proposals")
    run.started_at = utcnow() - timedelta(minutes=10 * (10_000 - i))
    slowest = 0.0
    for k in range(n_calls):
        role = "aggregator" if k == n_calls - 1 else "proposer"
        start = 0.0 if role == "proposer" else slowest
        duration = rng.lognormvariate(0.5, 0.6)
        slowest = max(slowest, duration) if role == "proposer" else slowest
        run.calls.append(CallRecord(
            role=role, round=1, index=0 if role == "aggregator" else k, model=rng.choice(MODELS), label=f"m{k}",
            messages=[{"role": "user", "content": run.query + " " + text(rng, 60)}], status="ok",
            started_s=start, first_token_s=start + duration * 0.2, ended_s=start + duration,
            prompt_tokens=rng.randint(50, 2000), completion_tokens=rng.randint(50, 800),
            cost_usd=None if rng.random() < 0.1 else rng.random() * 1e-3, text=text(rng, 100), attempts=1))
    if rng.random() < 0.05:
        run.calls[0].status, run.calls[0].error = "failed", "rate limited (429)"
    run.wall_s = slowest + run.calls[-1].ended_s - run.calls[-1].started_s
    return run


def fill(store: RunStore, runs: int, calls: int, seed: int = 7) -> None:
    """Bulk insert in batches, through the same row mapping the store uses."""
    from moa_core.storage.rows import call_row, run_columns

    rng = random.Random(seed)
    batch = 1000
    for first in range(0, runs, batch):
        records = [make_run(rng, i, calls) for i in range(first, min(first + batch, runs))]
        run_rows = [run_columns(r) | {"ended_at": r.started_at + timedelta(seconds=r.wall_s)} for r in records]
        call_rows = [call_row(c, r.run_id, p).model_dump() for r in records for p, c in enumerate(r.calls)]
        with store.engine.begin() as conn:
            conn.execute(insert(Run), run_rows)
            conn.execute(insert(Call), call_rows)


def live_writes(store: RunStore, runs: int, calls: int) -> float:
    """Seconds per run through `observe`: run row, one transaction per call, then the close."""
    rng = random.Random(11)
    start = time.perf_counter()
    for i in range(runs):
        record = make_run(rng, i, calls)
        finished = record.calls
        record.calls, record.run_id = [], new_id()
        store.observe(RunStarted(record))
        for c in finished:
            record.calls.append(c)
            store.observe(CallFinished(c))
        store.observe(RunFinished(record))
    return (time.perf_counter() - start) / runs


def median_ms(fn, repeat: int) -> float:
    fn()  # warm caches, as a running app would have them
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=5)
    parser.add_argument("--url", help="an EMPTY database to use instead of a fresh SQLite file")
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args(argv)

    url = args.url or f"sqlite:///{Path(tempfile.mkdtemp(prefix='moa-bench-')) / 'moa.db'}"
    store = RunStore.open(url)
    t = time.perf_counter()
    fill(store, args.runs, args.calls)
    fill_s = time.perf_counter() - t
    per_run = live_writes(store, 100, args.calls)
    n_calls = len(store.analytics.call_rows())

    list_ms = median_ms(lambda: store.list_runs(limit=50), args.repeat * 3)
    filtered_ms = median_ms(lambda: store.list_runs(limit=50, model=MODELS[0], status="ok"), args.repeat)
    stats_ms = median_ms(store.analytics.model_stats, args.repeat)
    size = Path(store.engine.url.database).stat().st_size / 1e6 if url.startswith("sqlite") else None

    print(f"database: {store.url}" + (f" ({size:.0f} MB)" if size else ""))
    print(f"fill {args.runs:,} runs x {args.calls} calls ({n_calls:,} calls in all): {fill_s:.1f} s bulk")
    print(f"live write path (observe, one transaction per call): {per_run * 1000:.1f} ms per {args.calls}-call run")
    print(f"list latest 50 runs with totals: {list_ms:.1f} ms median (target < 100 ms)")
    print(f"  ... filtered by model and status: {filtered_ms:.1f} ms median")
    print(f"per-model latency/cost aggregates: {stats_ms:.1f} ms median (target < 500 ms)")
    store.close()
    return 0 if list_ms < 100 and stats_ms < 500 else 1


if __name__ == "__main__":
    sys.exit(main())
