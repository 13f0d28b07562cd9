"""Small figures the results page states beside the core statistics: how wide an interval is at a
given number of votes, and whether a judge model agrees with the people on items both rated.

Pure functions over `preference.Vote` lists.
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Iterable

from .agreement_stats import cohen_kappa, labels_by_item
from .preference import Vote, wilson_interval


def half_width_points(decisive: int) -> float:
    """Half-width in percentage points of the 95% Wilson interval of a 50% win rate at n votes."""
    if decisive <= 0:
        return 50.0
    low, high = wilson_interval(decisive // 2, decisive)
    return 100 * (high - low) / 2


def votes_for_half_width(points: float) -> int:
    """Decisive votes needed for a 95% interval of about +-points (normal approximation at 50%)."""
    return math.ceil((1.96 * 50 / points) ** 2)


def interval_sentence(decisive: int) -> str:
    """E.g. "at 50 decisive votes the 95% interval is about ±14 points; about 385 give ±5"."""
    return (f"at {decisive} decisive vote{'s' if decisive != 1 else ''} the 95% interval is about "
            f"±{half_width_points(decisive):.0f} points; about {votes_for_half_width(5):,} give ±5")


@dataclass
class JudgeAgreement:
    """The judge's label against the human majority on items both rated (ties of the majority skipped)."""
    items: int
    agree: int
    share: float | None
    kappa: float | None

    def to_dict(self) -> dict:
        return asdict(self)


def judge_human_agreement(human: Iterable[Vote], judge: Iterable[Vote]) -> JudgeAgreement:
    """Share of shared items where the judge's (latest) label equals the humans' majority label,
    and Cohen's kappa between "majority" and "judge" over those items."""
    people, judges = labels_by_item(human), labels_by_item(judge)
    pairs: dict[str, dict[str, str]] = {}
    for item, raters in people.items():
        if item not in judges:
            continue
        counts = Counter(raters.values()).most_common()
        if len(counts) > 1 and counts[0][1] == counts[1][1]:
            continue  # no human majority to compare with
        judged = list(judges[item].values())[-1]
        pairs[item] = {"majority": counts[0][0], "judge": judged}
    agree = sum(p["majority"] == p["judge"] for p in pairs.values())
    kappa = cohen_kappa(pairs, ("majority", "judge")) if pairs else None
    return JudgeAgreement(len(pairs), agree, agree / len(pairs) if pairs else None, kappa)
