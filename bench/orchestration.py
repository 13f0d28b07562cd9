"""Orchestration benchmark: MoA wall time against the critical path, and quorum against none.

Runs the real engine (`run_moa`, litellm, HTTP, server-sent events) against the loopback
OpenAI-compatible server of `moa_core/testing/llm_server.py`, so only orchestration and client overhead
are measured: the "models" take exactly the latency they are told to.

Grid: 3, 5 and 8 proposers x 1, 2 and 3 rounds. Proposer latencies are evenly spaced over
0.5-2.0 s (proposer i of n: 0.5 + 1.5 * i / (n - 1)), each with a 50 ms time to first token; the
aggregator takes 0.5 s. Per cell, the median over the repetitions of:

  cp_theory   configured critical path: rounds x 2.0 s (slowest proposer) + 0.5 s (aggregator)
  cp_record   `RunRecord.critical_path_s`, measured by the engine from its call records
  wall        `RunRecord.wall_s` (the engine's own clock, from the run's start to its end)
  overhead    wall - cp_record (orchestration between calls), and wall - cp_theory (everything the
              client adds to the models' own latency: request set-up, streaming, the gaps)
  outside     time spent in `run_moa` before the run's clock starts and after it stops
              (preflight token counting, warm-up, endpoint resolution)

Target (issue 2): overhead <= 50 ms + 3 % of the critical path, checked for both overheads.
Where the time goes is read off the server's arrival times (`server.requests[...].arrived`,
same monotonic clock): `dispatch` = request arrival - call start (client-side request set-up),
`tail` = call end - (arrival + configured latency) (streaming/parsing after the server's
schedule).

Then quorum against no quorum with one straggler: 5 proposers at 0.5-1.0 s and one at 4.0 s,
quorum = 5 of 6; wall of both and the saving.

Usage (from the repo root):
  .venv/bin/python bench/orchestration.py            # full grid, 5 repetitions
  .venv/bin/python bench/orchestration.py --quick    # smoke test: 1 cell + quorum, 2 repetitions
  .venv/bin/python bench/orchestration.py --reps 9
  .venv/bin/python bench/orchestration.py --cold 5   # one run per fresh process (no warm-up runs before)
Exit code 1 if any cell misses the target (either overhead), 0 otherwise.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from moa_core.engine import run_moa  # noqa: E402
from moa_core.lineup import Lineup, ModelSpec  # noqa: E402
from moa_core.records import RunFinished, RunStarted, RunRecord  # noqa: E402
from moa_core.testing.llm_server import LLMServer  # noqa: E402

LAT_MIN_S, LAT_MAX_S = 0.5, 2.0
TTFT_S = 0.05
AGG_LATENCY_S = 0.5
TARGET_FIXED_S, TARGET_RATIO = 0.050, 0.03
# A model answer of a few dozen streamed chunks, so streaming cost is part of what is measured.
ANSWER = ("Mixture of Agents lets several models answer the same question and then asks one model to "
          "synthesize their answers into a single reply that is usually better than any of them alone. "
          "This reply is long enough to stream in a few dozen chunks.")


def target_s(cp: float) -> float:
    return TARGET_FIXED_S + TARGET_RATIO * cp


def proposer_latencies(n: int) -> list[float]:
    if n == 1:
        return [LAT_MAX_S]
    return [round(LAT_MIN_S + (LAT_MAX_S - LAT_MIN_S) * i / (n - 1), 4) for i in range(n)]


@dataclass
class Sample:
    wall: float
    cp_record: float
    outside: float
    dispatch_ms: list[float] = field(default_factory=list)
    tail_ms: list[float] = field(default_factory=list)
    status: str = ""
    cancelled: int = 0
    notes: list[str] = field(default_factory=list)  # calls whose request or end lagged > 100 ms


async def one_run(server: LLMServer, query: str, lineup: Lineup, latency_of: dict[str, float]) -> Sample:
    """One `run_moa`; matches each call to the server request it made (by query text, model, round)."""
    marks: dict[str, float] = {}

    def on_event(event) -> None:
        if isinstance(event, RunStarted):
            marks["t0"] = time.monotonic()  # within microseconds of the engine's own t0
        elif isinstance(event, RunFinished):
            marks["finished"] = time.monotonic()

    seen = len(server.requests)
    start = time.monotonic()
    record: RunRecord = await run_moa(query, lineup, on_event=on_event)
    end = time.monotonic()
    t0 = marks["t0"]
    sample = Sample(wall=record.wall_s, cp_record=record.critical_path_s or float("nan"),
                    outside=(end - start) - record.wall_s, status=record.status,
                    cancelled=sum(c.status == "cancelled" for c in record.calls))
    # Requests of this run, in arrival order per model: call k of a model = its k-th request.
    by_model: dict[str, list[float]] = {}
    for req in server.requests[seen:]:
        by_model.setdefault(req.model, []).append(req.arrived)
    for model, arrivals in by_model.items():
        calls = sorted((c for c in record.calls if c.model == model), key=lambda c: c.started_s)
        for call, arrived in zip(calls, arrivals):
            dispatch = (arrived - (t0 + call.started_s)) * 1000
            sample.dispatch_ms.append(dispatch)
            if dispatch > 100:
                sample.notes.append(f"{call.role} {model} round {call.round}: request reached the server "
                                    f"{dispatch:.0f} ms after the call started (at {call.started_s:.3f} s)")
            if call.ok and call.ended_s is not None:
                tail = ((t0 + call.ended_s) - (arrived + latency_of[model])) * 1000
                sample.tail_ms.append(tail)
                if tail > 100:
                    sample.notes.append(f"{call.role} {model} round {call.round}: ended {tail:.0f} ms after the "
                                        f"server's last scheduled token")
    return sample


def lineup_of(server: LLMServer, proposers: list[str], aggregator: str, rounds: int, **kwargs) -> Lineup:
    spec = lambda name: ModelSpec(model=name, api_base=server.base_url, max_tokens=256)  # noqa: E731
    return Lineup(proposers=[spec(p) for p in proposers], aggregator=spec(aggregator), rounds=rounds,
                  timeout_s=30, max_retries=0, **kwargs)


@dataclass
class Cell:
    n: int
    rounds: int
    cp_theory: float
    samples: list[Sample]

    def med(self, attr: str) -> float:
        return statistics.median(getattr(s, attr) for s in self.samples)

    @property
    def wall(self) -> float:
        return self.med("wall")

    @property
    def over_record(self) -> float:
        return statistics.median(s.wall - s.cp_record for s in self.samples)

    @property
    def over_theory(self) -> float:
        return statistics.median(s.wall - self.cp_theory for s in self.samples)

    @property
    def over_theory_max(self) -> float:
        return max(s.wall - self.cp_theory for s in self.samples)

    @property
    def ok_record(self) -> bool:
        return self.over_record <= target_s(self.med("cp_record"))

    @property
    def ok_theory(self) -> bool:
        return self.over_theory <= target_s(self.cp_theory)

    def pooled(self, attr: str) -> float:
        values = [v for s in self.samples for v in getattr(s, attr)]
        return statistics.median(values) if values else float("nan")

    def worst(self, attr: str) -> float:
        values = [v for s in self.samples for v in getattr(s, attr)]
        return max(values) if values else float("nan")


async def bench_grid(server: LLMServer, sizes: list[int], rounds_list: list[int], reps: int) -> list[Cell]:
    agg = "agg"
    server.set(agg, text=ANSWER, latency_s=AGG_LATENCY_S, ttft_s=TTFT_S)
    cells = []
    for n in sizes:
        names = [f"p{n}-{i}" for i in range(n)]
        latency_of = {agg: AGG_LATENCY_S}
        for name, lat in zip(names, proposer_latencies(n)):
            server.set(name, text=ANSWER, latency_s=lat, ttft_s=TTFT_S)
            latency_of[name] = lat
        for rounds in rounds_list:
            lineup = lineup_of(server, names, agg, rounds)
            cp_theory = rounds * max(proposer_latencies(n)) + AGG_LATENCY_S
            samples = []
            for rep in range(reps):
                s = await one_run(server, f"n={n} r={rounds} rep={rep}: what is MoA?", lineup, latency_of)
                if s.status != "ok":
                    raise SystemExit(f"run n={n} rounds={rounds} ended {s.status}: the benchmark is broken")
                samples.append(s)
                for note in s.notes:
                    print(f"    note ({n}x{rounds}, rep {rep}, wall {s.wall:.3f} s): {note}", file=sys.stderr)
            cell = Cell(n, rounds, cp_theory, samples)
            cells.append(cell)
            print(f"  {n} proposers x {rounds} rounds: wall {cell.wall:.3f} s, overhead "
                  f"{cell.over_record * 1000:.0f} ms (record) / {cell.over_theory * 1000:.0f} ms (theory)",
                  file=sys.stderr, flush=True)
    return cells


async def bench_quorum(server: LLMServer, reps: int) -> dict:
    fast = [round(0.5 + 0.5 * i / 4, 4) for i in range(5)]  # 0.5, 0.625, ..., 1.0 s
    names = [f"q-fast-{i}" for i in range(5)] + ["q-straggler"]
    latency_of = {"agg": AGG_LATENCY_S}
    for name, lat in zip(names, fast + [4.0]):
        server.set(name, text=ANSWER, latency_s=lat, ttft_s=TTFT_S)
        latency_of[name] = lat
    result: dict = {"fast": fast, "straggler": 4.0, "quorum": len(names) - 1, "reps": reps}
    plain = lineup_of(server, names, "agg", 1)
    quorum = lineup_of(server, names, "agg", 1, quorum=len(names) - 1)
    walls: dict[str, list[float]] = {"none": [], "quorum": []}
    for rep in range(reps):  # interleaved, so drift on the shared machine hits both alike
        for key, lineup in (("none", plain), ("quorum", quorum)):
            s = await one_run(server, f"quorum {key} rep={rep}: what is MoA?", lineup, latency_of)
            expected = ("partial", 1) if key == "quorum" else ("ok", 0)
            if (s.status, s.cancelled) != expected:
                raise SystemExit(f"quorum run ({key}) ended {s.status} with {s.cancelled} cancelled calls, "
                                 f"expected {expected}: the benchmark is broken")
            walls[key].append(s.wall)
    result["wall_none"] = statistics.median(walls["none"])
    result["wall_quorum"] = statistics.median(walls["quorum"])
    result["cp_none"] = 4.0 + AGG_LATENCY_S
    result["cp_quorum"] = max(fast) + AGG_LATENCY_S
    return result


async def warm(server: LLMServer) -> None:
    """litellm's first call in a process and first connection to a host cost extra: pay them here."""
    server.set("warm", text=ANSWER, latency_s=0.05)
    for _ in range(2):
        await run_moa("warm up", lineup_of(server, ["warm", "warm"], "warm", 1))


