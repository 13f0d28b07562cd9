"""Engine against the loopback OpenAI-compatible server: real HTTP, real streaming, real failures."""
import time

import pytest

from moa_core.engine import run_moa

pytestmark = pytest.mark.slow  # out of the quick tier: streamed runs over HTTP with delays (~10 s)


async def test_proposers_run_concurrently_and_wall_tracks_critical_path(llm, lineup_for):
    for name, latency in (("p1", 0.3), ("p2", 0.6), ("p3", 0.9)):
        llm.set(name, latency_s=latency, ttft_s=0.1)
    llm.set("agg", latency_s=0.3)
    await run_moa("warm", lineup_for(["warm"]))  # litellm builds its HTTP client on first use of a host
    start = time.monotonic()
    run = await run_moa("q", lineup_for(["p1", "p2", "p3"]))
    elapsed = time.monotonic() - start
    assert run.status == "ok"
    assert 1.2 <= run.critical_path_s < 1.5  # slowest proposer + aggregator, not the sum (2.1 s)
    assert run.wall_s - run.critical_path_s < 0.25 and elapsed < 1.9
    starts = [c.started_s for c in run.calls_for("proposer")]
    assert max(starts) - min(starts) < 0.05
    for call in run.calls_for("proposer"):
        assert call.first_token_s - call.started_s >= 0.09


async def test_baseline_runs_beside_the_proposers(llm, lineup_for):
    llm.set("p1", latency_s=0.5)
    llm.set("base", latency_s=0.5)
    run = await run_moa("q", lineup_for(["p1"], baseline="base"))
    baseline = run.calls_for("baseline")[0]
    assert baseline.ok and baseline.started_s < 0.05
    assert run.wall_s < 0.9 and run.final


async def test_rate_limit_is_retried_honouring_retry_after(llm, lineup_for):
    llm.set("p1", fail_times=1, fail_status=429, retry_after=0.6)
    run = await run_moa("q", lineup_for(["p1", "p2"]))
    call = run.calls_for("proposer")[0]
    assert call.ok and call.attempts == 2 and "RateLimitError" in call.retry_errors[0]
    assert call.ended_s - call.started_s >= 0.6
    assert run.status == "ok"


async def test_server_errors_and_dropped_streams_are_retried_then_reported(llm, lineup_for):
    llm.set("flaky", fail_times=2, fail_status=503)
    llm.set("dropper", drop_after_tokens=2)
    run = await run_moa("q", lineup_for(["flaky", "dropper", "p3"], max_retries=2))
    flaky, dropper, p3 = run.calls_for("proposer")
    assert flaky.ok and flaky.attempts == 3
    assert dropper.status == "failed" and dropper.attempts == 3 and dropper.error
    assert p3.ok and run.status == "partial" and run.synthesized_from == 2


async def test_hanging_model_times_out_without_blocking_others(llm, lineup_for):
    llm.set("hang", hang=True)
    llm.set("p2", latency_s=0.2)
    run = await run_moa("q", lineup_for(["hang", "p2"], timeout_s=0.8, max_retries=0))
    hang = run.calls_for("proposer")[0]
    assert hang.status == "failed" and "timed out" in hang.error.lower()
    assert 0.75 <= hang.duration_s < 1.5
    assert run.status == "partial" and run.final


async def test_malformed_body_and_bad_request_fail_cleanly(llm, lineup_for):
    llm.set("junk", malformed=True)
    llm.set("bad", fail_times=99, fail_status=400)
    run = await run_moa("q", lineup_for(["junk", "bad", "ok"], max_retries=1))
    junk, bad, ok = run.calls_for("proposer")
    assert junk.status == "failed" and junk.error
    assert bad.status == "failed" and bad.attempts == 1  # 400 is not retried
    assert ok.ok and run.status == "partial"


async def test_quorum_cancels_the_straggler(llm, lineup_for):
    llm.set("fast1", latency_s=0.2)
    llm.set("fast2", latency_s=0.3)
    llm.set("slow", latency_s=3.0)
    start = time.monotonic()
    run = await run_moa("q", lineup_for(["fast1", "fast2", "slow"], quorum=2))
    assert time.monotonic() - start < 1.5
    slow = run.calls_for("proposer")[2]
    assert slow.status == "cancelled" and "quorum of 2 of 3" in slow.error
    assert run.status == "ok" and run.synthesized_from == 2  # a quorum's cancellation is by design
    assert "synthesized from 2 of 3" in run.note and "quorum of 2 of 3" in run.note
    assert "[1] fast1" in run.calls_for("aggregator")[0].messages[0]["content"]
    assert "slow" not in run.calls_for("aggregator")[0].messages[0]["content"]


async def test_quorum_deadline(llm, lineup_for):
    llm.set("fast", latency_s=0.1)
    llm.set("slow", latency_s=3.0)
    run = await run_moa("q", lineup_for(["fast", "slow"], quorum_deadline_s=0.5))
    assert run.calls_for("proposer")[1].status == "cancelled"
    assert run.wall_s < 1.2 and run.status == "ok" and "deadline" in run.note


async def test_past_the_deadline_without_enough_proposals_waits_without_spinning(llm, lineup_for):
    import resource

    llm.set("fast", latency_s=0.1)
    llm.set("slow1", latency_s=1.5)
    llm.set("slow2", latency_s=1.5)
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    run = await run_moa("q", lineup_for(["fast", "slow1", "slow2"], quorum_deadline_s=0.3, min_proposals=2))
    used = resource.getrusage(resource.RUSAGE_SELF)
    assert run.status == "ok" and run.synthesized_from >= 2
    assert (used.ru_utime - cpu.ru_utime) + (used.ru_stime - cpu.ru_stime) < 0.6 * run.wall_s


async def test_a_stream_that_breaks_after_tokens_keeps_its_tokens(llm, lineup_for):
    llm.set("dropper", drop_after_tokens=3)
    run = await run_moa("q", lineup_for(["dropper", "ok"], max_retries=0))
    dropper = run.calls_for("proposer")[0]
    assert dropper.status == "failed" and dropper.text
    assert dropper.prompt_tokens > 0 and dropper.completion_tokens > 0


async def test_all_proposers_down_uses_fallback(llm, lineup_for):
    llm.set("down1", fail_times=99, fail_status=500)
    llm.set("down2", fail_times=99, fail_status=500)
    run = await run_moa("q", lineup_for(["down1", "down2"], fallback="fb", max_retries=0))
    assert run.status == "fallback" and run.final and "only 0 of 2" in run.note
