"""`moa lineups` (the lineups saved in the app, listed) and `moa lineups export NAME` (one as TOML), and
`resolve_lineup`, which lets `moa run --lineup` take a saved lineup's name as well as a file.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..lineup import Lineup, LineupError
from . import UserError
from .output import write_output


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("lineups", help="list the lineups saved in the app, or export one as TOML")
    p.add_argument("--json", action="store_true", help="one JSON array instead of a table")
    p.set_defaults(handler=handle_list)
    verbs = p.add_subparsers(dest="verb", parser_class=type(p))
    e = verbs.add_parser("export", help="write a saved lineup as TOML (a file `moa run --lineup` reads)")
    e.add_argument("name", metavar="NAME", help="the saved lineup's name")
    e.add_argument("--out", metavar="PATH", help="file to write (default: standard output)")
    e.set_defaults(handler=handle_export)


def _open_store():
    from ..storage import RunStore, StorageError

    try:
        return RunStore.open_default()
    except StorageError as exc:
        raise UserError(str(exc)) from None


def _saved_names(store) -> str:
    """'saved lineups: a, b' or 'no saved lineups', for the one-line error."""
    names = [row.name for row in store.catalog.list_lineups()]
    return f"saved lineups: {', '.join(names)}" if names else "no lineups are saved yet (the Lineup page saves them)"


def resolve_lineup(ref: str, store=None) -> Lineup:
    """`--lineup REF`: a path that exists wins; otherwise the lineup saved under that name; otherwise one
    line naming the saved lineups. The store is opened only when REF is not a file (and closed again if
    opened here)."""
    path = Path(ref).expanduser()
    if path.is_dir():
        raise UserError(f"--lineup is a directory, not a lineup file: {ref}")
    try:
        if path.exists():
            return Lineup.load(path)
    except LineupError as exc:
        raise UserError(str(exc)) from None
    own = store is None
    store = _open_store() if own else store
    try:
        row = store.catalog.get_lineup(ref.strip())
        if row is None:
            raise UserError(f"no lineup file or saved lineup named {ref!r}; {_saved_names(store)}")
        try:
            lineup = Lineup.from_toml(row.toml)
        except LineupError as exc:
            raise UserError(f"saved lineup {row.name!r}: {exc}") from None
        lineup.name = lineup.name or row.name
        return lineup
    finally:
        if own:
            store.close()


def handle_list(args: argparse.Namespace) -> int:
    store = _open_store()
    try:
        rows = [(row, _parse(row)) for row in store.catalog.list_lineups()]
    finally:
        store.close()
    if args.json:
        print(json.dumps([_summary(row, lineup) for row, lineup in rows], ensure_ascii=False))
    elif not rows:
        print("no saved lineups (save one on the Lineup page, or run with --lineup FILE.toml)")
    else:
        print(format_table(rows))
    return 0


def _parse(row) -> Lineup | None:
    """The saved TOML as a lineup; None when it no longer validates (listed, marked invalid)."""
    try:
        return Lineup.from_toml(row.toml)
    except LineupError:
        return None


def _summary(row, lineup: Lineup | None) -> dict:
    return {"name": row.name, "updated_at": row.updated_at.isoformat() if row.updated_at else None,
            "valid": lineup is not None,
            "proposers": [p.model for p in lineup.proposers] if lineup else [],
            "aggregator": lineup.aggregator.model if lineup else None,
            "rounds": lineup.rounds if lineup else None}


def format_table(rows) -> str:
    """Aligned columns: name, number of proposers, aggregator, rounds, last saved (local time)."""
    header = ("name", "proposers", "aggregator", "rounds", "saved")
    table = [header]
    for row, lineup in rows:
        saved = row.updated_at.astimezone().strftime("%Y-%m-%d %H:%M") if row.updated_at else "—"
        if lineup is None:
            table.append((row.name, "—", "(invalid lineup)", "—", saved))
        else:
            table.append((row.name, str(len(lineup.proposers)), lineup.aggregator.model, str(lineup.rounds), saved))
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in table)


def handle_export(args: argparse.Namespace) -> int:
    store = _open_store()
    try:
        row = store.catalog.get_lineup(args.name.strip())
        if row is None:
            raise UserError(f"no saved lineup named {args.name!r}; {_saved_names(store)}")
        text = row.toml if row.toml.endswith("\n") else row.toml + "\n"
        if args.out:
            write_output(args.out, text.encode("utf-8"))
    finally:
        store.close()
    if args.out:
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
