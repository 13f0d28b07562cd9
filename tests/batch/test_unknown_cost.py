"""Issue 25: a batch whose models have no price never shows "$0": its stored cost, the progress line, the
projection and `moa batches --json` keep the known part apart from the answers of unknown price."""
import asyncio
import json

import pytest

from moa_core.batch.estimate import project
from moa_core.batch.report import cost_text, progress
from moa_core.batch.runner import create_batch, run_batch
from moa_core.providers.prices import PriceBook

pytestmark = pytest.mark.slow  # out of the quick tier: whole batches (~4 s)


def _by_hand(store, batch_id: str, system_kind_of, kind: str) -> float:
    """The known part, worked out from the stored calls' tokens at the prices set in the test."""
    total = 0.0
    for row in store.batches.batch_runs(batch_id):
        if system_kind_of[row.system] != kind:
            continue
        for call in store.get_run(row.run_id).calls:
            total += call.prompt_tokens * 1e-6 + call.completion_tokens * 2e-6
    return total


def test_a_batch_without_prices_is_unknown_not_zero(store, make_set, systems):
    set_id = make_set(2)
    batch_id = create_batch(store, set_id, systems(), concurrency=2)
    asyncio.run(run_batch(store, batch_id))
    batch = store.batches.get_batch(batch_id)
    assert batch.unknown_cost_items == 4  # 2 items x (MoA + single), none priced
    p = progress(store, batch_id)
    assert p["cost_usd"] is None and p["known_cost_usd"] == 0 and p["unknown_cost_items"] == 4
    assert cost_text(p["known_cost_usd"], p["unknown_cost_items"]) == "unknown (4 answers without a price)"


def test_a_partly_priced_batch_says_the_known_part_and_how_many_are_unknown(store, make_set, systems):
    for model in ("p1", "p2", "p3", "agg"):  # the single model "base" has no price
        store.catalog.set_price(model, 1e-6, 2e-6)
    set_id = make_set(3)
    built = systems()
    batch_id = create_batch(store, set_id, built, concurrency=2)
    asyncio.run(run_batch(store, batch_id))
    kinds = {s.name: s.kind for s in built}
    moa_by_hand = _by_hand(store, batch_id, kinds, "moa")
    assert moa_by_hand > 0
    batch = store.batches.get_batch(batch_id)
    assert batch.cost_usd == pytest.approx(moa_by_hand) and batch.unknown_cost_items == 3
    p = progress(store, batch_id)
    assert p["cost_usd"] is None and p["known_cost_usd"] == pytest.approx(moa_by_hand)
    text = cost_text(p["known_cost_usd"], p["unknown_cost_items"])
    assert text.endswith(" + 3 answers of unknown price") and not text.startswith("$0 ")


def test_a_resumed_claim_whose_run_finished_counts_its_unknown_cost(store, make_set, systems):
    """`_settle` closes an item whose run finished before its worker said so: unknown stays unknown there too."""
    from moa_core.storage.batches import item_run_id

    set_id = make_set(1)
    batch_id = create_batch(store, set_id, systems(baseline="base")[1:], concurrency=1)  # the single model alone
    item = store.batches.claim_items(batch_id, "dead-worker")[0]
    from moa_core.batch.single import answer_alone
    spec = systems()[1].single
    asyncio.run(answer_alone(spec, "question 0?", store=store, run_id=item_run_id(batch_id, item.id, item.attempts)))
    store.batches.release_claims(batch_id, "dead-worker")
    batch = store.batches.get_batch(batch_id)
    assert store.batches.batch_counts(batch_id)["done"] == 1
    assert batch.unknown_cost_items == 1 and batch.cost_usd == 0


def test_the_projection_of_unpriced_models_is_unknown_not_zero(store, make_set, systems):
    set_id = make_set(2)
    items = [{"query": i.query} for i in store.catalog.eval_set_items(set_id)]
    p = project(items, systems(), PriceBook())
    assert p.estimate_usd is None and p.upper_usd is None
    assert "$0" not in p.describe() and p.describe().startswith("unknown: no price for p1, p2, p3, agg, base")


