"""Where one run's seconds and cents went: its calls on a timeline, its cost per model and role, and the
MoA's cost and latency as multiples of the baseline that answered the same query in the same run.

Pure: a `RunRecord` in, DataFrames and dataclasses out. Times are seconds from the run's start. Unknown
cost stays unknown (None), never 0. A cache hit's answer was bought earlier: the MoA has no latency then
(the hit's milliseconds measure the database), and multiples compare what the answers cost when bought.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Iterable

import pandas as pd

from ..costs import call_cost, critical_path_calls, original_total, total_cost
from ..providers.prices import format_cost
from ..records import CallRecord, RunRecord
from .stats import ratio

ROLE_ORDER = ("proposer", "aggregator", "fallback", "baseline")


def call_name(call: CallRecord) -> str:
    """How a call is named on a timeline, where rounds share one axis: "R1 [2] beta", "aggregator: agg"."""
    return f"R{call.round} {call.display_name}" if call.role == "proposer" else call.display_name


def time_to_first_token(call: CallRecord) -> float | None:
    return None if call.first_token_s is None or call.started_s is None else call.first_token_s - call.started_s


def _ordered(calls: list[CallRecord]) -> list[CallRecord]:
    return sorted(calls, key=lambda c: (ROLE_ORDER.index(c.role) if c.role in ROLE_ORDER else 9, c.round, c.index))


TIMELINE_COLUMNS = ["call", "role", "round", "model", "status", "start_s", "first_token_s", "end_s", "duration_s",
                    "ttft_s", "critical_path", "attempts", "retries", "retry_errors", "error", "prompt_tokens",
                    "completion_tokens", "cost_usd", "call_id"]


def timeline(record: RunRecord) -> pd.DataFrame:
    """One row per call in display order, with start, first token, end (seconds from run start),
    attempts and retry errors, and whether the call is on the critical path."""
    on_path = {c.call_id for c in critical_path_calls(record.calls)}
    rows = []
    for call in _ordered(record.calls):
        rows.append({
            "call": call_name(call), "role": call.role, "round": call.round, "model": call.model,
            "status": call.status, "start_s": call.started_s, "first_token_s": call.first_token_s,
            "end_s": call.ended_s, "duration_s": call.duration_s, "ttft_s": time_to_first_token(call),
            "critical_path": call.call_id in on_path, "attempts": call.attempts,
            "retries": max(call.attempts - 1, 0), "retry_errors": "; ".join(call.retry_errors),
            "error": call.error or "", "prompt_tokens": call.prompt_tokens,
            "completion_tokens": call.completion_tokens, "cost_usd": call_cost(call), "call_id": call.call_id,
        })
    return pd.DataFrame(rows, columns=TIMELINE_COLUMNS)


def cost_breakdown(record: RunRecord) -> pd.DataFrame:
    """Cost and tokens per (model, role): cost_usd is None where a call used tokens at an unknown price."""
    groups: dict[tuple[str, str], list[CallRecord]] = {}
    for call in _ordered(record.calls):
        groups.setdefault((call.model, call.role), []).append(call)
    rows = [{
        "model": model, "role": role, "calls": len(calls), "cost_usd": total_cost(calls),
        "prompt_tokens": sum(c.prompt_tokens or 0 for c in calls),
        "completion_tokens": sum(c.completion_tokens or 0 for c in calls),
    } for (model, role), calls in groups.items()]
    return pd.DataFrame(rows, columns=["model", "role", "calls", "cost_usd", "prompt_tokens", "completion_tokens"])


def unknown_cost_models(calls: Iterable[CallRecord]) -> list[str]:
    """Models whose calls used tokens but have no known price, in order of appearance."""
    return list(dict.fromkeys(c.model for c in calls if call_cost(c) is None))


def moa_calls(record: RunRecord) -> list[CallRecord]:
    """Everything the MoA answer cost: proposers, aggregator, fallback (not the baseline)."""
    return [c for c in record.calls if c.role != "baseline"]


def answer_latency(record: RunRecord) -> float | None:
    """Seconds from the run's start until its final answer (synthesis or fallback) was complete; None when
    any of the MoA's calls was a cache hit (how long the models take is not what such a run measured)."""
    if any(c.cached for c in moa_calls(record)):
        return None
    ends = [c.ended_s for c in record.calls if c.role in ("aggregator", "fallback") and c.ok and c.ended_s is not None]
    return max(ends) if ends else None


@dataclass
class BaselineComparison:
    """MoA against the single model that answered the same query in the same run."""

    baseline_model: str
    baseline_status: str
    moa_cost_usd: float | None
    baseline_cost_usd: float | None
    cost_multiple: float | None
    moa_latency_s: float | None
    baseline_latency_s: float | None
    latency_multiple: float | None
    unknown_cost_models: list[str]
    sentence: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def baseline_comparison(record: RunRecord) -> BaselineComparison | None:
    """The MoA cost and latency multiples against the run's baseline; None when there is no baseline."""
    baseline = next((c for c in record.calls if c.role == "baseline"), None)
    if baseline is None:
        return None
    moa = moa_calls(record)
    moa_cost, base_cost = original_total(moa), original_total([baseline])
    moa_s = answer_latency(record)
    base_s = baseline.duration_s if baseline.ok and not baseline.cached else None
    cost_x, time_x = ratio(moa_cost, base_cost), ratio(moa_s, base_s)
    unknown = unknown_cost_models(moa + [baseline])
    sentence = _comparison_sentence(baseline, moa_cost, base_cost, cost_x, moa_s, base_s, time_x, unknown)
    return BaselineComparison(baseline.model, baseline.status, moa_cost, base_cost, cost_x, moa_s, base_s, time_x,
                              unknown, sentence)


def _money(cost: float | None) -> str:
    return "an unknown amount" if cost is None else format_cost(cost)


def _comparison_sentence(baseline: CallRecord, moa_cost, base_cost, cost_x, moa_s, base_s, time_x,
                         unknown: list[str]) -> str:
    name = baseline.label or baseline.model
    if not baseline.ok:
        return f"The baseline {name} did not answer ({baseline.status}), so there is nothing to compare against."
    if cost_x is not None:
        cost = f"The MoA answer cost {_money(moa_cost)}, {cost_x:.1f}× the baseline {name} ({_money(base_cost)})"
    elif unknown:
        cost = f"The cost multiple is unknown: no price for {', '.join(unknown)}"
    else:
        cost = f"The MoA answer cost {_money(moa_cost)}; the baseline {name} cost $0, so there is no multiple"
    if time_x is not None:
        time = f"it took {moa_s:.1f} s, {time_x:.1f}× the baseline's {base_s:.1f} s."
    elif moa_s is None:
        time = "MoA produced no answer, so there is no latency multiple."
    else:
        time = f"it took {moa_s:.1f} s."
    return f"{cost}; {time}"
