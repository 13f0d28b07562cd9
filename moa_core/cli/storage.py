"""`moa runs` (recent runs) and `moa export` (every run, as JSONL or CSV): reading the run store."""
from __future__ import annotations

import argparse
import functools
import json
import os
import sys
from contextlib import contextmanager
from typing import IO, Iterator

from . import UserError
from .output import check_out, output_file

EXPORT_FORMATS = ("jsonl", "csv")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("runs", help="list recent runs from the database")
    p.add_argument("--limit", type=int, default=20, metavar="N", help="how many runs (default 20)")
    p.add_argument("--status", help="only runs with this status (ok, partial, failed, interrupted, ...)")
    p.add_argument("--model", help="only runs that called this model")
    p.add_argument("--search", metavar="TEXT", help="only runs whose query contains TEXT")
    p.add_argument("--json", action="store_true", help="one JSON array instead of a table")
    p.set_defaults(handler=handle_runs)

    p = sub.add_parser("export", help="export every run with its calls and ratings")
    p.add_argument("--format", required=True, choices=EXPORT_FORMATS,
                   help="jsonl: one run per line; csv: one row per call")
    p.add_argument("--out", metavar="PATH", help="file to write (default: standard output)")
    p.set_defaults(handler=handle_export)


def _quiet_pipe(handler):
    """`moa export ... | head` closes the pipe early: that is the reader's choice, not an error."""
    @functools.wraps(handler)
    def run(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except BrokenPipeError:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
            return 0
    return run


def open_store():
    """The default store, or a one-line error saying which database could not be opened."""
    from ..storage import RunStore, StorageError

    try:
        return RunStore.open_default()
    except StorageError as exc:
        raise UserError(str(exc)) from None


@_quiet_pipe
def handle_runs(args: argparse.Namespace) -> int:
    if args.limit < 1:
        raise UserError(f"--limit must be at least 1, not {args.limit}")
    url, runs = _listing(args)
    if args.json:
        print(json.dumps([r.to_dict() for r in runs], ensure_ascii=False))
    elif not runs:
        print(f"no runs found in {url}")
    else:
        print(format_table(runs))
    return 0


def _listing(args: argparse.Namespace) -> tuple[str, list]:
    """The database's URL and the listing: read with stdlib sqlite3 when the default SQLite file can answer as
    the store would (no SQLAlchemy to import: `moa runs` starts at once, issue 26), else from the store, which
    migrates, settles dead runs and says in one line what is wrong."""
    from ..storage.quick_read import list_runs

    quick = list_runs(limit=args.limit, status=args.status, model=args.model, search=args.search)
    if quick is not None:
        return quick
    store = open_store()
    return store.url, store.list_runs(limit=args.limit, status=args.status, model=args.model, search=args.search)


def format_table(runs) -> str:
    """Aligned columns: id, local date, status, models, cost ("unknown" when not known), wall time."""
    from ..providers.prices import format_cost

    header = ("run_id", "date", "status", "models", "cost", "wall")
    rows = [header] + [(
        r.run_id,
        r.started_at.astimezone().strftime("%Y-%m-%d %H:%M"),
        r.status,
        _clip(", ".join(r.models), 48),
        format_cost(r.cost_usd),
        "-" if r.wall_s is None else f"{r.wall_s:.1f}s",
    ) for r in runs]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows)


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


@_quiet_pipe
def handle_export(args: argparse.Namespace) -> int:
    from ..storage.export import write_csv, write_jsonl

    writer = write_jsonl if args.format == "jsonl" else write_csv
    if args.out:
        check_out(args.out)  # before the database is opened
    store = open_store()
    with _output(args.out) as out:
        n = writer(store.iter_runs(), out)
    if args.out:
        unit = "runs" if args.format == "jsonl" else "rows"
        print(f"wrote {n} {unit} to {args.out}", file=sys.stderr)
    return 0


@contextmanager
def _output(path: str | None) -> Iterator[IO[str]]:
    """Standard output, or the file through a temporary file renamed over it once complete."""
    if not path:
        yield sys.stdout
        return
    with output_file(path) as out:
        yield out