def test_moa_batches_json_says_unknown_not_zero(store, make_set, systems, capsys, monkeypatch):
    from moa_core.cli import main

    monkeypatch.setenv("DATABASE_URL", str(store.engine.url))
    set_id = make_set(1)
    batch_id = create_batch(store, set_id, systems(), concurrency=2)
    asyncio.run(run_batch(store, batch_id))
    assert main(["batches", "--json"]) == 0
    row = json.loads(capsys.readouterr().out)[0]
    assert row["batch_id"] == batch_id and row["cost_usd"] is None
    assert row["known_cost_usd"] == 0 and row["unknown_cost_items"] == 2
    assert main(["batches"]) == 0
    assert "unknown (2 answers without a price)" in capsys.readouterr().out


def test_a_price_saved_after_the_batch_reaches_its_table_at_current_prices(store, make_set, systems):
    """Issue 23: prices set after a run never reached it. The batch table now costs its unknown answers at
    today's prices (tokens x price, worked out here from the stored calls), says so, and stores nothing."""
    from moa_core.batch.report import batch_summary
    from moa_core.cli.batch import summary_table
    from ui.batch_results import _table

    set_id = make_set(2)
    built = systems()
    batch_id = create_batch(store, set_id, built, concurrency=2)
    asyncio.run(run_batch(store, batch_id))
    before = {s["name"]: s for s in batch_summary(store, [batch_id], style_bootstrap=0)["systems"]}
    assert all(s["cost_per_item"] is None for s in before.values())
    for model in ("p1", "p2", "p3", "agg", "base"):
        store.catalog.set_price(model, 1e-6, 2e-6)
    kinds = {s.name: s.kind for s in built}
    summary = batch_summary(store, [batch_id], style_bootstrap=0)
    after = {s["name"]: s for s in summary["systems"]}
    for system in built:
        by_hand = _by_hand(store, batch_id, kinds, system.kind) / 2
        assert by_hand > 0 and after[system.name]["cost_per_item"] == pytest.approx(by_hand)
        assert after[system.name]["paid_usd"] == pytest.approx(2 * by_hand)
    assert after[built[1].name]["priced_now"] == "base"
    assert set(after[built[0].name]["priced_now"].split(", ")) == {"p1", "p2", "p3", "agg"}
    assert all(store.get_run(r.run_id).cost_usd is None for r in store.batches.batch_runs(batch_id))  # stored: unknown
    table = _table(summary["systems"])
    assert table["cost/item"].str.endswith("(at current prices)").all()
    assert "at current prices (unknown when the batch ran): agg, base, p1, p2, p3" in summary_table(
        summary, {"judge_items": 0})


def test_the_batch_table_shows_cost_per_item_paid_saved_and_queue_wait_apart(store, make_set, systems):
    """Issue 23 item 4: a re-run from the cache shows what the system costs per item beside what this batch
    paid (0) and what the cache saved; the calls' own p50/p95 and the queue wait are columns of their own."""
    from moa_core.batch.report import batch_summary
    from moa_core.cli.batch import summary_table
    from ui.batch_results import _table

    for model in ("p1", "p2", "p3", "agg", "base"):
        store.catalog.set_price(model, 1e-6, 2e-6)
    set_id = make_set(2)
    built = systems()
    first = create_batch(store, set_id, built, concurrency=2)
    asyncio.run(run_batch(store, first))
    again = create_batch(store, set_id, built, concurrency=2)
    asyncio.run(run_batch(store, again))
    kinds = {s.name: s.kind for s in built}
    single = built[1].name
    by_hand = _by_hand(store, first, kinds, "single") / 2
    rows = {r["system"]: r for r in _table(batch_summary(store, [again], style_bootstrap=0)["systems"])
            .to_dict("records")}
    from moa_core.providers.prices import format_cost
    assert rows[single]["cost/item"] == format_cost(by_hand)
    assert rows[single]["paid by this batch"] == "$0" and rows[single]["saved by the cache"] == format_cost(2 * by_hand)
    assert rows[single]["cached answers"] == 2 and rows[single]["p50 (the calls)"] == "—"
    first_rows = {r["system"]: r for r in _table(batch_summary(store, [first], style_bootstrap=0)["systems"])
                  .to_dict("records")}
    assert first_rows[single]["p50 (the calls)"].endswith(" s") and first_rows[single]["queue wait p50"].endswith(" s")
    text = summary_table(batch_summary(store, [again], style_bootstrap=0), {"judge_items": 0})
    header = text.splitlines()[0].split()
    assert header[:5] == ["system", "win", "rate", "95%", "interval"] and "paid" in header and "queue" in header
