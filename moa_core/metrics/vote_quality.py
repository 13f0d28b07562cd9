"""Preference per system from blind votes, people and judges apart: what the Analytics page's
"Quality for the money" shows beside the star ratings, so 40 votes never read as "no ratings".

Pure: vote rows (dicts or objects with system_a, system_b, winner, rater_kind) in, `SystemVotes` out.
The verdict is `preference.too_few_to_call`, the rule every other preference figure uses.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Collection, Iterable

from .preference import too_few_to_call, wilson_interval
from .ratings import _get

RATED_BY = {"human": "people", "judge": "judge"}


@dataclass(frozen=True)
class SystemVotes:
    """One system's blind votes by one kind of rater: typed, so a misspelt field fails where a dict key
    would quietly read as missing."""
    system: str
    rated_by: str  # "people" or "judge"
    votes: int  # decisive votes and ties
    wins: int
    losses: int
    ties: int  # a both-bad verdict counts as a tie
    decisive: int
    win_rate: float | None  # None without a decisive vote
    ci_low: float | None
    ci_high: float | None
    verdict: str  # "" when the win rate can be called


def vote_summary(votes: Iterable[Any], run_ids: Collection[str] | None = None) -> list[SystemVotes]:
    """One row per (system, rated by): votes, wins, losses, ties (both-bad counts as a tie), decisive,
    win rate with its 95% Wilson interval, and the verdict ("" when it can be called).

    `run_ids`: the runs a page's filters selected (dates, lineups), None when no filter is set. A vote
    side (`run_a_id`, `run_b_id`) counts only when its run is selected, so a system's row reads "its votes
    on the selected runs"; a side whose run is gone or was never recorded counts only with no filter."""
    counts: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: {"wins": 0, "losses": 0, "ties": 0})
    for v in votes:
        by = RATED_BY.get(_get(v, "rater_kind") or "human", str(_get(v, "rater_kind")))
        winner = _get(v, "winner")
        for side, other in (("a", "b"), ("b", "a")):
            if run_ids is not None and _get(v, f"run_{side}_id") not in run_ids:
                continue
            c = counts[(_get(v, f"system_{side}"), by)]
            c["wins" if winner == side else "losses" if winner == other else "ties"] += 1
    rows = []
    for (system, by), c in sorted(counts.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        decisive = c["wins"] + c["losses"]
        low, high = wilson_interval(c["wins"], decisive) if decisive else (None, None)
        rows.append(SystemVotes(system, by, decisive + c["ties"], c["wins"], c["losses"], c["ties"], decisive,
                                c["wins"] / decisive if decisive else None, low, high,
                                too_few_to_call(c["wins"], decisive)))
    return rows