def table(cells: list[Cell]) -> str:
    head = ("| proposers | rounds | critical path, theory (s) | critical path, records (s) | wall (s) "
            "| overhead vs records (ms) | overhead vs theory, median / worst run (ms) | target (ms) | meets target "
            "| dispatch, median / max (ms) | tail, median / max (ms) | outside the run clock (ms) |")
    lines = [head, "|" + "---|" * 12]
    for c in cells:
        target_ms = target_s(c.cp_theory) * 1000
        verdict = "yes" if c.ok_record and c.ok_theory else (
            "records only" if c.ok_record else "theory only" if c.ok_theory else "**no**")
        lines.append(
            f"| {c.n} | {c.rounds} | {c.cp_theory:.3f} | {c.med('cp_record'):.3f} | {c.wall:.3f} "
            f"| {c.over_record * 1000:.0f} | {c.over_theory * 1000:.0f} / {c.over_theory_max * 1000:.0f} "
            f"| {target_ms:.0f} | {verdict} "
            f"| {c.pooled('dispatch_ms'):.1f} / {c.worst('dispatch_ms'):.1f} "
            f"| {c.pooled('tail_ms'):.1f} / {c.worst('tail_ms'):.1f} | {c.med('outside') * 1000:.0f} |")
    return "\n".join(lines)


