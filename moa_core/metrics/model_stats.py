"""Per-model figures from plain call rows: pure functions, so analytics test them with lists of dicts.

Rows are what `store.analytics.call_rows()` returns. Latency counts successful calls only (a timeout's
duration says nothing about the model's speed); unknown prices stay unknown, never 0.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from .stats import percentile


@dataclass
class ModelStats:
    model: str
    calls: int = 0
    ok: int = 0
    failed: int = 0
    cancelled: int = 0
    p50_latency_s: float | None = None
    p95_latency_s: float | None = None
    avg_ttft_s: float | None = None
    cost_usd: float | None = 0.0  # None when a call that used tokens has no known price
    unknown_cost_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def failure_rate(self) -> float:
        return self.failed / self.calls if self.calls else 0.0

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__) | {"failure_rate": self.failure_rate}


def model_stats(rows: Iterable[dict[str, Any]]) -> list[ModelStats]:
    """Calls, failures, p50/p95 latency, mean time to first token and cost, per model, busiest first."""
    stats: dict[str, ModelStats] = {}
    latencies: dict[str, list[float]] = {}
    ttfts: dict[str, list[float]] = {}
    for row in rows:
        model = row["model"]
        s = stats.get(model) or stats.setdefault(model, ModelStats(model))
        s.calls += 1
        status = row["status"]
        if status == "ok":
            s.ok += 1
            if row["duration_s"] is not None:
                latencies.setdefault(model, []).append(row["duration_s"])
            if row["ttft_s"] is not None:
                ttfts.setdefault(model, []).append(row["ttft_s"])
        elif status == "failed":
            s.failed += 1
        elif status == "cancelled":
            s.cancelled += 1
        s.prompt_tokens += row["prompt_tokens"] or 0
        s.completion_tokens += row["completion_tokens"] or 0
        if row["cost_usd"] is not None:
            if s.cost_usd is not None:
                s.cost_usd += row["cost_usd"]
        elif (row["prompt_tokens"] or 0) + (row["completion_tokens"] or 0) > 0:
            s.unknown_cost_calls += 1
            s.cost_usd = None
    for model, s in stats.items():
        lat = latencies.get(model, [])
        s.p50_latency_s, s.p95_latency_s = percentile(lat, 50), percentile(lat, 95)
        t = ttfts.get(model)
        s.avg_ttft_s = sum(t) / len(t) if t else None
    return sorted(stats.values(), key=lambda s: (-s.calls, s.model))
