"""The synthesis gain: how often the MoA answer beats the best single proposal it was built from, the
question the method stands or falls on. A win rate, so it shares `preference`'s interval and its one rule
for "too few to call".
"""
from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from typing import Callable, Iterable

from .preference import Vote, binomial_summary, too_few_note


@dataclass
class SynthesisGain:
    """How often the MoA synthesis beats the best single proposal it was built from."""
    wins: int
    losses: int
    ties: int
    both_bad: int
    decisive: int
    share: float | None
    ci_low: float
    ci_high: float
    p_value: float
    skipped: int
    too_few: bool
    note: str

    def to_dict(self) -> dict:
        return asdict(self)


def synthesis_gains(votes: Iterable[Vote], is_synthesis: Callable[[str], bool],
                    confidence: float = 0.95) -> dict[str, SynthesisGain]:
    """`synthesis_gain` per synthesis system (one lineup each), by name: pooling lineups would mix a
    lineup that gains with one that loses into one figure that describes neither."""
    by_system: dict[str, list[Vote]] = {}
    for v in votes:
        sa, sb = is_synthesis(v.a), is_synthesis(v.b)
        if sa != sb:
            by_system.setdefault(v.a if sa else v.b, []).append(v)
    return {name: synthesis_gain(by_system[name], name, confidence) for name in sorted(by_system)}


def synthesis_gain(votes: Iterable[Vote], is_synthesis: str | Callable[[str], bool],
                   confidence: float = 0.95) -> SynthesisGain:
    """Share of decisive votes the synthesis side wins, with a Wilson interval and sign test.

    Pass the votes of "synthesis vs best proposal of the same run" comparisons, and either the
    synthesis system's exact name or a predicate on names (e.g. `lambda n: n.startswith("MoA:")`).
    Votes where neither side, or both sides, are the synthesis are skipped and counted.
    """
    pred = (lambda n: n == is_synthesis) if isinstance(is_synthesis, str) else is_synthesis
    c: Counter = Counter()
    for v in votes:
        sa, sb = pred(v.a), pred(v.b)
        if sa == sb:
            c["skipped"] += 1
        elif v.winner in ("tie", "both_bad"):
            c[v.winner] += 1
        else:
            c["wins" if (v.winner == "a") == sa else "losses"] += 1
    decisive = c["wins"] + c["losses"]
    low, high, p = binomial_summary(c["wins"], decisive, confidence)
    note = too_few_note(decisive, low, high, confidence)
    return SynthesisGain(c["wins"], c["losses"], c["tie"], c["both_bad"], decisive,
                         c["wins"] / decisive if decisive else None, low, high, p,
                         c["skipped"], bool(note), note)
