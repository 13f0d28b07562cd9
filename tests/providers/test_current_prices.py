"""Prices saved after a run reach it when it is read (issue 23): unknown call costs at today's prices, in one
function every reader uses; the stored record keeps its None, the figure is labelled "at current prices"."""
import pytest

from moa_core.providers.prices import Price, PriceBook, at_current_prices, price_note
from moa_core.records import CallRecord
from tests.metrics.sample_runs import run_a, run_b


def _price_of(model):
    return {"anthropic/beta": Price(1e-6, 2e-6, "override")}.get(model)


def test_an_unknown_cost_is_priced_from_todays_price_and_the_record_is_untouched():
    stored = run_b()
    assert stored.cost_usd is None  # beta had no price when it ran
    (now,), priced = at_current_prices([stored], _price_of)
    # beta used 100 prompt + 200 completion tokens: 100 x 1e-6 + 200 x 2e-6 = 0.0005; alpha 0.001, agg 0.003
    assert now.cost_usd == pytest.approx(0.0045)
    assert priced == {"run-b": ["anthropic/beta"]}
    assert stored.cost_usd is None and stored.calls[1].cost_usd is None  # nothing stored changed


def test_known_costs_stay_as_they_were_bought_and_unpriced_models_stay_unknown():
    a = run_a()
    runs, priced = at_current_prices([a, run_b()], lambda model: None)
    assert runs[0] is a and runs[1].cost_usd is None and priced == {}
    # a price now for a model whose calls were priced when they ran changes nothing: what was paid stays
    runs, priced = at_current_prices([a], lambda model: Price(1.0, 1.0, "override"))
    assert runs[0].cost_usd == pytest.approx(a.cost_usd) and priced == {}


def test_a_cache_hit_of_unknown_price_gets_its_saved_amount_and_a_failed_call_costs_nothing():
    hit = CallRecord(role="proposer", round=1, index=0, model="anthropic/beta", label="beta", status="ok",
                     prompt_tokens=10, completion_tokens=20, cost_usd=0.0, cached=True, saved_usd=None)
    failed = CallRecord(role="proposer", round=1, index=1, model="anthropic/beta", label="beta", status="failed")
    run = run_b()
    run.calls = [hit, failed]
    (now,), priced = at_current_prices([run], _price_of)
    assert now.calls[0].saved_usd == pytest.approx(10e-6 + 40e-6) and now.calls[0].cost_usd == 0.0
    assert now.calls[1].cost_usd is None and now.cost_usd == 0.0  # no tokens: nothing to price, nothing spent
    assert priced == {"run-b": ["anthropic/beta"]}


def test_the_note_names_the_price_used_and_its_source():
    book = PriceBook({"anthropic/beta": (1.5e-7, 6e-7)})
    note = price_note(["anthropic/beta"], book.price)
    assert note == "anthropic/beta at $0.15 in / $0.60 out per 1M tokens (your price)"


def test_analytics_counts_runs_costed_at_current_prices():
    from moa_core.metrics import analytics, run_tables
    from tests.metrics.sample_runs import run_c

    runs, priced = at_current_prices([run_a(), run_b(), run_c()], _price_of)
    view = analytics.overview(run_tables.run_table(runs, (), priced), run_tables.call_table(runs))
    # run_a 0.001 + 0.002 + 0.003 + 0.0015; run_b 0.001 + 0.0005 (beta now) + 0.003; run_c 0.001 + 0.002 + 0.003 + 0.002
    assert view.known_cost_usd == pytest.approx(0.0075 + 0.0045 + 0.008) and view.unknown_cost_runs == 0
    assert view.priced_now_runs == 1 and view.priced_now_models == ["anthropic/beta"]
