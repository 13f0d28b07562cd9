"""Before/after on a shared, noisy machine: `moa run`'s first request and `moa runs`, two checkouts interleaved.

    git worktree add --detach /tmp/before <commit before the change>
    .venv/bin/python bench/cli_startup_ab.py --before /tmp/before [--runs 7]

Each round times, for each checkout in turn, `moa run` from spawn to the loopback server receiving its first
chat request (the server's own request log, CLOCK_MONOTONIC as in bench/cli_startup.py), `moa runs` (wall time
of the process), and a bare `python -c "import litellm"`. Interleaving puts both checkouts under the same load:
compare the medians of the differences, not absolute figures. Load averages are printed before and after.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.cli_startup import first_request_s  # noqa: E402
from bench.support import ROOT, moa_env, start_llm_server, stop, timed  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="a checkout of the commit before the change")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    sides = {"before": args.before.resolve(), "after": ROOT}
    print(f"load average at the start {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        env = moa_env(folder / "data", LITELLM_LOCAL_MODEL_COST_MAP="True")
        server, base_url = start_llm_server({}, folder)
        figures = {(side, what): [] for side in sides for what in ("first request", "runs")}
        imports = []
        try:
            for root in sides.values():
                first_request_s(base_url, env, -1, cwd=root)  # creates the store, warms the disk cache
            for i in range(args.runs):
                imports.append(timed([sys.executable, "-c", "import litellm"], env))
                for side, root in sides.items():
                    figures[side, "first request"].append(first_request_s(base_url, env, i, cwd=root))
                    figures[side, "runs"].append(timed([sys.executable, "-m", "moa_core.cli", "runs"], env, cwd=root))
        finally:
            stop(server)
    print(f"load average at the end {os.getloadavg()}; {args.runs} interleaved rounds")
    imp = statistics.median(imports)
    print(f"  import litellm         median {imp:.3f} s (min {min(imports):.3f}, max {max(imports):.3f})")
    for (side, what), values in figures.items():
        extra = f", {statistics.median(values) - imp:+.3f} s over the import" if what == "first request" else ""
        print(f"  {what:<14} {side:<6}  median {statistics.median(values):.3f} s "
              f"(min {min(values):.3f}, max {max(values):.3f}){extra}")
    for what in ("first request", "runs"):
        saved = [b - a for b, a in zip(figures["before", what], figures["after", what])]
        print(f"  {what}: after is {statistics.median(saved):.3f} s faster (median of the paired differences)")


if __name__ == "__main__":
    main()
