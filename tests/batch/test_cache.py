"""The response cache: hit, miss, bypass, errors never kept, the exact request as key, cost saved."""
import asyncio

import pytest

from moa_core.batch.runner import create_batch, run_batch
from moa_core.cache import ResponseCache, request_key
from moa_core.providers.llm import Target
from moa_core.service import run_and_record

pytestmark = pytest.mark.slow  # out of the quick tier: whole batches, run twice (~11 s)


def test_key_is_the_exact_request():
    t = Target(model="openai/m", api_base="http://x/v1", api_key="sk-secret")
    msgs = [{"role": "user", "content": "hi"}]
    key = request_key(t, msgs, 0.7, 100)
    assert key == request_key(Target(model="openai/m", api_base="http://x/v1", api_key="other"), msgs, 0.7, 100)
    assert len({key, request_key(t, msgs, 0.2, 100), request_key(t, msgs, 0.7, 50),
                request_key(t, [{"role": "user", "content": "hi!"}], 0.7, 100),
                request_key(Target(model="openai/n", api_base="http://x/v1"), msgs, 0.7, 100),
                request_key(Target(model="openai/m", api_base="http://y/v1"), msgs, 0.7, 100)}) == 6


def test_hit_miss_and_the_cached_call_record(store, lineup_for, llm):
    store.catalog.set_price("p1", 0.001, 0.002)
    lineup = lineup_for(["p1"], "agg")
    cache = ResponseCache(store.cache)
    first = asyncio.run(run_and_record("What is MoA?", lineup, store=store, cache=cache))
    assert (cache.hits, cache.misses) == (0, 2) and len(llm.requests) == 2
    second = asyncio.run(run_and_record("What is MoA?", lineup_for(["p1"], "agg"), store=store, cache=cache))
    assert cache.hits == 2 and len(llm.requests) == 2  # nothing sent the second time
    assert second.final == first.final and second.status == "ok"
    p1 = second.calls[0]
    assert p1.cached and p1.cost_usd == 0 and p1.saved_usd == first.calls[0].cost_usd > 0
    stored = store.get_run(second.run_id).calls[0]
    assert stored.cached and stored.saved_usd == p1.saved_usd  # the column round-trips
    assert not store.get_run(first.run_id).calls[0].cached
    assert store.cache.stats()["hits"] == 0  # hits are counted in memory, written once
    cache.flush_hits()
    stats = store.cache.stats()
    assert stats["entries"] == 2 and stats["hits"] == 2 and stats["saved_usd"] > 0
    assert store.cache.clear() == 2 and store.cache.stats()["entries"] == 0


def test_errors_are_never_cached(store, lineup_for, llm):
    llm.set("p1", fail_times=1, fail_status=400)
    cache = ResponseCache(store.cache)
    bad = asyncio.run(run_and_record("q", lineup_for(["p1"], "agg", max_retries=0), store=store, cache=cache))
    assert bad.calls[0].status == "failed"
    assert store.cache.stats()["entries"] == 0  # the aggregator never ran: the run fell short
    good = asyncio.run(run_and_record("q", lineup_for(["p1"], "agg", max_retries=0), store=store, cache=cache))
    assert good.status == "ok" and not good.calls[0].cached
    assert llm.request_count("p1") == 2


def test_the_same_batch_twice_sends_nothing_and_no_cache_bypasses(store, make_set, systems, llm):
    set_id = make_set(3)
    batch_id = create_batch(store, set_id, systems(), concurrency=4)
    asyncio.run(run_batch(store, batch_id))
    sent = len(llm.requests)
    again = create_batch(store, set_id, systems(), concurrency=4)
    out = asyncio.run(run_batch(store, again))
    assert out.status == "done" and len(llm.requests) == sent  # 0 requests the second time
    assert out.cache_hits == sent
    bypass = create_batch(store, set_id, systems(), concurrency=4)
    asyncio.run(run_batch(store, bypass, no_cache=True))
    assert len(llm.requests) == 2 * sent
    off = create_batch(store, set_id, systems(), concurrency=4, cache=False)
    asyncio.run(run_batch(store, off))
    assert len(llm.requests) == 3 * sent


def _sqlite(store, sql: str) -> None:
    """Change the database file behind the store's back, as a crash, a bad copy or a hand edit would."""
    import sqlite3

    conn = sqlite3.connect(store.engine.url.database)
    with conn:
        conn.execute(sql)
    conn.close()


def test_a_blank_cached_answer_is_a_miss_and_is_replaced(store, lineup_for, llm):
    cache = ResponseCache(store.cache)
    asyncio.run(run_and_record("What is MoA?", lineup_for(["p1"], "agg"), store=store, cache=cache))
    _sqlite(store, "UPDATE cachedresponse SET text = '   '")  # a corrupted entry
    again = asyncio.run(run_and_record("What is MoA?", lineup_for(["p1"], "agg"), store=store, cache=cache))
    assert again.status == "ok" and not any(c.cached for c in again.calls)
    assert llm.request_count("p1") == 2  # asked again, not answered with a blank
    third = asyncio.run(run_and_record("What is MoA?", lineup_for(["p1"], "agg"), store=store, cache=cache))
    assert all(c.cached for c in third.calls) and llm.request_count("p1") == 2  # the entry was replaced
    assert third.final == again.final


