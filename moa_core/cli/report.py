"""`moa report RUN_ID --format md|html|docx --out PATH`: a self-contained review report of a stored run."""
from __future__ import annotations

import argparse
from . import UserError
from .output import check_out, write_output


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="write a review report of a stored run (Markdown, HTML or Word)")
    p.add_argument("run_id", metavar="RUN_ID", help="the run (a unique prefix is enough)")
    p.add_argument("--format", required=True, choices=("md", "html", "docx"))
    p.add_argument("--out", required=True, metavar="PATH", help="file to write")
    p.add_argument("--method", choices=("semantic", "offline"), default="semantic",
                   help="agreement method for the report (default semantic)")
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from ..conversation import earlier_turns
    from ..report import build_report, render
    from ..storage import RunStore, StorageError

    check_out(args.out)  # before any work: never the database, never a folder
    try:
        store = RunStore.open_default()
        run = store.get_run(args.run_id) or _by_prefix(store, args.run_id)
        ratings = store.ratings.ratings_for(run.run_id)
        earlier = earlier_turns(store, run)
    except StorageError as exc:
        raise UserError(str(exc)) from None
    data = render(build_report(run, ratings, method=args.method, earlier=earlier), args.format)
    write_output(args.out, data)
    print(f"wrote {args.out} ({len(data):,} bytes)")
    return 0


def _by_prefix(store, prefix: str):
    matches = [r for r in store.list_runs(limit=100000) if r.run_id.startswith(prefix)] if prefix else []
    if len(matches) != 1:
        raise UserError(f"no run {prefix!r}" if not matches else f"run id {prefix!r} is ambiguous ({len(matches)} runs)")
    return store.get_run(matches[0].run_id)
