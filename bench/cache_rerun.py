"""A batch re-run from the response cache changes nothing but what was paid and saved (issue 23).

A small batch (a lineup of 3 proposers + an aggregator, and a single model) on the loopback server, priced
with overrides, runs twice in a fresh database: the second time every answer comes from the cache. Printed
for both: the batch table (cost per item, paid, saved, cached answers, the calls' own p50/p95, the queue
wait), the Analytics headline figures over all runs so far, and the planner's figures for the lineup.

Usage (from the repo root): .venv/bin/python bench/cache_rerun.py [--items 4] [--latency 0.2]
Exit code 1 if a figure other than paid/saved/cached/latency-of-cached moved.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=4)
    parser.add_argument("--latency", type=float, default=0.2, help="seconds per call on the loopback server")
    args = parser.parse_args()
    os.environ["MOA_DATA_DIR"] = tempfile.mkdtemp(prefix="moa-cache-rerun-")
    os.environ.pop("DATABASE_URL", None)

    from moa_core.batch.report import batch_summary
    from moa_core.batch.runner import create_batch, run_batch
    from moa_core.batch.systems import moa_system, single_system
    from moa_core.cli.batch import summary_table
    from moa_core.lineup import Lineup, ModelSpec
    from moa_core.metrics import analytics, planner, run_tables
    from moa_core.metrics.planner_inputs import lineup_tokens
    from moa_core.providers.prices import format_cost
    from moa_core.storage import RunStore
    from moa_core.testing.llm_server import Behaviour, LLMServer

    models = ("p1", "p2", "p3", "agg", "base")
    with LLMServer() as server:
        for m in models:
            server.set(m, latency_s=args.latency)
        store = RunStore.open_default()
        for m in models:
            store.catalog.set_price(m, 1e-6, 2e-6)

        def spec(name: str) -> ModelSpec:
            return ModelSpec(model=name, api_base=server.base_url, max_tokens=64)

        lineup = Lineup(name="trio", proposers=[spec(p) for p in ("p1", "p2", "p3")], aggregator=spec("agg"),
                        timeout_s=10)
        systems = [moa_system(lineup), single_system(spec("base"))]
        set_id = store.catalog.save_eval_set("bench", [{"query": f"question {i}?"} for i in range(args.items)])
        figures = []
        for label in ("first run", "re-run from the cache"):
            sent = len(server.requests)
            batch_id = create_batch(store, set_id, systems, concurrency=4)
            asyncio.run(run_batch(store, batch_id))
            summary = batch_summary(store, [batch_id], style_bootstrap=0)
            runs, ratings = store.analytics.analytics_runs()
            view = analytics.overview(run_tables.run_table(runs, ratings), run_tables.call_table(runs))
            calls = run_tables.call_table(runs)
            measured = lineup_tokens(calls, ["p1", "p2", "p3"], "agg")
            fig = planner.with_prices(planner.measured_figures(calls), list(models),
                                      lambda m: store.catalog.price_book().price(m))
            moa = planner.plan_moa(["p1", "p2", "p3"], "agg", 1, 10_000, measured.proposer_prompt,
                                   measured.proposer_answer, fig,
                                   role_prompt_tokens={"aggregator": measured.aggregator_input(
                                       measured.proposer_prompt, measured.proposer_answer, 3)},
                                   role_answer_tokens={"aggregator": measured.aggregator_answer})
            alone = planner.plan_single("base", 10_000, measured.proposer_prompt, measured.proposer_answer, fig)
            print(f"== {label}: batch {batch_id}, {len(server.requests) - sent} requests sent")
            print(summary_table(summary, {"judge_items": 0}))
            print(f"Analytics (all runs so far): {view['runs']} runs, total spent {format_cost(view['known_cost_usd'])}, "
                  f"saved by the cache {format_cost(view['saved_usd'])}, median time to answer "
                  f"{view['median_answer_s']:.2f} s")
            print(f"Planner (trio vs base, 10,000 queries a month): {planner.plan_sentence(moa, alone)}")
            print()
            figures.append(({s["name"]: (s["cost_per_item"], s["done"]) for s in summary["systems"]},
                            view["median_answer_s"], moa.monthly_cost, moa.latency_s, alone.monthly_cost))
        store.close()
    same = figures[0] == figures[1]
    print("unchanged but for paid/saved/cached:", "yes" if same else f"NO: {figures}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
