"""`moa leaderboard --votes FILE.jsonl`: Bradley-Terry ratings and head-to-head records from blind votes."""
from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from ..identity import display_names, legacy_identity
from . import UserError

if TYPE_CHECKING:  # start-up speed: the metrics import numpy and scipy (a second); loaded when used
    from ..metrics.preference import PairResult, Vote
    from ..metrics.rating_intervals import SystemRating


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("leaderboard", help="ratings with intervals from blind A/B votes",
                       description='FILE is JSON lines: {"prompt_id", "a", "b", "winner", "reviewer"} per line, '
                                   'winner one of a, b, tie, both_bad.')
    p.add_argument("--votes", metavar="FILE.jsonl", help="votes file (default: the votes in the database)")
    p.add_argument("--json", action="store_true",
                   help='print {"systems": [...], "pairs": [...], "warnings": [...]} instead of tables')
    p.add_argument("--bootstrap", type=int, default=200, metavar="N", help="bootstrap samples (default 200)")
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    p.add_argument("--judges", action="store_true", help="with the database: count judge votes too (default humans)")
    p.set_defaults(handler=handle)


def load_votes(path: str) -> list[Vote]:
    """Read one vote per line; every problem is one UserError naming the line."""
    from ..metrics.preference import Vote  # start-up speed
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise UserError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot read ({exc.__class__.__name__})") from None
    votes = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UserError(f"{path} line {n}: invalid JSON ({exc.msg})") from None
        if not isinstance(row, dict):
            raise UserError(f"{path} line {n}: expected an object")
        missing = [k for k in ("prompt_id", "a", "b", "winner") if k not in row]
        if missing:
            raise UserError(f"{path} line {n}: missing {', '.join(missing)}")
        try:
            votes.append(Vote(prompt_id=str(row["prompt_id"]), a=str(row["a"]), b=str(row["b"]),
                              winner=row["winner"], reviewer=str(row.get("reviewer") or ""),
                              a_text=str(row.get("a_text") or ""), b_text=str(row.get("b_text") or "")))
        except ValueError as exc:
            raise UserError(f"{path} line {n}: {exc}") from None
    return votes


def one_name_per_system(votes: list[Vote]) -> list[Vote]:
    """A file written by older versions names one system several ways ("MoA: x" and "moa: x", "single: m"
    and "m"): each gets its one current name (`moa_core.identity`), so its votes are one row. The
    database needs none of this: its votes are resolved from their runs."""
    idents = {n: legacy_identity(n) for v in votes for n in (v.a, v.b)}
    naming = display_names(idents.values())
    name = {n: naming.name_of(i) for n, i in idents.items()}
    return [replace(v, a=name[v.a], b=name[v.b]) if name[v.a] != name[v.b] else v for v in votes]


def _votes_from_database(include_judges: bool = False) -> list[Vote]:
    """Every stored vote (humans only unless asked), with both answers' texts for style features."""
    from ..storage import RunStore, StorageError

    try:
        store = RunStore.open()
    except StorageError as exc:
        raise UserError(str(exc)) from None
    try:
        rows = store.votes.list_votes(rater_kind=None if include_judges else "human")
    finally:
        store.close()
    if not rows:
        raise UserError(f"no votes in the database ({store.url}); vote on the Compare page or pass --votes FILE")
    return [r.preference() for r in rows]


def handle(args: argparse.Namespace) -> int:
    from ..metrics.leaderboard import leaderboard  # start-up speed: numpy and scipy
    from ..metrics.preference import pair_results  # start-up speed

    votes = one_name_per_system(load_votes(args.votes)) if args.votes else _votes_from_database(args.judges)
    if args.bootstrap < 0:
        raise UserError("--bootstrap must be 0 or more")
    systems = leaderboard(votes, n_bootstrap=args.bootstrap, seed=args.seed)
    pairs = pair_results(votes)
    if args.json:
        print(json.dumps({"systems": [s.to_dict() for s in systems], "pairs": [p.to_dict() for p in pairs],
                          "warnings": warnings(systems)}, ensure_ascii=False))
    else:
        print(format_tables(systems, pairs, len(votes)))
    return 0


def warnings(systems: list[SystemRating]) -> list[str]:
    """What a reader must know before comparing ranks: groups never compared, systems without an interval."""
    from ..metrics.rating_intervals import group_warning, interval_notes  # start-up speed

    return [w for w in (group_warning(systems), interval_notes(systems)) if w]


def _interval(s: SystemRating) -> str:
    return "[   none    ]" if s.ci_low is None else f"[{s.ci_low:4.0f}, {s.ci_high:4.0f}]"


def format_tables(systems: list[SystemRating], pairs: list[PairResult], n_votes: int) -> str:
    """Ranks and ratings, then each pair's win rate with its interval and any "too few" note."""
    if not systems:
        return "no votes"
    width = max(len(s.name) for s in systems)
    grouped = len({s.group for s in systems}) > 1
    out = [f"Leaderboard ({n_votes} votes, 95% bootstrap intervals over prompts; overlapping intervals share a rank)",
           f"  {'rank':>4}  {'system':<{width}}  {'rating':>6}  {'interval':<13}  {'votes':>5}"
           + ("  group" if grouped else "")]
    for s in systems:
        rank = "-" if s.rank is None else s.rank
        out.append(f"  {rank:>4}  {s.name:<{width}}  {s.rating:6.0f}  {_interval(s)}  {s.votes:>5}"
                   + (f"  {s.group:>5}" if grouped else ""))
    out += [f"Warning: {w}" for w in warnings(systems)]
    out += ["", "Head to head (win rate of the first system on decisive votes, 95% Wilson interval):"]
    labels = [f"{p.a} vs {p.b}:" for p in pairs]
    pad = max(map(len, labels), default=0)
    for label, p in zip(labels, pairs):
        rate = "n/a" if p.win_rate_a is None else f"{p.win_rate_a:.0%}"
        out.append(f"  {label:<{pad}}  {rate:>4} [{p.ci_low:4.0%}, {p.ci_high:4.0%}]  "
                   f"{p.wins_a}-{p.wins_b}, {p.ties} ties, {p.both_bad} both bad")
        out.append(f"      {p.verdict}")
    return "\n".join(out)