def quorum_table(q: dict) -> str:
    saving = q["wall_none"] - q["wall_quorum"]
    row = lambda name, cp, wall: f"| {name} | {cp:.3f} | {wall:.3f} | {(wall - cp) * 1000:.0f} |"  # noqa: E731
    return "\n".join([
        "| lineup | critical path, theory (s) | wall (s) | overhead vs theory (ms) |",
        "|---|---|---|---|",
        row(f"no quorum (waits for the {q['straggler']:g} s straggler)", q["cp_none"], q["wall_none"]),
        row(f"quorum {q['quorum']} of 6 (straggler cancelled)", q["cp_quorum"], q["wall_quorum"]),
        "",
        f"Saving: {saving:.3f} s ({saving / q['wall_none'] * 100:.0f} % of the no-quorum wall).",
    ])


COLD_CHILD = """
import json, sys, time
t0 = time.monotonic()
from moa_core.engine import run_moa_sync
from moa_core.lineup import Lineup, ModelSpec
base, names = sys.argv[1], sys.argv[2].split(",")
spec = lambda name: ModelSpec(model=name, api_base=base, max_tokens=256)
lineup = Lineup(proposers=[spec(n) for n in names], aggregator=spec("agg"), rounds=2, timeout_s=30, max_retries=0)
started = time.monotonic()
record = run_moa_sync("cold start", lineup)
print(json.dumps({"wall": record.wall_s, "cp": record.critical_path_s, "status": record.status,
                  "import_s": started - t0, "outside_s": time.monotonic() - started - record.wall_s}))
"""


