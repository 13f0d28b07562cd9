"""The analytics and planner functions on hand-built records; every expected number is worked out by hand."""
from datetime import datetime, timedelta, timezone

import pandas as pd
import pytest

from moa_core import analytics, planner
from moa_core.records import CallRecord, RunRecord

DAY1 = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)
TRIO = {"name": "trio", "rounds": 1,
        "proposers": [{"model": "openai/alpha"}, {"model": "anthropic/beta"}, {"model": "groq/gamma"}],
        "aggregator": {"model": "openai/agg"}, "baseline": {"model": "mistral/solo"}}
PAIR = {"rounds": 1, "proposers": [{"model": "openai/alpha"}, {"model": "anthropic/beta"}],
        "aggregator": {"model": "openai/agg"}}


def call(role, model, start, end, *, index=0, round=1, ttft=None, status="ok", cost=None, prompt=100,
         completion=200, attempts=1, retry_errors=(), error=None, api_base=None) -> CallRecord:
    return CallRecord(role=role, round=round, index=index, model=model, label=model.split("/")[-1], status=status,
                      started_s=start, first_token_s=None if ttft is None else start + ttft, ended_s=end,
                      prompt_tokens=prompt, completion_tokens=completion, cost_usd=cost, attempts=attempts,
                      retry_errors=list(retry_errors), error=error, api_base=api_base, text=f"{model} says")


def run_a() -> RunRecord:
    """trio with a baseline: gamma failed after a retry; beta is the slowest proposer."""
    return RunRecord(query="What is the notice period?", lineup=TRIO, run_id="run-a", status="partial",
                     started_at=DAY1, wall_s=5.0, calls=[
                         call("proposer", "openai/alpha", 0.0, 2.0, index=0, ttft=0.5, cost=0.001),
                         call("proposer", "anthropic/beta", 0.0, 3.0, index=1, ttft=0.8, cost=0.002),
                         call("proposer", "groq/gamma", 0.0, 1.0, index=2, status="failed", prompt=None,
                              completion=None, attempts=2, retry_errors=["RateLimitError: 429"],
                              error="APIConnectionError: refused"),
                         call("aggregator", "openai/agg", 3.0, 5.0, ttft=0.4, cost=0.003, prompt=500),
                         call("baseline", "mistral/solo", 0.0, 1.5, ttft=0.3, cost=0.0015),
                     ])


def run_b() -> RunRecord:
    """unnamed pair, no baseline; beta's price is unknown."""
    return RunRecord(query="Summarize the contract", lineup=PAIR, run_id="run-b", status="ok",
                     started_at=DAY1 + timedelta(hours=1), wall_s=4.0, calls=[
                         call("proposer", "openai/alpha", 0.0, 1.0, index=0, ttft=0.2, cost=0.001),
                         call("proposer", "anthropic/beta", 0.0, 1.5, index=1, ttft=0.3, cost=None),
                         call("aggregator", "openai/agg", 1.5, 4.0, ttft=0.5, cost=0.003, prompt=500),
                     ])


def run_c() -> RunRecord:
    """trio again a day later: gamma cancelled by a quorum, alpha retried once and is the slowest."""
    return RunRecord(query="Who signs?", lineup=TRIO, run_id="run-c", status="partial",
                     started_at=DAY1 + timedelta(days=1), wall_s=6.0, calls=[
                         call("proposer", "openai/alpha", 0.0, 4.0, index=0, ttft=1.0, cost=0.001, attempts=2,
                              retry_errors=["RateLimitError: 429"]),
                         call("proposer", "anthropic/beta", 0.0, 2.0, index=1, ttft=0.5, cost=0.002),
                         call("proposer", "groq/gamma", 0.0, 2.5, index=2, status="cancelled", prompt=None,
                              completion=None, error="cancelled: quorum of 2 of 3 reached"),
                         call("aggregator", "openai/agg", 4.0, 6.0, ttft=0.5, cost=0.003, prompt=500),
                         call("baseline", "mistral/solo", 0.0, 2.0, ttft=0.5, cost=0.002),
                     ])


def ratings_for(a: RunRecord, c: RunRecord) -> list[dict]:
    agg_a = a.calls_for("aggregator")[0].call_id
    base_a = a.calls_for("baseline")[0].call_id
    return [
        {"id": 1, "run_id": "run-a", "call_id": agg_a, "target": "call", "stars": 4, "rater": ""},
        {"id": 2, "run_id": "run-a", "call_id": agg_a, "target": "call", "stars": 5, "rater": ""},  # re-rated
        {"id": 3, "run_id": "run-a", "call_id": base_a, "target": "call", "stars": 3, "rater": ""},
        {"id": 4, "run_id": "run-c", "call_id": None, "target": "run", "stars": 2, "rater": "ann"},
    ]


@pytest.fixture
def tables():
    a, b, c = run_a(), run_b(), run_c()
    return analytics.run_table([a, b, c], ratings_for(a, c)), analytics.call_table([a, b, c])


# ---- naming -----------------------------------------------------------------------------------

