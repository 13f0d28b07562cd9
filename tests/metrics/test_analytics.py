"""The analytics functions on hand-built records; every expected number is worked out by hand."""
from datetime import timedelta

import pandas as pd
import pytest

from moa_core.metrics import analytics, run_breakdown, run_tables
from moa_core.costs import critical_path_calls
from moa_core.records import RunRecord
from tests.metrics.sample_runs import DAY1, PAIR, TRIO, call, run_a, run_b, run_c


# ---- naming -----------------------------------------------------------------------------------

@pytest.mark.parametrize("model, api_base, provider", [
    ("openai/gpt-4o", None, "openai"), ("anthropic/claude-3-5-haiku", None, "anthropic"),
    ("gpt-4o-mini", None, "openai"), ("claude-3-opus", None, "anthropic"), ("mystery", None, "unknown"),
    ("local/gemma-3-270m", "http://127.0.0.1:9000/v1", "local"), ("alpha", "http://127.0.0.1:8000/v1", "server"),
    ("ollama_chat/llama3", "http://localhost:11434", "server"),
])
def test_provider_grouping(model, api_base, provider):
    assert run_tables.provider_of(model, api_base) == provider


def test_lineup_key_is_the_name_or_a_signature_of_the_models():
    assert run_tables.lineup_key(TRIO) == "trio"
    assert run_tables.lineup_key(PAIR) == "openai/alpha + anthropic/beta → openai/agg"
    assert run_tables.lineup_key(PAIR | {"rounds": 2}).endswith("(2 rounds)")


# ---- one run ----------------------------------------------------------------------------------

def test_timeline_marks_the_critical_path_and_retries():
    tl = run_breakdown.timeline(run_a()).set_index("call")
    assert list(tl.index) == ["R1 [1] alpha", "R1 [2] beta", "R1 [3] gamma", "aggregator: agg", "baseline: solo"]
    assert set(tl.index[tl["critical_path"]]) == {"R1 [2] beta", "aggregator: agg"}  # slowest proposer + synthesis
    assert tl.loc["aggregator: agg", "first_token_s"] == pytest.approx(3.4)
    assert tl.loc["aggregator: agg", "ttft_s"] == pytest.approx(0.4)
    gamma = tl.loc["R1 [3] gamma"]
    assert gamma["status"] == "failed" and gamma["retries"] == 1 and "429" in gamma["retry_errors"]
    # the highlighted calls add up to the critical path the record reports
    assert tl.loc[tl["critical_path"], "duration_s"].sum() == pytest.approx(run_a().critical_path_s) == 5.0


def test_critical_path_per_round_with_two_rounds():
    calls = [call("proposer", "a", 0, 1, index=0), call("proposer", "b", 0, 2, index=1),
             call("proposer", "a", 2, 5, index=0, round=2), call("proposer", "b", 2, 4, index=1, round=2),
             call("aggregator", "g", 5, 6)]
    ids = {c.call_id for c in critical_path_calls(calls)}
    assert ids == {calls[1].call_id, calls[2].call_id, calls[4].call_id}


def test_cost_breakdown_keeps_unknown_cost_unknown():
    bd = run_breakdown.cost_breakdown(run_b()).set_index("model")
    assert bd.loc["openai/alpha", "cost_usd"] == pytest.approx(0.001)
    assert bd.loc["anthropic/beta", "cost_usd"] is None or pd.isna(bd.loc["anthropic/beta", "cost_usd"])
    assert bd.loc["openai/agg", "prompt_tokens"] == 500
    assert run_breakdown.unknown_cost_models(run_b().calls) == ["anthropic/beta"]
    # a failed call that used no tokens costs nothing rather than making the run unknown
    assert run_breakdown.cost_breakdown(run_a()).set_index("model").loc["groq/gamma", "cost_usd"] == 0


def test_baseline_comparison_multiples_and_sentence():
    cmp = run_breakdown.baseline_comparison(run_a())
    assert cmp.moa_cost_usd == pytest.approx(0.006)  # 0.001 + 0.002 + 0 + 0.003
    assert cmp.cost_multiple == pytest.approx(4.0)  # 0.006 / 0.0015
    assert cmp.moa_latency_s == 5.0 and cmp.baseline_latency_s == 1.5
    assert cmp.latency_multiple == pytest.approx(5.0 / 1.5)
    assert cmp.sentence == ("The MoA answer cost $0.006, 4.0× the baseline solo ($0.0015); "
                            "it took 5.0 s, 3.3× the baseline's 1.5 s.")
    assert run_breakdown.baseline_comparison(run_b()) is None


