"""`moa batch` (a lineup and comparison systems over an eval set), `moa batch-worker` (join one),
`moa batches` (list them) and `moa cache` (the response cache).

Progress goes to stderr, the batch id on its first line, a summary per system at the end (and why the
judge failed, if it did); `--json` prints one object at the end instead.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import tomllib
from pathlib import Path

from ..lineup import MAX_RETRIES, Lineup, LineupError, ModelSpec
from . import UserError
from .run import _bounded, _seconds, key_env
from .storage import open_store


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("batch", help="run a lineup and comparison systems over an eval set (CSV or JSONL)")
    p.add_argument("set_file", nargs="?", metavar="SET_FILE", help="eval set: .jsonl or .csv (query, document, "
                   "reference, tags)")
    p.add_argument("--lineup", metavar="FILE.toml|NAME", help="the lineup under test, a file or the name of a lineup "
                   "saved in the app (default: the offline demo lineup); its [baseline] becomes a comparison "
                   "system; a file's optional [rate_limits.MODEL] table sets rpm/tpm")
    p.add_argument("--baseline", action="append", default=[], metavar="MODEL", help="compare with this model alone")
    p.add_argument("--self-moa", action="append", default=[], metavar="MODEL[:N]",
                   help="compare with Self-MoA: MODEL as N proposers (default 3) and aggregator")
    p.add_argument("--compare", action="append", default=[], metavar="FILE.toml|NAME",
                   help="compare with another lineup (a file or a saved lineup's name)")
    p.add_argument("--judge", metavar="MODEL", help="judge every comparison pairwise, in both orders")
    p.add_argument("--api-base", metavar="URL", help="base URL for every model given on the command line")
    p.add_argument("--api-key-env", type=key_env, metavar="NAME",
                   help="environment variable holding the key for every model given on the command line "
                   "(--baseline, --self-moa, --judge): a keyed gateway")
    p.add_argument("--timeout", type=_seconds("--timeout"), metavar="SECONDS",
                   help="per-call timeout for every system and the judge (default: the lineup's timeout_s)")
    p.add_argument("--retries", type=_bounded("--retries", 0, MAX_RETRIES), metavar="N",
                   help=f"retries per call for every system and the judge (default: the lineup's max_retries; "
                   f"at most {MAX_RETRIES})")
    p.add_argument("--concurrency", type=int, metavar="N", help="LLM calls at once across the batch (default 8)")
    p.add_argument("--workers", type=int, default=1, metavar="N",
                   help="worker processes on this machine sharing the batch, the concurrency and the rate limits "
                        "(default 1; a large batch is bound by one process's CPU: use up to one per core)")
    p.add_argument("--limit", type=int, metavar="N", help="only the first N items of the set (try a lineup on a "
                   "few items before paying for all of them)")
    p.add_argument("--budget", type=float, metavar="USD", help="stop cleanly once this much is spent (resumable)")
    p.add_argument("--allow-outside-paths", action="store_true", help="let the set's `document` paths leave the "
                   "set file's folder (absolute paths, ..); refused by default")
    p.add_argument("--no-cache", action="store_true", help="ask every model again instead of using cached answers")
    p.add_argument("--resume", metavar="BATCH_ID", help="finish a stopped batch (finished items are never redone)")
    p.add_argument("--json", action="store_true", help="print one JSON object at the end")
    p.set_defaults(handler=handle_batch)

    p = sub.add_parser("batch-worker", help="join a running batch as one more worker (another machine, same database)")
    p.add_argument("batch_id", metavar="BATCH_ID")
    p.add_argument("--concurrency", type=int, metavar="N", help="this worker's LLM calls at once")
    p.add_argument("--rate-share", type=int, default=1, metavar="N",
                   help="use 1/N of each model's rpm/tpm (N workers started together; set by `moa batch --workers`)")
    p.add_argument("--no-cache", action="store_true")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=handle_worker)

    p = sub.add_parser("batches", help="list batches, newest first")
    p.add_argument("--limit", type=int, default=50, metavar="N")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=handle_batches)

    p = sub.add_parser("cache", help="the response cache: `moa cache stats` or `moa cache clear`")
    p.add_argument("action", choices=("stats", "clear"))
    p.set_defaults(handler=handle_cache)


# ---- building the systems ----------------------------------------------------------------------

def load_lineup_file(path: str) -> tuple[Lineup, dict]:
    """A lineup TOML plus its optional `rate_limits` table (not part of the lineup itself)."""
    from ..batch.limits import parse_rate_limits

    file = Path(path)
    if not file.is_file():
        raise UserError(f"lineup file not found: {path}")
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
        limits = parse_rate_limits(data.pop("rate_limits", None))
        return Lineup.from_dict(data), limits
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{path}: invalid TOML: {exc}") from None
    except (LineupError, ValueError) as exc:
        raise UserError(f"{path}: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read lineup file {path}: {exc}") from None


def _limited(lineup: Lineup, args: argparse.Namespace) -> Lineup:
    """`--timeout`/`--retries` replace a lineup's own (they do not change its system: `identity`)."""
    if getattr(args, "timeout", None) is not None:
        lineup.timeout_s = args.timeout
    if getattr(args, "retries", None) is not None:
        lineup.max_retries = args.retries
    return lineup