def test_a_cache_that_cannot_be_read_never_fails_a_call(store, lineup_for, llm):
    cache = ResponseCache(store.cache)
    _sqlite(store, "DROP TABLE cachedresponse")  # lookups and saves now raise OperationalError
    run = asyncio.run(run_and_record("What is MoA?", lineup_for(["p1"], "agg"), store=store, cache=cache))
    assert run.status == "ok" and [c.status for c in run.calls] == ["ok", "ok"]
    assert not any(c.cached for c in run.calls) and llm.request_count("p1") == 1


def _numbered_samples(llm, model: str) -> None:
    """Each request to `model` gets a new answer, as sampling at a temperature would give."""
    import itertools

    counter = itertools.count()
    llm.set(model, reply=lambda messages: f"sample {next(counter)} of {model}")


def test_each_seat_keeps_its_own_sample_on_a_rerun(store, lineup_for, llm):
    """Self-MoA: one model at one temperature in three seats. The request is the same for all three, but
    each seat sampled its own answer; a re-run must give each seat back its own, not one answer three times."""
    _numbered_samples(llm, "p1")
    cache = ResponseCache(store.cache)
    first = asyncio.run(run_and_record("What is MoA?", lineup_for(["p1", "p1", "p1"], "agg"), store=store,
                                       cache=cache))
    proposals = {c.index: c.text for c in first.calls_for("proposer")}
    assert len(set(proposals.values())) == 3 and llm.request_count("p1") == 3
    again = asyncio.run(run_and_record("What is MoA?", lineup_for(["p1", "p1", "p1"], "agg"), store=store,
                                       cache=cache))
    assert all(c.cached for c in again.calls) and llm.request_count("p1") == 3
    assert {c.index: c.text for c in again.calls_for("proposer")} == proposals
    assert cache.hits == 4  # three proposers and the aggregator, each from its own entry
    cache.flush_hits()
    assert store.cache.stats() | {"saved_usd": None} == {"entries": 4, "hits": 4, "saved_usd": None}


def test_a_single_model_never_gets_a_proposers_answer(store, lineup_for, llm):
    """A baseline on the same model (and temperature) as a proposer sends the same request; it is another
    seat of another system, so it asks the model itself."""
    from moa_core.batch.single import answer_alone

    _numbered_samples(llm, "p1")
    cache = ResponseCache(store.cache)
    lineup = lineup_for(["p1", "p2"], "agg")
    moa = asyncio.run(run_and_record("What is MoA?", lineup, store=store, cache=cache))
    alone = asyncio.run(answer_alone(lineup.proposers[0], "What is MoA?", store=store, cache=cache))
    assert not alone.calls[0].cached and llm.request_count("p1") == 2
    assert alone.final != moa.calls_for("proposer")[0].text
    assert cache.hits == 0
    again = asyncio.run(answer_alone(lineup.proposers[0], "What is MoA?", store=store, cache=cache))
    assert again.calls[0].cached and again.final == alone.final  # its own answer, on a re-run


def test_the_key_names_the_seat():
    from moa_core.records import CallRecord
    from moa_core.lineup import ModelSpec

    t, spec = Target(model="openai/m"), ModelSpec(model="m")
    msgs = [{"role": "user", "content": "hi"}]

    def key(role="proposer", index=0, round_no=1, system="s1"):
        record = CallRecord(role=role, round=round_no, index=index, model="m", label="m", messages=msgs)
        return ResponseCache.key_for(record, t, spec, system)

    assert key() == key()
    assert len({key(), key(index=1), key(round_no=2), key(role="baseline"), key(system="s2")}) == 5


