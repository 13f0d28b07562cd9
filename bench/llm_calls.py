"""CPU per LLM call, streamed against unstreamed, through `moa_core.providers.llm` (litellm, real HTTP).

Why batch calls are not streamed: litellm and the OpenAI SDK build a response object per streamed
chunk, so a call's CPU grows with its answer's length, and a batch on a small machine waits for it.
The loopback server runs in its own process, so only the client's CPU is counted (`time.process_time`).

Usage (from the repo root): .venv/bin/python bench/llm_calls.py [--calls 200] [--words 10 200] [--concurrency 16]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.support import start_llm_server, stop  # noqa: E402
from moa_core.providers.llm import Target, complete, stream_completion  # noqa: E402


async def cpu_per_call(target: Target, streamed: bool, calls: int, concurrency: int) -> float:
    """Milliseconds of this process's CPU per call, after a few warm-up calls."""
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with gate:
            messages = [{"role": "user", "content": f"question {i}"}]
            if streamed:
                await stream_completion(target, messages, max_tokens=512)
            else:
                await complete(target, messages, max_tokens=512)

    await asyncio.gather(*(one(i) for i in range(10)))
    start = time.process_time()
    await asyncio.gather(*(one(i) for i in range(calls)))
    return 1000 * (time.process_time() - start) / calls


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--words", type=int, nargs="+", default=[10, 200])
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} cores)")
    with tempfile.TemporaryDirectory(prefix="moa-bench-calls-") as tmp:
        config = {f"w{n}": {"text": " ".join(f"word{i}" for i in range(n))} for n in args.words}
        server, base_url = start_llm_server(config, Path(tmp))
        try:
            for n in args.words:
                target = Target(model=f"openai/w{n}", api_base=base_url, api_key="bench")
                streamed = asyncio.run(cpu_per_call(target, True, args.calls, args.concurrency))
                whole = asyncio.run(cpu_per_call(target, False, args.calls, args.concurrency))
                print(f"{n:>4}-word answers ({n} chunks when streamed): streamed {streamed:6.1f} ms CPU per call, "
                      f"unstreamed {whole:5.1f} ms ({streamed / whole:.1f}x)")
        finally:
            stop(server)
    return 0


if __name__ == "__main__":
    sys.exit(main())
