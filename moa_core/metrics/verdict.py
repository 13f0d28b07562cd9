"""The one line a product manager reads on a run with a baseline: MoA against the single model.

"MoA: 4.1 s, $0.0123, synthesized from 3 of 3; single model: 1.2 s, $0.0021; 3 blind votes: the single
model 3, MoA 0 (too few to call); stars: MoA 4.5 ★ vs the single model 3.0 ★ (2 raters: too few to call)".
Built from the baseline comparison, the run's blind votes and the rating rule, so it says what the charts
and History say; a preference is named only when the one rule of `preference.too_few_to_call` allows.
"""
from __future__ import annotations

from typing import Any, Iterable

from ..providers.prices import format_cost
from ..records import RunRecord
from .run_breakdown import baseline_comparison
from .preference import SIGNIFICANCE, sign_test, too_few_to_call
from .ratings import FINAL, _get, final_call_id, latest_stars, mean_stars

MOA, SINGLE = "MoA", "the single model"


def _seconds(value: float | None) -> str:
    return "no answer" if value is None else f"{value:.1f} s"


def _verdict(moa: int, single: int) -> str:
    """The one rule: too few to call, no clear winner, or who people preferred."""
    if too_few_to_call(moa, moa + single):
        return "too few to call"
    p = sign_test(moa, moa + single)
    if p >= SIGNIFICANCE:
        return f"no clear winner, p = {p:.2g}"
    return f"people preferred {MOA if moa > single else SINGLE}, p = {p:.2g}"


def blind_vote_counts(record: RunRecord, votes: Iterable[Any], baseline_call: str) -> tuple[int, int, int]:
    """(MoA wins, single-model wins, ties and both-bad) of people's blind votes on this run's final answer
    against its baseline; a side's call id None is the run's final answer. Judge verdicts are not counted."""
    final = final_call_id(record.calls, record.status)
    counts = {MOA: 0, SINGLE: 0, "tie": 0}

    def side(run_id, call_id) -> str | None:
        if run_id not in (None, record.run_id):
            return None
        if call_id is None or call_id == final:
            return MOA if run_id == record.run_id else None
        return SINGLE if call_id == baseline_call else None
    for v in votes:
        if _get(v, "rater_kind") not in (None, "human"):
            continue
        a, b = side(_get(v, "run_a_id"), _get(v, "call_a_id")), side(_get(v, "run_b_id"), _get(v, "call_b_id"))
        if {a, b} != {MOA, SINGLE}:
            continue
        winner = _get(v, "winner")
        counts[{"a": a, "b": b}.get(winner, "tie")] += 1
    return counts[MOA], counts[SINGLE], counts["tie"]


def _votes_clause(moa: int, single: int, ties: int) -> str:
    total = moa + single + ties
    if not total:
        return ""
    order = [(MOA, moa), (SINGLE, single)]
    order.sort(key=lambda kv: -kv[1])  # the leader first; MoA first when level
    tied = f", {ties} tie{'s' if ties != 1 else ''}" if ties else ""
    return (f"; {total} blind vote{'s' if total != 1 else ''}: {order[0][0]} {order[0][1]}, {order[1][0]} "
            f"{order[1][1]}{tied} ({_verdict(moa, single)})")


def _stars_clause(record: RunRecord, ratings: list, baseline_call: str) -> str:
    """Mean stars of both answers; each rater who rated both is one paired comparison for the rule."""
    latest = latest_stars(ratings, final_call_id(record.calls, record.status))
    moa_stars, moa_raters = mean_stars(latest, FINAL)
    base_stars, base_raters = mean_stars(latest, baseline_call)
    if moa_stars is None or base_stars is None:
        return ""
    raters = max(moa_raters, base_raters)
    both = {r for (s, r) in latest if s == FINAL} & {r for (s, r) in latest if s == baseline_call}
    moa_better = sum(latest[(FINAL, r)] > latest[(baseline_call, r)] for r in both)
    single_better = sum(latest[(FINAL, r)] < latest[(baseline_call, r)] for r in both)
    return (f"; stars: {MOA} {moa_stars:.1f} ★ vs {SINGLE} {base_stars:.1f} ★ ({raters} rater{'s' if raters != 1 else ''}"
            f": {_verdict(moa_better, single_better)})")


def pm_summary(record: RunRecord, ratings: Iterable[Any] = (), votes: Iterable[Any] = ()) -> str | None:
    """The line, or None when the run had no baseline. `votes` are the run's stored blind votes (rows or
    dicts with winner, rater_kind, run_a_id, run_b_id, call_a_id, call_b_id)."""
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
    line += _votes_clause(*blind_vote_counts(record, votes, baseline.call_id))
    return line + _stars_clause(record, ratings, baseline.call_id)