def test_baseline_comparison_with_unknown_price_names_the_model():
    run = run_a()
    run.calls[1].cost_usd = None
    cmp = run_breakdown.baseline_comparison(run)
    assert cmp.cost_multiple is None and cmp.moa_cost_usd is None
    assert "unknown: no price for anthropic/beta" in cmp.sentence
    assert cmp.latency_multiple == pytest.approx(5.0 / 1.5)


def test_baseline_that_failed_or_was_free():
    run = run_a()
    run.calls[4].status = "failed"
    assert "did not answer" in run_breakdown.baseline_comparison(run).sentence
    run = run_a()
    run.calls[4].cost_usd = 0.0
    cmp = run_breakdown.baseline_comparison(run)
    assert cmp.cost_multiple is None and "cost $0, so there is no multiple" in cmp.sentence


# ---- across runs ------------------------------------------------------------------------------

def test_run_table(tables):
    runs, _ = tables
    runs = runs.set_index("run_id")
    assert runs.loc["run-a", "lineup"] == "trio"
    assert runs.loc["run-b", "lineup"] == "openai/alpha + anthropic/beta → openai/agg"
    assert pd.isna(runs.loc["run-b", "cost_usd"]) and runs.loc["run-b", "unknown_cost_models"] == "anthropic/beta"
    assert runs.loc["run-a", "cost_usd"] == pytest.approx(0.0075)  # MoA 0.006 + baseline 0.0015
    assert runs.loc["run-c", "cost_multiple"] == pytest.approx(3.0)  # 0.006 / 0.002
    assert runs.loc["run-c", "latency_multiple"] == pytest.approx(3.0)  # 6.0 / 2.0
    assert runs.loc["run-a", "stars"] == 5 and runs.loc["run-a", "ratings"] == 1  # the re-rating replaced the 4
    assert runs.loc["run-a", "baseline_stars"] == 3
    assert runs.loc["run-c", "stars"] == 2  # a rating of the run rates its final answer
    assert pd.isna(runs.loc["run-b", "stars"]) and runs.loc["run-b", "ratings"] == 0
    assert runs["single_model"].isna().all()


def test_latency_percentiles_per_lineup_and_model(tables):
    runs, calls = tables
    by_lineup = analytics.latency_by_lineup(runs).set_index("lineup")
    assert by_lineup.loc["trio", "runs"] == 2
    assert by_lineup.loc["trio", "p50_s"] == pytest.approx(5.5)  # answers at 5.0 and 6.0
    assert by_lineup.loc["trio", "p95_s"] == pytest.approx(5.95)  # 5.0 + 0.95 × (6.0 - 5.0)
    by_model = analytics.latency_by_model(calls).set_index("model")
    # alpha: 2.0, 1.0, 4.0 -> sorted 1, 2, 4: p50 = 2.0, p95 = 2 + 0.9 × 2 = 3.8
    assert by_model.loc["openai/alpha", "calls"] == 3
    assert by_model.loc["openai/alpha", "p50_s"] == pytest.approx(2.0)
    assert by_model.loc["openai/alpha", "p95_s"] == pytest.approx(3.8)
    # time to first token of alpha: 0.5, 0.2, 1.0 -> p50 0.5
    assert by_model.loc["openai/alpha", "ttft_p50_s"] == pytest.approx(0.5)
    # gamma never succeeded: no latency row for it (a failure's duration says nothing about speed)
    assert "groq/gamma" not in by_model.index
    # tokens/s of agg in run a: 200 tokens over 5.0 - 3.4 = 1.6 s = 125
    assert calls.loc[(calls.run_id == "run-a") & (calls.role == "aggregator"), "tokens_per_s"].item() == \
        pytest.approx(125.0)


def test_cost_multiples_against_baseline_and_single_model_runs(tables):
    runs, _ = tables
    mult = analytics.cost_multiples(runs)
    row = mult[mult["compared_with"] == "baseline in the same runs"].set_index("lineup").loc["trio"]
    assert row["single_model"] == "mistral/solo" and row["runs"] == 2
    assert row["cost_multiple"] == pytest.approx(3.5)  # median of 4.0 and 3.0
    assert row["total_cost_multiple"] == pytest.approx(0.012 / 0.0035)
    assert row["latency_multiple"] == pytest.approx((5 / 1.5 + 3.0) / 2)
    assert (mult["compared_with"] == "single-model runs").sum() == 0
    # a run with one answering call is a single-model run; MoA lineups compare with its median
    solo = RunRecord(query="q", lineup={}, run_id="run-s", status="ok", started_at=DAY1,
                     calls=[call("proposer", "mistral/solo", 0.0, 1.0, cost=0.002)])
    runs2 = run_tables.run_table([run_a(), run_c(), solo])
    mult2 = analytics.cost_multiples(runs2)
    single = mult2[mult2["compared_with"] == "single-model runs"].set_index("lineup").loc["trio"]
    assert single["cost_multiple"] == pytest.approx(3.0)  # median MoA 0.006 / 0.002
    assert single["latency_multiple"] == pytest.approx(5.5)  # median answer 5.5 s / 1.0 s


