"""How fast the `moa` command starts (issue 26): each command imports only what it needs when it runs.

    .venv/bin/python bench/cli_startup.py [--runs 7]

Medians of N fresh processes, wall time from spawn to exit (or to the first request):
  help           `moa --help` (builds every command's parser: no litellm, numpy, scipy)
  runs           `moa runs` on a store that holds one run (sqlmodel and the store, no litellm)
  import         `python -c "import litellm"` (with LITELLM_LOCAL_MODEL_COST_MAP=True, as moa sets it)
  first request  `moa run` against the loopback server (its own process): from spawn to the server receiving
                 the first chat request, read from the server's own request log (both clocks are
                 CLOCK_MONOTONIC, shared by every process on the machine)
The target: help and runs under 0.5 s; first request within 0.3 s of the import. Figures go in
docs/performance.md.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.support import ROOT, moa_env, run, start_llm_server, stop, timed  # noqa: E402

MOA = [sys.executable, "-m", "moa_core.cli"]


def requests_seen(base_url: str) -> list[dict]:
    root = base_url.removesuffix("/v1")
    with urllib.request.urlopen(f"{root}/_admin/requests", timeout=10) as answer:
        return json.load(answer)


def first_request_s(base_url: str, env: dict, i: int, cwd: Path = ROOT) -> float:
    """Spawn `moa run` (of the checkout `cwd`) and return the seconds until the server received its first chat
    request."""
    before = len(requests_seen(base_url))
    cmd = MOA + ["run", "--proposer", "p1", "--aggregator", "agg", "--api-base", base_url, "--json",
                 f"startup question {i}"]
    start = time.monotonic()
    run(cmd, env, timeout_s=120, cwd=cwd)
    new = requests_seen(base_url)[before:]
    if not new:
        raise RuntimeError("moa run sent no request")
    return min(r["arrived"] for r in new) - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        env = moa_env(folder / "data", LITELLM_LOCAL_MODEL_COST_MAP="True")
        server, base_url = start_llm_server({}, folder)  # every model: the fast default echo
        try:
            first_request_s(base_url, env, -1)  # creates the store, warms the disk cache
            figures = {
                "help": [timed(MOA + ["--help"], env) for _ in range(args.runs)],
                "runs": [timed(MOA + ["runs"], env) for _ in range(args.runs)],
                "import": [timed([sys.executable, "-c", "import litellm"], env) for _ in range(args.runs)],
                "first request": [first_request_s(base_url, env, i) for i in range(args.runs)],
            }
        finally:
            stop(server)
    medians = {name: statistics.median(values) for name, values in figures.items()}
    load = os.getloadavg()[0]
    print(f"{args.runs} runs each, load average {load:.1f} at the end (2 cores)")
    for name, values in figures.items():
        print(f"  {name:<14} median {medians[name]:.3f} s  (min {min(values):.3f}, max {max(values):.3f})")
    print(f"  first request - import litellm: {medians['first request'] - medians['import']:+.3f} s")


if __name__ == "__main__":
    main()
