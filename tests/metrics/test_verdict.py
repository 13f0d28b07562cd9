"""The PM's one line: MoA against the single model, then which one people preferred."""
from moa_core.metrics.verdict import pm_summary
from tests.metrics.sample_runs import run_a, run_b


def test_the_line_names_time_cost_and_synthesis_of_both():
    run = run_a()
    run.synthesized_from, run.proposers_total = 2, 3
    assert pm_summary(run) == "MoA: 5.0 s, $0.006, synthesized from 2 of 3; single model: 1.5 s, $0.0015"


def test_no_baseline_no_line():
    assert pm_summary(run_b()) is None


def test_ratings_say_which_one_people_preferred():
    run = run_a()
    agg = run.calls_for("aggregator")[0].call_id
    base = run.calls_for("baseline")[0].call_id
    ratings = [{"id": 1, "target": "call", "call_id": agg, "stars": 5, "rater": "ann"},
               {"id": 2, "target": "call", "call_id": base, "stars": 3, "rater": "ann"}]
    assert pm_summary(run, ratings).endswith("; people preferred MoA (5.0 ★ vs 3.0 ★, 1 rater)")
    ratings.append({"id": 3, "target": "call", "call_id": agg, "stars": 2, "rater": "ann"})
    assert pm_summary(run, ratings).endswith("; people preferred the single model (2.0 ★ vs 3.0 ★, 1 rater)")
