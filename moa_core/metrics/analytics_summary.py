"""The Analytics page's headline figures as words: totals that may be partly unknown, and how many blind
votes stand behind the preference table. Pure: numbers and vote-summary rows in, text and counts out."""
from __future__ import annotations

from typing import Iterable

from ..providers.prices import format_cost
from .vote_quality import SystemVotes


def partly_known_cost(known_usd: float, unknown: int, total: int) -> str:
    """A sum over `total` runs of which `unknown` had no price: "$1.20", "$1.20 + unknown" or "unknown".

    Never a bare figure when something is missing: a total without the unpriced runs would read as all of it.
    """
    if unknown and unknown >= total:
        return "unknown"
    text = format_cost(known_usd)
    return f"{text} + unknown" if unknown else text


def votes_by_rater(summary: Iterable[SystemVotes]) -> dict[str, int]:
    """Votes (pairs judged) per rater kind from `vote_quality.vote_summary` rows: each vote is counted under
    both of its systems there, so the per-system counts add up to twice the votes."""
    totals: dict[str, int] = {"people": 0, "judge": 0}
    for row in summary:
        totals[row.rated_by] = totals.get(row.rated_by, 0) + row.votes
    return {by: n // 2 for by, n in totals.items()}
