"""Fault injection through the loopback server for the batch roles: the judge, and the systems a
batch worker runs (a comparison model alone, a MoA proposer). The faults are those of
tests/engine/test_faults.py. What must hold: a transient fault is retried into an answer; a
persistent one fails that work item only, saying why, and a failed judge is never stored as a
vote (not even a tie); the rest of the batch finishes; a resume retries what failed."""
from __future__ import annotations

import asyncio
import dataclasses

import pytest

from moa_core.batch.report import batch_summary
from moa_core.batch.runner import create_batch, run_batch
from moa_core.batch.systems import moa_system, single_system
from moa_core.lineup import Lineup, ModelSpec
from moa_core.storage.batches import JUDGE_PREFIX
from moa_core.testing.llm_server import Behaviour
from tests.engine.test_faults import BIG, FAULTS as ENGINE_FAULTS, _closed_port

pytestmark = pytest.mark.slow  # out of the quick tier: batches against failing and slow models (~35 s)

# Batch calls are not streamed (nobody watches them: moa_core.providers.llm.complete), so the engine's
# faults as an unstreamed request meets them: a reply cut off mid-body is a connection error, and a
# stream that ends cleanly without a finish reason has no unstreamed form (a reply is one JSON document).
FAULTS = {name: fault for name, fault in ENGINE_FAULTS.items() if name != "stream ends without finish reason"}
FAULTS["dropped stream"] = dataclasses.replace(FAULTS["dropped stream"], error="Connection error", partial=False)

SLOW = ("timeout", "hang")


@pytest.fixture
def short_timeouts(request) -> dict:
    """The batch's timeout and retries for the judge and single models (`create_batch(**short_timeouts)`):
    1 retry, and a 1 s timeout for the slow faults, so a hang costs seconds."""
    slow = request.node.callspec.params.get("fault_name") in SLOW if hasattr(request.node, "callspec") else True
    return {"timeout_s": 1.0 if slow else 10.0, "max_retries": 1}


def _judge(llm, fault) -> dict:
    api_base = f"http://127.0.0.1:{_closed_port()}/v1" if fault.refused else llm.base_url
    return {"model": "judge", "api_base": api_base}


@pytest.mark.parametrize("fault_name", list(FAULTS))
def test_judge_fault(fault_name, store, make_set, systems, llm, short_timeouts):
    fault = FAULTS[fault_name]
    llm.set("agg", text="MOA answer")
    llm.set("base", text="plain answer")
    behaviour = dict(fault.behaviour)
    if fault_name == "1 MB answer":
        behaviour["text"] = BIG + " Verdict: [[A]]"
    elif fault.recovers:
        behaviour["text"] = "A is better. [[A]]"
    llm.set("judge", **behaviour)
    batch_id = create_batch(store, make_set(1), systems(), judge=_judge(llm, fault), concurrency=2, cache=False,
                            **short_timeouts)
    out = asyncio.run(run_batch(store, batch_id))
    assert out.status == "done"
    [item] = [i for i in store.batches.batch_items(batch_id) if i.system.startswith(JUDGE_PREFIX)]
    votes = store.votes.batch_votes([batch_id])
    if fault.recovers:
        assert item.status == "done" and item.error is None
        [vote] = votes
        assert vote.comment == "order1=a order2=b" and vote.winner == "tie"  # both orders asked and parsed
        assert (vote.judge_order1, vote.judge_order2) == ("a", "b")
        if fault_name == "1 MB answer":
            assert len(vote.reasoning) > 1_000_000  # both answers kept whole in the reasoning
    else:
        assert item.status == "failed" and item.error.startswith("the judge judge failed (order 1): ")
        assert fault.error in item.error
        assert votes == []  # a judge that could not judge is no vote, not a tie
        assert llm.request_count("judge") <= 2  # order 2 is not asked once order 1 failed (1 retry)
        summary = batch_summary(store, [batch_id])
        assert summary["judge"]["judged"] == 0
    answers = [i for i in store.batches.batch_items(batch_id) if not i.system.startswith(JUDGE_PREFIX)]
    assert {i.status for i in answers} == {"done"}  # the answers were never at risk
    assert llm.requests and not any(r.stream for r in llm.requests)  # batch calls are not streamed


def test_a_judge_without_a_verdict_in_either_order_fails_the_item_and_one_missing_order_is_a_tie(
        store, make_set, systems, llm):
    llm.set("judge", text="Both answers are fine, I cannot decide.")
    batch_id = create_batch(store, make_set(1), systems(), judge={"model": "judge", "api_base": llm.base_url},
                            cache=False)
    asyncio.run(run_batch(store, batch_id))
    [item] = [i for i in store.batches.batch_items(batch_id) if i.system.startswith(JUDGE_PREFIX)]
    assert item.status == "failed" and store.votes.batch_votes([batch_id]) == []
    assert item.error == ("the judge judge gave no verdict ([[A]], [[B]] or [[C]]) in either order; it said: "
                          "'Both answers are fine, I cannot decide.'")

    answers = iter(["No idea.", "Second order: [[A]]"])  # a verdict in one order only
    llm.set("judge", reply=lambda messages: next(answers))
    out = asyncio.run(run_batch(store, batch_id, resume=True))
    assert out.counts["failed"] == 0
    [vote] = store.votes.batch_votes([batch_id])
    assert vote.winner == "tie" and vote.comment == "order1=none order2=b"
    assert (vote.judge_order1, vote.judge_order2) == (None, "b")
    assert batch_summary(store, [batch_id])["judge"] == {"judged": 1, "flipped": 1, "flip_rate": 1.0}