def load_lineup_ref(ref: str) -> tuple[Lineup, dict]:
    """`--lineup`/`--compare` REF as `moa run --lineup` takes it (`lineups.resolve_lineup`): a file that
    exists (with its `rate_limits` table), else the lineup saved in the app under that name (no rate limits)."""
    if Path(ref).expanduser().is_file():
        return load_lineup_file(str(Path(ref).expanduser()))
    from .lineups import resolve_lineup

    return resolve_lineup(ref), {}


def build_systems(args: argparse.Namespace):
    """(systems, rate limits): the lineup first, then every comparison system. Every lineup takes
    `--timeout`/`--retries`; Self-MoA takes the lineup's (after the flags), as the single models and the
    judge do (`batch.systems.call_limits`)."""
    from ..batch.systems import moa_system, parse_self_moa, self_moa_system, single_system

    def spec(model: str) -> ModelSpec:
        if not model.strip():
            raise UserError("empty model name")
        return ModelSpec(model=model.strip(), api_base=args.api_base, api_key_env=args.api_key_env)

    if args.lineup:
        lineup, limits = load_lineup_ref(args.lineup)
    else:
        from ..providers.default_lineups import default_lineup

        lineup, limits = default_lineup(), {}
    lineup = _limited(lineup, args)
    systems = [moa_system(lineup)]
    baselines = [spec(m) for m in args.baseline] or ([lineup.baseline] if lineup.baseline else [])
    systems += [single_system(s) for s in baselines]
    for value in args.self_moa:
        model, n = parse_self_moa(value)
        try:
            systems.append(self_moa_system(spec(model), n, timeout_s=lineup.timeout_s,
                                           max_retries=lineup.max_retries))
        except ValueError as exc:
            raise UserError(f"--self-moa {value}: {exc}") from None
    for path in args.compare:
        other, more = load_lineup_ref(path)
        other = _limited(other, args)
        systems.append(moa_system(other, "lineup", other.name or Path(path).stem))
        limits = more | limits
    names = [s.name for s in systems]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise UserError(f"two comparison systems are the same: {', '.join(dupes)}")
    return systems, limits


# ---- commands ----------------------------------------------------------------------------------

def _check_numbers(args: argparse.Namespace) -> None:
    if args.concurrency is not None and args.concurrency < 1:
        raise UserError(f"--concurrency must be at least 1, not {args.concurrency}")
    for flag in ("workers", "rate_share"):
        value = getattr(args, flag, 1)
        if value is not None and value < 1:
            raise UserError(f"--{flag.replace('_', '-')} must be at least 1, not {value}")
    budget = getattr(args, "budget", None)
    if budget is not None and not budget > 0:
        raise UserError(f"--budget must be a positive amount in USD, not {budget}")


