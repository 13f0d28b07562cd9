"""Blind A/B preference votes and their win rates: the vote, the Wilson interval and sign test, the one
"too few to call" rule, and each pair's head-to-head record.

Pure functions over `Vote` lists: no I/O, no database, no UI. Ratings from votes are in `leaderboard`
(and `style_control`), the synthesis gain in `synthesis_gain`, inter-rater agreement in `agreement_stats`.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from typing import Iterable

from scipy.stats import binomtest

WINNERS = ("a", "b", "tie", "both_bad")
MIN_DECISIVE = 50       # fewer decisive votes than this is "too few to call"
MAX_HALF_WIDTH = 0.10   # ... and so is an interval wider than +-10 points
SIGNIFICANCE = 0.05     # sign-test level at which a callable pair has a winner


@dataclass(frozen=True)
class Vote:
    """One blind comparison: which of two systems' answers to one prompt a reviewer preferred."""
    prompt_id: str
    a: str
    b: str
    winner: str
    reviewer: str = ""
    a_text: str = ""
    b_text: str = ""

    def __post_init__(self):
        if self.winner not in WINNERS:
            raise ValueError(f"bad winner {self.winner!r}: expected one of {', '.join(WINNERS)}")
        if self.a == self.b:
            raise ValueError(f"a vote compares two different systems, got {self.a!r} twice")


def binomial_summary(k: int, n: int, confidence: float) -> tuple[float, float, float]:
    """(Wilson low, Wilson high, two-sided sign-test p) from one scipy binomtest."""
    if n == 0:
        return (0.0, 1.0, 1.0)
    test = binomtest(k, n, 0.5)
    ci = test.proportion_ci(confidence_level=confidence, method="wilson")
    return (float(ci.low), float(ci.high), float(test.pvalue))


def wilson_interval(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for k successes in n: well-behaved near 0%, 100% and small n."""
    return binomial_summary(k, n, confidence)[:2]


def sign_test(k: int, n: int) -> float:
    """Two-sided exact sign test p-value against a 50/50 split (1.0 when there is no data)."""
    return binomial_summary(k, n, 0.95)[2]


def too_few_note(decisive: int, low: float, high: float, confidence: float) -> str:
    """The plain sentence the UI shows instead of a verdict, or "" when the data can call it.

    The one rule for "too few to call": fewer than MIN_DECISIVE decisive votes, or a Wilson interval
    wider than +-MAX_HALF_WIDTH. Results, batch tables, the recommendation and the PM line all use it.
    """
    if decisive == 0:
        return "no decisive votes yet"
    if decisive >= MIN_DECISIVE and (high - low) <= 2 * MAX_HALF_WIDTH:
        return ""
    lead = f"{decisive} decisive vote{'s' if decisive != 1 else ''}"
    lead = f"only {lead}" if decisive < MIN_DECISIVE else lead
    return f"{lead}: the {confidence:.0%} interval is {100 * low:.0f}-{100 * high:.0f}%, too wide to call"


def too_few_to_call(wins: int, decisive: int, confidence: float = 0.95) -> str:
    """`too_few_note` from counts: "" when `wins` of `decisive` votes can be called, else why not."""
    low, high = wilson_interval(wins, decisive, confidence)
    return too_few_note(decisive, low, high, confidence)


@dataclass
class PairResult:
    """Head-to-head record of system `a` against `b` (a < b by name)."""
    a: str
    b: str
    wins_a: int = 0
    wins_b: int = 0
    ties: int = 0
    both_bad: int = 0
    decisive: int = 0
    win_rate_a: float | None = None
    ci_low: float = 0.0
    ci_high: float = 1.0
    p_value: float = 1.0
    too_few: bool = True
    note: str = ""

    @property
    def verdict(self) -> str:
        """The one sentence shown for the pair: too few to call, no clear winner, or who is preferred."""
        if self.too_few:
            return self.note
        if self.p_value >= SIGNIFICANCE:
            return f"no clear winner (p = {self.p_value:.2g})"
        return f"{self.a if (self.win_rate_a or 0) > 0.5 else self.b} is preferred (p = {self.p_value:.2g})"

    def to_dict(self) -> dict:
        return {**asdict(self), "verdict": self.verdict}


def _oriented(v: Vote) -> tuple[str, str, str]:
    """(low name, high name, winner seen from the low name) so swapped sides fold together."""
    if v.a < v.b:
        return v.a, v.b, v.winner
    return v.b, v.a, {"a": "b", "b": "a"}.get(v.winner, v.winner)


def pair_results(votes: Iterable[Vote], confidence: float = 0.95) -> list[PairResult]:
    """Win/tie counts, win rate, Wilson interval and sign test for every pair that was compared."""
    counts: dict[tuple[str, str], Counter] = {}
    for v in votes:
        lo, hi, w = _oriented(v)
        counts.setdefault((lo, hi), Counter())[w] += 1
    out = []
    for (lo, hi), c in sorted(counts.items()):
        decisive = c["a"] + c["b"]
        low, high, p = binomial_summary(c["a"], decisive, confidence)
        note = too_few_note(decisive, low, high, confidence)
        out.append(PairResult(a=lo, b=hi, wins_a=c["a"], wins_b=c["b"], ties=c["tie"], both_bad=c["both_bad"],
                              decisive=decisive, win_rate_a=c["a"] / decisive if decisive else None,
                              ci_low=low, ci_high=high, p_value=p,
                              too_few=bool(note), note=note))
    return out


def reviewer_counts(votes: Iterable[Vote]) -> dict[str, int]:
    """Votes per reviewer, most active first ("" is an anonymous reviewer)."""
    return dict(sorted(Counter(v.reviewer for v in votes).items(), key=lambda kv: (-kv[1], kv[0])))
