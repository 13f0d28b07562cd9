"""Adaptive rounds: after each round, decide from the proposals' agreement whether another round helps.

Another round costs a call per proposer and lets each revise after reading the others. Once the
proposals agree (similar, and no claim they state differently), or their disagreement stops
shrinking, more rounds only add cost: the run goes to the aggregator. Pure; the lexical agreement
method keeps the decision fast and deterministic.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..counts import count, plural

AGREE_AT = 0.6  # mean pairwise similarity at which proposals with no contested claim count as agreeing
MIN_PROGRESS = 0.03  # less than this drop in disagreement from one round to the next is no progress


@dataclass(frozen=True)
class RoundCheck:
    similarity: float  # mean pairwise similarity of the round's proposals, 0..1
    contested: int  # claims the proposals state differently (numbers, dates, parties, negation...)

    @property
    def disagreement(self) -> float:
        return (1.0 - self.similarity) + 0.1 * self.contested

    def describe(self) -> str:
        claims = "no contested claims" if not self.contested else f"{self.contested} contested claim(s)"
        return f"similarity {self.similarity:.2f}, {claims}"


def check_round(texts: list[str]) -> RoundCheck:
    """How much one round's proposals agree."""
    from ..agreement import analyze  # for start-up speed: agreement (~0.13 s) loads only for adaptive rounds

    result = analyze(texts, method="offline")
    n = len(texts)
    pairs = [result.similarity[i][j] for i in range(n) for j in range(i + 1, n)]
    return RoundCheck(sum(pairs) / len(pairs) if pairs else 1.0, len(result.disagreements))


def stop_reason(current: RoundCheck, previous: RoundCheck | None) -> str | None:
    """Why no further round is needed, or None to go on."""
    if current.contested == 0 and current.similarity >= AGREE_AT:
        return f"the proposals agree ({current.describe()})"
    if previous is not None and previous.disagreement - current.disagreement < MIN_PROGRESS:
        return (f"the disagreement no longer shrinks ({previous.describe()} before, "
                f"{current.describe()} now)")
    return None


def saved_note(rounds_run: int, limit: int, proposers: int, round_cost: float | None) -> str:
    """What stopping early saved against running every round."""
    skipped = limit - rounds_run
    if skipped <= 0:
        return f"ran all {count(limit, 'round')}"
    cost = "" if round_cost is None else f", about ${round_cost * skipped:.4f}"
    return f"saved {skipped * proposers} call(s){cost} against {limit} fixed {plural('round', limit)}"
