"""`moa worker`: run the jobs the app queues (runs, follow-ups, batches) until stopped; SIGTERM lets it finish or
hand back.

Start one beside the app (`scripts/app.sh` does), or several on any machine that reaches the same database
(`DATABASE_URL`). Each line it prints says what it claimed and how each job ended.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys

from . import UserError
from .storage import open_store


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("worker", help="run queued runs, follow-ups and batches (the app's jobs) until stopped")
    p.add_argument("--concurrency", type=int, default=4, metavar="N", help="jobs at once in this process (default 4)")
    p.add_argument("--grace", type=float, default=30.0, metavar="S",
                   help="on SIGTERM, seconds running jobs may take to finish before they are handed back (default 30)")
    p.add_argument("--until-idle", action="store_true", help="exit once nothing is queued or running")
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    p.add_argument("--nice", type=int, default=0, metavar="N",
                   help="lower this worker's CPU priority by N (0-19): on a machine that also serves the app, its "
                        "pages draw first, but the calls' recorded latencies grow while a page draws (default 0)")
    p.set_defaults(handler=handle_worker)


def handle_worker(args: argparse.Namespace) -> int:
    if args.concurrency < 1:
        raise UserError(f"--concurrency must be at least 1, not {args.concurrency}")
    if args.grace < 0:
        raise UserError(f"--grace cannot be negative ({args.grace:g})")
    if not 0 <= args.nice <= 19:
        raise UserError(f"--nice must be between 0 and 19, not {args.nice}")
    os.nice(args.nice)  # an increment: a worker can only give CPU away
    from ..jobs.runner import JobRunner
    from ..providers.warmup import warm_up  # loads litellm and the engine now, not inside the first run's wait

    store = open_store()
    say = (lambda line: None) if args.quiet else (lambda line: print(f"moa worker: {line}", file=sys.stderr, flush=True))
    runner = JobRunner(store, concurrency=args.concurrency, grace_s=args.grace, say=say)

    async def serve() -> int:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, runner.stop)
        await warm_up()  # one streamed call to a loopback server: the HTTP client path is ready for the first job
        say(f"{runner.owner} ready on {store.url} ({args.concurrency} at once)")
        return await runner.serve(until_idle=args.until_idle)

    try:
        done = asyncio.run(serve())
    finally:
        store.close()
    say(f"stopped after {done} job(s)")
    return 0