def test_a_batch_rerun_from_the_cache_moves_only_paid_and_saved(store, make_set, systems, llm):
    """The issue's check: run a batch, run it again (every answer from the cache), and the batch table, the set's
    table, Analytics and the planner say the same as before, except what was paid and saved."""
    from moa_core.batch.report import batch_summary, set_summary
    from moa_core.metrics import analytics, planner, run_tables

    for model in ("p1", "p2", "p3", "agg", "base"):
        store.catalog.set_price(model, 1e-6, 2e-6)
    set_id = make_set(3)
    first = create_batch(store, set_id, systems(), concurrency=2)
    asyncio.run(run_batch(store, first))
    runs, _ = store.analytics.analytics_runs()
    before = analytics.overview(run_tables.run_table(runs), run_tables.call_table(runs))
    figures = planner.measured_figures(run_tables.call_table(runs))
    again = create_batch(store, set_id, systems(), concurrency=2)
    out = asyncio.run(run_batch(store, again))
    assert out.cache_hits == 15 and out.status == "done"  # 3 items x (3 proposers + aggregator + single)

    # what the single model costs per item, worked out from its stored calls: tokens at 1e-6 / 2e-6
    single = next(s.name for s in systems() if s.kind == "single")
    calls = [c for r in store.batches.batch_runs(first) if r.system == single for c in store.get_run(r.run_id).calls]
    by_hand = sum(c.prompt_tokens * 1e-6 + c.completion_tokens * 2e-6 for c in calls) / 3
    s1 = {s["name"]: s for s in batch_summary(store, [first], style_bootstrap=0)["systems"]}
    s2 = {s["name"]: s for s in batch_summary(store, [again], style_bootstrap=0)["systems"]}
    whole = {s["name"]: s for s in set_summary(store, set_id)["systems"]}
    assert s1[single]["cost_per_item"] == pytest.approx(by_hand) and by_hand > 0
    for name in s1:
        assert s2[name]["cost_per_item"] == pytest.approx(s1[name]["cost_per_item"])  # what the system costs
        assert s2[name]["paid_usd"] == 0 and s2[name]["saved_usd"] == pytest.approx(s1[name]["paid_usd"])
        assert s2[name]["cached_items"] == 3 and s2[name]["p50_s"] is None  # no latency was measured
        assert s1[name]["p50_s"] is not None and s1[name]["queue_p50_s"] is not None
        assert whole[name]["items"] == 3  # not 6: one answer per item of the set
        assert whole[name]["cost_per_item"] == pytest.approx(s1[name]["cost_per_item"])
        assert whole[name]["p50_s"] == s1[name]["p50_s"]
    runs, _ = store.analytics.analytics_runs()
    after = analytics.overview(run_tables.run_table(runs), run_tables.call_table(runs))
    assert after.known_cost_usd == pytest.approx(before.known_cost_usd)
    assert after.saved_usd == pytest.approx(before.known_cost_usd) and before.saved_usd == 0
    assert after.median_answer_s == before.median_answer_s
    assert after.latency_by_model.equals(before.latency_by_model)
    assert planner.measured_figures(run_tables.call_table(runs)) == figures


def test_a_judge_reply_cached_without_a_verdict_is_replaced_by_one_with_a_verdict(store, llm):
    """Older versions cached a judge's reply that gave no verdict: it is a miss (the judge is asked again)
    and the new reply, which has a verdict, replaces it; after that the judge is answered from the cache."""
    from moa_core.batch.judge import has_verdict, judge_pair, judge_spec

    judge = judge_spec("judge", llm.base_url)
    cache = ResponseCache(store.cache, accept=has_verdict)
    llm.set("judge", text="A is better. [[A]]")
    asyncio.run(judge_pair(judge, "Q?", "one", "two", cache=cache))
    assert llm.request_count("judge") == 2 and store.cache.stats()["entries"] == 2
    _sqlite(store, "UPDATE cachedresponse SET text = 'I cannot decide.'")  # what older versions kept
    llm.set("judge", text="B is better. [[B]]")
    again = asyncio.run(judge_pair(judge, "Q?", "one", "two", cache=cache))
    assert llm.request_count("judge") == 4 and not again.cached  # both orders asked again
    third = asyncio.run(judge_pair(judge, "Q?", "one", "two", cache=cache))
    assert llm.request_count("judge") == 4 and third.cached  # the entries were replaced
    assert (third.first, third.second, third.winner) == ("b", "a", "tie")
    assert store.cache.stats()["entries"] == 2


def test_the_projection_leaves_out_answers_the_cache_already_holds(store, make_set, systems, llm):
    """A re-run of items a system answered before (with the cache on) is projected as cached, not paid again;
    a new item, or a system with another configuration, is still counted."""
    from moa_core.batch.estimate import project

    for model in ("p1", "p2", "p3", "agg", "base"):
        store.catalog.set_price(model, 1e-6, 2e-6)
    set_id = make_set(2)
    first = create_batch(store, set_id, systems(), concurrency=2)
    asyncio.run(run_batch(store, first))
    items = [{"query": "question 0?"}, {"query": "question 1?"}, {"query": "a new question?"}]
    fresh = project(items, systems(), store.catalog.price_book())
    assert fresh.calls == 15 and fresh.cached_calls == 0  # 3 items x (3 proposers + aggregator + single)
    answered = store.cache.answered_before([s.config_key for s in systems()])
    again = project(items, systems(), store.catalog.price_book(), answered=answered)
    assert again.calls == 15 and again.cached_calls == 10  # two items x 5 calls already answered
    assert again.estimate_usd == pytest.approx(project(items[2:], systems(), store.catalog.price_book()).estimate_usd)
    assert "10 of 15 calls were answered before" in again.describe()
    other = systems(proposers=("p1", "p2"))  # another configuration: nothing of it was answered
    assert project(items, other, store.catalog.price_book(), answered=store.cache.answered_before(
        [s.config_key for s in other])).cached_calls == 2  # only the single model (same configuration), 2 items
    store.cache.clear()  # an emptied cache answers nothing
    assert store.cache.answered_before([s.config_key for s in systems()]) == set()
