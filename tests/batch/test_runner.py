"""Batch runs on the loopback server: resume never redoes finished items, the budget stops cleanly,
the concurrency limit holds at the server, and every system's answers are stored and linked."""
import asyncio

import pytest

from moa_core.batch.runner import create_batch, run_batch
from moa_core.testing.llm_server import Behaviour

pytestmark = pytest.mark.slow  # out of the quick tier: whole batches with timed stops (~8 s)

MODELS = ("p1", "p2", "p3", "agg", "base")


def slow(llm, latency: float = 0.2) -> None:
    for m in MODELS:
        llm.set(m, latency_s=latency)


def max_overlap(requests, latency: float) -> int:
    """Most requests the server was serving at once (each lasts at least `latency`)."""
    arrivals = sorted(r.arrived for r in requests)
    return max((sum(a <= b < a + latency - 0.02 for b in arrivals) for a in arrivals), default=0)


def test_batch_runs_every_system_and_links_runs(store, make_set, systems, llm):
    set_id = make_set(3)
    batch_id = create_batch(store, set_id, systems(), concurrency=4)
    out = asyncio.run(run_batch(store, batch_id))
    assert out.status == "done" and out.counts == {"pending": 0, "running": 0, "done": 6, "failed": 0}
    assert len(llm.requests) == 3 * 4 + 3  # 3 items x (3 proposers + aggregator) + 3 baseline answers
    rows = store.batches.batch_runs(batch_id)
    assert {r.run_status for r in rows} == {"ok"} and all(r.final for r in rows)
    run = store.get_run(rows[0].run_id)
    assert store.list_runs(limit=10)[0].run_id.startswith(batch_id)
    assert run is not None and run.status == "ok"


def test_concurrency_limit_is_honoured_at_the_server(store, make_set, systems, llm):
    slow(llm, 0.3)
    batch_id = create_batch(store, make_set(6), systems(), concurrency=3, cache=False)
    out = asyncio.run(run_batch(store, batch_id))
    assert out.status == "done"
    assert out.max_in_flight == 3
    assert max_overlap(llm.requests, 0.3) <= 3


def test_resume_never_redoes_a_finished_item(store, make_set, systems, llm):
    slow(llm, 0.15)
    built = systems()
    models = {s.name: set(s.models()) for s in built}  # by the System objects, not by a name's prefix
    assert models == {built[0].name: {"p1", "p2", "p3", "agg"}, built[1].name: {"base"}}
    batch_id = create_batch(store, make_set(8), built, concurrency=4, cache=False)
    finished = []

    def stop_after_some(_batch_id):
        finished.append(1)

    async def partial():
        task = asyncio.create_task(run_batch(store, batch_id, on_progress=stop_after_some))
        while len(finished) < 5:
            await asyncio.sleep(0.02)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    asyncio.run(partial())
    assert store.batches.get_batch(batch_id).status == "interrupted"
    done_before = {(i.eval_item_id, i.system) for i in store.batches.batch_items(batch_id) if i.status == "done"}
    assert len(done_before) >= 5
    assert store.batches.batch_counts(batch_id)["running"] == 0  # claims were given back
    queries = {i.id: i.query for i in store.catalog.eval_set_items(store.batches.get_batch(batch_id).eval_set_id)}
    seen_before = len(llm.requests)
    out = asyncio.run(run_batch(store, batch_id, resume=True))
    assert out.status == "done" and out.counts["done"] == 16
    later = llm.requests[seen_before:]
    for eval_item_id, system in done_before:
        asked = [r for r in later if r.model in models[system] and queries[eval_item_id] in str(r.messages)]
        assert asked == [], f"{system} on item {eval_item_id} was asked again"
    runs = {r.run_id for r in store.batches.batch_runs(batch_id)}
    assert len(runs) == 16


def test_budget_cap_stops_cleanly_and_resumes_with_a_larger_one(store, make_set, systems, llm):
    for m in MODELS:
        store.catalog.set_price(m, 0.001, 0.001)  # every call costs a few cents here
    batch_id = create_batch(store, make_set(6), systems(), concurrency=1, budget_usd=0.05, cache=False)
    out = asyncio.run(run_batch(store, batch_id))
    batch = store.batches.get_batch(batch_id)
    assert out.status == "budget reached" == batch.status
    counts = store.batches.batch_counts(batch_id)
    assert counts["pending"] > 0 and counts["running"] == 0 and counts["done"] >= 1
    assert batch.cost_usd >= 0.05
    spent_runs = sum(r.cost_usd for r in store.batches.batch_runs(batch_id) if r.status == "done")
    assert abs(spent_runs - batch.cost_usd) < 1e-9
    out = asyncio.run(run_batch(store, batch_id, resume=True, budget_usd=100.0))
    assert out.status == "done" and store.batches.batch_counts(batch_id)["done"] == 12


def test_failed_items_are_retried_on_resume(store, make_set, systems, llm):
    llm.set("base", fail_times=100, fail_status=400)
    batch_id = create_batch(store, make_set(2), systems(), concurrency=2, cache=False)
    out = asyncio.run(run_batch(store, batch_id))
    assert out.status == "done" and out.counts["failed"] == 2
    assert all("400" in (i.error or "") or "Bad" in (i.error or "") or i.error
               for i in store.batches.batch_items(batch_id) if i.status == "failed")
    llm.set("base", Behaviour())
    out = asyncio.run(run_batch(store, batch_id, resume=True))
    assert out.counts == {"pending": 0, "running": 0, "done": 4, "failed": 0}


def test_a_dead_workers_claim_is_recovered_and_a_finished_run_kept(store, make_set, systems, llm):
    batch_id = create_batch(store, make_set(1), systems(baseline=None), concurrency=1, cache=False)
    dead = "otherhost-not-here:1:1"
    [item] = store.batches.claim_items(batch_id, dead, 1)
    from datetime import timedelta

    from sqlalchemy import update

    from moa_core.storage.schema import BatchItem

    with store._write() as s:  # claimed two hours ago by a host that never came back
        s.execute(update(BatchItem).where(BatchItem.id == item.id)
                  .values(claimed_at=item.claimed_at - timedelta(hours=2)))
    assert store.batches.recover_batch(batch_id) == 1
    assert store.batches.batch_counts(batch_id)["pending"] == 1