def handle_batch(args: argparse.Namespace) -> int:
    _check_numbers(args)
    if args.resume:
        if args.set_file or args.lineup:
            raise UserError("--resume takes the batch's own set and lineup: give no SET_FILE or --lineup")
        if args.timeout is not None or args.retries is not None:
            raise UserError("--timeout and --retries are set when a batch is created; --resume keeps the batch's own")
        store = open_store()
        if store.batches.get_batch(args.resume) is None:
            raise UserError(f"no batch {args.resume} in {store.url} (see `moa batches`)")
        print(f"batch {args.resume}: resuming", file=sys.stderr, flush=True)
        return _work(store, args.resume, args, resume=True)
    if not args.set_file:
        raise UserError("give an eval set file (.jsonl or .csv), or --resume BATCH_ID")
    from ..batch.evalsets import EvalSetError, read_eval_file, save_parsed

    try:
        parsed = read_eval_file(args.set_file, allow_outside=args.allow_outside_paths)
    except EvalSetError as exc:
        raise UserError(f"{args.set_file}: {exc}") from None
    for warning in parsed.warnings:
        print(f"{args.set_file}: {warning}", file=sys.stderr, flush=True)
    name = Path(args.set_file).stem
    if args.limit is not None:
        if args.limit < 1:
            raise UserError(f"--limit must be at least 1, not {args.limit}")
        if args.limit < len(parsed.items):
            parsed.items, name = parsed.items[:args.limit], f"{name} (first {args.limit})"
            parsed.digest = f"{parsed.digest}:first-{args.limit}"  # not the same set as the whole file
    systems, limits = build_systems(args)
    store = open_store()
    set_id = save_parsed(store, parsed, name)
    judge = ({"model": args.judge.strip(), "api_base": args.api_base}
             | ({"api_key_env": args.api_key_env} if args.api_key_env else {})) if args.judge else None
    from ..batch.runner import create_batch

    batch_id = create_batch(store, set_id, systems, judge=judge, concurrency=args.concurrency or 8,
                            budget_usd=args.budget, cache=not args.no_cache, rate_limits=limits,
                            timeout_s=systems[0].lineup().timeout_s, max_retries=systems[0].lineup().max_retries)
    work = len(parsed.items) * (len(systems) + (len(systems) - 1 if judge else 0))
    print(f"batch {batch_id}: {len(parsed.items)} items x {len(systems)} systems"
          f"{' + judge' if judge else ''} = {work} work items", file=sys.stderr, flush=True)
    _preamble(store, parsed.items, systems, args, judge)
    return _work(store, batch_id, args)


def _preamble(store, items, systems, args, judge) -> None:
    """The projected cost, and warnings a user must see before money is spent."""
    from ..batch.estimate import project
    from ..batch.judge import judge_spec, judged_models
    from ..providers.prices import format_cost

    spec = judge_spec(judge["model"], judge.get("api_base"), api_key_env=judge.get("api_key_env")) if judge else None
    answered = set() if args.no_cache else store.cache.answered_before(s.config_key for s in systems)
    p = project(items, systems, store.catalog.price_book(), spec, pairs=len(systems) - 1, answered=answered)
    print(f"projected cost: {p.describe()}, {p.calls} calls", file=sys.stderr)
    if args.budget is not None and p.estimate_usd is not None and p.estimate_usd > args.budget:
        print(f"note: the projection exceeds --budget {format_cost(args.budget)}: the batch will stop there "
              "(resumable with --resume)", file=sys.stderr)
    if judge and len(systems) < 2:
        print("note: --judge needs a comparison system (--baseline, --self-moa or --compare); nothing to judge",
              file=sys.stderr)
    if judge and (own := judged_models(judge["model"], systems)):
        print(f"warning: the judge {judge['model']} is also judged ({', '.join(own)}): judges favour their own "
              "answers; prefer a judge outside the contest", file=sys.stderr)
    sys.stderr.flush()


def handle_worker(args: argparse.Namespace) -> int:
    _check_numbers(args)
    store = open_store()
    if store.batches.get_batch(args.batch_id) is None:
        raise UserError(f"no batch {args.batch_id} in {store.url}")
    print(f"batch {args.batch_id}: joining as a worker", file=sys.stderr, flush=True)
    return _work(store, args.batch_id, args, resume=True)


class _Progress:
    """One line on stderr: redrawn in place on a terminal, every few seconds otherwise."""

    def __init__(self, store):
        self.store, self.last, self.tty = store, 0.0, sys.stderr.isatty()

    def __call__(self, batch_id: str, final: bool = False) -> None:
        now = time.monotonic()
        if not final and now - self.last < (0.5 if self.tty else 5.0):
            return
        self.last = now
        from ..batch.report import cost_text, progress

        p = progress(self.store, batch_id)
        eta = f", ETA {p['eta_s']:.0f}s" if p["eta_s"] is not None else ""
        line = (f"batch {batch_id}: {p['done'] + p['failed']}/{p['items']} ({p['fraction']:.0%}), "
                f"{p['failed']} failed, {cost_text(p['known_cost_usd'], p['unknown_cost_items'])}, {p['elapsed_s']:.0f}s{eta}")
        sys.stderr.write(("\r" + line + "   ") if self.tty and not final else line + "\n")
        sys.stderr.flush()


