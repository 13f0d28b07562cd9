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
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _server(folder: Path) -> tuple[subprocess.Popen, str]:
    config = folder / "llm.json"
    config.write_text("{}")
    proc = subprocess.Popen([sys.executable, "-m", "moa_core.testing.llm_server", "--config", str(config)],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline().strip()
    if not line.startswith("READY "):
        proc.kill()
        raise SystemExit(f"the loopback server did not start: {line!r}")
    return proc, line.split(" ", 1)[1]


def _seen(base_url: str) -> list[dict]:
    with urllib.request.urlopen(f"{base_url.removesuffix('/v1')}/_admin/requests", timeout=10) as answer:
        return json.load(answer)


def _first_request(root: Path, base_url: str, env: dict, i: int) -> float:
    before = len(_seen(base_url))
    cmd = [sys.executable, "-m", "moa_core.cli", "run", "--proposer", "p1", "--aggregator", "agg",
           "--api-base", base_url, "--json", f"startup question {i}"]
    start = time.monotonic()
    done = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise SystemExit(f"moa run failed in {root}: {done.stderr[-500:]}")
    return min(r["arrived"] for r in _seen(base_url)[before:]) - start


def _wall(root: Path, cmd: list[str], env: dict) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed in {root}: {done.stderr[-500:]}")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="a checkout of the commit before the change")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    sides = {"before": args.before.resolve(), "after": ROOT}
    print(f"load average at the start {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "MOA_DEBUG")}
        env |= {"MOA_DATA_DIR": str(folder / "data"), "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
        server, base_url = _server(folder)
        figures = {(side, what): [] for side in sides for what in ("first request", "runs")}
        imports = []
        try:
            for root in sides.values():
                _first_request(root, base_url, env, -1)  # creates the store, warms the disk cache
            for i in range(args.runs):
                imports.append(_wall(ROOT, [sys.executable, "-c", "import litellm"], env))
                for side, root in sides.items():
                    figures[side, "first request"].append(_first_request(root, base_url, env, i))
                    figures[side, "runs"].append(_wall(root, [sys.executable, "-m", "moa_core.cli", "runs"], env))
        finally:
            server.kill()
            server.wait()
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
