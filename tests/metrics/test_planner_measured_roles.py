"""Issue 23: the planner plans from the measured per-role token counts of the chosen lineup where there are
runs (the aggregator reads its own prompt too: 190 tokens measured, far above query + proposals), from the
templates where there are none, and its multiple then agrees with the one measured."""
from datetime import datetime, timedelta, timezone

import pytest

from moa_core.metrics import planner, run_tables
from moa_core.metrics.planner_inputs import lineup_tokens, measured_cost_multiple
from moa_core.providers.prices import Price
from moa_core.records import CallRecord, RunRecord

PRICES = {"p1": (1e-6, 2e-6), "p2": (2e-6, 4e-6), "p3": (1e-6, 1e-6), "agg": (3e-6, 6e-6), "base": (1e-6, 2e-6)}
LINEUP = {"name": "trio", "proposers": [{"model": m} for m in ("p1", "p2", "p3")], "aggregator": {"model": "agg"},
          "baseline": {"model": "base"}}


def _call(role, model, prompt, completion, index=0):
    inp, out = PRICES[model]
    return CallRecord(role=role, round=1, index=index, model=model, label=model, status="ok", started_s=0.0,
                      ended_s=1.0, prompt_tokens=prompt, completion_tokens=completion,
                      cost_usd=prompt * inp + completion * out)


def sample_runs() -> list[RunRecord]:
    """Three runs of the trio with a baseline; the aggregator read 188, 190 and 194 tokens."""
    t0 = datetime(2026, 12, 1, tzinfo=timezone.utc)
    runs = []
    for i, (agg_in, answer) in enumerate(((188, 48), (190, 50), (194, 52))):
        calls = [_call("proposer", m, 40, answer, index=j) for j, m in enumerate(("p1", "p2", "p3"))]
        calls += [_call("aggregator", "agg", agg_in, 60), _call("baseline", "base", 40, answer)]
        runs.append(RunRecord(query="q", lineup=LINEUP, run_id=f"r{i}", status="ok", started_at=t0 + timedelta(hours=i),
                              wall_s=2.0, calls=calls))
    return runs


def test_the_chosen_lineups_runs_give_per_role_medians():
    calls = run_tables.call_table(sample_runs())
    measured = lineup_tokens(calls, ["p1", "p2", "p3"], "agg")
    assert measured.runs == 3 and measured.aggregator_prompt == 190 and measured.aggregator_answer == 60
    assert measured.proposer_prompt == 40 and measured.proposer_answer == 50
    # what the aggregator reads beyond the query and the three proposals: 190 - (40 + 3 x 50) = 0 here
    assert measured.aggregator_input(40, 50, 3) == 190 and measured.aggregator_input(100, 50, 3) == 250
    assert lineup_tokens(calls, ["p1", "p2"], "agg") is None  # another lineup: no runs, the templates plan it


def test_a_plan_from_measured_roles_reads_190_and_matches_the_measured_multiple():
    runs = sample_runs()
    calls = run_tables.call_table(runs)
    measured = lineup_tokens(calls, ["p1", "p2", "p3"], "agg")
    figures = planner.with_prices({}, list(PRICES), lambda m: Price(*PRICES[m], "override"))
    moa = planner.plan_moa(["p1", "p2", "p3"], "agg", 1, 1000, measured.proposer_prompt, measured.proposer_answer,
                           figures, template_tokens=120,
                           role_prompt_tokens={"aggregator": measured.aggregator_input(40, 50, 3)},
                           role_answer_tokens={"aggregator": measured.aggregator_answer})
    agg = next(s for s in moa.steps if s.role == "aggregator")
    assert agg.prompt_tokens == 190 and agg.completion_tokens == 60  # not 40 + 3 x 50 + 120 from the template
    single = planner.plan_single("base", 1000, measured.proposer_prompt, measured.proposer_answer, figures)
    planned = moa.monthly_cost / single.monthly_cost
    multiple, n = measured_cost_multiple(run_tables.run_table(runs))
    # by hand for the middle run: proposers 40x1e-6+50x2e-6 + 40x2e-6+50x4e-6 + 40x1e-6+50x1e-6 = 0.00051,
    # aggregator 190x3e-6 + 60x6e-6 = 0.00093, baseline 40x1e-6 + 50x2e-6 = 0.00014: (0.00051+0.00093)/0.00014
    assert multiple == pytest.approx((0.00051 + 0.00093) / 0.00014, rel=0.02) and n == 3
    assert planned == pytest.approx(multiple, rel=0.10)
