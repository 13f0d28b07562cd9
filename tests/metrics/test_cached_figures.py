"""Cache hits are records of answers bought earlier: out of every latency and speed figure, their cost
counted as saved, not spent. The sample runs are replayed from the cache (every answer a hit) and the
figures must not move except "saved"; every expected number is worked out by hand."""
from dataclasses import replace
from datetime import timedelta

import pytest

from moa_core.metrics import analytics, planner, run_tables
from moa_core.costs import original_cost, original_total, saved_total
from moa_core.records import new_id
from tests.metrics.sample_runs import ratings_for, run_a, run_b, run_c


def replay(run):
    """The run asked again two days later with every answer in the cache: each successful call is a hit
    (no request, ~10 ms, cost 0, saved = what it cost the first time); nothing else was called."""
    calls = [replace(c, call_id=new_id(), cached=True, cost_usd=0.0, saved_usd=c.cost_usd, started_s=0.0,
                     first_token_s=0.0, ended_s=0.01, attempts=0, retry_errors=[])
             for c in run.calls if c.ok]
    return replace(run, run_id=run.run_id + "-again", started_at=run.started_at + timedelta(days=2), calls=calls,
                   wall_s=0.02, documents=[])


def _tables(runs):
    a, c = runs[0], runs[2]
    return run_tables.run_table(runs, ratings_for(a, c)), run_tables.call_table(runs)


@pytest.fixture
def before_after():
    first = [run_a(), run_b(), run_c()]
    return _tables(first), _tables(first + [replay(r) for r in first])


def test_original_and_saved_cost_of_calls_by_hand():
    a = replay(run_a())
    # a's answers: alpha 0.001, beta 0.002, agg 0.003, baseline 0.0015 (gamma failed, nothing to replay)
    assert [original_cost(c) for c in a.calls] == [0.001, 0.002, 0.003, 0.0015]
    assert saved_total(a.calls) == pytest.approx(0.0075) and a.cost_usd == 0
    assert saved_total(run_a().calls) == 0  # no hits, nothing saved
    b = replay(run_b())  # beta had no price: what its hit saved is unknown, not $0
    assert original_cost(b.calls[1]) is None and saved_total(b.calls) is None and original_total(b.calls) is None
    assert b.cost_usd == 0  # but nothing was spent


def test_run_table_keeps_hits_out_of_latency_and_counts_their_cost_as_saved(before_after):
    _, (runs, _) = before_after
    runs = runs.set_index("run_id")
    again = runs.loc["run-a-again"]
    assert again["cost_usd"] == 0 and again["saved_usd"] == pytest.approx(0.0075)
    assert again["moa_cost_usd"] == pytest.approx(0.006)  # what the MoA answer costs: 0.001 + 0.002 + 0.003
    assert again["baseline_cost_usd"] == pytest.approx(0.0015)
    for column in ("answer_s", "critical_path_s", "baseline_s", "latency_multiple"):
        assert again[column] != again[column], column  # NaN: a hit's 10 ms says nothing about the models
    assert runs.loc["run-a", "saved_usd"] == 0 and runs.loc["run-a", "answer_s"] == 5.0
    assert runs.loc["run-b-again", "saved_usd"] != runs.loc["run-b-again", "saved_usd"]  # unknown (NaN)


def test_analytics_figures_do_not_move_when_a_batch_is_replayed_from_the_cache(before_after):
    (runs0, calls0), (runs1, calls1) = before_after
    view0, view1 = analytics.overview(runs0, calls0), analytics.overview(runs1, calls1)
    # answers at 5.0 (a), 4.0 (b), 6.0 (c): the median stays 5.0 (with the hits' 0.01 s it was 2.005)
    assert view0.median_answer_s == view1.median_answer_s == 5.0
    # spent: a 0.0075 + c 0.008 (b unknown); the replays spent nothing
    assert view0.known_cost_usd == view1.known_cost_usd == pytest.approx(0.0155)
    assert view0.unknown_cost_runs == view1.unknown_cost_runs == 1
    # saved: a again 0.0075 + c again (0.001 + 0.002 + 0.003 + 0.002 = 0.008) = 0.0155, what a and c cost;
    # b again saved an unknown amount (beta has no price): counted apart, as an unknown cost is
    assert view0.saved_usd == 0 and view1.saved_usd == pytest.approx(0.0155)
    assert view0.unknown_saved_runs == 0 and view1.unknown_saved_runs == 1
    assert view1.cached_runs == 3 and view1.runs == 6
    for key in ("latency_by_lineup", "latency_by_model", "cost_multiples", "cost_vs_rating"):
        assert getattr(view1, key).equals(getattr(view0, key)), key
    alpha = view1.latency_by_model.set_index("model").loc["openai/alpha"]
    assert alpha["calls"] == 3 and alpha["p50_s"] == 2.0  # 1.0, 2.0, 4.0 (not 0.01, 0.01, 0.01, ...)
    calls = calls1[calls1["run_id"] == "run-a-again"]
    assert calls["cached"].all() and calls["duration_s"].isna().all() and calls["tokens_per_s"].isna().all()
    assert calls["saved_usd"].sum() == pytest.approx(0.0075)


def test_planner_figures_do_not_move_when_a_batch_is_replayed_from_the_cache(before_after):
    (_, calls0), (_, calls1) = before_after
    figures0, figures1 = planner.measured_figures(calls0), planner.measured_figures(calls1)
    assert figures1 == figures0
    agg = figures1["openai/agg"]
    # agg: three calls of 2.0, 2.5, 2.0 s; each read 500 and wrote 200 tokens for $0.003 (the hits' $0 would
    # have pulled the measured price down to half)
    assert agg.calls == 3 and agg.p50_latency_s == 2.0 and agg.cost(500, 200) == pytest.approx(0.003)


def test_the_store_reads_which_calls_were_hits_for_the_figures(tmp_path):
    """Analytics reads calls without their text: the hit flag and the saved amount must come along."""
    from moa_core.storage import RunStore

    store = RunStore.open(f"sqlite:///{tmp_path / 'moa.db'}")
    try:
        store.save_run(run_a())
        store.save_run(replay(run_a()))
        runs, _ = store.analytics.analytics_runs()
        stats = {m.model: m for m in store.analytics.model_stats()}
    finally:
        store.close()
    table = run_tables.run_table(runs).set_index("run_id")
    assert table.loc["run-a", "answer_s"] == 5.0 and table.loc["run-a", "saved_usd"] == 0
    assert table.loc["run-a-again", "saved_usd"] == pytest.approx(0.0075)
    assert table.loc["run-a-again", "answer_s"] != table.loc["run-a-again", "answer_s"]  # NaN
    # per-model figures count the calls that asked a model: alpha once, 2.0 s (not a second call of 0.01 s)
    assert (stats["openai/alpha"].calls, stats["openai/alpha"].p50_latency_s) == (1, 2.0)