def bench_cold(server: LLMServer, reps: int, n: int = 5) -> list[dict]:
    """One run per fresh process (5 proposers x 2 rounds + aggregator): what a one-shot `moa run` pays."""
    import json
    import subprocess

    names = [f"cold{i}" for i in range(n)]
    for name, latency in zip(names, proposer_latencies(n)):
        server.set(name, text=ANSWER, latency_s=latency, ttft_s=TTFT_S)
    server.set("agg", text=ANSWER, latency_s=AGG_LATENCY_S, ttft_s=TTFT_S)
    out = []
    for _ in range(reps):
        done = subprocess.run([sys.executable, "-c", COLD_CHILD, server.base_url, ",".join(names)],
                              cwd=ROOT, capture_output=True, text=True, timeout=300)
        out.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return out


def cold_table(samples: list[dict]) -> str:
    walls, cps = [s["wall"] for s in samples], [s["cp"] for s in samples]
    over = [w - c for w, c in zip(walls, cps)]
    cp = statistics.median(cps)
    ok = statistics.median(over) <= target_s(cp)
    return (f"cold process, 5 proposers x 2 rounds + aggregator, {len(samples)} processes: critical path "
            f"{cp:.3f} s, wall {statistics.median(walls):.3f} s, overhead median {statistics.median(over) * 1000:.0f} ms "
            f"(max {max(over) * 1000:.0f} ms), target {target_s(cp) * 1000:.0f} ms: {'ok' if ok else 'MISSED'}; "
            f"warm-up and set-up before the run's clock {statistics.median(s['outside_s'] for s in samples):.2f} s, "
            f"imports {statistics.median(s['import_s'] for s in samples):.2f} s")


async def main_async(args: argparse.Namespace) -> int:
    if args.cold:
        with LLMServer() as server:
            print(cold_table(bench_cold(server, args.cold)))
        return 0
    sizes, rounds_list = ([3], [1]) if args.quick else ([3, 5, 8], [1, 2, 3])
    reps = args.reps or (2 if args.quick else 5)
    load_before = os.getloadavg()[0]
    with LLMServer() as server:
        await warm(server)
        started = time.monotonic()
        cells = await bench_grid(server, sizes, rounds_list, reps)
        q = await bench_quorum(server, reps)
        took = time.monotonic() - started
    misses = [c for c in cells if not (c.ok_record and c.ok_theory)]
    print(f"Orchestration benchmark: {reps} repetitions per cell (medians), "
          f"proposers {LAT_MIN_S}-{LAT_MAX_S} s evenly spaced, ttft {TTFT_S * 1000:.0f} ms, "
          f"aggregator {AGG_LATENCY_S} s; {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"{took:.0f} s in all; 1-minute load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after.\n")
    print(table(cells))
    print("\nTarget: overhead <= 50 ms + 3 % of the critical path (checked against both critical paths).\n")
    print(f"Quorum with one straggler: proposers at {', '.join(f'{x:g}' for x in q['fast'])} s and one at "
          f"{q['straggler']:g} s, aggregator {AGG_LATENCY_S} s.\n")
    print(quorum_table(q))
    if misses:
        print(f"\n{len(misses)} of {len(cells)} cells miss the target: "
              + ", ".join(f"{c.n}x{c.rounds}" for c in misses), file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one cell (3 proposers, 1 round) and the quorum "
                        "comparison, 2 repetitions: a smoke test")
    parser.add_argument("--reps", type=int, default=None, help="repetitions per cell (default 5, --quick 2)")
    parser.add_argument("--cold", type=int, default=0, metavar="N",
                        help="instead: N fresh processes, one run each (what a one-shot `moa run` pays)")
    args = parser.parse_args(argv)
    if args.reps is not None and args.reps < 1:
        parser.error("--reps must be >= 1")
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