@pytest.mark.parametrize("model, api_base, provider", [
    ("openai/gpt-4o", None, "openai"), ("anthropic/claude-3-5-haiku", None, "anthropic"),
    ("gpt-4o-mini", None, "openai"), ("claude-3-opus", None, "anthropic"), ("mystery", None, "unknown"),
    ("local/gemma-3-270m", "http://127.0.0.1:9000/v1", "local"), ("alpha", "http://127.0.0.1:8000/v1", "server"),
    ("ollama_chat/llama3", "http://localhost:11434", "server"),
])
def test_provider_grouping(model, api_base, provider):
    assert analytics.provider_of(model, api_base) == provider


def test_lineup_key_is_the_name_or_a_signature_of_the_models():
    assert analytics.lineup_key(TRIO) == "trio"
    assert analytics.lineup_key(PAIR) == "openai/alpha + anthropic/beta → openai/agg"
    assert analytics.lineup_key(PAIR | {"rounds": 2}).endswith("(2 rounds)")


# ---- one run ----------------------------------------------------------------------------------

def test_timeline_marks_the_critical_path_and_retries():
    tl = analytics.timeline(run_a()).set_index("call")
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
    ids = analytics.critical_path_ids(calls)
    assert ids == {calls[1].call_id, calls[2].call_id, calls[4].call_id}


def test_cost_breakdown_keeps_unknown_cost_unknown():
    bd = analytics.cost_breakdown(run_b()).set_index("model")
    assert bd.loc["openai/alpha", "cost_usd"] == pytest.approx(0.001)
    assert bd.loc["anthropic/beta", "cost_usd"] is None or pd.isna(bd.loc["anthropic/beta", "cost_usd"])
    assert bd.loc["openai/agg", "prompt_tokens"] == 500
    assert analytics.unknown_cost_models(run_b().calls) == ["anthropic/beta"]
    # a failed call that used no tokens costs nothing rather than making the run unknown
    assert analytics.cost_breakdown(run_a()).set_index("model").loc["groq/gamma", "cost_usd"] == 0


def test_baseline_comparison_multiples_and_sentence():
    cmp = analytics.baseline_comparison(run_a())
    assert cmp.moa_cost_usd == pytest.approx(0.006)  # 0.001 + 0.002 + 0 + 0.003
    assert cmp.cost_multiple == pytest.approx(4.0)  # 0.006 / 0.0015
    assert cmp.moa_latency_s == 5.0 and cmp.baseline_latency_s == 1.5
    assert cmp.latency_multiple == pytest.approx(5.0 / 1.5)
    assert cmp.sentence == ("The MoA answer cost $0.006, 4.0× the baseline solo ($0.0015); "
                            "it took 5.0 s, 3.3× the baseline's 1.5 s.")
    assert analytics.baseline_comparison(run_b()) is None


def test_baseline_comparison_with_unknown_price_names_the_model():
    run = run_a()
    run.calls[1].cost_usd = None
    cmp = analytics.baseline_comparison(run)
    assert cmp.cost_multiple is None and cmp.moa_cost_usd is None
    assert "unknown: no price for anthropic/beta" in cmp.sentence
    assert cmp.latency_multiple == pytest.approx(5.0 / 1.5)


def test_baseline_that_failed_or_was_free():
    run = run_a()
    run.calls[4].status = "failed"
    assert "did not answer" in analytics.baseline_comparison(run).sentence
    run = run_a()
    run.calls[4].cost_usd = 0.0
    cmp = analytics.baseline_comparison(run)
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
    runs2 = analytics.run_table([run_a(), run_c(), solo])
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
    assert analytics.cost_vs_rating(analytics.run_table([run_b()])).empty


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
    kept, kept_calls = analytics.filter_runs(runs, calls, start=DAY1 + timedelta(days=1))
    assert list(kept["run_id"]) == ["run-c"] and set(kept_calls["run_id"]) == {"run-c"}
    kept, _ = analytics.filter_runs(runs, calls, end=DAY1 + timedelta(days=1), lineups=["trio"])
    assert list(kept["run_id"]) == ["run-a"]


def test_empty_inputs_give_empty_tables():
    runs, calls = analytics.run_table([]), analytics.call_table([])
    assert runs.empty and calls.empty
    assert analytics.latency_by_lineup(runs).empty and analytics.latency_by_model(calls).empty
    assert analytics.cost_multiples(runs).empty and analytics.cost_vs_rating(runs).empty
    assert analytics.provider_reliability(calls).empty


# ---- planner ------------------------------------------------------------------------------------

class _Price:
    def __init__(self, inp, out, source="litellm"):
        self.input_per_token, self.output_per_token, self.source = inp, out, source