def test_a_failed_judge_is_retried_on_resume_and_then_votes_once(store, make_set, systems, llm, short_timeouts):
    llm.set("agg", text="MOA answer")
    llm.set("judge", fail_times=99, fail_status=503)
    batch_id = create_batch(store, make_set(2), systems(), judge={"model": "judge", "api_base": llm.base_url},
                            concurrency=2, cache=False, **short_timeouts)
    out = asyncio.run(run_batch(store, batch_id))
    assert out.counts["failed"] == 2 and store.votes.batch_votes([batch_id]) == []
    llm.set("judge", Behaviour(text="[[A]]"))
    answered = {m: llm.request_count(m) for m in ("p1", "p2", "p3", "agg", "base")}
    out = asyncio.run(run_batch(store, batch_id, resume=True))
    assert out.counts == {"pending": 0, "running": 0, "done": 6, "failed": 0}
    assert len(store.votes.batch_votes([batch_id])) == 2  # one vote per pair
    assert {m: llm.request_count(m) for m in answered} == answered  # the answers were not asked again


SYSTEM_ROLES = ("single", "proposer")


@pytest.mark.parametrize("fault_name", list(FAULTS))
@pytest.mark.parametrize("role", SYSTEM_ROLES)
def test_batch_worker_fault(role, fault_name, store, make_set, llm, short_timeouts):
    """The fault on the comparison model (answering alone) or on one MoA proposer, for every item."""
    fault = FAULTS[fault_name]
    faulty = "base" if role == "single" else "p1"
    llm.set(faulty, **fault.behaviour)
    dead = f"http://127.0.0.1:{_closed_port()}/v1" if fault.refused else None  # nobody listens there

    def spec(name: str) -> ModelSpec:
        return ModelSpec(model=name, api_base=(dead if name == faulty else None) or llm.base_url, max_tokens=64)

    lineup = Lineup(proposers=[spec("p1"), spec("p2"), spec("p3")], aggregator=spec("agg"),
                    timeout_s=1.0 if fault_name in SLOW else 10.0, max_retries=1)
    built = [moa_system(lineup), single_system(spec("base"))]
    batch_id = create_batch(store, make_set(2), built, concurrency=4, cache=False, **short_timeouts)
    out = asyncio.run(run_batch(store, batch_id))
    assert out.status == "done"
    items = store.batches.batch_items(batch_id)
    rows = {(r.eval_item_id, r.system): r for r in store.batches.batch_runs(batch_id)}
    mine = [i for i in items if i.system == (built[1].name if role == "single" else built[0].name)]
    others = [i for i in items if i not in mine]
    assert {i.status for i in others} == {"done"}  # the other system is unaffected
    assert llm.requests and not any(r.stream for r in llm.requests)  # batch calls are not streamed
    if fault.recovers or role == "proposer":  # a failed proposer: the run synthesizes from the others
        assert {i.status for i in mine} == {"done"}
        expected = "ok" if fault.recovers else "partial"
        assert {rows[(i.eval_item_id, i.system)].run_status for i in mine} == {expected}
    else:
        assert {i.status for i in mine} == {"failed"}
        assert all(fault.error in (i.error or "") for i in mine), [i.error for i in mine]
        run = store.get_run(mine[0].run_id) if mine[0].run_id else None
        assert run is not None and run.status == "failed"  # the failed answer is stored, with its call
        assert run.calls[0].status == "failed" and fault.error in run.calls[0].error


def test_a_429_storm_is_waited_out_honouring_retry_after(store, make_set, llm):
    """Every first and second request of a batch's model answers 429 (Retry-After 0.3 s) while 6
    items ask at once: every item is answered, none failed, and no retry came before its Retry-After."""
    n = 6
    llm.set("base", fail_times=2 * n, fail_status=429, retry_after=0.3, text="Thirty days.")
    batch_id = create_batch(store, make_set(n), [single_system(ModelSpec(model="base", api_base=llm.base_url))],
                            concurrency=n, cache=False)
    out = asyncio.run(run_batch(store, batch_id))
    assert out.status == "done" and out.counts == {"pending": 0, "running": 0, "done": n, "failed": 0}
    assert llm.request_count("base") >= 3 * n  # 12 refused, then each item answered
    runs = [store.get_run(r.run_id) for r in store.batches.batch_runs(batch_id)]
    assert all(r.status == "ok" and r.final == "Thirty days." for r in runs)
    assert sum(c.attempts - 1 for r in runs for c in r.calls) == 2 * n  # every 429 was retried, none dropped
    assert all("RateLimit" in e for r in runs for c in r.calls for e in c.retry_errors)
    by_item: dict[str, list[float]] = {}
    for req in llm.requests:
        by_item.setdefault(req.messages[-1]["content"], []).append(req.arrived)
    for arrivals in by_item.values():  # Retry-After is a lower bound on every wait
        assert all(b - a >= 0.3 - 0.02 for a, b in zip(arrivals, arrivals[1:])), arrivals
