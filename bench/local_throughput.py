"""Tokens/s of the embedded model through the whole app path vs llama-cpp-python called directly.

  path    moa_core.llm.stream_completion -> litellm (openai/ provider, streaming)
          -> HTTP to the managed llama_cpp.server subprocess -> llama.cpp
  direct  llama_cpp.Llama(model_path, chat_format="gemma", same n_ctx / n_threads) in this
          process, create_chat_completion(stream=True)

Same messages, max_tokens, temperature 0 and sampling settings on both sides; one warm-up
each, then `--reps` measured runs, alternating path/direct so that machine noise hits both
alike. Both sides' completion tokens are counted with the model's own tokenizer on the
returned text (the path's server-reported usage is printed as a cross-check).

  end-to-end tok/s = completion tokens / (request sent -> last token)
  decode tok/s     = (completion tokens - 1) / (first token -> last token)

Usage (from the repo root):
  .venv/bin/python bench/local_throughput.py               # 5 reps, max_tokens 128
  .venv/bin/python bench/local_throughput.py --reps 9 --max-tokens 256 --json out.json
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from moa_core.providers import local_model  # noqa: E402
from moa_core.providers.llm import stream_completion  # noqa: E402

PROMPT = "Explain in a short paragraph why the sky is blue."


def _sample(tokens: int, started: float, first: float | None, ended: float) -> dict:
    return {
        "tokens": tokens,
        "total_s": ended - started,
        "ttft_s": (first - started) if first else None,
        "e2e_tps": tokens / (ended - started),
        "decode_tps": (tokens - 1) / (ended - first) if first and tokens > 1 and ended > first else None,
    }


def run_path(target, messages, max_tokens: int, count) -> tuple[dict, str, int | None]:
    started = time.monotonic()
    result = asyncio.run(stream_completion(target, messages, temperature=0, max_tokens=max_tokens))
    ended = time.monotonic()
    return _sample(count(result.text), started, result.first_token_at, ended), result.text, result.completion_tokens


def run_direct(llama, messages, max_tokens: int, count) -> tuple[dict, str]:
    started = time.monotonic()
    first = None
    parts = []
    for chunk in llama.create_chat_completion(messages=messages, max_tokens=max_tokens, temperature=0,
                                              repeat_penalty=local_model.REPEAT_PENALTY, stream=True):
        choices = chunk.get("choices") or []
        delta = (choices[0].get("delta") or {}).get("content") if choices else None
        if delta:
            first = first or time.monotonic()
            parts.append(delta)
    ended = time.monotonic()
    text = "".join(parts)
    return _sample(count(text), started, first, ended), text


def plain_cpu_buffers() -> None:
    """Load in-process models like the server does (local_model's bootstrap): without llama.cpp's
    extra (AMX/repacked) buffers, whose first decode segfaults on AMX CPUs in some VMs."""
    import llama_cpp.llama_cpp as lc

    default = lc.llama_model_default_params

    def params():
        p = default()
        p.use_extra_bufts = False
        return p

    lc.llama_model_default_params = params


def summary(samples: list[dict], key: str) -> tuple[float, float, float]:
    values = [s[key] for s in samples if s[key] is not None]
    return statistics.median(values), min(values), max(values)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--prompt", default=PROMPT)
    parser.add_argument("--json", help="also write the raw samples here")
    args = parser.parse_args(argv)

    from llama_cpp import Llama

    plain_cpu_buffers()
    messages = [{"role": "user", "content": args.prompt}]
    threads, batch = local_model.threads(), local_model.batch_threads()
    path_model = local_model.model_path()

    t0 = time.monotonic()
    local_model.ensure_server()
    server_start_s = time.monotonic() - t0
    target = local_model.target(local_model.LOCAL_MODEL)

    def load(n_threads: int):
        t0 = time.monotonic()
        llama = Llama(str(path_model), chat_format="gemma", n_ctx=local_model.CONTEXT_TOKENS, n_threads=n_threads,
                      n_threads_batch=batch, logits_all=False, use_mlock=False, verbose=False)
        return llama, time.monotonic() - t0

    llama, direct_load_s = load(threads)
    sides = {"path": None, "direct": llama}
    if local_model.cores() > threads:  # also llama.cpp on every core, for transparency
        sides[f"direct-{local_model.cores()}t"] = load(local_model.cores())[0]

    def count(text: str) -> int:
        return len(llama.tokenize(text.encode("utf-8"), add_bos=False, special=True)) if text else 0

    print(f"model {path_model.name}, n_ctx {local_model.CONTEXT_TOKENS}, threads {threads} (batch {batch}) "
          f"on {local_model.cores()} cores, max_tokens {args.max_tokens}, temperature 0, "
          f"repeat_penalty {local_model.REPEAT_PENALTY}, {args.reps} reps (+1 warm-up each), alternating")
    print(f"server start (spawn -> healthy, incl. model load): {server_start_s:.2f} s; "
          f"in-process Llama load: {direct_load_s:.2f} s; load avg before: {os.getloadavg()[0]:.2f}")

    samples: dict[str, list[dict]] = {name: [] for name in sides}
    texts: dict[str, str] = {}
    usage: list[int | None] = []

    def run(name: str) -> dict:
        if name == "path":
            sample, texts[name], reported = run_path(target, messages, args.max_tokens, count)
            usage.append(reported)
        else:
            sample, texts[name] = run_direct(sides[name], messages, args.max_tokens, count)
        return sample

    for name in sides:  # warm-up
        run(name)
    usage.clear()
    names = list(sides)
    for rep in range(args.reps):
        for name in names if rep % 2 == 0 else names[::-1]:
            samples[name].append(run(name))

    print(f"\n{'':10} {'tokens':>6} {'end-to-end tok/s (median, min-max)':>36} {'decode tok/s':>14} {'TTFT s':>8}")
    for name in sides:
        e2e, lo, hi = summary(samples[name], "e2e_tps")
        print(f"{name:10} {statistics.median(s['tokens'] for s in samples[name]):>6.0f} "
              f"{e2e:>16.1f} ({lo:.1f}-{hi:.1f}){'':8} {summary(samples[name], 'decode_tps')[0]:>14.1f} "
              f"{summary(samples[name], 'ttft_s')[0]:>8.3f}")
    ratios = {}
    for name in sides:
        if name == "path":
            continue
        e2e = summary(samples["path"], "e2e_tps")[0] / summary(samples[name], "e2e_tps")[0]
        dec = summary(samples["path"], "decode_tps")[0] / summary(samples[name], "decode_tps")[0]
        pairs = [p["e2e_tps"] / d["e2e_tps"] for p, d in zip(samples["path"], samples[name])]
        ratios[name] = {"e2e": e2e, "decode": dec, "pairs_median": statistics.median(pairs)}
        print(f"path / {name}: end-to-end {e2e:.1%} (median of per-rep ratios {statistics.median(pairs):.1%}), "
              f"decode {dec:.1%}")
    print("(target: path >= 90% of direct with the same settings)")
    print(f"server-reported completion tokens: {usage}; same text everywhere: {len(set(texts.values())) == 1}; "
          f"load avg after: {os.getloadavg()[0]:.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "samples": samples, "ratios": ratios, "server_start_s": server_start_s, "direct_load_s": direct_load_s,
            "max_tokens": args.max_tokens, "threads": threads, "batch_threads": batch, "cores": local_model.cores(),
            "reps": args.reps,
        }, indent=2))
    local_model.stop_server()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