def _figures():
    return {
        "p1": planner.ModelFigures("p1", 5, ttft_s=0.5, tokens_per_s=100, input_per_token=1e-6, output_per_token=2e-6),
        "p2": planner.ModelFigures("p2", 5, p50_latency_s=3.0, input_per_token=1e-6, output_per_token=2e-6),
        "agg": planner.ModelFigures("agg", 5, ttft_s=1.0, tokens_per_s=50, input_per_token=3e-6, output_per_token=6e-6),
        "solo": planner.ModelFigures("solo", 5, ttft_s=0.2, tokens_per_s=80, input_per_token=5e-6,
                                     output_per_token=1e-5),
    }


def test_planner_cost_and_latency_by_hand():
    moa = planner.plan_moa(["p1", "p2"], "agg", 1, 10_000, prompt_tokens=100, answer_tokens=200, figures=_figures())
    assert moa.calls_per_query == 3
    # proposers: 100 × 1e-6 + 200 × 2e-6 = 0.0005 each; aggregator reads 100 + 2 × 200 = 500 tokens:
    # 500 × 3e-6 + 200 × 6e-6 = 0.0027. Per query 0.0037, per month × 10,000 = $37.
    assert moa.cost_per_query == pytest.approx(0.0037)
    assert moa.monthly_cost == pytest.approx(37.0)
    assert moa.table().set_index("role").loc["aggregator", "prompt_tokens"] == 500
    # latency: p1 = 0.5 + 200/100 = 2.5, p2 = 3.0 (median latency) -> round 3.0; agg = 1 + 200/50 = 5.0
    assert moa.stage_latency == {"round 1": pytest.approx(3.0), "aggregator": pytest.approx(5.0)}
    assert moa.latency_s == pytest.approx(8.0)
    solo = planner.plan_single("solo", 10_000, 100, 200, _figures())
    # 100 × 5e-6 + 200 × 1e-5 = 0.0025 per query -> $25 a month; latency 0.2 + 200/80 = 2.7 s
    assert solo.monthly_cost == pytest.approx(25.0) and solo.latency_s == pytest.approx(2.7)
    sentence = planner.plan_sentence(moa, solo)
    assert "30,000 calls with MoA (3 per query) against 10,000" in sentence
    assert "$37.00 a month, 1.5× against $25.00 for solo" in sentence
    assert "about 8.0 s per answer against 2.7 s (3.0×)" in sentence


def test_planner_two_rounds_feed_proposals_forward():
    moa = planner.plan_moa(["p1", "p2"], "agg", 2, 1000, 100, 200, _figures())
    assert moa.calls_per_query == 5  # 2 proposers × 2 rounds + 1 aggregator
    # round 2 proposers read 500 tokens: 500e-6 + 400e-6 = 0.0009 each
    assert moa.cost_per_query == pytest.approx(2 * 0.0005 + 2 * 0.0009 + 0.0027)
    assert moa.latency_s == pytest.approx(3.0 + 3.0 + 5.0)


def test_planner_unknown_price_and_latency_are_named():
    figures = _figures() | {"new": planner.ModelFigures("new")}
    moa = planner.plan_moa(["p1", "new"], "agg", 1, 1000, 100, 200, figures)
    assert moa.monthly_cost is None and moa.unknown_price == ["new"]
    assert moa.latency_s is None and moa.unknown_latency == ["new"]
    sentence = planner.plan_sentence(moa, planner.plan_single("solo", 1000, 100, 200, figures))
    assert "Monthly cost unknown: no price for new" in sentence
    assert "Expected latency unknown: no successful calls measured for new" in sentence


def test_measured_figures_and_prices(tables):
    _, calls = tables
    figures = planner.measured_figures(calls)
    agg = figures["openai/agg"]
    assert agg.calls == 3 and agg.p50_latency_s == pytest.approx(2.0)  # 2.0, 2.5, 2.0
    assert agg.price_source == "measured"
    assert agg.cost(500, 200) == pytest.approx(0.003)  # every agg call read 500 and wrote 200 for $0.003
    assert figures["anthropic/beta"].cost(100, 200) == pytest.approx(0.002)  # the unknown-priced call is skipped
    assert figures["groq/gamma"].price_source is None and figures["groq/gamma"].p50_latency_s is None
    # two different token mixes separate the input and output prices exactly
    mixed = pd.DataFrame({"cost_usd": [100 * 1e-6 + 200 * 2e-6, 300 * 1e-6 + 100 * 2e-6],
                          "prompt_tokens": [100, 300], "completion_tokens": [200, 100]})
    assert planner.measured_price(mixed) == pytest.approx((1e-6, 2e-6))


def test_with_prices_prefers_the_price_book_and_keeps_measured_otherwise(tables):
    _, calls = tables
    measured = planner.measured_figures(calls)
    book = {"openai/agg": _Price(3e-6, 6e-6), "mistral/solo": None}
    priced = planner.with_prices(measured, ["openai/agg", "mistral/solo", "brand/new"], book.get)
    assert priced["openai/agg"].price_source == "litellm" and priced["openai/agg"].input_per_token == 3e-6
    assert priced["mistral/solo"].price_source == "measured"
    assert priced["brand/new"].price_source is None and priced["brand/new"].calls == 0
    assert measured["openai/agg"].price_source == "measured"  # the measured figures are not modified
