"""History at current prices (issue 23): a run listed with an unknown cost gets today's price when there is
one, marked as such; a model still without a price keeps the run unknown. Figures worked out by hand."""
import pytest

from moa_core.providers.prices import Price, summaries_at_current_prices
from moa_core.records import CallRecord, RunRecord
from moa_core.storage import RunStore


def _call(model, status="ok", cost=None, prompt=0, completion=0, cached=False, saved=None, index=0):
    return CallRecord(role="proposer", round=1, index=index, model=model, label=model, status=status,
                      started_s=0.0, ended_s=1.0, text="x", prompt_tokens=prompt, completion_tokens=completion,
                      cost_usd=cost, cached=cached, saved_usd=saved)


def _price_of(model):
    return {"x": Price(1e-6, 2e-6, "override")}.get(model)


@pytest.fixture
def store(tmp_path):
    s = RunStore.open(f"sqlite:///{tmp_path}/moa.db")
    yield s
    s.close()


def test_a_listed_run_of_unknown_cost_is_priced_now_and_an_unpriced_model_stays_unknown(store):
    mixed = RunRecord(query="mixed", lineup={}, status="ok", final="x", wall_s=1.0, calls=[
        _call("known", cost=0.001, prompt=5, completion=5),
        _call("x", prompt=1000, completion=500, index=1),          # unknown when it ran: 1000e-6 + 1000e-6
        _call("x", cost=0.0, prompt=300, completion=300, cached=True, index=2),  # a cache hit paid nothing
        _call("x", status="failed", index=3),                      # no tokens: costs nothing
    ])
    unpriced = RunRecord(query="unpriced", lineup={}, status="ok", final="x", wall_s=1.0, calls=[
        _call("x", prompt=10, completion=10), _call("y", prompt=10, completion=10, index=1)])
    known = RunRecord(query="known", lineup={}, status="ok", final="x", wall_s=1.0,
                      calls=[_call("known", cost=0.002, prompt=1, completion=1)])
    for run in (mixed, unpriced, known):
        store.save_run(run)
    listed = store.list_runs()
    assert {r.query: r.cost_usd for r in listed} == {"mixed": None, "unpriced": None, "known": 0.002}

    now, priced = summaries_at_current_prices(listed, _price_of)
    by_query = {r.query: r for r in now}
    assert by_query["mixed"].cost_usd == pytest.approx(0.001 + 0.001 + 0.001)
    assert by_query["unpriced"].cost_usd is None  # y has no price yet: still unknown, not half a cost
    assert by_query["known"].cost_usd == 0.002
    assert priced == {mixed.run_id: ["x"]}
    assert {r.query: r.cost_usd for r in store.list_runs()}["mixed"] is None  # nothing stored changed