def _work(store, batch_id: str, args: argparse.Namespace, resume: bool = False) -> int:
    from ..batch.report import batch_cost, batch_summary, judge_progress
    from ..batch.runner import run_batch

    show = _Progress(store)
    workers = getattr(args, "workers", 1) or 1
    concurrency = args.concurrency or store.batches.get_batch(batch_id).config.get("concurrency") or 8
    if workers > concurrency:
        raise UserError(f"--workers {workers} is more than --concurrency {concurrency}: each worker needs a call")
    started = time.monotonic()
    helpers = _start_helpers(batch_id, workers, concurrency, args.no_cache)
    share = concurrency // workers
    try:
        outcome = asyncio.run(run_batch(store, batch_id, resume=resume, no_cache=args.no_cache,
                                        budget_usd=getattr(args, "budget", None) if resume else None,
                                        concurrency=concurrency - share * (workers - 1) if helpers else args.concurrency,
                                        on_progress=show,
                                        rate_share=getattr(args, "rate_share", None) or workers))
    except ValueError as exc:
        raise UserError(str(exc)) from None
    except KeyboardInterrupt:  # the batch gave its claims back as `interrupted`: say how to go on
        for proc in helpers:
            proc.wait()
        print(("\n" if show.tty else "") + interrupted_line(store, batch_id), file=sys.stderr, flush=True)
        return 130
    finally:
        for proc in helpers:  # the helpers stop when no work is left (or the batch was cancelled or stopped)
            proc.wait()
    if helpers:
        outcome.counts = store.batches.batch_counts(batch_id)
        outcome.wall_s = time.monotonic() - started
    if show.tty:
        sys.stderr.write("\n")
    show(batch_id, final=True)
    batch = store.batches.get_batch(batch_id)
    if batch.error:
        print(f"batch {batch_id}: {batch.error}", file=sys.stderr)
    if batch.status == "budget reached":
        print(f"batch {batch_id}: budget reached; the rest is pending: moa batch --resume {batch_id}",
              file=sys.stderr)
    summary = batch_summary(store, [batch_id], style_bootstrap=50)
    judged = judge_progress(store, batch_id)
    if args.json:
        counts = outcome.counts
        print(json.dumps({"batch_id": batch_id, "status": batch.status, "items": sum(counts.values()),
                          "done": counts["done"], "failed": counts["failed"], "wall_s": round(outcome.wall_s, 3),
                          **batch_cost(batch), "cache_hits": outcome.cache_hits,
                          "error": batch.error, **judged, "systems": summary["systems"]},
                         ensure_ascii=False, default=str))
    else:
        print(summary_table(summary, judged), file=sys.stderr)
    no_verdict = judged["judge_items"] > 0 and judged["judge_failed"] == judged["judge_items"]
    return 1 if batch.status == "failed" or no_verdict else 0


def interrupted_line(store, batch_id: str) -> str:
    """What Ctrl-C leaves: done, failed (retried by a resume), left, and the command that resumes it."""
    counts = store.batches.batch_counts(batch_id)
    left = counts["pending"] + counts["running"]
    return (f"batch {batch_id}: interrupted; {counts['done']} of {sum(counts.values())} work items done, "
            f"{counts['failed']} failed, {left} left; resume with: moa batch --resume {batch_id}")


