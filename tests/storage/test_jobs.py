"""The job queue on a real SQLite file and a real PostgreSQL: claims, leases, heartbeats, cancel, takeover."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from moa_core.records import CallFinished, RunStarted, TokenDelta, utcnow
from moa_core.storage import RunStore
from moa_core.storage.jobs import MAX_ATTEMPTS
from moa_core.storage.liveness import owner_token
from tests.storage.samples import call, dead_pid, record

OTHER_HOST = "elsewhere:4242:99"  # a worker on another machine: judged by its lease alone
LATER = timedelta(minutes=5)  # past any lease


def submit(store, n=1, kind="run"):
    ids = [f"job{i}" for i in range(n)]
    for job_id in ids:
        store.jobs.submit_job(job_id, kind, {"query": job_id, "secret_base": "http://u:p@h"}, run_id=job_id)
    return ids


def test_jobs_are_claimed_oldest_first_each_by_exactly_one_worker(store, store_url):
    ids = submit(store, 12)
    stores = [RunStore.open(store_url) for _ in range(4)]
    claimed: dict[str, list[str]] = {}
    barrier = threading.Barrier(4)

    def work(i: int) -> None:
        barrier.wait()
        while (job := stores[i].jobs.claim_job(f"host{i}:1:1")) is not None:
            claimed.setdefault(job.id, []).append(f"host{i}")
    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for s in stores:
        s.close()
    assert sorted(claimed) == sorted(ids) and all(len(v) == 1 for v in claimed.values()), claimed
    jobs = {j.id: j for j in store.jobs.list_jobs()}
    assert all(j.status == "running" and j.attempts == 1 and j.lease_owner == f"{claimed[j.id][0]}:1:1"
               for j in jobs.values())
    assert store.jobs.claim_job("late:1:1") is None and not store.jobs.has_queued_jobs()


def test_oldest_job_comes_first_and_kinds_filter(store):
    store.jobs.submit_job("a", "run", {}, run_id="a")
    store.jobs.submit_job("b", "judge-item", {})
    store.jobs.submit_job("c", "follow-up", {}, run_id="c")
    assert store.jobs.claim_job(OTHER_HOST, kinds=("run", "follow-up")).id == "a"
    assert store.jobs.claim_job(OTHER_HOST, kinds=("run", "follow-up")).id == "c"
    assert store.jobs.claim_job(OTHER_HOST, kinds=("run", "follow-up")) is None
    assert store.jobs.has_queued_jobs() and not store.jobs.has_queued_jobs(("run",))


def test_heartbeat_renews_only_the_owners_leases_and_carries_the_stop_flag(store):
    submit(store, 2)
    first = store.jobs.claim_job(OTHER_HOST, lease_s=5)
    second = store.jobs.claim_job("another:1:1", lease_s=5)
    assert store.jobs.heartbeat_jobs(OTHER_HOST, [first.id, second.id], lease_s=60) == {first.id: False}
    renewed = store.jobs.get_job(first.id).lease_expires_at
    assert renewed - utcnow() > timedelta(seconds=50)
    assert store.jobs.get_job(second.id).lease_expires_at - utcnow() < timedelta(seconds=6)
    assert store.jobs.request_cancel(first.id) == "running"
    assert store.jobs.heartbeat_jobs(OTHER_HOST, [first.id]) == {first.id: True}


def test_stop_on_a_queued_job_cancels_it_before_any_worker_sees_it(store):
    (job_id,) = submit(store)
    assert store.jobs.request_cancel(job_id) == "cancelled"
    job = store.jobs.get_job(job_id)
    assert job.status == "cancelled" and job.payload == {} and job.finished_at is not None
    assert store.jobs.claim_job(OTHER_HOST) is None
    assert store.jobs.request_cancel("nope") is None


def test_finishing_needs_the_lease_and_clears_the_payload(store):
    (job_id,) = submit(store)
    store.jobs.claim_job(OTHER_HOST)
    assert not store.jobs.finish_job(job_id, "someone:else:1", "done")
    assert store.jobs.finish_job(job_id, OTHER_HOST, "done")
    job = store.jobs.get_job(job_id)
    assert job.status == "done" and job.payload == {} and job.lease_owner is None  # the base URL is gone
    assert not store.jobs.finish_job(job_id, OTHER_HOST, "failed")  # closed once


def test_a_lapsed_job_that_recorded_no_call_goes_back_to_the_queue_with_its_empty_run_removed(store):
    (job_id,) = submit(store)
    store.jobs.claim_job(OTHER_HOST, lease_s=30)
    store.observe(RunStarted(record(run_id=job_id, status="running")))  # the run row, no call yet
    store.flush()
    assert store.jobs.take_over_expired() == {}  # the lease still holds
    assert store.jobs.take_over_expired(now=utcnow() + LATER) == {job_id: "queued"}
    job = store.jobs.get_job(job_id)
    assert job.status == "queued" and job.lease_owner is None and job.payload["query"] == job_id
    assert store.get_run(job_id) is None
    assert store.jobs.claim_job("next:1:1").attempts == 2


def test_a_job_whose_workers_keep_dying_fails_after_max_attempts(store):
    (job_id,) = submit(store)
    outcomes = []
    for _ in range(MAX_ATTEMPTS):
        assert store.jobs.claim_job(OTHER_HOST).id == job_id
        outcomes += store.jobs.take_over_expired(now=utcnow() + LATER).values()
    assert outcomes == ["queued"] * (MAX_ATTEMPTS - 1) + ["failed"]
    job = store.jobs.get_job(job_id)
    assert job.status == "failed" and f"{MAX_ATTEMPTS} times" in job.error


def test_a_lapsed_run_with_calls_is_closed_interrupted_with_its_finished_calls_and_partial_text(store):
    (job_id,) = submit(store)
    store.jobs.claim_job(OTHER_HOST)
    run = record(run_id=job_id, status="running")
    done = call("m1", end=1.0, cost=0.002)
    streaming = call("m2", status="running", index=1, end=None, cost=None)
    streaming.text, streaming.prompt_tokens, streaming.completion_tokens = "", None, None  # usage comes at the end
    store.observe(RunStarted(run))
    run.calls.append(done)
    store.observe(CallFinished(done))
    run.calls.append(streaming)
    streaming.text = "half an ans"
    store.observe(TokenDelta(streaming, "half an ans"))  # the first delta writes the row
    store.flush()
    assert store.get_run(job_id).calls[1].text == "half an ans"
    assert store.jobs.take_over_expired(now=utcnow() + LATER) == {job_id: "interrupted"}
    job, stored = store.jobs.get_job(job_id), store.get_run(job_id)
    assert job.status == "interrupted" and "finished calls are kept" in job.error
    assert stored.status == "interrupted" and "1 finished call(s) kept" in stored.note
    assert [c.status for c in stored.calls] == ["ok", "failed"]
    assert stored.calls[1].text == "half an ans" and "interrupted" in stored.calls[1].error
    assert stored.cost_usd == pytest.approx(0.002)  # the finished call's cost; the cut one had no price yet


def test_a_lapsed_job_with_stop_pressed_ends_cancelled(store):
    (job_id,) = submit(store)
    store.jobs.claim_job(OTHER_HOST)
    run = record(run_id=job_id, status="running")
    store.observe(RunStarted(run))
    done = call("m1")
    run.calls.append(done)
    store.observe(CallFinished(done))
    store.flush()
    store.jobs.request_cancel(job_id)
    assert store.jobs.take_over_expired(now=utcnow() + LATER) == {job_id: "cancelled"}
    assert store.get_run(job_id).status == "cancelled"


def test_a_dead_worker_on_this_host_is_taken_over_without_waiting_for_its_lease(store):
    (job_id,) = submit(store)
    store.jobs.claim_job(owner_token(dead_pid()), lease_s=3600)
    assert store.jobs.take_over_expired() == {job_id: "queued"}
    store.jobs.claim_job(owner_token(), lease_s=0.0)  # alive, lease already out: this process still counts as lapsed
    assert store.jobs.take_over_expired(now=utcnow() + LATER) == {job_id: "queued"}
    store.jobs.claim_job(owner_token(), lease_s=3600)
    assert store.jobs.take_over_expired() == {}  # alive and leased: left alone


def test_partial_text_is_written_at_most_every_quarter_second(store):
    (job_id,) = submit(store)
    run = record(run_id=job_id, status="running")
    store.observe(RunStarted(run))
    streaming = call("m1", status="running", end=None)
    streaming.text = ""
    run.calls.append(streaming)
    for word in ("one ", "two ", "three "):
        streaming.text += word
        store.observe(TokenDelta(streaming, word))
    store.flush()
    assert store.get_run(job_id).calls[0].text == "one "  # the first delta; the next two were within 0.25 s
    store._partial_at[streaming.call_id] -= 1.0  # as if a quarter second had passed
    streaming.text += "four"
    store.observe(TokenDelta(streaming, "four"))
    store.flush()
    assert store.get_run(job_id).calls[0].text == "one two three four"