def test_cost_vs_rating_points(tables):
    runs, _ = tables
    points = analytics.cost_vs_rating(runs)
    assert sorted(points["answer"]) == ["MoA", "MoA", "baseline: mistral/solo"]
    moa_a = points[(points["run_id"] == "run-a") & (points["answer"] == "MoA")].iloc[0]
    assert moa_a["cost_usd"] == pytest.approx(0.006) and moa_a["stars"] == 5
    base = points[points["answer"] != "MoA"].iloc[0]
    assert base["cost_usd"] == pytest.approx(0.0015) and base["stars"] == 3
    assert analytics.cost_vs_rating(run_tables.run_table([run_b()])).empty


def test_failure_and_retry_rates_per_provider(tables):
    _, calls = tables
    rel = analytics.provider_reliability(calls).set_index("provider")
    # groq: one failure (run a) and one cancellation (run c): cancellations are not failures
    assert rel.loc["groq", "calls"] == 2 and rel.loc["groq", "failed"] == 1 and rel.loc["groq", "cancelled"] == 1
    assert rel.loc["groq", "failure_rate"] == pytest.approx(1.0)  # 1 failed of 1 decided
    assert rel.loc["groq", "retry_rate"] == pytest.approx(0.5)
    assert rel.loc["groq", "top_error"] in ("RateLimitError: 429", "APIConnectionError: refused")
    # openai: alpha ×3 and agg ×3, one retried call
    assert rel.loc["openai", "calls"] == 6 and rel.loc["openai", "failure_rate"] == 0
    assert rel.loc["openai", "retries"] == 1 and rel.loc["openai", "retry_rate"] == pytest.approx(1 / 6)
    assert rel.loc["mistral", "calls"] == 2


def test_filter_by_date_and_lineup(tables):
    runs, calls = tables
    kept, kept_calls = run_tables.filter_runs(runs, calls, start=DAY1 + timedelta(days=1))
    assert list(kept["run_id"]) == ["run-c"] and set(kept_calls["run_id"]) == {"run-c"}
    kept, _ = run_tables.filter_runs(runs, calls, end=DAY1 + timedelta(days=1), lineups=["trio"])
    assert list(kept["run_id"]) == ["run-a"]


def test_empty_inputs_give_empty_tables():
    runs, calls = run_tables.run_table([]), run_tables.call_table([])
    assert runs.empty and calls.empty
    assert analytics.latency_by_lineup(runs).empty and analytics.latency_by_model(calls).empty
    assert analytics.cost_multiples(runs).empty and analytics.cost_vs_rating(runs).empty
    assert analytics.provider_reliability(calls).empty


def test_cost_over_time_is_every_run_when_few_and_a_mean_per_period_when_many():
    from datetime import datetime, timedelta, timezone

    import pandas as pd

    from moa_core.metrics.analytics import cost_over_time

    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    rows = [{"run_id": f"r{i}", "started_at": start + timedelta(minutes=7 * i), "lineup": "ab"[i % 2],
             "cost_usd": (i % 10) / 1000, "query": f"q{i}"} for i in range(1_500)]
    rows.append({"run_id": "unpriced", "started_at": start, "lineup": "a", "cost_usd": None, "query": "q"})
    runs = pd.DataFrame(rows)
    every, period = cost_over_time(runs, max_points=2_000)
    assert period is None and len(every) == 1_500  # the unknown cost is not plotted as 0
    points, period = cost_over_time(runs, max_points=1_000)
    assert period == "hour"  # 1,500 runs over ~7.3 days, 2 lineups: 2 x 176 hours fit in 1,000 points
    assert len(points) <= 1_000 and points["runs"].sum() == 1_500
    assert points["total_usd"].sum() == pytest.approx(runs["cost_usd"].sum())
    first = points.iloc[0]  # lineup "a", the first hour: runs 0, 2, 4, 6, 8 (minutes 0-56)
    assert first["runs"] == 5 and first["cost_usd"] == pytest.approx((0 + 2 + 4 + 6 + 8) / 5 / 1000)
    _, period = cost_over_time(runs, max_points=100)
    assert period == "day"