def summary_table(summary: dict, judged: dict) -> str:
    """The verdict at the end of `moa batch`: one line per system, the judge's count and why it failed."""
    from ..providers.prices import format_cost

    def pct(value) -> str:
        return "—" if value is None else f"{100 * value:.0f}%"

    def secs(value) -> str:
        return "—" if value is None else f"{value:.2f} s"

    def money(s: dict, key: str) -> str:
        return format_cost(s[key]) + ("*" if s.get("priced_now") and s[key] is not None else "")

    rows = [("system", "win rate", "95% interval", "W/L/T", "cost/item", "paid", "saved", "cached", "p50", "p95",
             "queue p50", "failed")]
    for s in summary["systems"]:
        rows.append((("* " if s["recommended"] else "") + s["name"], pct(s["win_rate"]),
                     "—" if s["ci_low"] is None else f"{pct(s['ci_low'])}-{pct(s['ci_high'])}",
                     f"{s['wins']}/{s['losses']}/{s['ties']}", money(s, "cost_per_item"), money(s, "paid_usd"),
                     money(s, "saved_usd"), str(s.get("cached_items", 0)), secs(s["p50_s"]), secs(s["p95_s"]),
                     secs(s.get("queue_p50_s")), str(s["failed"])))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows]
    if judged["judge_items"]:
        line = f"judge: {summary['judge']['judged']} of {judged['judge_items']} pairs judged"
        if summary["judge"]["judged"]:
            line += f", {summary['judge']['flipped']} flipped with the order (counted as ties)"
        if judged["judge_failed"]:
            line += f"; {judged['judge_failed']} failed: " + "; ".join(
                f"{r['reason']} ({r['count']})" for r in judged["judge_reasons"][:3])
        lines.append(line)
    lines.append("cost/item: what the system costs per answer (cached ones at what they cost when bought); paid: "
                 "this batch; saved: by the cache; p50/p95: the calls' own time, queue wait apart")
    priced = sorted({m for s in summary["systems"] for m in (s.get("priced_now") or "").split(", ") if m})
    if priced:
        lines.append(f"* at current prices (unknown when the batch ran): {', '.join(priced)}")
    if summary.get("recommended"):
        lines.append(f"* recommended: {summary['recommended']}, the cheapest system within the best one's interval")
    return "\n".join(lines)


def _start_helpers(batch_id: str, workers: int, concurrency: int, no_cache: bool) -> list:
    """`workers - 1` more `moa batch-worker` processes on this machine, each with its share of the
    concurrency and of the rate limits; they claim items from the same database as this one. Their
    own progress lines go to `logs/` in the data folder (this process shows the batch's progress)."""
    import os
    import subprocess

    from ..storage.db import data_dir

    if workers <= 1:
        return []
    cmd = [sys.executable, "-m", "moa_core.cli", "batch-worker", batch_id, "--concurrency",
           str(concurrency // workers), "--rate-share", str(workers), *(["--no-cache"] if no_cache else [])]
    logs = data_dir() / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    procs = []
    for n in range(2, workers + 1):
        with open(logs / f"batch-{batch_id}-worker-{n}.log", "ab") as log:
            procs.append(subprocess.Popen(cmd, env=os.environ.copy(), stdin=subprocess.DEVNULL,
                                          stdout=subprocess.DEVNULL, stderr=log))
    print(f"batch {batch_id}: {workers} workers; the helpers log to {logs}", file=sys.stderr, flush=True)
    return procs


def handle_batches(args: argparse.Namespace) -> int:
    from ..batch.report import batch_cost, cost_text, judge_progress

    if args.limit < 1:
        raise UserError(f"--limit must be at least 1, not {args.limit}")
    store = open_store()
    rows = []
    for b in store.batches.list_batches(limit=args.limit):
        counts = store.batches.batch_counts(b.id)
        judged = judge_progress(store, b.id)
        rows.append({"batch_id": b.id, "status": b.status, "items": sum(counts.values()), "done": counts["done"],
                     "failed": counts["failed"], **batch_cost(b), "eval_set_id": b.eval_set_id,
                     "started_at": b.created_at.isoformat(), "error": b.error, **judged})
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
    elif not rows:
        print(f"no batches in {store.url}")
    else:
        for r in rows:
            judge = f" ({r['judge_failed']} of {r['judge_items']} judge pairs)" if r["judge_failed"] else ""
            print(f"{r['batch_id']}  {r['started_at'][:16]}  {r['status']:<15} {r['done']}/{r['items']} done, "
                  f"{r['failed']} failed{judge}, {cost_text(r['known_cost_usd'], r['unknown_cost_items'])}"
                  + (f"  {r['error']}" if r["error"] else ""))
    return 0


def handle_cache(args: argparse.Namespace) -> int:
    store = open_store()
    if args.action == "clear":
        print(f"cleared {store.cache.clear()} cached response(s)")
    else:
        from ..providers.prices import format_cost

        s = store.cache.stats()
        print(f"{s['entries']} cached response(s), {s['hits']} hit(s), saved {format_cost(s['saved_usd'])}")
    return 0
