"""Adaptive rounds on the loopback server: agreeing proposers stop after round 1, converging ones run
every round, stuck ones stop once their disagreement no longer shrinks; calls and time saved.

    .venv/bin/python bench/adaptive_rounds.py [--max-rounds 3] [--latency 0.3]
"""
from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from moa_core.engine import run_moa  # noqa: E402
from moa_core.lineup import Lineup, ModelSpec  # noqa: E402
from moa_core.testing import LLMServer  # noqa: E402

SCENARIOS = {
    "agree": {"a": ["The notice period is 30 days from written notice."] * 2,
              "b": ["The notice period is 30 days from written notice."] * 2,
              "c": ["The notice period is 30 days from written notice."] * 2},
    "converge": {"a": ["Notice is 30 days. Rent is due monthly. Pets are banned.", "Notice is 30 days. Rent is monthly."],
                 "b": ["Notice is 90 days. Rent is due weekly. Smoking is banned.", "Notice is 60 days. Rent is monthly."],
                 "c": ["Notice is 45 days. Rent is due daily. Music is banned.", "Notice is 50 days. Rent is monthly."]},
    "stuck": {"a": ["The notice period is 30 days."] * 2, "b": ["The notice period is 90 days."] * 2,
              "c": ["The notice period is 60 days."] * 2},
}


def _reply(texts):
    return lambda messages: texts[1 if any("[1]" in m["content"] for m in messages if m["role"] == "system") else 0]


async def main_async(max_rounds: int, latency: float) -> None:
    with LLMServer() as server:
        print(f"{'scenario':<10} {'rounds':>6} {'fixed':>5} {'calls':>5} {'fixed calls':>11} {'wall s':>7} "
              f"{'fixed wall s':>12}  why")
        for name, seats in SCENARIOS.items():
            for seat, texts in seats.items():
                server.set(f"{name}-{seat}", reply=_reply(texts), latency_s=latency)
            server.set("agg", text="Combined answer.", latency_s=latency)
            spec = lambda m: ModelSpec(model=m, api_base=server.base_url)  # noqa: E731
            proposers = [spec(f"{name}-{seat}") for seat in seats]
            adaptive = await run_moa("Notice?", Lineup(proposers=proposers, aggregator=spec("agg"), rounds="auto",
                                                       max_rounds=max_rounds, timeout_s=30, max_retries=0))
            fixed = await run_moa("Notice?", Lineup(proposers=proposers, aggregator=spec("agg"), rounds=max_rounds,
                                                    timeout_s=30, max_retries=0))
            why = adaptive.rounds_note.split(": ", 1)[1].split(";")[0] if adaptive.rounds_note else ""
            print(f"{name:<10} {adaptive.rounds_run:>6} {max_rounds:>5} {len(adaptive.calls):>5} "
                  f"{len(fixed.calls):>11} {adaptive.wall_s:>7.2f} {fixed.wall_s:>12.2f}  {why}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-rounds", type=int, default=3)
    parser.add_argument("--latency", type=float, default=0.3, help="seconds per call on the loopback server")
    args = parser.parse_args(argv)
    asyncio.run(main_async(args.max_rounds, args.latency))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
