"""The planner: the article's cost and latency models from measured figures; numbers worked out by hand."""
import pandas as pd
import pytest

from moa_core.metrics import planner


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


def test_the_aggregator_reads_its_prompt_too():
    """The aggregator's input is the query, the proposals and the aggregator prompt itself (the measured
    inputs were 187-194 tokens against 72 planned when the prompt was left out)."""
    moa = planner.plan_moa(["p1", "p2"], "agg", 1, 10_000, 100, 200, _figures(), template_tokens=120)
    # aggregator reads 100 + 2 × 200 + 120 = 620 tokens: 620 × 3e-6 + 200 × 6e-6 = 0.00306; + 2 × 0.0005
    assert moa.table().set_index("role").loc["aggregator", "prompt_tokens"] == 620
    assert moa.cost_per_query == pytest.approx(0.00406)
    two = planner.plan_moa(["p1", "p2"], "agg", 2, 1000, 100, 200, _figures(), template_tokens=120)
    # round-2 proposers read the same 620 (the engine gives them the prompt and the proposals as well)
    assert list(two.table()["prompt_tokens"]) == [100, 100, 620, 620, 620]
    # measured per-role inputs win where there are runs: the aggregator read 190 tokens
    measured = planner.plan_moa(["p1", "p2"], "agg", 1, 10_000, 100, 200, _figures(), template_tokens=120,
                                role_prompt_tokens={"aggregator": 190})
    assert measured.table().set_index("role").loc["aggregator", "prompt_tokens"] == 190


def test_queries_a_day_are_thirty_a_month():
    assert planner.per_month(300, "day") == 9_000 and planner.per_month(9_000, "month") == 9_000
