"""The one line a product manager reads on a run with a baseline: MoA against the single model.

"MoA: 4.1 s, $0.0123, synthesized from 3 of 3; single model: 1.2 s, $0.0021; people preferred MoA
(4.5 ★ vs 3.0 ★)". Built from the baseline comparison and the rating rule, so it says what the
charts and History say.
"""
from __future__ import annotations

from typing import Any, Iterable

from ..providers.prices import format_cost
from ..records import RunRecord
from .analytics import baseline_comparison
from .ratings import answer_stars, run_stars


def _seconds(value: float | None) -> str:
    return "no answer" if value is None else f"{value:.1f} s"


def pm_summary(record: RunRecord, ratings: Iterable[Any] = ()) -> str | None:
    """The line, or None when the run had no baseline."""
    comparison = baseline_comparison(record)
    if comparison is None:
        return None
    ratings = list(ratings)
    moa = f"MoA: {_seconds(comparison.moa_latency_s)}, {format_cost(comparison.moa_cost_usd)}"
    if record.synthesized_from is not None and record.proposers_total:
        moa += f", synthesized from {record.synthesized_from} of {record.proposers_total}"
    elif record.status == "fallback":
        moa += ", answered by the fallback"
    single = f"single model: {_seconds(comparison.baseline_latency_s)}, {format_cost(comparison.baseline_cost_usd)}"
    if comparison.baseline_status != "ok":
        single = f"single model: {comparison.baseline_status}"
    line = f"{moa}; {single}"
    baseline = next(c for c in record.calls if c.role == "baseline")
    moa_stars, moa_raters = run_stars(ratings, record.calls, record.status)
    base_stars, base_raters = answer_stars(ratings, baseline.call_id)
    if moa_stars is not None and base_stars is not None:
        if moa_stars == base_stars:
            line += f"; people rated both alike ({moa_stars:.1f} ★)"
        else:
            winner = "MoA" if moa_stars > base_stars else "the single model"
            line += f"; people preferred {winner} ({moa_stars:.1f} ★ vs {base_stars:.1f} ★"
            line += f", {max(moa_raters, base_raters)} rater{'s' if max(moa_raters, base_raters) > 1 else ''})"
    return line
