"""Batch benchmark: wall time against the ideal, resume after SIGKILL, and a second identical run.

200 eval items, each answered by a lineup of 3 proposers + an aggregator and by a baseline model
(5 calls per item, 1,000 calls), against the loopback OpenAI-compatible server at 0.5 s per call,
with `--concurrency 16`. The batch runs in a real `moa batch` process (litellm, HTTP, SQLite);
the server runs in this process and counts every request.

  1. wall      `moa batch ... --json` wall_s against the ideal = total call-seconds / concurrency
               (1,000 x 0.5 s / 16 = 31.25 s). Target: within 15 %.
  2. resume    a `--no-cache` batch is SIGKILLed at about half-way; `moa batch --resume ID` finishes
               it. Requests the server receives after the kill for items already done: must be 0.
  3. again     the batch of step 1 run again (cache on): requests received must be 0.

With `--workers 1 2`, step 1 runs once per worker count (`moa batch --workers N`), each in a fresh
database (an empty cache), so the ratios are measured side by side in one run; the target is checked
on the first count given, steps 2 and 3 use the last.

Usage (from the repo root): .venv/bin/python bench/batch.py [--items 200] [--latency 0.5] [--concurrency 16]
                                                            [--workers 1 2]
Exit code 1 if a target is missed.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from moa_core.storage import RunStore  # noqa: E402
from moa_core.testing.llm_server import LLMServer  # noqa: E402

PROPOSERS = ("p1", "p2", "p3")
LINEUP_MODELS = PROPOSERS + ("agg",)


def write_inputs(folder: Path, items: int, base_url: str) -> tuple[Path, Path]:
    set_file = folder / "bench-set.jsonl"
    set_file.write_text("".join(json.dumps({"query": f"Benchmark question number {i}?", "reference": "x"}) + "\n"
                                for i in range(items)))
    lineup = folder / "bench-lineup.toml"
    seats = "".join(f'[[proposers]]\nmodel = "{p}"\napi_base = "{base_url}"\nmax_tokens = 64\n\n' for p in PROPOSERS)
    lineup.write_text(f'name = "bench trio"\ntimeout_s = 30\n\n{seats}[aggregator]\nmodel = "agg"\n'
                      f'api_base = "{base_url}"\nmax_tokens = 64\n\n[baseline]\nmodel = "base"\n'
                      f'api_base = "{base_url}"\nmax_tokens = 64\n')
    return set_file, lineup


def moa(args: list[str], env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "moa_core.cli", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen, timeout: float = 900) -> dict:
    out, err = proc.communicate(timeout=timeout)
    if proc.returncode != 0:
        raise SystemExit(f"moa exited {proc.returncode}: {err[-800:]}")
    return json.loads(out)


def child_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.5)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, nargs="+", default=[1])
    args = parser.parse_args()
    ok = True
    with tempfile.TemporaryDirectory(prefix="moa-bench-batch-") as tmp, LLMServer() as server:
        folder = Path(tmp)
        for model in (*LINEUP_MODELS, "base"):
            server.set(model, latency_s=args.latency, ttft_s=0.05)
        set_file, lineup = write_inputs(folder, args.items, server.base_url)
        calls = args.items * (len(LINEUP_MODELS) + 1)
        ideal = calls * args.latency / args.concurrency
        print(f"load average before: {load()} ({os.cpu_count()} cores)")

        # 1. wall time against the ideal (cache on, but empty: every call is made), per worker count
        ratios = {}
        for workers in args.workers:
            env = {**os.environ, "MOA_DATA_DIR": str(folder / f"data-{workers}"), "PYTHONPATH": str(ROOT)}
            env.pop("DATABASE_URL", None)
            common = [str(set_file), "--lineup", str(lineup), "--concurrency", str(args.concurrency), "--json"]
            mark = len(server.requests)
            cpu0, own0 = child_cpu_s(), time.process_time()
            first = finish(moa(["batch", *common, "--workers", str(workers)], env))
            cpu, own = child_cpu_s() - cpu0, time.process_time() - own0
            wall = first["wall_s"]
            sent = len(server.requests) - mark
            ratio = ratios[workers] = wall / ideal
            print(f"1. --workers {workers}: wall {wall:.1f} s for {calls} calls ({sent} requests) at {args.latency} s, "
                  f"concurrency {args.concurrency}: ideal {ideal:.2f} s, ratio {ratio:.3f} (target <= 1.15); "
                  f"load {load()}")
            print(f"   CPU of the batch process{'es' if workers > 1 else ''}: {cpu:.1f} s "
                  f"({1000 * cpu / calls:.0f} ms per call, start-up included); the loopback server in this "
                  f"process: {own:.1f} s on the same cores")
            ok &= first["done"] == first["items"] and sent == calls
        checked = args.workers[0]  # the target is checked on the first worker count given (default: 1)
        ok &= ratios[checked] <= 1.15
        print(f"   target checked on --workers {checked}: ratio {ratios[checked]:.3f}")
        folder_data = folder / f"data-{args.workers[-1]}"

        # 2. resume after SIGKILL at about half-way (no cache, so only resume can avoid redoing work)
        server.reset()
        for model in (*LINEUP_MODELS, "base"):
            server.set(model, latency_s=args.latency, ttft_s=0.05)
        proc = moa(["batch", *common, "--no-cache"], env)
        batch_id = None
        while batch_id is None:
            line = proc.stderr.readline()
            if line.startswith("batch "):
                batch_id = line.split()[1].rstrip(":")
        store = RunStore.open(f"sqlite:///{folder_data / 'moa.db'}")
        total = store.batches.get_batch(batch_id).items
        while store.batches.batch_counts(batch_id)["done"] < total // 2:
            time.sleep(0.2)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        time.sleep(1.0)  # let in-flight requests of the killed process be counted before the mark
        done = {(i.eval_item_id, i.system) for i in store.batches.batch_items(batch_id) if i.status == "done"}
        queries = {i.id: i.query for i in store.catalog.eval_set_items(store.batches.get_batch(batch_id).eval_set_id)}
        mark = len(server.requests)
        resumed = finish(moa(["batch", "--resume", batch_id, "--json"], env))
        later = server.requests[mark:]
        finished_queries = {}
        for eval_item_id, system in done:
            models = {"base"} if system.startswith("single") else set(LINEUP_MODELS)
            finished_queries.setdefault(queries[eval_item_id], set()).update(models)
        redone = sum(1 for r in later if r.model in finished_queries.get(r.messages[-1]["content"], ()))
        print(f"2. SIGKILL at {len(done)}/{total} items done; resume finished {resumed['done']}/{resumed['items']} "
              f"({resumed['status']}, {resumed['wall_s']:.1f} s, {len(later)} requests); requests for items done "
              f"before the kill: {redone} (target 0)")
        ok &= redone == 0 and resumed["status"] == "done" and resumed["done"] == total

        # 3. the first batch again: everything from the cache
        mark = len(server.requests)
        again = finish(moa(["batch", *common], env))
        extra = len(server.requests) - mark
        print(f"3. second identical run: {extra} requests (target 0), {again['wall_s']:.1f} s, "
              f"{again['cache_hits']} cache hits; load after: {load()}")
        ok &= extra == 0 and again["status"] == "done"
        store.close()
    print("all targets met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
