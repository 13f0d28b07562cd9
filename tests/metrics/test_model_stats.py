"""Per-model figures and percentiles from plain rows."""
from moa_core.metrics.model_stats import model_stats
from moa_core.metrics.stats import percentile


def test_pure_aggregates():
    assert percentile([], 50) is None and percentile([3.0], 95) == 3.0
    assert percentile([1, 2, 3, 4], 50) == 2.5
    rows = [dict(model="x", status="ok", duration_s=1.0, ttft_s=0.2, prompt_tokens=1, completion_tokens=1,
                 cost_usd=0.5), dict(model="x", status="cancelled", duration_s=0.1, ttft_s=None,
                                     prompt_tokens=0, completion_tokens=0, cost_usd=None)]
    [s] = model_stats(rows)
    assert (s.calls, s.ok, s.cancelled, s.cost_usd, s.p50_latency_s) == (2, 1, 1, 0.5, 1.0)
